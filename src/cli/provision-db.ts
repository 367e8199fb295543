/**
 * `npm run db:provision`: prepares the embedded database ahead of time (fetches and compiles it,
 * or builds FerretDB when EMBEDDED_DB=ferretdb), so the first `npm start` or a CI run does not
 * wait for it. Safe to run again: it does nothing when present.
 */
import { loadConfig } from '../config';
import { persistedDevKey } from '../config/dev-key';
import { ensureFerretdb } from '../db/engines/ferretdb';
import { ensureJavaServer } from '../db/engines/java-server';
import { fromRoot } from '../core/paths';

async function provision(): Promise<void> {
  const config = loadConfig({ devKey: persistedDevKey });
  const toolsDir = fromRoot(config.toolsDir);
  const say = (m: string) => console.log(m);
  if (config.database.embedded === 'ferretdb') {
    console.log(
      `FerretDB ${config.database.ferretdbVersion}: ${await ensureFerretdb(toolsDir, config.database.ferretdbVersion, say)}`,
    );
  } else {
    // mongod (auto's first choice) is fetched by mongodb-memory-server at the first start, when online.
    console.log(`mongo-java-server (H2): ${await ensureJavaServer(toolsDir, say)}`);
  }
}

provision().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
