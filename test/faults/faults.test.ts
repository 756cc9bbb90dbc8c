// `npm run test:faults`: real broker and process faults under ingress + transformer load, counted
// by the independent Java verifier. The promise under test: every ingress 200 is in ghl.raw; every
// ghl.raw record yields exactly one output or one DLQ record visible to read_committed consumers;
// the pipeline keeps flowing and recovers by itself. One table row per scenario (report.ts).
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import {
  killKafka,
  pauseKafka,
  restartKafka,
  resumeKafka,
} from '../../infra/local-stack/broker-faults.js';
import { kafkaPid, stopKafka } from '../../infra/local-stack/kafka-server.js';
import { faultConfig, FAULTS_HEAP_MB, reportDir, type FaultStack } from './fault-env.js';
import { contactCreated } from './load.js';
import { evidence, expectExactlyOnce, record } from './expectations.js';
import { readTable } from './report.js';
import { runScenario, type FaultWindow } from './scenario-runner.js';
import { assignedPartitions, stopAllServices } from './services.js';
import { cliSeesExactlyOnce, expectRecovered } from './single-broker-checks.js';

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const LIMIT_S = faultConfig.FAULTS_RECOVERY_LIMIT_S;
const LONG_S = faultConfig.FAULTS_LONG_OUTAGE_S;

