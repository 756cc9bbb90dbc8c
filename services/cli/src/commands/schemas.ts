import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { CLI_ERRORS, TransformerError } from '../../../common/src/errors.js';
import { projectRoot } from '../../../common/src/project-root.js';
import { checkBackward } from '../../../common/src/schema-compat-check.js';
import { registerDomainSchemas } from '../../../common/src/schema-registration.js';
import { loadSchemasFrom, type DomainSchemas } from '../../../common/src/schema-registry.js';
import { DOMAIN_KEYS, type Domain } from '../../../common/src/topics.js';
import type { OpsContext } from '../../../common/src/ops/context.js';
import { CommandFailed } from '../../../common/src/ops/errors.js';
import type { Runner } from '../runner.js';
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
  try {
    return loadSchemasFrom(resolve(dir ?? join(projectRoot(), 'schemas')));
  } catch (err) {
    throw new CommandFailed((err as Error).message);
  }
}

/** Registry failures are one line for operators. */
async function registryCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (err) {
    if (err instanceof TransformerError) throw new CommandFailed(err.message);
    throw err;
  }
}

async function register(ctx: OpsContext, opts: DirOption): Promise<number> {
  const schemas = readSchemas(opts.dir);
  const catalog = await registryCall(() =>
    registerDomainSchemas(ctx.config.SCHEMA_REGISTRY_URL, ctx.names, {
      schemas,
      deadline: Date.now() + 15_000,
      maxBackoffMs: 2000,
    }),
  );
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

async function check(ctx: OpsContext, opts: DirOption): Promise<number> {
  const schemas = readSchemas(opts.dir);
  const rows = await registryCall(() =>
    checkBackward(ctx.config.SCHEMA_REGISTRY_URL, ctx.names, schemas),
  );
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
  return bad.length === 0 ? 0 : CLI_ERRORS.CLI_ERR_FAILED.exitCode;
}

const schemasFile = (domain: Domain) => `${domain}.avsc`;
