/**
 * `npm run platform -- <command>`: manual platform registration for admins who prefer Moodle's
 * manual tool form to dynamic registration.
 *
 *   add --issuer URL --client-id ID --auth-url URL --token-url URL --jwks-url URL [--deployment-id ID ...] [--name NAME]
 *   add-deployment --issuer URL --client-id ID --deployment-id ID
 *   list [--json]
 *   remove --issuer URL --client-id ID
 *   approve --issuer URL --client-id ID   a dynamic registration that waits for the operator
 *   reject --issuer URL --client-id ID    …or refuse it (the registration is removed)
 *   urls                 the values to type into Moodle's manual form (from PUBLIC_URL, as the server)
 *   setup-token          a new one-time link to the admin page
 */
import { parseArgs } from 'node:util';
import pino from 'pino';
import { ConfigError, loadConfig } from '../config';
import { persistedDevKey } from '../config/dev-key';
import { connectDatabase } from '../db';
import { createLtiService } from '../lti';
import { createGuardedFetch } from '../outbound/guarded-fetch';
import { toolUrls } from '../lti/platforms';
import { issueSetupToken } from '../admin/setup';
import { recordAdminChange } from '../privacy/admin-log';
import { platformKeyOf } from '../lti/launch-context';
import { ajv, httpUrlSchema } from '../core/validation';

const USAGE = `Usage: npm run platform -- <command> [options]
  add --issuer URL --client-id ID --auth-url URL --token-url URL --jwks-url URL [--deployment-id ID ...] [--name NAME]
  add-deployment --issuer URL --client-id ID --deployment-id ID
  list [--json]
  remove --issuer URL --client-id ID
  approve --issuer URL --client-id ID     (a dynamic registration waiting for the operator)
  reject --issuer URL --client-id ID
  urls
  setup-token`;

const url = httpUrlSchema;
const id = { type: 'string', minLength: 1, maxLength: 255 } as const;
const schemas: Record<string, object> = {
  add: {
    type: 'object',
    required: ['issuer', 'client-id', 'auth-url', 'token-url', 'jwks-url'],
    properties: {
      issuer: url,
      'client-id': id,
      'auth-url': url,
      'token-url': url,
      'jwks-url': url,
      'deployment-id': { type: 'array', items: id },
      name: id,
    },
  },
  'add-deployment': {
    type: 'object',
    required: ['issuer', 'client-id', 'deployment-id'],
    properties: { issuer: url, 'client-id': id, 'deployment-id': { type: 'array', minItems: 1, items: id } },
  },
  remove: { type: 'object', required: ['issuer', 'client-id'], properties: { issuer: url, 'client-id': id } },
  approve: { type: 'object', required: ['issuer', 'client-id'], properties: { issuer: url, 'client-id': id } },
  reject: { type: 'object', required: ['issuer', 'client-id'], properties: { issuer: url, 'client-id': id } },
  list: { type: 'object' },
  urls: { type: 'object' },
  'setup-token': { type: 'object' },
};

class UsageError extends Error {}

