import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const PACKAGE_NAME = 'ghl-neuronx-pipeline';
let cached: string | undefined;

/**
 * The repository root, found by walking up from this file. Works the same from `services/…/src`
 * (tsx, vitest) and from `dist/services/…/src` (built), so data files such as infra/topics.json
 * and schemas/*.avsc are read from one place and never copied into the build.
 */
export function projectRoot(): string {
  if (cached) return cached;
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (
      existsSync(pkg) &&
      (JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME
    ) {
      cached = dir;
      return dir;
    }
    const parent = dirname(dir);
    if (parent === dir)
      throw new Error(
        `cannot find the ${PACKAGE_NAME} package root above ${fileURLToPath(import.meta.url)}`,
      );
    dir = parent;
  }
}
