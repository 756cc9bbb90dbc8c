// Exactly-once counting that shares no code with kafkajs: compiles the Java verifier
// (infra/verifier/*.java, main class Verifier; Apache Kafka's own Java client, read_committed)
// once into the git-ignored stack cache and runs it. Tests and benches count outputs with it
// because the client under test (kafkajs) cannot be trusted to judge its own transactions: its
// read_committed consumer has returned aborted records.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { projectRoot } from '../../services/common/src/project-root.js';
import {
  compileJavaProgram,
  type CompiledJavaProgram,
  type JavaProgram,
} from '../local-stack/java-program.js';
import { parseReport, type VerifyReport } from './report.js';

export { exactlyOnce, parseReport, type VerifyReport } from './report.js';

export interface VerifyOptions {
  brokers: string;
  topics: string[];
  idHeaders?: string[];
  timeoutMs?: number;
  waitLsoMs?: number;
  /** Report where each ID of this topic was first read (`locations`), e.g. the input topic. */
  locateTopic?: string;
}

/** Header names tried in order for a record's ID: the CloudEvents id of outputs, then the raw/DLQ event-id. */
export const DEFAULT_ID_HEADERS = ['ce_id', 'event-id'];
/** How long the Java side may read before it gives up (exit code 3). */
export const DEFAULT_TIMEOUT_MS = 120_000;
/** Exit codes of Verifier.java. */
export const EXIT_USAGE = 2;
export const EXIT_TIMEOUT = 3;

const verifierDir = () => join(projectRoot(), 'infra', 'verifier');
const log4jConfig = () => join(projectRoot(), 'infra', 'verifier', 'log4j2.properties');

/** The verifier as a Java program: every `.java` file in infra/verifier, main class Verifier. */
export const verifierProgram = (): JavaProgram => ({
  name: 'verifier',
  dir: verifierDir(),
  mainClass: 'Verifier',
  javaHomeVar: 'VERIFIER_JAVA_HOME',
});

/**
 * Compiles the verifier once per sources and Kafka classpath into `.stack/cache/verifier/<hash>/`
 * (`compileJavaProgram`; its errors, prefixed "verifier").
 */
export const compileVerifier = (): Promise<CompiledJavaProgram> =>
  compileJavaProgram(verifierProgram());

/**
 * The Verifier.java command-line arguments for `o` (after the class name). Throws on what the
 * command line cannot express: no topics, an empty broker list, an ID header containing a comma.
 */
export function verifierArgs(o: VerifyOptions): string[] {
  if (!o.brokers.trim()) throw new Error('verifyCommitted: brokers is empty');
  if (o.topics.length === 0) throw new Error('verifyCommitted: no topics to read');
  const idHeaders = o.idHeaders ?? DEFAULT_ID_HEADERS;
  if (idHeaders.length === 0 || idHeaders.some((h) => h === '' || h.includes(',')))
    throw new Error(`verifyCommitted: bad idHeaders ${JSON.stringify(idHeaders)}`);
  const ms = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 0)
      throw new Error(`verifyCommitted: ${name} must be a non-negative integer, got ${v}`);
    return String(v);
  };
  return [
    '--brokers',
    o.brokers,
    ...o.topics.flatMap((t) => ['--topic', t]),
    '--id-headers',
    idHeaders.join(','),
    '--timeout-ms',
    ms('timeoutMs', o.timeoutMs ?? DEFAULT_TIMEOUT_MS),
    '--wait-lso-ms',
    ms('waitLsoMs', o.waitLsoMs ?? 0),
    ...(o.locateTopic === undefined ? [] : ['--locate-topic', o.locateTopic]),
  ];
}

/**
 * Reads `topics` read_committed with the Apache Kafka Java client, from the beginning to the end
 * captured at start (the last stable offsets), and counts the records. Each record's ID is its first present header among `idHeaders` (default `ce_id`, `event-id`),
 * else its key, else `(null)`. With `waitLsoMs` it first waits (up to that long) for transactions
 * open at start to finish; partitions whose last stable offset is still behind the high watermark
 * seen at start are listed in `hanging` as `topic/partition` (with 0, the default: any open
 * transaction at start). Reads for at most `timeoutMs` (default 120 s).
 *
 * Throws, with the Java side's stderr, when no JDK is found, javac fails, a topic does not exist,
 * the broker is unreachable, or the read does not reach the captured end in time.
 */
export async function verifyCommitted(o: VerifyOptions): Promise<VerifyReport> {
  const args = verifierArgs(o);
  const { java, classpath } = await compileVerifier();
  const timeoutMs = o.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  // The Java side enforces its own deadline; this one only catches a JVM that is stuck anyway
  // (admin calls, JVM start on a loaded machine), so it is generous.
  const hardLimitMs = timeoutMs + (o.waitLsoMs ?? 0) + 120_000;
  const child = spawn(
    java,
    [
      '-XX:+UseSerialGC',
      '-Xmx1g',
      `-Dlog4j2.configurationFile=${log4jConfig()}`,
      '-cp',
      classpath,
      'Verifier',
      ...args,
    ],
    { cwd: projectRoot(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const out: Buffer[] = [];
  let err = '';
  child.stdout.on('data', (b: Buffer) => out.push(b));
  child.stderr.on('data', (b: Buffer) => {
    // The tail is what explains a failure; a long Kafka warning stream is not worth keeping.
    err = (err + b.toString('utf8')).slice(-16_000);
  });
  const killer = setTimeout(() => {
    if (child.pid !== undefined) child.kill('SIGKILL');
  }, hardLimitMs);
  // A test runner that exits while the JVM reads must not leave it behind.
  const onExit = () => child.kill('SIGKILL');
  process.once('exit', onExit);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>(
    (resolve, reject) => {
      child.once('error', reject);
      child.once('close', (c, s) => resolve([c, s]));
    },
  ).finally(() => {
    clearTimeout(killer);
    process.off('exit', onExit);
  });
  const where = `${o.topics.join(', ')} at ${o.brokers}`;
  if (code === EXIT_TIMEOUT)
    throw new Error(
      `exactly-once verifier timed out after ${timeoutMs} ms reading ${where}:\n${err.trim()}`,
    );
  if (code !== 0)
    throw new Error(
      `exactly-once verifier failed (${signal ? `killed by ${signal}${signal === 'SIGKILL' ? ` after ${hardLimitMs} ms` : ''}` : `exit ${code}`}) reading ${where}:\n${err.trim()}`,
    );
  return parseReport(Buffer.concat(out).toString('utf8'));
}
