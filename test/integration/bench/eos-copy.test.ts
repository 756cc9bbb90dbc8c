// The Java exactly-once copy that `npm run bench:e2e` measures the transformer against
// (test/bench/java/EosCopy.java) against the real broker: it compiles, copies every record of its
// input once (counted read_committed by the Java verifier, which shares no code with it), keeps
// key and headers, and closes its clients on SIGTERM. A reference that lost or doubled records would
// make its latency figures meaningless.
import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exactlyOnce, verifyCommitted } from '../../../infra/verifier/verifier.js';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { benchJavaCommand } from '../../bench/bench-java.js';
import {
  readCommitted,
  sleep,
  stackEnv,
  testKafka,
  uniquePrefix,
} from '../../helpers/integration.js';

describe('bench:e2e Java exactly-once copy (EosCopy)', () => {
  const kafka = testKafka('eos-copy-test');
  const admin = kafka.admin();
  const prefix = uniquePrefix('eos-copy');
  const input = `${prefix}in`;
  const output = `${prefix}out`;

  beforeAll(async () => {
    await admin.connect();
    await createTopicsAndWait(admin, [
      { topic: input, numPartitions: 3 },
      { topic: output, numPartitions: 3 },
    ]);
  });
  afterAll(async () => {
    await admin.deleteTopics({ topics: [input, output] }).catch(() => undefined);
    await admin.disconnect();
  });

  it('copies each input record once, with its key and headers, and closes on SIGTERM', async () => {
    const producer = kafka.producer({ idempotent: true });
    await producer.connect();
    const ids = Array.from({ length: 300 }, (_, i) => `event-${i}`);
    await producer.send({
      topic: input,
      acks: -1,
      // Key, value and header all differ, so a copy that dropped or mixed any of them shows.
      messages: ids.map((id) => ({
        key: `key-${id}`,
        value: `value-${id}`,
        headers: { 'event-id': id },
      })),
    });
    await producer.disconnect();

    const { brokers } = stackEnv();
    const command = await benchJavaCommand('EosCopy', [
      ...['--brokers', brokers, '--input', input, '--output', output],
      ...['--group', `${prefix}group`, '--retry-backoff-ms', '5'],
    ]);
    const child = spawn(command.java, command.args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
    const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
    try {
      const deadline = Date.now() + 60_000;
      let report = await verifyCommitted({ brokers, topics: [output] });
      while (report.records < ids.length && Date.now() < deadline) {
        await sleep(500);
        report = await verifyCommitted({ brokers, topics: [output] });
      }
      expect(exactlyOnce(report, ids)).toEqual({ missing: [], duplicated: {}, unexpected: [] });
      expect(report.perTopic[output]).toBe(ids.length);
      // The content, read back (kafkajs only reads here; the count above is the verifier's).
      const copied = await readCommitted(kafka, [output], { expected: ids.length });
      expect(copied).toHaveLength(ids.length);
      for (const r of copied) {
        const id = r.headers['event-id'] ?? '';
        expect([r.key?.toString(), r.value?.toString()]).toEqual([`key-${id}`, `value-${id}`]);
      }
    } finally {
      child.kill('SIGTERM');
    }
    // The JVM exits 128 + 15 after a SIGTERM even when its shutdown hook closed everything.
    expect(await exited, stderr).toBe(143);
    expect(stderr).toMatch(/stopping after \d+ transactions/);
  }, 180_000);
});
