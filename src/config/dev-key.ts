import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fromRoot } from '../core/paths';

/**
 * A development machine's LTI key, generated once and kept beside the embedded database
 * (data/ is git-ignored), so a restart keeps every platform key decryptable.
 * Production never uses this: it must be given LTI_KEY.
 */
export function persistedDevKey(dataDir: string): string {
  const file = path.join(fromRoot(dataDir), '.dev-lti-key');
  if (fs.existsSync(file)) return fs.readFileSync(file, 'utf8').trim();
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const key = crypto.randomBytes(32).toString('hex');
  fs.writeFileSync(file, key + '\n', { mode: 0o600 });
  return key;
}
