import type { KafkaMessage, Message } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { TransformerError } from '../../../services/common/src/errors.js';
import { createLogger } from '../../../services/common/src/logger.js';
import {
  DLQ_HEADERS,
  headerStrings,
  OUTPUT_HEADERS,
  RAW_HEADERS,
  REPLAY_HEADERS,
} from '../../../services/common/src/record-headers.js';
import { DOMAIN_KEYS, topicNames, type Domain } from '../../../services/common/src/topics.js';
import { DedupPartition } from '../../../services/transformer/src/eos/dedup-store.js';
import {
  createCatalog,
  loadSchemas,
} from '../../../services/transformer/src/avro/schema-catalog.js';
import { singleRecordBatchBytes } from '../../../services/transformer/src/eos/send-chunks.js';
import { KAFKA_DEFAULT_MAX_MESSAGE_BYTES } from '../../../services/transformer/src/eos/topic-limits.js';
import {
  planTransaction,
  RecordFailure,
  topicMessagesOf,
  type PlannerDeps,
  type RecordAttempts,
} from '../../../services/transformer/src/eos/transaction-plan.js';
import { transform } from '../../../services/transformer/src/mapping/transform.js';
import { MAPPED_FIXTURES, POISON_FIXTURES, SEED_FIXTURES } from '../../fixtures/index.js';

const names = topicNames('');
const NOW = Date.parse('2024-06-01T12:00:00Z');
const WINDOW = 24 * 3600_000;
const IDS = Object.fromEntries(DOMAIN_KEYS.map((d, i) => [d, 100 + i])) as Record<Domain, number>;
const catalog = createCatalog(IDS, { schemas: loadSchemas() });

/** Topic limits: `limit` for every topic but `overrides`; `current`: read recently enough. */
const limitsOf = (
  limit = KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  overrides: Record<string, number> = {},
  current = true,
) => {
  const limitOf = (topic: string) => overrides[topic] ?? limit;
  return {
    limitOf,
    fits: (topic: string, m: Message) => singleRecordBatchBytes(m) <= limitOf(topic),
    current: () => current,
  };
};

function deps(overrides: Partial<PlannerDeps> = {}): PlannerDeps {
  return {
    names,
    encoder: catalog,
    context: {
      tenantOf: () => 'tenant-1',
      unknownTenantPolicy: 'null',
      unmappedEventPolicy: 'dlq',
    },
    transform,
    limits: limitsOf(),
    settings: { dedupWindowMs: WINDOW, expirySweepLimit: 1000, maxRecordAttempts: 3 },
    log: createLogger('test', 'silent'),
    ...overrides,
  };
}

/** ghl.raw records as kafkajs delivers them: Buffer headers, offsets from `from`. */
function records(
  bodies: (Buffer | null)[],
  from = 0,
  extra: Record<string, string>[] = [],
): KafkaMessage[] {
  return bodies.map((value, i) => {
    const eventId = `evt-${from + i}`;
    const headers: Record<string, Buffer> = {
      [RAW_HEADERS.eventId]: Buffer.from(eventId),
      [RAW_HEADERS.receivedAt]: Buffer.from('2024-06-01T11:59:59.000Z'),
    };
    for (const [k, v] of Object.entries(extra[i] ?? {})) headers[k] = Buffer.from(v);
    return {
      offset: String(from + i),
      key: Buffer.from(eventId),
      value,
      headers,
      timestamp: String(NOW - 1000),
      attributes: 0,
    };
  });
}

const plan = (
  messages: KafkaMessage[],
  opts: { deps?: PlannerDeps; dedup?: DedupPartition; attempts?: Map<string, RecordAttempts> } = {},
) =>
  planTransaction(
    opts.deps ?? deps(),
    opts.dedup ?? new DedupPartition(),
    opts.attempts ?? new Map(),
    {
      topic: names.raw,
      partition: 3,
      messages,
      now: NOW,
    },
  );

const dlqHeaders = (m: Message) => headerStrings(m.headers);