export function parseCommand(argv: string[]): {
  command: string;
  values: Record<string, string | string[] | boolean | undefined>;
} {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      issuer: { type: 'string' },
      'client-id': { type: 'string' },
      'auth-url': { type: 'string' },
      'token-url': { type: 'string' },
      'jwks-url': { type: 'string' },
      'deployment-id': { type: 'string', multiple: true },
      name: { type: 'string' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  const command = positionals[0];
  if (!command || !(command in schemas))
    throw new UsageError(`Unknown or missing command${command ? `: ${command}` : ''}`);
  const validate = ajv.compile(schemas[command]);
  if (!validate(values)) {
    const problems = (validate.errors ?? []).map((e) => {
      const flag = e.instancePath.split('/')[1] || (e.params as { missingProperty?: string }).missingProperty;
      return `--${flag}: ${e.keyword === 'required' ? 'is required' : e.keyword === 'pattern' || e.keyword === 'format' ? 'must be an http(s) URL' : e.message}`;
    });
    throw new UsageError([...new Set(problems)].join('\n'));
  }
  return { command, values };
}

async function run(argv: string[]): Promise<void> {
  const { command, values } = parseCommand(argv);
  const config = loadConfig({ devKey: persistedDevKey });
  if (command === 'urls') {
    // Configuration is the environment, the server's and this command's alike; a shell without the
    // server's PUBLIC_URL would print the development default as if it were the real address.
    if (!process.env.PUBLIC_URL) {
      console.error(
        `PUBLIC_URL is not set for this command, so these are the development defaults (${config.publicUrl}).\nRun it with the server's configuration, e.g. PUBLIC_URL=https://cermin.example.go.id npm run platform -- urls\n(with Docker: docker compose exec cermin node dist/src/cli/platform.js urls). The admin page shows the server's own.`,
      );
    }
    const u = toolUrls(config.publicUrl);
    console.log(
      `Tool URL:              ${u.toolUrl}\nInitiate login URL:    ${u.loginUrl}\nRedirection URI(s):    ${u.redirectUris.join(' ')}\nPublic keyset URL:     ${u.keysetUrl}\nDeep linking URL:      ${u.deepLinkingUrl}\nDynamic registration:  ${u.registrationUrl}`,
    );
    return;
  }
  const log = pino({ level: 'warn' });
  const db = await connectDatabase({ ...config, demo: { ...config.demo, enabled: false } }, log);
  try {
    const lti = await createLtiService({ config, dbUri: db.uri, log, fetch: createGuardedFetch(config.outbound) });
    const str = (k: string) => values[k] as string;
    const list = (k: string) => (values[k] as string[] | undefined) ?? [];
    if (command === 'add') {
      const p = await lti.registry.add(
        {
          issuer: str('issuer').replace(/\/+$/, ''),
          clientId: str('client-id'),
          authUrl: str('auth-url'),
          tokenUrl: str('token-url'),
          jwksUrl: str('jwks-url'),
          name: values.name as string | undefined,
          deploymentIds: list('deployment-id'),
        },
        { via: 'manual' },
      );
      console.log(
        `Platform registered: ${p.issuer} (client id ${p.clientId}, deployments: ${p.deploymentIds.join(', ') || 'none yet: add one with add-deployment'})`,
      );
    } else if (command === 'add-deployment') {
      for (const d of list('deployment-id'))
        await lti.registry.addDeployment(str('issuer').replace(/\/+$/, ''), str('client-id'), d);
      console.log(`Deployment(s) added: ${list('deployment-id').join(', ')}`);
    } else if (command === 'remove') {
      const removed = await lti.registry.remove(str('issuer').replace(/\/+$/, ''), str('client-id'));
      console.log(removed ? 'Platform removed.' : 'No such platform.');
      if (!removed) process.exitCode = 1;
    } else if (command === 'approve' || command === 'reject') {
      const issuer = str('issuer').replace(/\/+$/, '');
      const pending = await lti.registry.isPending(issuer, str('client-id'));
      if (pending && command === 'approve') await lti.registry.approve(issuer, str('client-id'));
      if (pending && command === 'reject') await lti.registry.remove(issuer, str('client-id'));
      if (pending)
        await recordAdminChange({
          platform: platformKeyOf(issuer, str('client-id')),
          by: { id: 'cli', name: 'operator (command line)' },
          action: `platform.${command}`,
          detail: { issuer, clientId: str('client-id') },
        });
      console.log(
        pending
          ? command === 'approve'
            ? 'Registration approved: the platform can launch Cermin.'
            : 'Registration rejected and removed.'
          : 'No registration of this platform is waiting for approval.',
      );
      if (!pending) process.exitCode = 1;
    } else if (command === 'list') {
      const platforms = await lti.registry.list();
      if (values.json) console.log(JSON.stringify(platforms, null, 2));
      else if (!platforms.length) console.log('No platform registered.');
      else
        for (const p of platforms)
          console.log(
            `${p.issuer}\tclient ${p.clientId}\tdeployments ${p.deploymentIds.join(',') || '-'}\t${p.pending ? 'waiting for approval' : p.active ? 'active' : 'inactive'}\t${p.registeredVia ?? ''}`,
          );
    } else if (command === 'setup-token') {
      console.log(`${config.publicUrl}/setup?token=${await issueSetupToken()}`);
    }
    await lti.close();
  } finally {
    await db.stop();
  }
}

if (require.main === module) {
  run(process.argv.slice(2)).catch((err) => {
    if (err instanceof UsageError || (err as { code?: string }).code?.startsWith('ERR_PARSE_ARGS'))
      console.error(`${(err as Error).message}\n\n${USAGE}`);
    else if (err instanceof ConfigError) console.error(err.message);
    else console.error(`Failed: ${(err as Error).message}`);
    process.exit(2);
  });
}
