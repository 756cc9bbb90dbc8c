import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createKafka } from '../../services/common/src/kafka/kafka-client.js';
import { findJava } from './java.js';
import { kafkaClasspath } from './maven.js';
import { kafkaInfraDir } from './paths.js';
import { isAlive, logTail, runningPid, startJava, stopByPidFile } from './processes.js';
import { KAFKA_MIN_JAVA } from './versions.js';
import { waitUntil } from './wait-until.js';

const run = promisify(execFile);

export interface KafkaServerOptions {
  /** Holds server.properties, data/, kafka.log and kafka.pid. */
  dir: string;
  port: number;
  controllerPort: number;
  heapMb?: number;
  /** KRaft node.id (default 1). */
  nodeId?: number;
  /**
   * Every node of a cluster, this one included: the static controller quorum and the size that
   * decides the internal topics' replication. Absent = a single node on `port`/`controllerPort`.
   */
  cluster?: KafkaNodePorts[];
  /** The cluster id to format a new data dir with; every node of a cluster must share it. */
  clusterId?: string;
  /**
   * JVM flags for a broker that must start fast on a busy small machine rather than run fast for
   * long: the C1 compiler only (`-XX:TieredStopAtLevel=1`) and the serial collector. Measured in
   * the cluster fault suite's rolling restarts on two loaded cores: 8-18 s per node start against
   * 21-32 s with the defaults (G1, C2). The fault suites use it; benchmarks and `npm start` do not
   * (steady-state throughput is lower with C1 code).
   */
  fastStartJvm?: boolean;
}

/** One node's listeners: the broker (client) port and its KRaft controller port. */
export interface KafkaNodePorts {
  nodeId: number;
  port: number;
  controllerPort: number;
}

const files = (dir: string) => ({
  properties: join(dir, 'server.properties'),
  data: join(dir, 'data'),
  log: join(dir, 'kafka.log'),
  pid: join(dir, 'kafka.pid'),
});
const markerOf = (dir: string) => `ghl.pipeline.kafka=${dir}`;

/**
 * KRaft with every node combined (broker + controller in one JVM). A single node needs the
 * replication-factor-1 settings, or the group and transaction coordinators never become available
 * (docs/decisions.md). A cluster of three or more gets what production runs: internal topics at
 * RF 3 with min ISR 2, so losing one node loses no committed offset and no transaction state.
 * Combined mode is enough here: with three voters the quorum survives one node down, which is
 * all the failover scenarios need, and separate controllers would cost three more JVMs on a
 * two-core machine. Internal topics get few partitions: it starts faster and nothing here needs
 * 50 coordinator partitions.
 */
