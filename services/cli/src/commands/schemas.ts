import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import avro from 'avsc';
import type { Command } from 'commander';
import { TransformerError } from '../../../common/src/errors.js';
import { projectRoot } from '../../../common/src/project-root.js';
import { DOMAIN_KEYS, type Domain } from '../../../common/src/topics.js';
import {
  AVRO_TYPE_OPTIONS,
  avroTypeOf,
  registerSchemas as registerDomainSchemas,
  subjectOf,
  type AvroRecordSchema,
  type DomainSchemas,
} from '../../../transformer/src/schema-catalog.js';
import { CommandFailed } from '../cli-errors.js';
import type { CliContext } from '../context.js';
import type { Runner } from '../program.js';
import { table, truncate } from '../table.js';

interface DirOption {
  dir?: string;
}

export function registerSchemas(program: Command, run: Runner): void {
  const schemas = program
    .command('schemas')
    .description('the Avro contracts in schemas/*.avsc and the schema registry');

  schemas
    .command('register')
    .description(
      'register the five domain schemas under <topic>-value with BACKWARD compatibility (idempotent)',
    )
    .option('--dir <path>', 'directory holding <domain>.avsc (default: schemas/ of the repo)')
    .action((opts: DirOption) => run((ctx) => register(ctx, opts)));

  schemas
    .command('check')
    .description(
      'test each schemas/*.avsc against the latest registered version for BACKWARD compatibility, registering nothing; exit 1 if any is incompatible',
    )
    .option('--dir <path>', 'directory holding <domain>.avsc (default: schemas/ of the repo)')
    .action((opts: DirOption) => run((ctx) => check(ctx, opts)));
}

/** Reads <dir>/<domain>.avsc for the five domains, checked like the transformer checks them. */
function readSchemas(dir: string | undefined): DomainSchemas {
  const base = resolve(dir ?? join(projectRoot(), 'schemas'));
  const out = {} as Record<Domain, AvroRecordSchema>;
  for (const domain of DOMAIN_KEYS) {
    const file = join(base, `${domain}.avsc`);
    let schema: unknown;
    try {
      schema = JSON.parse(readFileSync(file, 'utf8'));
      avroTypeOf(domain, schema);
    } catch (err) {
      throw new CommandFailed(`${file}: ${(err as Error).message}`);
    }
    out[domain] = schema as AvroRecordSchema;
  }
  return out;
}

async function register(ctx: CliContext, opts: DirOption): Promise<number> {
  const schemas = readSchemas(opts.dir);
  let catalog: Awaited<ReturnType<typeof registerDomainSchemas>>;
  try {
    catalog = await registerDomainSchemas(ctx.config.SCHEMA_REGISTRY_URL, ctx.names, {
      schemas,
      deadline: Date.now() + 15_000,
      maxBackoffMs: 2000,
    });
  } catch (err) {
    if (err instanceof TransformerError) throw new CommandFailed(err.message);
    throw err;
  }
  const rows = DOMAIN_KEYS.map((d) => ({
    domain: d,
    subject: catalog.subjects[d],
    id: catalog.ids[d],
  }));
  ctx.print({ subjects: rows }, () =>
    table(
      ['subject', 'schema id'],
      rows.map((r) => [r.subject, r.id]),
    ),
  );
  return 0;
}

type CheckStatus = 'compatible' | 'incompatible' | 'new';
interface CheckRow {
  domain: Domain;
  subject: string;
  status: CheckStatus;
  latestVersion: number | null;
  compatibility: string | null;
  messages: string[];
}

