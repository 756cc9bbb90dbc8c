import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { compileFunction } from 'node:vm';
import type { NodeRequire } from './node-require.js';

/**
 * Loads one module of the pinned kafkajs with one exact text replacement in its source, and puts
 * the result in the require cache, before anything else loads the module (kafkajs captures its
 * modules at load time). The patches stay reviewable as a pair of strings; when the source is
 * not the pinned one (`from` not found exactly once) this throws rather than guess. The exported
 * value gets `flag` = true, so a second call (or a check) can tell the patch is active.
 *
 * @param modulePath a path under kafkajs/src, e.g. 'kafkajs/src/producer/sendMessages.js'
 * @returns true when the patched module is active (now or before), false if the cache entry
 *          could not be created
 */
export function patchKafkajsSource(
  require: NodeRequire,
  modulePath: string,
  from: string,
  to: string,
  flag: string,
): boolean {
  const path = require.resolve(modulePath);
  const loaded = require.cache[path];
  if (loaded) return (loaded.exports as Record<string, unknown>)[flag] === true;
  const source = readFileSync(path, 'utf8');
  if (source.split(from).length !== 2)
    throw new Error(
      `${path} is not the pinned kafkajs 2.2.4 source (expected one "${from}"); review the patch that sets ${flag}`,
    );
  require(path); // creates the cache entry (with the original); its exports are replaced below
  const entry = require.cache[path];
  if (!entry) return false;
  const patched = evaluateModule(path, source.replace(from, to)) as Record<string, unknown>;
  patched[flag] = true;
  entry.exports = patched;
  return true;
}

/**
 * Evaluates `source` as the CommonJS module at `path` (its own `require` resolves from there and
 * shares the require cache) and returns its exports, without touching the cache entry for `path`.
 * Tests use it to load kafkajs' original of a module this project replaces.
 */
export function evaluateModule(path: string, source = readFileSync(path, 'utf8')): unknown {
  const module = { exports: {} as unknown };
  const body = compileFunction(
    source,
    ['exports', 'require', 'module', '__filename', '__dirname'],
    {
      filename: path,
    },
  ) as (...args: unknown[]) => void;
  body(module.exports, createRequire(path), module, path, dirname(path));
  return module.exports;
}
