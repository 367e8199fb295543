/**
 * The typed face of what Cermin uses from ltijs 5.9.9 (its published types describe v4).
 * ltijs is a process-wide singleton: `getProvider()` is the only place that requires it.
 */
import type express from 'express';
import path from 'node:path';

export interface LtijsPlatform {
  platformUrl(): Promise<string>;
  platformClientId(): Promise<string>;
  platformName(): Promise<string>;
  platformKid(): Promise<string>;
  platformId(): Promise<string>;
  platformActive(active?: boolean): Promise<boolean>;
  platformAuthEndpoint(): Promise<string>;
  platformAccessTokenEndpoint(): Promise<string>;
  /** The `aud` of a client assertion: the authorization server if registered, else the token endpoint. */
  platformAuthorizationServer(): Promise<string>;
  /** The tool's private key for this platform, PEM (pkcs1, as patches.ts generates it), decrypted. */
  platformPrivateKey(): Promise<string>;
  platformAuthConfig(): Promise<{ method: 'JWK_SET' | 'JWK_KEY' | 'RSA_KEY'; key: string }>;
  platformJSON(): Promise<Record<string, unknown>>;
  delete(): Promise<boolean>;
}

export interface LtijsDatabase {
  Get(
    key: string | false,
    collection: string,
    query?: Record<string, unknown>,
  ): Promise<Array<Record<string, unknown>> | false>;
  Insert(
    key: string | false,
    collection: string,
    item: Record<string, unknown>,
    index?: Record<string, unknown>,
  ): Promise<boolean>;
  Replace(
    key: string | false,
    collection: string,
    query: Record<string, unknown>,
    item: Record<string, unknown>,
    index?: Record<string, unknown>,
  ): Promise<boolean>;
  Delete(collection: string, query: Record<string, unknown>): Promise<boolean>;
}

/** What ltijs hands to onConnect: the stored id token with its context. */
export interface LtijsToken {
  iss: string;
  user: string;
  userInfo?: { given_name?: string; family_name?: string; name?: string; email?: string };
  platformInfo?: Record<string, unknown>;
  clientId: string;
  platformId: string;
  deploymentId: string;
  platformContext: {
    contextId: string;
    user: string;
    context?: { id: string; label?: string; title?: string; type?: string[] };
    resource?: { id: string; title?: string; description?: string };
    messageType: string;
    version: string;
    deepLinkingSettings?: Record<string, unknown>;
    lis?: Record<string, unknown>;
    roles?: string[];
    targetLinkUri?: string;
    custom?: Record<string, unknown>;
    launchPresentation?: { locale?: string; return_url?: string; document_target?: string };
    endpoint?: { scope?: string[]; lineitems?: string; lineitem?: string };
    namesRoles?: { context_memberships_url?: string; service_versions?: string[] };
  };
}

type Handler = (req: express.Request, res: express.Response, next: express.NextFunction) => unknown;
type TokenHandler = (
  token: LtijsToken,
  req: express.Request,
  res: express.Response,
  next: express.NextFunction,
) => unknown;

export interface LtijsProvider {
  app: express.Express;
  Database: LtijsDatabase;
  setup(
    key: string,
    database: { url: string; connection?: Record<string, unknown> },
    options: Record<string, unknown>,
  ): LtijsProvider;
  deploy(options: { serverless: true; silent: true }): Promise<true>;
  onConnect(cb: TokenHandler): true;
  onDeepLinking(cb: TokenHandler): true;
  onInvalidToken(cb: Handler): true;
  onSessionTimeout(cb: Handler): true;
  onUnregisteredPlatform(cb: Handler): true;
  onInactivePlatform(cb: Handler): true;
  registerPlatform(p: {
    url: string;
    name: string;
    clientId: string;
    authenticationEndpoint: string;
    accesstokenEndpoint: string;
    authorizationServer?: string;
    authConfig: { method: 'JWK_SET' | 'JWK_KEY' | 'RSA_KEY'; key: string };
  }): Promise<LtijsPlatform>;
  getPlatform(url: string, clientId: string): Promise<LtijsPlatform | false>;
  getPlatformById(id: string): Promise<LtijsPlatform | false>;
  getAllPlatforms(): Promise<LtijsPlatform[]>;
  deletePlatformById(id: string): Promise<boolean>;
  DeepLinking: {
    createDeepLinkingMessage(token: LtijsToken, items: unknown[], options?: Record<string, unknown>): Promise<string>;
  };
  Grade: {
    getLineItemById(token: LtijsToken, lineItemId: string): Promise<Record<string, unknown>>;
    updateLineItemById(
      token: LtijsToken,
      lineItemId: string,
      lineItem: Record<string, unknown>,
    ): Promise<Record<string, unknown>>;
  };
}

/** ltijs's Auth module: Cermin replaces two of its static functions (see patches.ts). */
export interface LtijsAuthModule {
  validateToken: (...args: unknown[]) => Promise<Record<string, unknown>>;
  generatePlatformKeyPair: (key: string, db: LtijsDatabase, platformUrl: string, clientId: string) => Promise<string>;
}

export function getProvider(): LtijsProvider {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return (require('ltijs') as { Provider: LtijsProvider }).Provider;
}

export function getAuthModule(): LtijsAuthModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ltijs/dist/Utils/Auth') as LtijsAuthModule;
}

export function getKeysetModule(): {
  build(db: LtijsDatabase, key: string): Promise<{ keys: Array<Record<string, unknown>> }>;
} {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('ltijs/dist/Utils/Keyset');
}

export interface JwtModule {
  sign(...args: unknown[]): unknown;
  verify(...args: unknown[]): unknown;
}

/** The jsonwebtoken ltijs itself requires (resolved from ltijs's folder, whichever copy that is). */
export function getLtijsJwtModule(): JwtModule & { __cerminLtikSecret?: true } {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(
    require.resolve('jsonwebtoken', { paths: [path.dirname(require.resolve('ltijs/package.json'))] }),
  ) as JwtModule;
}
