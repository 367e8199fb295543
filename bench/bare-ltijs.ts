/**
 * The baseline of bench/launch.ts: ltijs 5.9.9 with its defaults (appRoute '/', loginRoute
 * '/login', keysetRoute '/keys', cookie session, its own id_token validation) and an app that
 * only renders "ok". Run as a child process: `node dist/bench/bare-ltijs.js`, configured by
 * PORT, MONGODB_URI, LTI_KEY and the platform's ISSUER, CLIENT_ID, AUTH_URL, TOKEN_URL, JWKS_URL.
 * Prints "ready" once it listens and the platform is registered; SIGTERM closes it.
 */
import type { Request, Response } from 'express';

interface BareProvider {
  setup(key: string, database: { url: string }, options: Record<string, unknown>): unknown;
  onConnect(cb: (token: unknown, req: Request, res: Response) => unknown): unknown;
  deploy(options: { port: number; silent: boolean }): Promise<unknown>;
  registerPlatform(platform: {
    url: string;
    name: string;
    clientId: string;
    authenticationEndpoint: string;
    accesstokenEndpoint: string;
    authConfig: { method: 'JWK_SET'; key: string };
  }): Promise<unknown>;
  close(options: { silent: boolean }): Promise<unknown>;
}

function need(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`bare-ltijs: ${name} is not set`);
    process.exit(2);
  }
  return value;
}

async function start(): Promise<void> {
  const port = Number(need('PORT'));
  const env = {
    uri: need('MONGODB_URI'),
    key: need('LTI_KEY'),
    issuer: need('ISSUER'),
    clientId: need('CLIENT_ID'),
    authUrl: need('AUTH_URL'),
    tokenUrl: need('TOKEN_URL'),
    jwksUrl: need('JWKS_URL'),
  };
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const lti = (require('ltijs') as { Provider: BareProvider }).Provider;
  lti.setup(env.key, { url: env.uri }, { cookies: { secure: true, sameSite: 'None' }, devMode: false });
  lti.onConnect((_token, _req, res) => res.send('ok'));
  await lti.deploy({ port, silent: true });
  await lti.registerPlatform({
    url: env.issuer,
    name: 'bench',
    clientId: env.clientId,
    authenticationEndpoint: env.authUrl,
    accesstokenEndpoint: env.tokenUrl,
    authConfig: { method: 'JWK_SET', key: env.jwksUrl },
  });
  process.once('SIGTERM', () => {
    // Exit normally (not by the signal) so `node --cpu-prof` still writes its profile.
    const force = setTimeout(() => process.exit(0), 5000);
    force.unref();
    lti
      .close({ silent: true })
      .catch(() => undefined)
      .finally(() => process.exit(0));
  });
  process.stdout.write('ready\n');
}

if (require.main === module) {
  start().catch((err: unknown) => {
    console.error('bare-ltijs could not start:', err);
    process.exit(1);
  });
}
