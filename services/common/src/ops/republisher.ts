// Writes records back to ghl.raw for replay and redrive: idempotent producer, acks=all, a bounded
// rate, and sends small enough that no partition's record batch nears the broker's 1 MiB
// message.max.bytes (kafkajs puts everything one send() holds for a partition into one batch and
// never splits it).
import type { Kafka, Producer } from '../kafka/kafka-client.js';
import type { OutboundRecord } from '../kafka/records.js';
import { CliError } from '../errors.js';
import type { Progress } from './progress.js';

export interface RepublishOptions {
  /** Records per second at most. */
  rate: number;
  /** Bytes per send() call at most (so per partition batch too). Default 512 KiB. */
  maxSendBytes?: number;
  /** Records per send() call at most. Default 500, fewer at low rates so the pace stays smooth. */
  maxSendRecords?: number;
  signal?: AbortSignal;
}

export class Republisher {
  private readonly producer: Producer;
  private pending: OutboundRecord[] = [];
  private pendingBytes = 0;
  private started = 0;
  private connected = false;
  private readonly maxBytes: number;
  private readonly maxRecords: number;
  /** Records acknowledged by the broker. */
  sent = 0;

  constructor(
    kafka: Kafka,
    private readonly topic: string,
    private readonly opts: RepublishOptions,
  ) {
    this.producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    this.maxBytes = opts.maxSendBytes ?? 512 * 1024;
    this.maxRecords = Math.max(1, Math.min(opts.maxSendRecords ?? 500, Math.ceil(opts.rate / 10)));
  }

  async connect(): Promise<void> {
    await this.producer.connect();
    this.connected = true;
  }

  /** Queues one record; sends (paced) when a send is full. */
  async add(message: OutboundRecord): Promise<void> {
    const size = approximateSize(message);
    if (
      this.pending.length > 0 &&
      (this.pendingBytes + size > this.maxBytes || this.pending.length >= this.maxRecords)
    )
      await this.flush();
    this.pending.push(message);
    this.pendingBytes += size;
  }

  /** Sends what is queued, once the rate allows it. */
  async flush(): Promise<void> {
    if (this.pending.length === 0) return;
    const messages = this.pending;
    this.pending = [];
    this.pendingBytes = 0;
    if (this.started === 0) this.started = Date.now();
    // Record i may leave at start + i/rate: the whole send waits for its last record's slot.
    const due = this.started + ((this.sent + messages.length - 1) / this.opts.rate) * 1000;
    await sleep(due - Date.now(), this.opts.signal);
    if (this.opts.signal?.aborted) throw new Interrupted(this.sent);
    await this.producer.send({ topic: this.topic, acks: -1, messages });
    this.sent += messages.length;
  }

  async close(): Promise<void> {
    if (this.connected) await this.producer.disconnect();
  }
}

/**
 * The work was stopped by SIGINT/SIGTERM after `sent` records were written. The replay and the
 * redrive catch it and return their summary with `interrupted: true`; the CLI prints that summary
 * and exits with CLI_ERR_INTERRUPTED's exit code.
 */
export class Interrupted extends CliError {
  constructor(readonly sent: number) {
    super('CLI_ERR_INTERRUPTED', `interrupted after ${sent} record(s) were written`);
    this.name = 'Interrupted';
  }
}

/**
 * The lifecycle a replay and a redrive share: connects `publisher` (undefined: a dry run), runs
 * `write`, and flushes what the publisher still holds unless `signal` aborted. An Interrupted
 * (the signal arrived during a send) ends it quietly: the caller reports `interrupted` from the
 * signal. Always ends `progress` and closes the publisher; any other error is rethrown.
 */
export async function republishing(
  publisher: Republisher | undefined,
  progress: Progress,
  signal: AbortSignal,
  write: () => Promise<void>,
): Promise<void> {
  try {
    await publisher?.connect();
    await write();
    if (!signal.aborted) await publisher?.flush();
  } catch (err) {
    if (!(err instanceof Interrupted)) throw err;
  } finally {
    progress.done();
    await publisher?.close().catch(() => undefined);
  }
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Record size on the wire, near enough: payload plus per-record and per-header framing. */
function approximateSize(m: OutboundRecord): number {
  let size = 32 + byteLength(m.key) + byteLength(m.value);
  for (const [name, v] of Object.entries(m.headers ?? {})) {
    const values = Array.isArray(v) ? v : [v];
    for (const x of values) size += 8 + Buffer.byteLength(name) + byteLength(x);
  }
  return size;
}

const byteLength = (v: Buffer | string | null | undefined): number =>
  v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length;