describe('planTransaction: every fixture', () => {
  it.each(MAPPED_FIXTURES.map((f) => [`${f.format} ${f.name}`, f] as const))(
    '%s: one output on its domain topic and one changelog entry',
    (_label, fixture) => {
      const p = plan(records([fixture.bytes]));
      const topic = names[fixture.expected.domain];
      expect([...p.outputs.keys()]).toEqual([topic]);
      const [output] = p.outputs.get(topic)!;
      expect(output!.key).toBe(fixture.expected.key);
      expect(headerStrings(output!.headers)).toMatchObject({
        [OUTPUT_HEADERS.id]: 'evt-0',
        [OUTPUT_HEADERS.type]: fixture.expected.neuronxType,
      });
      // Confluent wire format under the domain's schema id.
      expect(output!.value![0]).toBe(0);
      expect((output!.value as Buffer).readInt32BE(1)).toBe(IDS[fixture.expected.domain]);
      expect(p.dlq).toEqual([]);
      expect(p.changelog).toHaveLength(1);
      expect(String(p.changelog[0]!.key)).toBe('evt-0');
      expect(String(p.changelog[0]!.value)).toBe(String(NOW + WINDOW));
      expect(p.changelog[0]!.partition).toBe(3);
      expect([...p.added]).toEqual([['evt-0', NOW + WINDOW]]);
      expect([...p.emittedByType]).toEqual([[`${topic}\u0000${fixture.expected.neuronxType}`, 1]]);
    },
  );

  it.each(POISON_FIXTURES.map((f) => [f.name, f] as const))(
    'poison %s: one DLQ record with its reason, no output, no changelog entry',
    (_name, fixture) => {
      const p = plan(records([fixture.bytes], 7));
      expect(p.outputs.size).toBe(0);
      expect(p.changelog).toEqual([]);
      expect(p.dlq).toHaveLength(1);
      expect(dlqHeaders(p.dlq[0]!)).toMatchObject({
        [DLQ_HEADERS.reason]: fixture.expected.reason,
        [DLQ_HEADERS.stage]: fixture.expected.stage,
        [DLQ_HEADERS.source]: `${names.raw}/3/7`,
        [DLQ_HEADERS.attempts]: '1',
      });
      expect(p.dlq[0]!.value).toEqual(fixture.bytes);
      expect([...p.dlqByReason]).toEqual([[fixture.expected.reason, 1]]);
    },
  );
});

describe('planTransaction: dedup', () => {
  const body = SEED_FIXTURES[0]!.bytes;

  it('drops a key already committed and a key repeated in the same chunk', () => {
    const dedup = new DedupPartition();
    dedup.add('evt-0', NOW + 1);
    const [a, b, c] = records([body, body, body]);
    (c!.headers as Record<string, Buffer>)[RAW_HEADERS.eventId] = Buffer.from('evt-1');
    const p = plan([a!, b!, c!], { dedup });
    expect(p.duplicates).toBe(2);
    expect([...p.added.keys()]).toEqual(['evt-1']);
    expect([...p.outputs.values()].flat()).toHaveLength(1);
  });

  it('a replayed record gets a key of its own replay id', () => {
    const dedup = new DedupPartition();
    dedup.add('evt-0', NOW + 1);
    const p = plan(records([body], 0, [{ [REPLAY_HEADERS.replayId]: 'r1' }]), { dedup });
    expect(p.duplicates).toBe(0);
    expect([...p.added.keys()]).toEqual(['replay:r1:evt-0']);
  });

  it('tombstones expired keys before the new entries, and changes neither input', () => {
    const dedup = new DedupPartition();
    dedup.add('old-1', NOW - 1);
    dedup.add('old-2', NOW);
    dedup.add('live', NOW + 1);
    const attempts = new Map<string, RecordAttempts>([
      ['9', { count: 1, error: 'x', stage: 'map' }],
    ]);
    const p = plan(records([body]), { dedup, attempts });
    expect(p.expired).toEqual(['old-1', 'old-2']);
    expect(p.changelog.map((m) => [String(m.key), m.value === null ? null : 'expiry'])).toEqual([
      ['old-1', null],
      ['old-2', null],
      ['evt-0', 'expiry'],
    ]);
    expect(dedup.size).toBe(3);
    expect(dedup.has('old-1', NOW - 2)).toBe(true);
    expect([...attempts.keys()]).toEqual(['9']);
  });
});

