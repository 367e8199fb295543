/**
 * The database connection: MONGODB_URI when set, else the embedded chain (embedded.ts).
 * One mongoose connection, shared with ltijs (it uses the global mongoose; same major, deduped).
 */
import mongoose from 'mongoose';
import type { Logger } from 'pino';
import type { AppConfig } from '../config';
import { fromRoot } from '../core/paths';
import { EmbeddedDatabaseError, startEmbeddedDatabase, type EngineName } from './embedded';

export interface DatabaseHandle {
  kind: 'external' | EngineName;
  uri: string;
  /** Closes the connection and stops an embedded server. */
  stop(): Promise<void>;
}

export async function connectDatabase(config: AppConfig, log: Logger): Promise<DatabaseHandle> {
  let uri = config.database.uri;
  let kind: DatabaseHandle['kind'] = 'external';
  let stopEmbedded: () => Promise<void> = async () => undefined;
  if (!uri) {
    if (config.database.embedded === 'off') {
      throw new EmbeddedDatabaseError(
        'MONGODB_URI is not set and the embedded database is off (EMBEDDED_DB=off). Set MONGODB_URI=mongodb://host:27017/cermin',
      );
    }
    const embedded = await startEmbeddedDatabase({
      dataDir: fromRoot(config.dataDir),
      toolsDir: fromRoot(config.toolsDir),
      ferretdbVersion: config.database.ferretdbVersion,
      mongodVersion: config.database.mongodVersion,
      mode: config.database.embedded,
      dbName: 'cermin',
      // Plain lines for the person at the terminal: the first start may fetch and build for a minute.
      progress: (message) => process.stdout.write(`${message}\n`),
    });
    uri = embedded.uri;
    kind = embedded.kind;
    stopEmbedded = embedded.stop;
    log.info({ kind, dataDir: config.dataDir }, 'embedded database started');
  }
  try {
    await mongoose.connect(uri, { serverSelectionTimeoutMS: config.database.connectTimeoutMs });
  } catch (err) {
    await stopEmbedded();
    throw new EmbeddedDatabaseError(
      `Cannot reach the database (${kind}): ${(err as Error).message}. Check MONGODB_URI.`,
    );
  }
  return {
    kind,
    uri,
    stop: async () => {
      if (mongoose.connection.readyState !== 0) await mongoose.disconnect();
      await stopEmbedded();
    },
  };
}
