import type { Command } from 'commander';
import { parseTenantValue } from '../../../transformer/src/tenant-store.js';
import { UsageError } from '../cli-errors.js';
import type { CliContext } from '../context.js';
import type { Runner } from '../program.js';
import { table } from '../table.js';
import { resolveRange } from '../topic-positions.js';
import { readTopicRange } from '../topic-reader.js';

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
    .description('the current map (last value per location; deleted ones left out)')
    .action(() => run(list));
}

async function write(
  ctx: CliContext,
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
        { key: locationId, value: tenantId === null ? null : JSON.stringify({ tenantId }) },
      ],
    });
  } finally {
    await producer.disconnect();
  }
  ctx.print({ topic, locationId, tenantId }, () =>
    tenantId === null
      ? `deleted the tenant of location ${locationId} (${topic})`
      : `location ${locationId} -> tenant ${tenantId} (${topic})`,
  );
  return 0;
}

async function list(ctx: CliContext): Promise<number> {
  const topic = await ctx.resolveTopic(ctx.names.tenants);
  const { ranges } = await resolveRange(
    await ctx.admin(),
    topic,
    { kind: 'earliest' },
    undefined,
    (m) => ctx.warn(m),
  );
  const map = new Map<string, string>();
  // One partition per location key, read in offset order: the last record of a key wins.
  await readTopicRange(ctx.kafka(), {
    topic,
    ranges,
    signal: ctx.interruptSignal(),
    onRecord: (_partition, message) => {
      if (!message.key) return true;
      const location = message.key.toString('utf8');
      const tenant =
        message.value === null ? undefined : parseTenantValue(message.value.toString('utf8'));
      if (tenant === undefined) map.delete(location);
      else map.set(location, tenant);
      return true;
    },
  });
  const entries = [...map].sort((a, b) => a[0].localeCompare(b[0]));
  ctx.print(Object.fromEntries(entries), () =>
    entries.length === 0
      ? `no tenants mapped (${topic})`
      : table(['locationId', 'tenantId'], entries),
  );
  return 0;
}
