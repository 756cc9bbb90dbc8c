// The transformer's cache of its topics' max.message.bytes (topic-limits.ts): when a reading may
// judge a record (`current`, `readSince`), a failed reading counting as checked, and a refresh
// asked during a reading getting a reading of its own that starts after it. The admin client is
// a stand-in answering DescribeConfigs; the broker's side is tested in
// test/integration/transformer/broker-rejections.test.ts.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import {
  KAFKA_DEFAULT_MAX_MESSAGE_BYTES,
  TopicLimits,
} from '../../../services/transformer/src/eos/topic-limits.js';
import { fakeConfigAdmin as admin } from '../../helpers/fake-config-admin.js';

const TOPIC = 'neuronx.contact';
const MAX_AGE_MS = 10_000;

/** Lets pending promise callbacks run. */
const settle = () => new Promise<void>((r) => setImmediate(r));

describe('TopicLimits', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(1_000_000);
  });
  afterEach(() => vi.useRealTimers());

  it('judges by a reading that started within the max age; before any, by none', async () => {
    const { admin: a, calls } = admin(['20000']);
    const limits = new TopicLimits(a, [TOPIC], MAX_AGE_MS);
    expect(limits.limitOf(TOPIC)).toBe(KAFKA_DEFAULT_MAX_MESSAGE_BYTES);
    expect(limits.current(Date.now())).toBe(false);
    const reading = limits.refresh();
    vi.setSystemTime(1_002_000); // the reading takes 2 s; its age counts from its start
    calls[0]!.release();
    await reading;
    expect(limits.limitOf(TOPIC)).toBe(20_000);
    expect(limits.current(1_000_000 + MAX_AGE_MS)).toBe(true);
    expect(limits.current(1_000_000 + MAX_AGE_MS + 1)).toBe(false);
  });

  it('a failed reading counts as checked, keeps the last limits, and rejects', async () => {
    const { admin: a, calls } = admin(['20000', new Error('broker down')]);
    const limits = new TopicLimits(a, [TOPIC], MAX_AGE_MS);
    const first = limits.refresh();
    calls[0]!.release();
    await first;
    const before = limits.readingsStarted;
    vi.setSystemTime(1_000_000 + 60_000);
    const failed = limits.refresh();
    calls[1]!.release();
    await expect(failed).rejects.toThrow('broker down');
    expect(limits.limitOf(TOPIC)).toBe(20_000);
    expect(limits.current(Date.now())).toBe(true);
    expect(limits.readSince(before)).toBe(true);
  });

  it('a refresh asked during a reading gets one that starts after it; later askers join that one', async () => {
    const { admin: a, calls } = admin(['20000', '1048588']);
    const limits = new TopicLimits(a, [TOPIC], MAX_AGE_MS);
    const first = limits.refresh();
    const asked = limits.readingsStarted;
    const second = limits.refresh();
    const third = limits.refresh();
    expect(third).toBe(second);
    await settle();
    expect(calls).toHaveLength(1); // the second waits for the first to end
    calls[0]!.release();
    await first;
    expect(limits.readSince(asked)).toBe(false); // the first started before it was asked
    await settle();
    expect(calls).toHaveLength(2);
    calls[1]!.release();
    await second;
    expect(limits.readSince(asked)).toBe(true);
    expect(limits.limitOf(TOPIC)).toBe(1_048_588);
  });

  it('a refresh asked after a reading ended but before the queued one started joins the queued one', async () => {
    const { admin: a, calls } = admin(['20000', '30000']);
    const limits = new TopicLimits(a, [TOPIC], MAX_AGE_MS);
    const first = limits.refresh();
    const queued = limits.refresh();
    calls[0]!.release();
    await first;
    expect(limits.refresh()).toBe(queued);
    await settle();
    expect(calls).toHaveLength(2);
    calls[1]!.release();
    await queued;
    expect(limits.limitOf(TOPIC)).toBe(30_000);
  });
});
