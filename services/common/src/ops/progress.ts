// A progress bar on stderr for long work, drawn only when stderr is a terminal (never in pipes,
// CI logs or tests), redrawn at most 10 times a second and only once the work has lasted 300 ms.
import type { OpsStream } from './io.js';

export interface Progress {
  /** Adds `n` done units (default 1). */
  tick(n?: number): void;
  /** Sets the done count. */
  set(done: number): void;
  /** Clears the bar. */
  done(): void;
}

const WIDTH = 30;
const noop: Progress = { tick: () => undefined, set: () => undefined, done: () => undefined };

export function progressBar(stream: OpsStream, label: string, total: number): Progress {
  if (!stream.isTTY || total <= 0) return noop;
  const started = Date.now();
  let count = 0;
  let lastDraw = 0;
  let drawn = false;
  const draw = (force = false) => {
    const now = Date.now();
    if (!force && (now - started < 300 || now - lastDraw < 100)) return;
    lastDraw = now;
    drawn = true;
    const ratio = Math.min(1, count / total);
    const filled = Math.round(ratio * WIDTH);
    const secs = (now - started) / 1000;
    const rate = secs > 0 ? Math.round(count / secs) : 0;
    stream.write(
      `\r\x1b[2K${label} [${'#'.repeat(filled)}${'-'.repeat(WIDTH - filled)}] ${count}/${total} ${Math.round(ratio * 100)}% ${rate}/s`,
    );
  };
  return {
    tick(n = 1) {
      count += n;
      draw();
    },
    set(done) {
      count = done;
      draw();
    },
    done() {
      if (drawn) stream.write('\r\x1b[2K');
    },
  };
}
