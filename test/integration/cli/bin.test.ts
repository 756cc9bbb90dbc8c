// bin/ghl-pipeline.js as operators run it: a child process, exit codes 0 / 1 / 2, help everywhere,
// one-line errors without stack traces.
import { describe, expect, it } from 'vitest';
import { createTopicsAndWait } from '../../../services/common/src/kafka/topic-apply.js';
import { cliEnv, cliProcess, jsonLines } from '../../helpers/cli.js';
import { testKafka, uniquePrefix } from '../../helpers/integration.js';

const COMMANDS = [
  ['topics', 'apply'],
  ['topics', 'list'],
  ['topics', 'describe'],
  ['schemas', 'register'],
  ['schemas', 'check'],
  ['tail'],
  ['replay'],
  ['dlq', 'list'],
  ['dlq', 'show'],
  ['dlq', 'redrive'],
  ['lag'],
  ['offsets', 'reset'],
  ['tenants', 'set'],
  ['tenants', 'delete'],
  ['tenants', 'list'],
];

describe('bin/ghl-pipeline.js', () => {
  it('--help lists every command and exits 0', async () => {
    const result = await cliProcess(['--help']);
    expect(result.code).toBe(0);
    for (const name of ['topics', 'schemas', 'tail', 'replay', 'dlq', 'lag', 'offsets', 'tenants'])
      expect(result.stdout).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
  });

  it('usage mistakes exit 2 with a message on stderr', async () => {
    const unknown = await cliProcess(['frobnicate']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("unknown command 'frobnicate'");
    const missing = await cliProcess(['tail']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("missing required argument 'topic'");
    const badOffset = await cliProcess(['replay', '--from', '0:x']);
    expect(badOffset.code).toBe(2);
    expect(badOffset.stderr).toContain("option '--from <position>' argument '0:x' is invalid");
  });

  it('a failure against the real broker exits 1 with one line, no stack trace', async () => {
    const result = await cliProcess(['tail', 'no.such.topic'], cliEnv(uniquePrefix('clibin')));
    expect(result.code).toBe(1);
    expect(result.stderr.trim()).toMatch(/^error: unknown topic "no\.such\.topic"[^\n]*$/);
    expect(result.stdout).toBe('');
  });

  // Regression: tail printed every record and then never exited (a socket to the broker stayed
  // open: two partitions read at once from one leader raced to open kafkajs' fetch connection).
  it('tail of records on several partitions of one leader prints them and exits by itself', async () => {
    const prefix = uniquePrefix('clibin');
    const topic = `${prefix}many`;
    const kafka = testKafka('clibin');
    const admin = kafka.admin();
    await admin.connect();
    try {
      await createTopicsAndWait(admin, [{ topic, numPartitions: 4 }]);
      const producer = kafka.producer({ idempotent: true });
      await producer.connect();
      await producer.send({
        topic,
        messages: [0, 1, 2, 3].map((partition) => ({
          key: `k${partition}`,
          value: 'v',
          partition,
        })),
      });
      await producer.disconnect();
      const result = await cliProcess(['--json', 'tail', topic], cliEnv(prefix), 20_000);
      expect(result.code, result.stderr).toBe(0);
      expect(
        jsonLines<{ partition: number }>(result.stdout)
          .map((r) => r.partition)
          .sort(),
      ).toEqual([0, 1, 2, 3]);
    } finally {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.disconnect();
    }
  });

  it('every command has --help (in-process, same program)', async () => {
    const { cli } = await import('../../helpers/cli.js');
    for (const command of COMMANDS) {
      const result = await cli([...command, '--help'], {});
      expect(result.code, command.join(' ')).toBe(0);
      expect(result.stdout, command.join(' ')).toMatch(/^Usage: ghl-pipeline /);
    }
  });
});
