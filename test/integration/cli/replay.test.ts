// `ghl-pipeline replay` with the real transformer: a replayed range is emitted exactly once more
// per run, filters select by event type and location (header or body), --dry-run writes
// nothing, and --rate bounds the pace.
import { randomUUID } from 'node:crypto';
import type { Message, Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RAW_HEADERS, REPLAY_HEADERS } from '../../../services/common/src/record-headers.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { GHL_FIXTURES, SEED_FIXTURES } from '../../fixtures/index.js';
import { cli, cliEnv, cliJson, jsonLines } from '../../helpers/cli.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { produceAll, rawMessage } from '../../helpers/raw-events.js';
import {
  countBy,
  readPipelineOutputs,
  startTransformer,
} from '../../helpers/transformer-harness.js';

interface ReplaySummary {
  replayId: string | null;
  dryRun: boolean;
  scanned: number;
  selected: number;
  skipped: number;
  republished: number;
}
interface View {
  partition: number;
  offset: string;
  key: string;
  headers: Record<string, string | string[]>;
  value: string;
}

const GHL_LOCATION = 've9EPM428h8vShlRW1KT';

describe('ghl-pipeline replay', () => {
  const kafka = testKafka('cli-replay-test');
  let fresh: FreshTopics;
  let transformer: Transformer;
  let producer: Producer;
  let env: Record<string, string>;
  let originals: Message[];
  /** ghl.raw end offsets before any replay, as a --to/--from position. */
  let originalEnd: string;
  let expectedOutputs = 0;
  const headerless = `headerless-${randomUUID()}`;

  const rawEnds = async () =>
    (await fresh.admin.fetchTopicOffsets(fresh.names.raw))
      .sort((a, b) => a.partition - b.partition)
      .map((o) => `${o.partition}:${o.high}`)
      .join(',');
  /** Outputs per event ID once `expectedOutputs` outputs are there. */
  const outputCounts = async () => {
    const { outputs } = await readPipelineOutputs(kafka, fresh.names, {
      expected: expectedOutputs,
      timeoutMs: 60_000,
      settleMs: 1000,
    });
    return countBy(outputs, (o) => String(o.decoded.eventId));
  };

  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 3, label: 'clireplay' });
    env = cliEnv(fresh.prefix);
    producer = kafka.producer({ idempotent: true });
    await producer.connect();
    transformer = await startTransformer(fresh);
    originals = [...SEED_FIXTURES, ...GHL_FIXTURES].map((f) =>
      rawMessage(f.bytes, {
        eventId: `${f.format}-${f.name}-${randomUUID()}`,
        eventType: f.name,
        locationId: f.expected.locationId,
      }),
    );
    // Written by something other than the ingress: no event-type/location-id headers, so the
    // filters must read the body.
    originals.push({
      key: headerless,
      value: SEED_FIXTURES.find((f) => f.name === 'contact.created')!.bytes,
      headers: { [RAW_HEADERS.eventId]: headerless },
    });
    await produceAll(producer, fresh.names.raw, originals);
    expectedOutputs = originals.length;
    const counts = await outputCounts();
    expect(counts.size).toBe(originals.length);
    originalEnd = await rawEnds();
  });
  afterAll(async () => {
    await transformer?.close();
    await producer?.disconnect();
    await fresh?.cleanup();
  });

  it('--dry-run counts and writes nothing', async () => {
    const summary = await cliJson<ReplaySummary>(
      ['replay', '--from', 'earliest', '--dry-run'],
      env,
    );
    expect(summary).toMatchObject({
      replayId: null,
      dryRun: true,
      scanned: originals.length,
      selected: originals.length,
      skipped: 0,
      republished: 0,
    });
    expect(await rawEnds()).toBe(originalEnd);
    const human = await cli(['replay', '--from', 'earliest', '--dry-run'], env);
    expect(human.stdout).toContain(`dry run: ${originals.length} record(s) would be replayed`);
  });

  it('replays a range: exact key, bytes, headers and partition plus replay-id/replay-of; every event is emitted once more', async () => {
    const summary = await cliJson<ReplaySummary>(['replay', '--from', 'earliest'], env);
    expect(summary.replayId).toMatch(/^[0-9a-f-]{36}$/);
    expect(summary).toMatchObject({ selected: originals.length, republished: originals.length });

    const copies = jsonLines<View>(
      (await cli(['--json', 'tail', 'ghl.raw', '--from', originalEnd], env)).stdout,
    );
    expect(copies).toHaveLength(originals.length);
    const everything = jsonLines<View>((await cli(['--json', 'tail', 'ghl.raw'], env)).stdout);
    const originalsByAddress = new Map(
      everything
        .filter((v) => v.headers[REPLAY_HEADERS.replayId] === undefined)
        .map((v) => [`${fresh.names.raw}/${v.partition}/${v.offset}`, v]),
    );
    expect(originalsByAddress.size).toBe(originals.length);
    for (const copy of copies) {
      expect(copy.headers[REPLAY_HEADERS.replayId]).toBe(summary.replayId);
      const source = originalsByAddress.get(copy.headers[REPLAY_HEADERS.replayOf] as string);
      expect(source, `replay-of ${String(copy.headers[REPLAY_HEADERS.replayOf])}`).toBeDefined();
      expect(copy.key).toBe(source!.key);
      expect(copy.value).toBe(source!.value);
      expect(copy.partition).toBe(source!.partition);
      const {
        [REPLAY_HEADERS.replayId]: _id,
        [REPLAY_HEADERS.replayOf]: _of,
        ...rest
      } = copy.headers;
      expect(rest).toEqual(source!.headers);
    }

    expectedOutputs += originals.length;
    const counts = await outputCounts();
    expect([...counts.values()].every((n) => n === 2)).toBe(true);
    expect(counts.size).toBe(originals.length);
  });

  it('a second run (here: of the replayed copies) has a new replay id, drops the old one, and emits each event once more', async () => {
    const before = await rawEnds();
    const summary = await cliJson<ReplaySummary>(
      ['replay', '--from', originalEnd, '--to', before],
      env,
    );
    expect(summary).toMatchObject({ selected: originals.length, republished: originals.length });
    const copies = jsonLines<View>(
      (await cli(['--json', 'tail', 'ghl.raw', '--from', before], env)).stdout,
    );
    expect(copies).toHaveLength(originals.length);
    for (const copy of copies) {
      // One replay-id header, the new one (not an array with the old one).
      expect(copy.headers[REPLAY_HEADERS.replayId]).toBe(summary.replayId);
      expect(copy.headers[REPLAY_HEADERS.replayOf]).toMatch(
        new RegExp(`^${fresh.names.raw.replaceAll('.', '\\.')}/\\d/\\d+$`),
      );
    }
    expectedOutputs += originals.length;
    const counts = await outputCounts();
    expect([...counts.values()].every((n) => n === 3)).toBe(true);
  });

  it('--type and --location select by the event-type/location-id headers, else the body', async () => {
    const byType = await cliJson<ReplaySummary>(
      [
        'replay',
        '--from',
        'earliest',
        '--to',
        originalEnd,
        '--type',
        'contact.created',
        '--location',
        'loc_123',
      ],
      env,
    );
    // the seed contact.created and the header-less record (body: event contact.created, loc_123)
    expect(byType).toMatchObject({
      scanned: originals.length,
      selected: 2,
      skipped: originals.length - 2,
      republished: 2,
    });
    const seedCreated = originals.find(
      (m) => m.headers?.[RAW_HEADERS.eventType] === 'contact.created',
    )!.key as string;
    expectedOutputs += 2;
    const counts = await outputCounts();
    expect(counts.get(seedCreated)).toBe(4);
    expect(counts.get(headerless)).toBe(4);
    expect([...counts.values()].filter((n) => n === 3)).toHaveLength(originals.length - 2);

    const ghlTypes = await cliJson<ReplaySummary>(
      [
        'replay',
        '--from',
        'earliest',
        '--to',
        originalEnd,
        '--type',
        'ContactCreate,ContactDelete',
        '--dry-run',
      ],
      env,
    );
    expect(ghlTypes.selected).toBe(2);
    const ghlLocation = await cliJson<ReplaySummary>(
      [
        'replay',
        '--from',
        'earliest',
        '--to',
        originalEnd,
        '--location',
        GHL_LOCATION,
        '--dry-run',
      ],
      env,
    );
    expect(ghlLocation.selected).toBe(GHL_FIXTURES.length);
  });

  it('--rate bounds records per second', async () => {
    const started = Date.now();
    const summary = await cliJson<ReplaySummary>(
      [
        'replay',
        '--from',
        'earliest',
        '--to',
        originalEnd,
        '--location',
        GHL_LOCATION,
        '--rate',
        '8',
      ],
      env,
    );
    const elapsed = Date.now() - started;
    expect(summary.republished).toBe(GHL_FIXTURES.length);
    // 16 records at 8/s: the last may leave 15/8 s after the first.
    expect(elapsed).toBeGreaterThanOrEqual(((GHL_FIXTURES.length - 1) / 8) * 1000);
    expectedOutputs += GHL_FIXTURES.length;
    const counts = await outputCounts();
    expect([...counts.values()].filter((n) => n === 4)).toHaveLength(GHL_FIXTURES.length + 2);
  });

  it('Ctrl-C interrupts a paced replay: exit 1, the replay id and what was written are printed', async () => {
    const abort = new AbortController();
    const running = cli(
      [
        '--json',
        'replay',
        '--from',
        'earliest',
        '--to',
        originalEnd,
        '--location',
        GHL_LOCATION,
        '--rate',
        '4',
      ],
      env,
      { signal: abort.signal },
    );
    await sleep(1500);
    abort.abort();
    const result = await running;
    expect(result.code).toBe(1);
    const summary = JSON.parse(result.stdout) as ReplaySummary & { interrupted: boolean };
    expect(summary.interrupted).toBe(true);
    expect(summary.replayId).toMatch(/^[0-9a-f-]{36}$/);
    expect(summary.republished).toBeGreaterThan(0);
    expect(summary.republished).toBeLessThan(GHL_FIXTURES.length);
  });

  it('usage: --from is required, bad positions and rates exit 2', async () => {
    expect((await cli(['replay'], env)).code).toBe(2);
    expect((await cli(['replay', '--from', 'soon'], env)).code).toBe(2);
    expect((await cli(['replay', '--from', 'earliest', '--rate', '0'], env)).code).toBe(2);
  });
});
