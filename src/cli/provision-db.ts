/**
 * `npm run db:provision`: builds the embedded database (FerretDB) ahead of time, so the first
 * `npm start` or a CI run does not wait for it. Safe to run again: it does nothing when present.
 */
import { loadConfig } from '../config';
import { persistedDevKey } from '../config/dev-key';
import { ensureFerretdb } from '../db/embedded';
import { fromRoot } from '../paths';

async function provision(): Promise<void> {
  const config = loadConfig({ devKey: persistedDevKey });
  const binary = await ensureFerretdb(fromRoot(config.toolsDir), config.database.ferretdbVersion, (m) => console.log(m));
  console.log(`FerretDB ${config.database.ferretdbVersion}: ${binary}`);
}

provision().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
