// The scenario's timing figures from the transformers' sampled `processed` counters and the
// ingress' 200s: the recovery after the fault (first commit anywhere, every ghl.raw partition
// committed again) and the longest pause of commits or of accepted webhooks.

/** When the transformers' total of committed records went up (each one's last value summed). */
export function progressTimes(series: Map<string, { at: number; value: number }[]>): number[] {
  const events = [...series].flatMap(([name, s]) => s.map((p) => ({ name, ...p })));
  events.sort((a, b) => a.at - b.at);
  const last = new Map<string, number>();
  const times: number[] = [];
  let total = 0;
  for (const e of events) {
    last.set(e.name, e.value);
    const now = [...last.values()].reduce((a, b) => a + b, 0);
    if (now > total) times.push(e.at);
    total = now;
  }
  return times;
}

/** The longest gap in seconds between consecutive `times` (and the bounds) within [from, to]. */
export function longestPause(times: number[], from: number, to: number): number {
  let prev = from;
  let longest = 0;
  for (const t of times) {
    if (t <= from) continue;
    if (t > to) break;
    longest = Math.max(longest, t - prev);
    prev = t;
  }
  return Math.max(longest, to - prev) / 1000;
}

/** "1.2s" from `from` to the first timestamp after it, or "never". */
export function secondsAfter(times: number[], from: number): string {
  const t = times.find((at) => at > from);
  return t === undefined ? 'never' : `${((t - from) / 1000).toFixed(1)}s`;
}

/**
 * Seconds from `backAt` to the first sample whose total of committed records (each transformer's
 * last known counter, so a frozen instance does not look like a drop) exceeds the total at
 * `backAt`; null when it never moved again.
 */
export function recoverySeconds(
  series: Map<string, { at: number; value: number }[]>,
  backAt: number,
): number | null {
  const events = [...series].flatMap(([name, s]) => s.map((p) => ({ name, ...p })));
  events.sort((a, b) => a.at - b.at);
  const last = new Map<string, number>();
  const total = () => [...last.values()].reduce((a, b) => a + b, 0);
  let baseline: number | undefined;
  for (const e of events) {
    if (e.at > backAt && baseline === undefined) baseline = total();
    last.set(e.name, e.value);
    if (baseline !== undefined && total() > baseline) return (e.at - backAt) / 1000;
  }
  return null;
}

/**
 * Seconds from `backAt` until every partition committed again: `series` is keyed
 * `<instance>\0<partition>`; per partition, the instances' counts are summed as in
 * recoverySeconds (a partition that moved between instances counts wherever it committed).
 * null when some partition never committed again; `slowest` is the partition that took longest.
 */
export function everyPartitionRecovered(
  series: Map<string, { at: number; value: number }[]>,
  backAt: number,
): { seconds: number | null; slowest?: string } {
  const byPartition = new Map<string, Map<string, { at: number; value: number }[]>>();
  for (const [key, points] of series) {
    const partition = key.slice(key.indexOf('\u0000') + 1);
    const group = byPartition.get(partition) ?? new Map<string, { at: number; value: number }[]>();
    group.set(key, points);
    byPartition.set(partition, group);
  }
  let worst: { seconds: number | null; slowest?: string } = { seconds: null };
  let first = true;
  for (const [partition, group] of byPartition) {
    const s = recoverySeconds(group, backAt);
    if (s === null) return { seconds: null, slowest: partition };
    if (first || s > (worst.seconds ?? 0)) worst = { seconds: s, slowest: partition };
    first = false;
  }
  return worst;
}
