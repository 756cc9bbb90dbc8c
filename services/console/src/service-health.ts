// The Overview's live figures: every CONSOLE_SCRAPE_INTERVAL_MS the console reads the ingress' and
// the transformer's /readyz and /metrics (Prometheus text) and keeps the last hour of rates, as
// differences of counters between two samples.

/** A counter's value per label set, from Prometheus text: `name{a="x"} 12`. */
export function parseMetrics(
  text: string,
): { name: string; labels: Record<string, string>; value: number }[] {
  const out: { name: string; labels: Record<string, string>; value: number }[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels: Record<string, string> = {};
    for (const l of (m[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[l[1]!] = l[2]!;
    out.push({ name: m[1]!, labels, value: Number(m[3]) });
  }
  return out;
}

/** Counter totals the Overview charts, summed over label sets. */
export interface Counters {
  accepted: number;
  throttled: number;
  clientErrors: number;
  processed: number;
  emitted: number;
  dlq: number;
}

/** Per-second rates between two samples; `t` is the later sample's time (epoch millis). */
export interface RateSample extends Counters {
  t: number;
}

export interface Readiness {
  /** `ready`, `not ready` (with reasons) or `unreachable`. */
  status: string;
  reasons: string[];
}

export function countersOf(ingress: string, transformer: string): Counters {
  const sum = (
    text: string,
    name: string,
    keep: (l: Record<string, string>) => boolean = () => true,
  ) =>
    parseMetrics(text)
      .filter((s) => s.name === name && keep(s.labels))
      .reduce((n, s) => n + s.value, 0);
  const status = (l: Record<string, string>) => Number(l.status);
  return {
    accepted: sum(ingress, 'ingress_requests_total', (l) => status(l) === 200),
    throttled: sum(ingress, 'ingress_requests_total', (l) => status(l) === 429),
    clientErrors: sum(
      ingress,
      'ingress_requests_total',
      (l) => status(l) >= 400 && status(l) < 500 && status(l) !== 429,
    ),
    processed: sum(transformer, 'transformer_records_processed_total'),
    emitted: sum(transformer, 'transformer_events_emitted_total'),
    dlq: sum(transformer, 'transformer_dlq_total'),
  };
}

async function get(url: string): Promise<{ status: number; text: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return { status: res.status, text: await res.text() };
  } catch {
    return undefined;
  }
}

async function readiness(base: string): Promise<Readiness> {
  const res = await get(`${base}/readyz`);
  if (!res) return { status: 'unreachable', reasons: [`no answer from ${base}/readyz`] };
  try {
    const body = JSON.parse(res.text) as { status?: string; reasons?: string[] };
    return {
      status: res.status === 200 ? 'ready' : (body.status ?? 'not ready'),
      reasons: body.reasons ?? [],
    };
  } catch {
    return { status: res.status === 200 ? 'ready' : 'not ready', reasons: [] };
  }
}

/** Samples both services on an interval; `snapshot()` is what /api/overview serves. */
export class ServiceHealth {
  private last: { t: number; counters: Counters } | undefined;
  private readonly rates: RateSample[] = [];
  private ready: { ingress: Readiness; transformer: Readiness } = {
    ingress: { status: 'unknown', reasons: [] },
    transformer: { status: 'unknown', reasons: [] },
  };
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly urls: { ingress: string; transformer: string },
    private readonly intervalMs: number,
    /** Samples kept (default: one hour's worth). */
    private readonly keep = Math.ceil(3_600_000 / intervalMs),
  ) {}

  start(): void {
    void this.sample();
    this.timer = setInterval(() => void this.sample(), this.intervalMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** One sample now: readiness of both services and the rates since the previous sample. */
  async sample(): Promise<void> {
    const [ingress, transformer, im, tm] = await Promise.all([
      readiness(this.urls.ingress),
      readiness(this.urls.transformer),
      get(`${this.urls.ingress}/metrics`),
      get(`${this.urls.transformer}/metrics`),
    ]);
    this.ready = { ingress, transformer };
    const t = Date.now();
    const counters = countersOf(im?.text ?? '', tm?.text ?? '');
    if (this.last) {
      const dt = (t - this.last.t) / 1000;
      const rate = (k: keyof Counters) => Math.max(0, (counters[k] - this.last!.counters[k]) / dt);
      this.rates.push({
        t,
        accepted: rate('accepted'),
        throttled: rate('throttled'),
        clientErrors: rate('clientErrors'),
        processed: rate('processed'),
        emitted: rate('emitted'),
        dlq: rate('dlq'),
      });
      if (this.rates.length > this.keep) this.rates.shift();
    }
    this.last = { t, counters };
  }

  snapshot(): { readiness: { ingress: Readiness; transformer: Readiness }; rates: RateSample[] } {
    return { readiness: this.ready, rates: [...this.rates] };
  }
}
