// Fault injection on a local-stack Kafka broker, for the fault suite (`npm run test:faults`):
// kill -9, SIGSTOP/SIGCONT and a restart on the same ports and data dir. Every signal goes to the
// pid recorded in the broker's pid file, and only while that process still carries the broker's
// marker (kafkaPid), so a recycled pid or another developer's broker is never touched.
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { kafkaPid, startKafka, stopKafka, type KafkaServerOptions } from './kafka-server.js';
import { isAlive } from './processes.js';

/** The broker's pid, or an error naming the dir: a fault on nothing would make a test vacuous. */
function requirePid(dir: string): number {
  const pid = kafkaPid(dir);
  if (pid === undefined) throw new Error(`no Kafka broker of ours is running from ${dir}`);
  return pid;
}

/**
 * SIGKILL, then waits until the process is gone (its parent reaps it), so a restart right after
 * cannot find the old JVM still holding the ports. Returns the pid that was killed.
 */
export async function killKafka(dir: string, timeoutMs = 10_000): Promise<number> {
  const pid = requirePid(dir);
  process.kill(pid, 'SIGKILL');
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`Kafka pid ${pid} still alive after SIGKILL`);
    await sleep(50);
  }
  return pid;
}

/** SIGSTOP: the broker keeps its sockets open but answers nothing (a frozen VM, a long GC). */
export function pauseKafka(dir: string): number {
  const pid = requirePid(dir);
  process.kill(pid, 'SIGSTOP');
  return pid;
}

/** SIGCONT after pauseKafka. Harmless on a broker that is not stopped. */
export function resumeKafka(dir: string): number {
  const pid = requirePid(dir);
  process.kill(pid, 'SIGCONT');
  return pid;
}

/**
 * Starts the broker again on the ports and data dir it had: startKafka keeps a formatted data dir
 * (no reformat, the topics and offsets survive) and rewrites the same server.properties.
 * `onPortOpen` is called as soon as the listener accepts TCP, before the broker answers metadata,
 * which is the earliest moment clients can notice it is back.
 */
export async function restartKafka(
  options: KafkaServerOptions,
  onPortOpen?: (at: number) => void,
): Promise<number> {
  let starting = true;
  let reported = false;
  const report = (at: number) => {
    if (reported) return;
    reported = true;
    onPortOpen?.(at);
  };
  const watch = (async () => {
    while (starting && !reported) {
      if (await portOpen(options.port)) report(Date.now());
      else await sleep(50);
    }
  })();
  try {
    const { pid } = await startKafka(options);
    // Ready implies listening: if the watcher has not seen it yet, now is the best estimate.
    report(Date.now());
    return pid;
  } finally {
    starting = false;
    await watch;
  }
}

/**
 * Stops the broker whatever state a fault left it in: a SIGSTOPped JVM would hold SIGTERM pending
 * for the whole grace period, so it gets SIGCONT first.
 */
export async function stopKafkaAfterFaults(dir: string): Promise<string> {
  const pid = kafkaPid(dir);
  if (pid !== undefined) process.kill(pid, 'SIGCONT');
  return stopKafka(dir);
}

/** Whether something accepts TCP connections on 127.0.0.1:`port` right now. */
export function portOpen(port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}
