import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../../services/common/src/project-root.js';

/** The local HMAC secret: generated on the first `npm start`, kept in a git-ignored file. */
export function devSecret(): { secret: string; file: string; created: boolean } {
  const file = join(projectRoot(), '.dev-secret');
  if (existsSync(file)) {
    const secret = readFileSync(file, 'utf8').trim();
    if (secret !== '') return { secret, file, created: false };
  }
  const secret = randomBytes(24).toString('hex');
  writeFileSync(file, `${secret}\n`, { mode: 0o600 });
  return { secret, file, created: true };
}