describe('pipeline under real broker and process faults', () => {
  const stack: FaultStack = inject('faultStack');
  const kafkaOptions = {
    dir: stack.kafkaDir,
    port: stack.kafkaPort,
    controllerPort: stack.controllerPort,
    heapMb: FAULTS_HEAP_MB,
  };

  /** Restarts the broker after a kill/stop on the same ports and data dir; reports the port-open time. */
  const restart = async (): Promise<number> => {
    let backAt = 0;
    await restartKafka(kafkaOptions, (at) => (backAt = at));
    return backAt;
  };

  beforeAll(() => {
    console.log(
      `[faults] rate ${faultConfig.FAULTS_RATE}/s, long outage ${LONG_S}s, recovery limit ${LIMIT_S}s; logs in ${reportDir()}`,
    );
  });

  // Whatever a failed scenario left behind, the next one gets a running, unfrozen broker.
  afterEach(async () => {
    await stopAllServices();
    if (kafkaPid(stack.kafkaDir) === undefined) await restart();
    else resumeKafka(stack.kafkaDir);
  });

  afterAll(async () => {
    await stopAllServices();
    console.log(`\n[faults] results:\n${readTable()}`);
  });

  const expectCliSeesExactlyOnce = cliSeesExactlyOnce(stack);

  it('broker-kill9: kill -9 the broker mid-load, restart it 5 s later on the same ports and data', async () => {
    const o = await runScenario(stack, {
      name: 'broker-kill9',
      keepTopics: true, // the CLI reads them below
      beforeS: 5,
      afterS: 8,
      async fault({ log }): Promise<FaultWindow> {
        const downAt = Date.now();
        log(`kill -9 broker pid ${await killKafka(stack.kafkaDir)}`);
        await sleep(5000);
        const restarting = Date.now();
        const backAt = await restart();
        log(
          `broker restarted (pid ${kafkaPid(stack.kafkaDir)}): port open ${((backAt - restarting) / 1000).toFixed(1)}s after the restart began, ${((backAt - downAt) / 1000).toFixed(1)}s after the kill`,
        );
        return { downAt, backAt };
      },
    });
    record(o);
    expectExactlyOnce(o);
    expectRecovered(o, { readiness: true });
    await expectCliSeesExactlyOnce(o);
  }, 240_000);

  it('broker-sigstop: SIGSTOP the broker for 10 s, then SIGCONT', async () => {
    const o = await runScenario(stack, {
      name: 'broker-sigstop',
      beforeS: 5,
      afterS: 8,
      async fault({ log }): Promise<FaultWindow> {
        const downAt = Date.now();
        log(`SIGSTOP broker pid ${pauseKafka(stack.kafkaDir)}`);
        try {
          await sleep(10_000);
        } finally {
          resumeKafka(stack.kafkaDir);
        }
        const backAt = Date.now();
        log('SIGCONT broker');
        return { downAt, backAt };
      },
    });
    record(o);
    expectExactlyOnce(o);
    expectRecovered(o, { readiness: true });
  }, 240_000);

  it(
    `broker-long-outage: broker stopped ${LONG_S} s (past the consumer's retry budget), then restarted`,
    async () => {
      const o = await runScenario(stack, {
        name: 'broker-long-outage',
        beforeS: 5,
        afterS: 10,
        async fault({ log }): Promise<FaultWindow> {
          const downAt = Date.now();
          log(`broker stopped (${await stopKafka(stack.kafkaDir)}) for ${LONG_S}s`);
          await sleep(LONG_S * 1000);
          const restarting = Date.now();
          const backAt = await restart();
          log(
            `broker restarted (pid ${kafkaPid(stack.kafkaDir)}): port open ${((backAt - restarting) / 1000).toFixed(1)}s after the restart began`,
          );
          return { downAt, backAt };
        },
      });
      record(o);
      expectExactlyOnce(o);
      expect
        .soft(o.transformersAlive, `the transformer did not survive the outage${evidence(o)}`)
        .toEqual([true]);
      expectRecovered(o, { readiness: true });
    },
    (LONG_S + 240) * 1000,
  );

  it('transformer-sigstop: one of two transformers frozen past its session timeout, then resumed as a zombie', async () => {
    let takeoverS: number | undefined;
    let frozenOwned: number | undefined;
    const o = await runScenario(stack, {
      name: 'transformer-sigstop',
      transformers: 2,
      beforeS: 6,
      afterS: 10,
      async fault({ log, admin, group, names, transformers }): Promise<FaultWindow> {
        // Freeze the instance that owns the most partitions, so there is something to take over.
        const owned = await Promise.all(transformers.map((t) => assignedPartitions(t)));
        const index = Math.max(0, owned.indexOf(Math.max(...owned.map((n) => n ?? 0))));
        const frozen = transformers[index]!;
        frozenOwned = owned[index];
        const committed = async () => {
          const [t] = await admin.fetchOffsets({ groupId: group, topics: [names.raw] });
          return new Map(t?.partitions.map((p) => [p.partition, BigInt(p.offset)]) ?? []);
        };
        const downAt = Date.now();
        frozen.child.kill('SIGSTOP');
        log(
          `SIGSTOP ${frozen.name} (pid ${frozen.pid}); partitions owned per instance ${owned.join('/')}; session timeout 6 s`,
        );
        try {
          // A transaction the frozen instance had already sent may still commit at the broker:
          // the baseline is taken a second later, once its partitions have stopped moving.
          await sleep(1000);
          const baseline = await committed();
          // Takeover: every partition's committed offset moves past the baseline, i.e. the
          // frozen instance's partitions are committed by the other one.
          const until = downAt + 14_000;
          while (Date.now() < until) {
            const now = await committed().catch(() => undefined);
            if (
              takeoverS === undefined &&
              now &&
              [...baseline].every(([p, off]) => (now.get(p) ?? -1n) > off)
            )
              takeoverS = (Date.now() - downAt) / 1000;
            await sleep(250);
          }
        } finally {
          frozen.child.kill('SIGCONT');
        }
        const backAt = Date.now();
        log(
          `SIGCONT ${frozen.name}; takeover by the other instance ${takeoverS === undefined ? 'NOT seen' : `after ${takeoverS.toFixed(1)}s`}`,
        );
        return {
          backAt,
          notes: [
            `${frozen.name} frozen 14 s owning ${owned[index] ?? '?'} of 3 partitions; every partition committed again ${takeoverS === undefined ? 'never' : `${takeoverS.toFixed(1)}s`} after SIGSTOP; recovery_s counts from SIGCONT`,
          ],
        };
      },
    });
    record(o);
    expectExactlyOnce(o);
    expect.soft(frozenOwned, 'the frozen transformer owned no partition').toBeGreaterThan(0);
    expect
      .soft(takeoverS, `the survivor never took the frozen partitions over${evidence(o)}`)
      .toBeDefined();
    expectRecovered(o, { readiness: false });
  }, 240_000);

  it('poison-output: a webhook just under 1 MiB whose Avro output exceeds the output topic limit goes to the DLQ; the partition keeps flowing', async () => {
    let poisonId = '';
    let poisonStatus = 0;
    const o = await runScenario(stack, {
      name: 'poison-output',
      // Every topic accepts 1.25 MiB by default (what ghl.raw accepts), so the Avro output of a
      // body at the ingress limit (data.notes lands in `attributes`, about the body's size) would
      // fit. 1,000,000 on neuronx.contact makes it a record the broker rejects for good, while a
      // batch of normal contacts (under 1 KB each) stays far below it.
      topics: (specs) =>
        specs.map((s) =>
          s.key === 'contact'
            ? { ...s, configs: { ...s.configs, 'max.message.bytes': '1000000' } }
            : s,
        ),
      beforeS: 3,
      afterS: 8,
      async fault({ log, load, prefix }): Promise<FaultWindow> {
        poisonId = `${prefix}poison`;
        const base = contactCreated(poisonId, 999_999, { notes: '' });
        const body = contactCreated(poisonId, 999_999, {
          notes: 'x'.repeat(1_048_576 - 300 - base.length),
        });
        const res = await load.sendOne(body);
        poisonStatus = res.status;
        log(`poison ${poisonId}: ${body.length} bytes -> HTTP ${res.status}`);
        return { notes: [`poison ${body.length} bytes, HTTP ${res.status}`] };
      },
    });
    record(o);
    expectExactlyOnce(o);
    expect.soft(poisonStatus, 'the ingress did not accept the poison body').toBe(200);
    const row = o.row;
    if (row) {
      expect
        .soft(
          row.dlq,
          `the poison is not alone in ghl.dlq (${JSON.stringify(row.dlqReasons)})${evidence(o)}`,
        )
        .toBe(1);
      expect.soft(Object.keys(row.dlqReasons), 'a DLQ record without dlq-reason').not.toEqual([]);
      expect.soft(row.dlqIds, `the poison is not in ghl.dlq${evidence(o)}`).toContain(poisonId);
    }
  }, 240_000);
});