const BACKWARD_LEVELS = new Set(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

async function check(ctx: CliContext, opts: DirOption): Promise<number> {
  const schemas = readSchemas(opts.dir);
  const registry = new RegistryHttp(ctx.config.SCHEMA_REGISTRY_URL);
  const rows: CheckRow[] = [];
  for (const domain of DOMAIN_KEYS) {
    const subject = subjectOf(ctx.names[domain]);
    const versions = await registry.get<number[]>(
      `/subjects/${encodeURIComponent(subject)}/versions`,
    );
    if (versions === undefined) {
      rows.push({
        domain,
        subject,
        status: 'new',
        latestVersion: null,
        compatibility: null,
        messages: ['not registered yet: would be created'],
      });
      continue;
    }
    const config = await registry.get<{ compatibilityLevel?: string; compatibility?: string }>(
      `/config/${encodeURIComponent(subject)}`,
    );
    const level = (config?.compatibilityLevel ?? config?.compatibility ?? 'NONE').toUpperCase();
    const schema = JSON.stringify(schemas[domain]);
    const answer = await registry.compatibility(subject, schema);
    let compatible = answer.is_compatible === true;
    const messages = [...(answer.messages ?? [])];
    // A subject without a BACKWARD rule accepts anything; check BACKWARD locally then (the new
    // schema must be able to read what the latest version wrote).
    if (compatible && !BACKWARD_LEVELS.has(level)) {
      const latest = await registry.get<{ schema: string }>(
        `/subjects/${encodeURIComponent(subject)}/versions/latest`,
      );
      const local = backwardProblem(schemas[domain], latest?.schema);
      if (local) {
        compatible = false;
        messages.push(`checked locally (subject compatibility is ${level}): ${local}`);
      }
    }
    rows.push({
      domain,
      subject,
      status: compatible ? 'compatible' : 'incompatible',
      latestVersion: Math.max(...versions),
      compatibility: level,
      messages,
    });
  }
  const bad = rows.filter((r) => r.status === 'incompatible');
  ctx.print({ compatible: bad.length === 0, subjects: rows }, () =>
    [
      table(
        ['subject', 'latest', 'rule', 'result'],
        rows.map((r) => [
          r.subject,
          r.latestVersion,
          r.compatibility,
          r.status === 'new' ? 'would be created' : r.status.toUpperCase(),
        ]),
      ),
      ...bad.map(
        (r) =>
          `\n${schemasFile(r.domain)} is not BACKWARD compatible with ${r.subject} v${r.latestVersion}${r.messages.length ? `:\n  ${r.messages.map((m) => truncate(m, 400)).join('\n  ')}` : ''}\n  (every new field needs a default; see schemas/README.md)`,
      ),
    ].join('\n'),
  );
  return bad.length === 0 ? 0 : 1;
}

const schemasFile = (domain: Domain) => `${domain}.avsc`;

/** Why `next` cannot read data written with `latest` (BACKWARD), or undefined when it can. */
function backwardProblem(next: AvroRecordSchema, latest: string | undefined): string | undefined {
  if (!latest) return undefined;
  try {
    const reader = avro.Type.forSchema(next as avro.Schema, { ...AVRO_TYPE_OPTIONS });
    const writer = avro.Type.forSchema(JSON.parse(latest) as avro.Schema, {
      ...AVRO_TYPE_OPTIONS,
    });
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}

/** Just enough of the Confluent REST API for the checks; one-line errors for operators. */
class RegistryHttp {
  private readonly base: string;
  constructor(url: string) {
    this.base = url.replace(/\/+$/, '');
  }

  /** GET; undefined on 404. */
  async get<T>(path: string): Promise<T | undefined> {
    const res = await this.fetch(path, {});
    if (res.status === 404) return undefined;
    return (await this.body(res, path)) as T;
  }

  /**
   * POST /compatibility/subjects/<subject>/versions/latest. Confluent answers 200 with
   * is_compatible; some registries answer 409 with the reason instead.
   */
  async compatibility(
    subject: string,
    schema: string,
  ): Promise<{ is_compatible?: boolean; messages?: string[] }> {
    const path = `/compatibility/subjects/${encodeURIComponent(subject)}/versions/latest?verbose=true`;
    const res = await this.fetch(path, {
      method: 'POST',
      headers: { 'content-type': 'application/vnd.schemaregistry.v1+json' },
      body: JSON.stringify({ schema, schemaType: 'AVRO' }),
    });
    if (res.status === 409) {
      const text = await res.text();
      let message = text;
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? text;
      } catch {
        // not JSON: keep the text
      }
      return { is_compatible: false, messages: [message] };
    }
    return (await this.body(res, path)) as { is_compatible?: boolean; messages?: string[] };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, { ...init, signal: AbortSignal.timeout(10_000) });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new CommandFailed(
        `schema registry unreachable at ${this.base}: ${(err as Error).message}${cause ? ` (${cause})` : ''}`,
      );
    }
  }

  private async body(res: Response, path: string): Promise<unknown> {
    const text = await res.text();
    if (!res.ok)
      throw new CommandFailed(
        `schema registry answered ${res.status} to ${path}: ${truncate(text, 300)}`,
      );
    try {
      return JSON.parse(text) as unknown;
    } catch {
      throw new CommandFailed(
        `schema registry answered non-JSON to ${path}: ${truncate(text, 300)}`,
      );
    }
  }
}
