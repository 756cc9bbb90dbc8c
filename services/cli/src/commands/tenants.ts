import type { Command } from 'commander';
import { encodeTenantValue, TenantMap } from '../../../common/src/tenants-record.js';
import type { OpsContext } from '../../../common/src/ops/context.js';
import { CommandFailed, UsageError } from '../../../common/src/ops/errors.js';
import type { Runner } from '../runner.js';
import { table } from '../table.js';
import { resolveRange } from '../../../common/src/ops/topic-positions.js';
import { readTopicRange } from '../../../common/src/kafka/topic-reader.js';

export function registerTenants(program: Command, run: Runner): void {
  const tenants = program
    .command('tenants')
    .description(
      'the locationId -> tenantId map in the compacted topic neuronx.tenants (the transformer follows it live)',
    );

  tenants
    .command('set')
    .description('map a GHL location to a NeuronX tenant')
    .argument('<locationId>', 'GHL location (sub-account) id')
    .argument('<tenantId>', 'NeuronX tenant id')
    .addHelpText('after', '\nExample:\n  ghl-pipeline tenants set ve9EPM428h8vShlRW1KT tenant-acme')
    .action((locationId: string, tenantId: string) =>
      run((ctx) => write(ctx, locationId, tenantId)),
    );

  tenants
    .command('delete')
    .description('remove the mapping of a location (tombstone)')
    .argument('<locationId>', 'GHL location id')
    .action((locationId: string) => run((ctx) => write(ctx, locationId, null)));

  tenants
    .command('list')
    .description(
      'the current map: last readable value per location, else TENANT_MAP_FILE (when set); unreadable values ignored',
    )
    .action(() => run(list));
}

async function write(
  ctx: OpsContext,
  locationId: string,
  tenantId: string | null,
): Promise<number> {
  if (locationId.trim() === '') throw new UsageError('locationId must not be empty');
  if (tenantId !== null && tenantId.trim() === '')
    throw new UsageError('tenantId must not be empty');
  const topic = await ctx.resolveTopic(ctx.names.tenants);
  const producer = ctx.kafka().producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  try {
    await producer.send({
      topic,
      acks: -1,
      messages: [
        { key: locationId, value: tenantId === null ? null : encodeTenantValue(tenantId) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  // A tombstone removes the topic's tenant only: TENANT_MAP_FILE's, if any, applies again.
  const fallback = tenantId === null ? fileMap(ctx)?.fileTenantOf(locationId) : undefined;
  ctx.print(
    { topic, locationId, tenantId, ...(fallback !== undefined ? { fileTenantId: fallback } : {}) },
    () =>
      tenantId === null
        ? `deleted the tenant of location ${locationId} (${topic})${fallback !== undefined ? `; TENANT_MAP_FILE maps it to ${fallback}, which applies again` : ''}`
        : `location ${locationId} -> tenant ${tenantId} (${topic})`,
  );
  return 0;
}

/** TENANT_MAP_FILE of the CLI's environment, read as the transformer reads it; undefined if unset. */
function fileMap(ctx: OpsContext): TenantMap | undefined {
  const path = ctx.config.TENANT_MAP_FILE;
  if (path === undefined) return undefined;
  const map = new TenantMap();
  try {
    map.loadFile(path);
  } catch (err) {
    throw new CommandFailed(`cannot read TENANT_MAP_FILE: ${(err as Error).message}`);
  }
  return map;
}

async function list(ctx: OpsContext): Promise<number> {
  const topic = await ctx.resolveTopic(ctx.names.tenants);
  const { ranges } = await resolveRange(
    await ctx.admin(),
    topic,
    { kind: 'earliest' },
    undefined,
    (m) => ctx.warn(m),
  );
  const map = fileMap(ctx) ?? new TenantMap();
  let unreadable = 0;
  // One partition per location key, read in offset order: the shared rule applies each record.
  await readTopicRange(ctx.kafka(), {
    topic,
    ranges,
    signal: ctx.interruptSignal(),
    onRecord: (_partition, message) => {
      if (!message.key) return true;
      if (map.apply(message.key.toString('utf8'), message.value) === 'unreadable') unreadable++;
      return true;
    },
  });
  if (unreadable > 0)
    ctx.warn(`${unreadable} unreadable record(s) ignored: those locations keep their tenant`);
  const entries = map.entries();
  ctx.print(Object.fromEntries(entries.map((e) => [e.locationId, e.tenantId])), () =>
    entries.length === 0
      ? `no tenants mapped (${topic})`
      : table(
          ['locationId', 'tenantId', 'source'],
          entries.map((e) => [
            e.locationId,
            e.tenantId,
            e.source === 'file' ? 'TENANT_MAP_FILE' : topic,
          ]),
        ),
  );
  return 0;
}
