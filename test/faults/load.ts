// Open-loop webhook load for the fault scenarios: signed `contact.created` POSTs to one ingress on
// 127.0.0.1 at a fixed rate, each with its own event ID, bounded in count, in time and in requests
// open at once. It records every status and the event IDs the ingress acknowledged with 200: the
// ones the pipeline has promised to deliver.
import { Agent, request } from 'node:http';
import { signHmac } from '../../services/ingress/src/hmac-signature.js';

export interface LoadOptions {
  /** The ingress webhook URL (must be loopback). */
  url: string;
  secret: string;
  /** Requests per second. */
  rate: number;
  /** Event IDs are `<idPrefix><n>`: unique per scenario, recognisable in every topic. */
  idPrefix: string;
  /** Hard bounds: the generator stops by itself at whichever comes first. */
  maxEvents: number;
  maxSeconds: number;
  /**
   * Requests open at once. During an outage each request may wait PRODUCE_TIMEOUT_MS for its 429;
   * past this many the generator skips a slot instead of piling up sockets (counted, not sent).
   */
  maxInFlight?: number;
}

export interface LoadStats {
  sent: number;
  /** HTTP status -> count; 0 = no HTTP answer (connection refused/reset, client timeout). */
  statuses: Map<number, number>;
  /** Event IDs answered 200, as the ingress named them in its response. */
  accepted: Set<string>;
  /** Slots not sent because maxInFlight requests were still open. */
  skipped: number;
  /** When each 200 was received (ms epoch, in order): when did the ingress accept again. */
  acceptedAt: number[];
}

/** A signed seed-format contact.created body; `extra` is merged into `data` (padding, poison). */
export function contactCreated(eventId: string, n: number, extra: Record<string, unknown> = {}) {
  return Buffer.from(
    JSON.stringify({
      event: 'contact.created',
      eventId,
      locationId: `loc_${n % 20}`,
      companyId: 'comp_456',
      timestamp: new Date().toISOString(),
      data: {
        id: `contact_${n}`,
        email: `lead${n}@example.com`,
        firstName: 'Jo',
        lastName: 'Doe',
        tags: ['lead'],
        ...extra,
      },
    }),
  );
}

export class LoadGenerator {
  readonly stats: LoadStats = {
    sent: 0,
    statuses: new Map(),
    accepted: new Set(),
    skipped: 0,
    acceptedAt: [],
  };
  private readonly agent: Agent;
  private readonly inFlight = new Set<Promise<void>>();
  private stopped = false;
  private running: Promise<void> | undefined;
  private n = 0;

  constructor(private readonly opts: LoadOptions) {
    const host = new URL(opts.url).hostname;
    if (host !== '127.0.0.1' && host !== 'localhost')
      throw new Error(`load targets loopback only, not ${host}`);
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxInFlight ?? 600 });
  }

  /** Starts sending in the background; `stop()` (or the bounds) ends it. */
  start(): void {
    this.running ??= this.loop();
  }

  /** Stops sending, waits for every open request's answer, returns the totals. */
  async stop(): Promise<LoadStats> {
    this.stopped = true;
    await this.running;
    await Promise.all(this.inFlight);
    this.agent.destroy();
    return this.stats;
  }

  /** One extra request outside the schedule (the poison webhook); resolves with its status. */
  async sendOne(body: Buffer): Promise<{ status: number; eventId?: string }> {
    return this.post(body);
  }

  private async loop(): Promise<void> {
    const started = Date.now();
    const maxInFlight = this.opts.maxInFlight ?? 600;
    const until = started + this.opts.maxSeconds * 1000;
    for (let i = 0; i < this.opts.maxEvents && !this.stopped; i++) {
      // Open loop: request i leaves at its scheduled time whatever the earlier ones are doing.
      const due = started + (i * 1000) / this.opts.rate;
      if (due > until) break;
      const wait = due - Date.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      if (this.stopped) break;
      if (this.inFlight.size >= maxInFlight) {
        this.stats.skipped++;
        continue;
      }
      const n = this.n++;
      const body = contactCreated(`${this.opts.idPrefix}${n}`, n);
      const p: Promise<void> = this.post(body).then(() => void this.inFlight.delete(p));
      this.inFlight.add(p);
    }
  }

  private post(body: Buffer): Promise<{ status: number; eventId?: string }> {
    this.stats.sent++;
    return new Promise((resolve) => {
      let settled = false;
      const finish = (status: number, eventId?: string) => {
        // A socket error can follow a complete response; the first outcome is the answer.
        if (settled) return;
        settled = true;
        this.stats.statuses.set(status, (this.stats.statuses.get(status) ?? 0) + 1);
        if (status === 200 && eventId !== undefined) {
          this.stats.accepted.add(eventId);
          this.stats.acceptedAt.push(Date.now());
        }
        resolve({ status, eventId });
      };
      const req = request(
        this.opts.url,
        {
          method: 'POST',
          agent: this.agent,
          headers: {
            'content-type': 'application/json',
            'content-length': body.length,
            'x-webhook-signature': signHmac(body, this.opts.secret),
          },
          // A frozen ingress would otherwise hold a request forever; the ingress itself answers
          // within PRODUCE_TIMEOUT_MS, so 15 s means something else is wrong (counted as 0).
          timeout: 15_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            let eventId: string | undefined;
            if (res.statusCode === 200) {
              try {
                eventId = (JSON.parse(Buffer.concat(chunks).toString()) as { eventId?: string })
                  .eventId;
              } catch {
                eventId = undefined;
              }
            }
            finish(res.statusCode ?? 0, eventId);
          });
          res.on('error', () => finish(0));
        },
      );
      req.on('timeout', () => req.destroy(new Error('client timeout')));
      req.on('error', () => finish(0));
      req.end(body);
    });
  }
}