function serverProperties(o: KafkaServerOptions): string {
  const nodeId = o.nodeId ?? 1;
  const nodes = o.cluster ?? [{ nodeId, port: o.port, controllerPort: o.controllerPort }];
  const rf = Math.min(3, nodes.length);
  const minIsr = rf >= 3 ? 2 : 1;
  return [
    'process.roles=broker,controller',
    `node.id=${nodeId}`,
    `controller.quorum.voters=${nodes.map((n) => `${n.nodeId}@127.0.0.1:${n.controllerPort}`).join(',')}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
    `log.dirs=${files(o.dir).data}`,
    'num.partitions=1',
    'auto.create.topics.enable=false',
    `default.replication.factor=${rf}`,
    `min.insync.replicas=${minIsr}`,
    `offsets.topic.replication.factor=${rf}`,
    'offsets.topic.num.partitions=6',
    `transaction.state.log.replication.factor=${rf}`,
    `transaction.state.log.min.isr=${minIsr}`,
    'transaction.state.log.num.partitions=6',
    `share.coordinator.state.topic.replication.factor=${rf}`,
    `share.coordinator.state.topic.min.isr=${minIsr}`,
    'group.initial.rebalance.delay.ms=0',
    // A (re)starting broker waits for the controller to acknowledge it caught up and to unfence
    // it, one heartbeat each (default every 2 s): 500 ms saves ~2 s per start, which the cluster
    // fault suite's rolling restarts pay six times. The session timeout (fencing a dead node,
    // 9 s) stays Kafka's default.
    'broker.heartbeat.interval.ms=500',
    // The broker aborts a transaction open past its transaction.timeout.ms at its next scan of
    // the transaction log (every 10 s by default). With per-instance transactions a transformer
    // frozen or killed mid-transaction holds up whoever takes its partitions over until then
    // (their committed offsets are read with require_stable): scanning every second bounds that
    // wait by the timeout plus 1 s.
    'transaction.abort.timed.out.transaction.cleanup.interval.ms=1000',
    '',
  ].join('\n');
}

export interface RunningKafka {
  brokers: string;
  pid: number;
  dir: string;
}

export async function startKafka(o: KafkaServerOptions): Promise<RunningKafka> {
  const f = files(o.dir);
  const marker = markerOf(o.dir);
  const brokers = `127.0.0.1:${o.port}`;
  const existing = runningPid(f.pid, marker);
  if (existing !== undefined) {
    await waitForKafka(brokers, existing, f.log, 60_000);
    return { brokers, pid: existing, dir: o.dir };
  }
  mkdirSync(o.dir, { recursive: true });
  writeFileSync(f.properties, serverProperties(o));
  const java = findJava(KAFKA_MIN_JAVA, 'KAFKA_JAVA_HOME');
  const classpath = await kafkaClasspath();
  const log4j = `-Dlog4j2.configurationFile=${join(kafkaInfraDir(), 'log4j2.properties')}`;
  if (!existsSync(join(f.data, 'meta.properties'))) {
    // Storage is formatted once per data dir; a restart reuses it (and its topics).
    await run(java, [
      '-cp',
      classpath,
      log4j,
      'kafka.tools.StorageTool',
      'format',
      `--cluster-id=${o.clusterId ?? clusterId()}`,
      '-c',
      f.properties,
    ]);
  }
  const heap = o.heapMb ?? 1024;
  const pid = startJava({
    java,
    cwd: o.dir,
    logFile: f.log,
    pidFile: f.pid,
    marker,
    args: [
      `-Xms${Math.min(512, heap)}m`,
      `-Xmx${heap}m`,
      ...(o.fastStartJvm ? ['-XX:TieredStopAtLevel=1', '-XX:+UseSerialGC'] : ['-XX:+UseG1GC']),
      '-XX:+ExitOnOutOfMemoryError',
      '-Djava.awt.headless=true',
      log4j,
      '-cp',
      classpath,
      'kafka.Kafka',
      f.properties,
    ],
  });
  await waitForKafka(brokers, pid, f.log, 90_000);
  return { brokers, pid, dir: o.dir };
}

export const stopKafka = (dir: string) => stopByPidFile(files(dir).pid, markerOf(dir), 30_000);
export const kafkaPid = (dir: string) => runningPid(files(dir).pid, markerOf(dir));

/**
 * A KRaft cluster id: 16 random bytes, base64url without padding (what `random-uuid` prints).
 * Like Kafka's own Uuid.randomUuid, it never starts with "-": the storage tool's argument parser
 * would read such an id as an option (1 start in 64 failed that way before this rule).
 */
export function clusterId(): string {
  for (;;) {
    const id = randomBytes(16).toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

/** Ready means a metadata request succeeds. Fails fast if the JVM dies while we wait. */
export async function waitForKafka(
  brokers: string,
  pid: number,
  logFile: string,
  timeoutMs: number,
): Promise<void> {
  await waitUntil(
    async () => {
      const admin = createKafka({
        brokers: [brokers],
        clientId: 'stack-ready',
        retry: { retries: 0 },
      }).admin();
      try {
        await admin.connect();
        await admin.fetchTopicMetadata();
        return true;
      } finally {
        await admin.disconnect().catch(() => undefined);
      }
    },
    {
      timeoutMs,
      failFast: () =>
        isAlive(pid)
          ? undefined
          : new Error(
              `Kafka (pid ${pid}) exited during start-up; last log lines:\n${logTail(logFile)}`,
            ),
      timeoutError: (last) =>
        new Error(
          `Kafka at ${brokers} not ready after ${timeoutMs} ms (${last}); log:\n${logTail(logFile)}`,
        ),
    },
  );
}
