// The transformer's one error boundary (partition-worker decide): permanent failures go to the DLQ
// with their reason, transient ones are retried and never reach it, an unexpected error on one
// record ends as retries_exhausted after TRANSFORMER_MAX_RECORD_ATTEMPTS, and the policies for
// unknown tenants and unmapped types do what they say. Faults are injected through the
// encoder/transform dependencies; Kafka and the registry are real.
import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { TransformerError } from '../../../services/common/src/errors.js';
import { DLQ_HEADERS, RAW_HEADERS } from '../../../services/common/src/record-headers.js';
import { registerSchemas } from '../../../services/transformer/src/avro/schema-catalog.js';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { POISON_FIXTURES, SEED_FIXTURES } from '../../fixtures/index.js';
import { stackEnv, testKafka } from '../../helpers/integration.js';
import { produceAll, rawMessage } from '../../helpers/raw-events.js';
import {
  countBy,
  readPipelineOutputs,
  startTransformer,
  transformerTestBed,
} from '../../helpers/transformer-harness.js';

const body = SEED_FIXTURES.find((f) => f.name === 'contact.created')!.bytes;

describe('transformer failure handling and policies', () => {
  const kafka = testKafka('failure-policies');
  const bed = transformerTestBed(kafka, { partitions: 1, label: 'fail' });

  it('DLQs schema_validation and retries_exhausted, retries transient errors without DLQ, and keeps going', async () => {
    const catalog = await registerSchemas(stackEnv().registryUrl, bed.fresh.names);
    const invalid = `invalid-${randomUUID()}`;
    const buggy = `buggy-${randomUUID()}`;
    const flaky = `flaky-${randomUUID()}`;
    const fine = `fine-${randomUUID()}`;
    let flakyFailures = 0;
    let buggyCalls = 0;
    bed.transformer = await startTransformer(
      bed.fresh,
      {
        TRANSFORMER_MAX_RECORD_ATTEMPTS: '3',
        TRANSFORMER_BACKOFF_INITIAL_MS: '50',
        TRANSFORMER_BACKOFF_MAX_MS: '200',
      },
      {
        encoder: {
          encode(domain, value) {
            if (value.eventId === invalid)
              throw new TransformerError(
                'TRF_ERR_SCHEMA_VALIDATION',
                'payload.contactId: not a string',
              );
            if (value.eventId === flaky && flakyFailures < 3) {
              flakyFailures++;
              throw new TransformerError('TRF_ERR_REGISTRY_UNAVAILABLE', 'registry unreachable');
            }
            return catalog.encode(domain, value);
          },
        },
        transform: (raw, ctx) => {
          if (raw.headers[RAW_HEADERS.eventId] === buggy) {
            buggyCalls++;
            throw new Error('unexpected bug in a mapping');
          }
          return transform(raw, ctx);
        },
      },
    );
    await produceAll(bed.producer, bed.fresh.names.raw, [
      rawMessage(body, { eventId: invalid }),
      rawMessage(body, { eventId: buggy }),
      rawMessage(body, { eventId: flaky }),
      rawMessage(body, { eventId: fine }),
    ]);
    const { outputs, dlq } = await readPipelineOutputs(kafka, bed.fresh.names, {
      expected: 4,
      timeoutMs: 60_000,
      settleMs: 1000,
    });
    expect(countBy(outputs, (o) => String(o.decoded.eventId))).toEqual(
      new Map([
        [flaky, 1],
        [fine, 1],
      ]),
    );
    const reasons = new Map(dlq.map((r) => [r.headers[RAW_HEADERS.eventId], r.headers]));
    expect(reasons.get(invalid)).toMatchObject({
      [DLQ_HEADERS.reason]: 'schema_validation',
      [DLQ_HEADERS.stage]: 'encode',
    });
    expect(reasons.get(buggy)).toMatchObject({
      [DLQ_HEADERS.reason]: 'retries_exhausted',
      [DLQ_HEADERS.attempts]: '3',
      [DLQ_HEADERS.error]: 'unexpected bug in a mapping',
    });
    expect(dlq).toHaveLength(2);
    expect(flakyFailures).toBe(3);
    expect(buggyCalls).toBe(3);
  });

  it('with UNKNOWN_TENANT_POLICY=dlq sends unmapped locations to the DLQ and maps known ones from the tenants topic', async () => {
    await produceAll(bed.producer, bed.fresh.names.tenants, [
      { key: 'loc_known', value: '{"tenantId":"tenant_acme"}' },
    ]);
    bed.transformer = await startTransformer(bed.fresh, { UNKNOWN_TENANT_POLICY: 'dlq' });
    const known = `known-${randomUUID()}`;
    const unknown = `unknown-${randomUUID()}`;
    const withLocation = (location: string) =>
      Buffer.from(body.toString().replace('"loc_123"', `"${location}"`));
    await produceAll(bed.producer, bed.fresh.names.raw, [
      rawMessage(withLocation('loc_known'), { eventId: known }),
      rawMessage(withLocation('loc_nobody'), { eventId: unknown }),
    ]);
    const { outputs, dlq } = await readPipelineOutputs(kafka, bed.fresh.names, {
      expected: 2,
      settleMs: 1000,
    });
    expect(outputs.map((o) => [o.decoded.eventId, o.decoded.tenantId])).toEqual([
      [known, 'tenant_acme'],
    ]);
    expect(dlq.map((r) => [r.headers[RAW_HEADERS.eventId], r.headers[DLQ_HEADERS.reason]])).toEqual(
      [[unknown, 'unknown_tenant']],
    );
  });

  it('with UNMAPPED_EVENT_POLICY=skip drops unmapped types without a DLQ record', async () => {
    bed.transformer = await startTransformer(bed.fresh, { UNMAPPED_EVENT_POLICY: 'skip' });
    const unmapped = POISON_FIXTURES.find((p) => p.name === 'unmapped-ghl-type')!.bytes!;
    const after = `after-${randomUUID()}`;
    await produceAll(bed.producer, bed.fresh.names.raw, [
      rawMessage(unmapped, { eventId: `skip-${randomUUID()}` }),
      rawMessage(body, { eventId: after }),
    ]);
    const { outputs, dlq } = await readPipelineOutputs(kafka, bed.fresh.names, {
      expected: 1,
      settleMs: 1500,
    });
    expect(outputs.map((o) => o.decoded.eventId)).toEqual([after]);
    expect(dlq).toHaveLength(0);
    expect(
      await bed.transformer.metrics.registry.getSingleMetricAsString('transformer_skipped_total'),
    ).toMatch(/ 1$/m);
  });
});
