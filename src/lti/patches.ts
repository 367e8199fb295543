/**
 * Two replacements inside ltijs 5.9.9 (pinned exactly in package.json), each closing a gap named
 * in LTI-NOTES.md, each proven by a test:
 * - `Auth.validateToken` → Cermin's IdTokenValidator (deployment allow-list, nonce store, iat,
 *   azp, context, cached JWKS). test/lti-launch-security.test.ts refuses each bad launch.
 * - `Auth.generatePlatformKeyPair` → the same key pair made with the *async* RSA generator, so
 *   registering a platform does not freeze every request for a second or more.
 * ltijs calls both through its module object, so replacing the properties is enough.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { getAuthModule, type LtijsDatabase } from './ltijs';
import type { IdTokenValidator } from './id-token';

const generateKeyPair = promisify(crypto.generateKeyPair);

export function patchLtijs(validator: IdTokenValidator, modulusLength: number): void {
  const auth = getAuthModule();
  // ltijs passes (token, devMode, { iss: <state cookie value>, maxAge }, getPlatform, key, db).
  auth.validateToken = async (...args: unknown[]) => {
    const [token, , params] = args as [string, boolean, { iss?: string }];
    return validator.validate(token, params?.iss);
  };
  auth.generatePlatformKeyPair = async (encryptionKey: string, db: LtijsDatabase, platformUrl: string, clientId: string) => {
    const kid = crypto.randomBytes(16).toString('hex');
    const { publicKey, privateKey } = await generateKeyPair('rsa', {
      modulusLength,
      publicKeyEncoding: { type: 'spki', format: 'pem' },
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
    });
    const index = { kid, platformUrl, clientId };
    await db.Replace(encryptionKey, 'publickey', { platformUrl, clientId }, { key: publicKey, kid }, index);
    await db.Replace(encryptionKey, 'privatekey', { platformUrl, clientId }, { key: privateKey, kid }, index);
    return kid;
  };
}
