// The downstream consumer examples (examples/python-consumer, examples/node-consumer) against a
// real pipeline: every mapped fixture goes through a signed ingress and a real transformer, then
// both examples run as child processes, exactly as their READMEs tell a downstream team to run
// them, and each must print every event exactly once, decoded. The Python one runs from the venv
// that .ci/run prepares; without it this test fails (a skip would hide a broken example).
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { EVENTS_NAMESPACE } from '../../../services/transformer/src/avro/schema-catalog.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import { MAPPED_FIXTURES, type MappedFixture } from '../../fixtures/index.js';
import {
  freshTopics,
  stackClientEnv,
  stackEnv,
  type FreshTopics,
} from '../../helpers/integration.js';
import {
  countBy,
  startTransformer,
  waitForCommittedEnd,
} from '../../helpers/transformer-harness.js';
import { postWebhook, startIngress, type RunningIngress } from '../ingress/ingress-harness.js';

const root = projectRoot();
const VENV_HINT =
  'python3 -m venv .venv-examples && .venv-examples/bin/pip install -r examples/python-consumer/requirements.txt';

/** The venv's python (EXAMPLES_PYTHON, else .venv-examples/bin/python); throws when there is none. */
function examplesPython(): string {
  const python = process.env.EXAMPLES_PYTHON ?? join(root, '.venv-examples', 'bin', 'python');
  if (!existsSync(python)) {
    throw new Error(
      `no Python for the consumer examples at ${python}: create it with \`${VENV_HINT}\` ` +
        '(.ci/run does this) or point EXAMPLES_PYTHON at a python that has those requirements',
    );
  }
  return python;
}

/** One line an example prints per event. */
interface EventLine {
  topic: string;
  partition: number;
  offset: number;
  key: string | null;
  ce_id: string | null;
  value: Record<string, unknown>;
}

interface ExampleRun {
  name: string;
  code: number | null;
  lines: EventLine[];
  stderr: string;
  seconds: number;
}

/** Runs one example to its own end (idle stop) and parses its JSON lines. */
function runExample(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string>,
  timeoutMs: number,
): Promise<ExampleRun> {
  const started = Date.now();
  const child = spawn(command, args, {
    cwd: root,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(
        new Error(
          `${name} still running after ${timeoutMs} ms, ${stdout.split('\n').length - 1} lines printed; stderr:\n${stderr}`,
        ),
      );
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      const lines = stdout
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => JSON.parse(l) as EventLine);
      resolve({ name, code, lines, stderr, seconds: (Date.now() - started) / 1000 });
    });
  });
}

describe('consumer examples on a real pipeline', () => {
  let fresh: FreshTopics | undefined;
  let ingress: RunningIngress | undefined;
  let transformer: Transformer | undefined;
  const groups: string[] = [];
  afterAll(async () => {
    await transformer?.close();
    await ingress?.close();
    await fresh?.admin.deleteGroups(groups).catch(() => undefined);
    await fresh?.cleanup();
  });

  it('the Python and the Node example each print every mapped event once, decoded', async () => {
    const python = examplesPython();
    const topics = await freshTopics({ label: 'examples' });
    fresh = topics;
    const stack = stackClientEnv(topics.prefix);

    // Webhooks in through a real, signed ingress: the event IDs are the ingress' own.
    ingress = await startIngress({
      KAFKA_BROKERS: stackEnv().brokers,
      TOPIC_PREFIX: topics.prefix,
    });
    const fixtureOf = new Map<string, MappedFixture>();
    for (const fixture of MAPPED_FIXTURES) {
      const res = await postWebhook(ingress.url, fixture.bytes, {
        'x-webhook-signature': signHmac(fixture.bytes, 's1'),
      });
      expect(res.status, `${fixture.file}: ${JSON.stringify(res.body)}`).toBe(200);
      fixtureOf.set(String(res.body.eventId), fixture);
    }
    expect(fixtureOf.size, 'every fixture has its own event ID').toBe(MAPPED_FIXTURES.length);
    await ingress.close();

    // The transformer commits its ghl.raw offsets in the transactions that hold the outputs:
    // once the end is committed, every output is there (and committed) for the examples.
    transformer = await startTransformer(topics);
    await waitForCommittedEnd(topics.admin, topics.group, topics.names.raw, 60_000);
    await transformer.close();
    transformer = undefined;

    const expected = fixtureOf.size;
    const exampleEnv = (group: string): Record<string, string> => {
      groups.push(group);
      return {
        ...stack,
        GROUP_ID: group,
        // The idle stop ends a run; the event cap only bounds a runaway one, high enough that a
        // duplicate would still be printed and caught below.
        IDLE_SECONDS: '5',
        MAX_EVENTS: String(expected * 2),
      };
    };
    const runs = await Promise.all([
      runExample(
        'python-consumer',
        python,
        [join(root, 'examples/python-consumer/consumer.py')],
        exampleEnv(`${topics.prefix}example-python`),
        90_000,
      ),
      runExample(
        'node-consumer',
        process.execPath,
        ['--import', 'tsx', join(root, 'examples/node-consumer/consumer.ts')],
        exampleEnv(`${topics.prefix}example-node`),
        90_000,
      ),
    ]);

    for (const run of runs) {
      expect(run.code, `${run.name} exit code; stderr:\n${run.stderr}`).toBe(0);
      const counts = countBy(run.lines, (l) => String(l.ce_id));
      expect(
        {
          missing: [...fixtureOf.keys()].filter((id) => !counts.has(id)),
          duplicated: [...counts].filter(([, n]) => n > 1).map(([id, n]) => `${id} x${n}`),
          unexpected: [...counts.keys()].filter((id) => !fixtureOf.has(id)),
        },
        `${run.name}: every event exactly once (stderr:\n${run.stderr})`,
      ).toEqual({ missing: [], duplicated: [], unexpected: [] });

      for (const line of run.lines) {
        const fixture = fixtureOf.get(String(line.ce_id))!;
        const e = fixture.expected;
        const what = `${run.name}, ${fixture.file}`;
        expect(line.topic, what).toBe(topics.names[e.domain]);
        expect(line.key, what).toBe(e.key);
        expect(line.value, what).toMatchObject({
          eventId: line.ce_id,
          type: e.neuronxType,
          sourceEventType: fixture.name,
          locationId: e.locationId,
          companyId: e.companyId,
          occurredAt: e.occurredAt,
        });
        // Both examples print the payload union wrapped in its record's full name.
        const payload = line.value.payload as Record<string, Record<string, unknown>>;
        expect(Object.keys(payload), what).toEqual([`${EVENTS_NAMESPACE}.${e.record}`]);
        expect(payload[`${EVENTS_NAMESPACE}.${e.record}`], what).toMatchObject(e.fields);
        if (e.attributes) expect(line.value.attributes, what).toMatchObject(e.attributes);
      }
    }
    console.log(
      `[examples] ${expected} events; ` +
        runs.map((r) => `${r.name} ${r.seconds.toFixed(1)} s (5 s of it idle)`).join(', '),
    );
  }, 240_000);
});