describe('planTransaction: failures', () => {
  const body = SEED_FIXTURES[0]!.bytes;

  it('throws RecordFailure for a transform that throws, naming the record and stage', () => {
    const boom = new Error('bug');
    const d = deps({
      transform: () => {
        throw boom;
      },
    });
    const run = () => plan(records([body], 4), { deps: d });
    expect(run).toThrow(RecordFailure);
    expect(run).toThrow(expect.objectContaining({ offset: '4', stage: 'map', error: boom }));
  });

  it('dead-letters a schema validation error, and throws for an unclassified encoder error', () => {
    const invalid = deps({
      encoder: {
        encode: () => {
          throw new TransformerError('TRF_ERR_SCHEMA_VALIDATION', 'bad value');
        },
      },
    });
    const p = plan(records([body]), { deps: invalid });
    expect(dlqHeaders(p.dlq[0]!)).toMatchObject({
      [DLQ_HEADERS.reason]: 'schema_validation',
      [DLQ_HEADERS.stage]: 'encode',
    });
    const broken = deps({
      encoder: {
        encode: () => {
          throw new Error('encoder bug');
        },
      },
    });
    expect(() => plan(records([body]), { deps: broken })).toThrow(
      expect.objectContaining({ stage: 'encode', offset: '0' }),
    );
  });

  it('after the last attempt: retries_exhausted, or output_rejected when the broker refused it', () => {
    const attempts = new Map<string, RecordAttempts>([
      ['0', { count: 3, error: 'still broken', stage: 'map' }],
      ['1', { count: 3, error: 'MESSAGE_TOO_LARGE: no', stage: 'produce' }],
    ]);
    const p = plan(records([body, body]), { attempts });
    expect(p.outputs.size).toBe(0);
    expect(p.dlq.map(dlqHeaders)).toMatchObject([
      { [DLQ_HEADERS.reason]: 'retries_exhausted', [DLQ_HEADERS.attempts]: '3' },
      { [DLQ_HEADERS.reason]: 'output_rejected', [DLQ_HEADERS.error]: 'MESSAGE_TOO_LARGE: no' },
    ]);
  });

  it('a count past the limit (the DLQ refused the whole record) gives a last-resort DLQ record', () => {
    const big = Buffer.alloc(64 * 1024, 'x');
    const attempts = new Map<string, RecordAttempts>([
      ['0', { count: 4, error: 'refused', stage: 'produce' }],
    ]);
    const p = plan(records([big]), { attempts });
    expect(dlqHeaders(p.dlq[0]!)[DLQ_HEADERS.truncated]).toBe(String(big.length));
    expect(singleRecordBatchBytes(p.dlq[0]!)).toBeLessThanOrEqual(16 * 1024);
  });

  it('dead-letters an output too large for its topic before anything is sent', () => {
    const fixture = SEED_FIXTURES[0]!;
    const topic = names[fixture.expected.domain];
    const p = plan(records([fixture.bytes]), {
      deps: deps({ limits: limitsOf(undefined, { [topic]: 100 }) }),
    });
    expect(p.outputs.size).toBe(0);
    expect(p.changelog).toEqual([]);
    expect(dlqHeaders(p.dlq[0]!)).toMatchObject({
      [DLQ_HEADERS.reason]: 'output_too_large',
      [DLQ_HEADERS.stage]: 'produce',
    });
  });

  it('an output over its topic limit as read too long ago: retried once the limits are read again, not dead-lettered, no attempt counted', () => {
    const fixture = SEED_FIXTURES[0]!;
    const topic = names[fixture.expected.domain];
    const stale = deps({ limits: limitsOf(undefined, { [topic]: 100 }, false) });
    let thrown: unknown;
    try {
      plan(records([fixture.bytes]), { deps: stale });
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(RecordFailure);
    const failure = thrown as RecordFailure;
    expect(failure.offset).toBe('0');
    expect(failure.error).toMatchObject({ code: 'TRF_ERR_TOPIC_LIMITS_STALE', retriable: true });
    expect((failure.error as Error).message).toContain(`${topic}'s max.message.bytes (100)`);
  });

  it('a DLQ record over the DLQ limit as read too long ago: retried once the limits are read again, not truncated', () => {
    const unmapped = POISON_FIXTURES.find((f) => f.expected.reason === 'unmapped_event_type')!;
    const stale = deps({ limits: limitsOf(undefined, { [names.dlq]: 200 }, false) });
    expect(() => plan(records([unmapped.bytes]), { deps: stale })).toThrow(RecordFailure);
    const fresh = plan(records([unmapped.bytes]), {
      deps: deps({ limits: limitsOf(undefined, { [names.dlq]: 200 }) }),
    });
    expect(dlqHeaders(fresh.dlq[0]!)[DLQ_HEADERS.truncated]).toBe(String(unmapped.bytes!.length));
  });

  it('counts a skip (UNMAPPED_EVENT_POLICY=skip)', () => {
    const unmapped = POISON_FIXTURES.find((f) => f.expected.reason === 'unmapped_event_type')!;
    const d = deps({
      context: {
        tenantOf: () => undefined,
        unknownTenantPolicy: 'null',
        unmappedEventPolicy: 'skip',
      },
    });
    const p = plan(records([unmapped.bytes]), { deps: d });
    expect(p.skipped).toBe(1);
    expect(p.dlq).toEqual([]);
  });
});

describe('topicMessagesOf', () => {
  it('sends the outputs per topic, then the DLQ, then the changelog', () => {
    const dedup = new DedupPartition();
    dedup.add('old', NOW - 1);
    const contact = MAPPED_FIXTURES.find((f) => f.expected.domain === 'contact')!;
    const workflow = MAPPED_FIXTURES.find((f) => f.expected.domain === 'workflow')!;
    const p = plan(records([contact.bytes, POISON_FIXTURES[1]!.bytes, workflow.bytes]), { dedup });
    expect(topicMessagesOf(p, names).map((t) => [t.topic, t.messages.length])).toEqual([
      [names.contact, 1],
      [names.workflow, 1],
      [names.dlq, 1],
      [names.dedup, 3],
    ]);
  });
});
