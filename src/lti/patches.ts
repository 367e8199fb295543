/**
 * Replacements inside ltijs 5.9.9 (pinned exactly in package.json), each closing a gap named in
 * docs/LTI-NOTES.md or measured, each proven by a test or a bench:
 * - `Auth.validateToken` → Cermin's IdTokenValidator (deployment allow-list, nonce store, iat,
 *   azp, context, cached JWKS). test/flows/launch-security.test.ts refuses each bad launch.
 * - `Auth.generatePlatformKeyPair` → the same key pair made with the *async* RSA generator, so
 *   registering a platform does not freeze every request for a second or more.
 * - the ltik's HS256 secret, handed to jsonwebtoken as a ready KeyObject (patchLtikSecret).
 * ltijs calls each through its module object, so replacing the properties is enough.
 */
import crypto from 'node:crypto';
import { promisify } from 'node:util';
import { getAuthModule, getLtijsJwtModule, type LtijsDatabase } from './ltijs';
import type { IdTokenValidator } from './id-token';

const generateKeyPair = promisify(crypto.generateKeyPair);

export function patchLtijs(validator: IdTokenValidator, modulusLength: number): void {
  const auth = getAuthModule();
  // ltijs passes (token, devMode, { iss: <state cookie value>, maxAge }, getPlatform, key, db).
  auth.validateToken = async (...args: unknown[]) => {
    const [token, , params] = args as [string, boolean, { iss?: string }];
    return validator.validate(token, params?.iss);
  };
  auth.generatePlatformKeyPair = async (
    encryptionKey: string,
    db: LtijsDatabase,
    platformUrl: string,
    clientId: string,
  ) => {
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

/** Every LTI key set up in this process (ltijs is a singleton, but a test run sets it up again with another key). */
const ltikSecrets = new Map<string, crypto.KeyObject>();

/**
 * ltijs signs and verifies every ltik with the LTI key as a string. jsonwebtoken 9 then first
 * tries to read that string as a PEM public or private key, fails (an OpenSSL parse and an Error
 * with its stack), and only then makes the HMAC secret: about 1 ms of CPU on every request
 * (`npm run bench -- autosave --profile`: createPublicKey was 5 % of Cermin's CPU). The same
 * secret, made once, is handed over instead; any other key passes through untouched.
 */
export function patchLtikSecret(ltiKey: string): void {
  ltikSecrets.set(ltiKey, crypto.createSecretKey(Buffer.from(ltiKey)));
  const jwt = getLtijsJwtModule();
  if (jwt.__cerminLtikSecret) return;
  const { sign, verify } = jwt;
  const secretFor = (key: unknown) => (typeof key === 'string' && ltikSecrets.get(key)) || key;
  jwt.sign = (payload: unknown, key: unknown, ...rest: unknown[]) => sign(payload, secretFor(key), ...rest);
  jwt.verify = (token: unknown, key: unknown, ...rest: unknown[]) => verify(token, secretFor(key), ...rest);
  jwt.__cerminLtikSecret = true;
}
