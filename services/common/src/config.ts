// Config is read from the environment once, at start, validated against a small schema, and
// frozen. Every problem is collected and reported together (docs/style.md), so a bad deployment
// fails with one readable message instead of one error per restart.

import { CONFIG_ERRORS, type ConfigErrorCode } from './errors.js';

export type Env = Readonly<Record<string, string | undefined>>;

interface FieldSpec<T> {
  readonly describe: string;
  parse(raw: string | undefined, name: string): T;
}

/**
 * Invalid configuration (CFG_ERR_INVALID): `problems` lists every one; the process exits with
 * `exitCode` (2).
 */
export class ConfigError extends Error {
  readonly code: ConfigErrorCode = 'CFG_ERR_INVALID';
  readonly exitCode = CONFIG_ERRORS.CFG_ERR_INVALID.exitCode;
  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

class FieldProblem extends Error {}

const blank = (raw: string | undefined): raw is undefined => raw === undefined || raw.trim() === '';

export function str(opts: {
  default?: string;
  describe: string;
  oneOf?: readonly string[];
}): FieldSpec<string> {
  return {
    describe: opts.describe,
    parse(raw, name) {
      if (blank(raw)) {
        if (opts.default === undefined) throw new FieldProblem(`${name} is required`);
        return opts.default;
      }
      const value = raw.trim();
      if (opts.oneOf && !opts.oneOf.includes(value)) {
        throw new FieldProblem(`${name} must be one of ${opts.oneOf.join('|')}, got "${value}"`);
      }
      return value;
    },
  };
}

export function oneOf<const T extends readonly string[]>(
  values: T,
  opts: { default: T[number]; describe: string },
): FieldSpec<T[number]> {
  const inner = str({ ...opts, oneOf: values });
  return { describe: opts.describe, parse: (raw, name) => inner.parse(raw, name) };
}

export function optionalStr(opts: { describe: string }): FieldSpec<string | undefined> {
  return { describe: opts.describe, parse: (raw) => (blank(raw) ? undefined : raw.trim()) };
}

export function int(opts: {
  default: number;
  min?: number;
  max?: number;
  describe: string;
}): FieldSpec<number> {
  return {
    describe: opts.describe,
    parse(raw, name) {
      if (blank(raw)) return opts.default;
      const value = Number(raw.trim());
      if (!Number.isInteger(value))
        throw new FieldProblem(`${name} must be an integer, got "${raw}"`);
      if (opts.min !== undefined && value < opts.min)
        throw new FieldProblem(`${name} must be >= ${opts.min}, got ${value}`);
      if (opts.max !== undefined && value > opts.max)
        throw new FieldProblem(`${name} must be <= ${opts.max}, got ${value}`);
      return value;
    },
  };
}

export function optionalInt(opts: {
  min?: number;
  max?: number;
  describe: string;
}): FieldSpec<number | undefined> {
  const inner = int({ default: 0, ...opts });
  return {
    describe: opts.describe,
    parse: (raw, name) => (blank(raw) ? undefined : inner.parse(raw, name)),
  };
}

export function bool(opts: { default: boolean; describe: string }): FieldSpec<boolean> {
  return {
    describe: opts.describe,
    parse(raw, name) {
      if (blank(raw)) return opts.default;
      const value = raw.trim().toLowerCase();
      if (['true', '1', 'yes'].includes(value)) return true;
      if (['false', '0', 'no'].includes(value)) return false;
      throw new FieldProblem(`${name} must be true or false, got "${raw}"`);
    },
  };
}

/** Comma-separated list; empty entries are dropped. */
export function list(opts: {
  default: readonly string[];
  describe: string;
  oneOf?: readonly string[];
}): FieldSpec<readonly string[]> {
  return {
    describe: opts.describe,
    parse(raw, name) {
      if (raw === undefined) return opts.default;
      const values = raw
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
      const unknown = opts.oneOf ? values.filter((v) => !opts.oneOf!.includes(v)) : [];
      if (unknown.length > 0) {
        throw new FieldProblem(
          `${name} has unknown value(s) ${unknown.join(',')}; allowed: ${opts.oneOf!.join(',')}`,
        );
      }
      return values;
    },
  };
}

export type Schema = Record<string, FieldSpec<unknown>>;
export type ConfigOf<S extends Schema> = {
  readonly [K in keyof S]: S[K] extends FieldSpec<infer T> ? T : never;
};

/** Reads every field of `schema` from `env`; throws one ConfigError listing all problems. */
export function loadConfig<S extends Schema>(schema: S, env: Env = process.env): ConfigOf<S> {
  const problems: string[] = [];
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) {
    try {
      out[name] = spec.parse(env[name], name);
    } catch (err) {
      if (!(err instanceof FieldProblem)) throw err;
      problems.push(err.message);
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return Object.freeze(out) as ConfigOf<S>;
}

/** Rows for the README/`--help` configuration tables. */
export function describeSchema(schema: Schema): { name: string; describe: string }[] {
  return Object.entries(schema).map(([name, spec]) => ({ name, describe: spec.describe }));
}
