#!/usr/bin/env node
// Runs the built CLI (dist/) when it is there and not older than the sources; otherwise the
// TypeScript sources through tsx, so `npx ghl-pipeline …` works in a fresh clone without a build.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { URL } from 'node:url';

const built = new URL('../dist/services/cli/src/main.js', import.meta.url);
// tsc builds incrementally: it rewrites only the outputs that change, but its build info on every
// build that sees a changed source.
const buildInfo = new URL('../dist/.tsbuildinfo', import.meta.url);
const sources = new URL('../services/', import.meta.url);
const mtime = (url) => (existsSync(url) ? statSync(url).mtimeMs : 0);

/** Newest mtime of the .ts files under services/ (0 when they are not shipped). */
function newestSource(dir) {
  if (!existsSync(dir)) return 0;
  let newest = 0;
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.name.endsWith('.ts'))
      newest = Math.max(
        newest,
        statSync(`${entry.parentPath ?? entry.path}/${entry.name}`).mtimeMs,
      );
  }
  return newest;
}

if (existsSync(built) && Math.max(mtime(built), mtime(buildInfo)) >= newestSource(sources)) {
  await import(built.href);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(new URL('../services/cli/src/main.ts', import.meta.url).href);
}
