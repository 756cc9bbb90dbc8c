import { describe, expect, it } from 'vitest';
import { waitUntil } from '../../../infra/local-stack/wait-until.js';

const timeoutError = (last: string) => new Error(`not ready (${last})`);

describe('waitUntil (the local stack ready loop)', () => {
  it('returns the first value an attempt gives, after the attempts that said not yet', async () => {
    let n = 0;
    const value = await waitUntil(
      async () => {
        n++;
        if (n === 1) throw new Error('connection refused');
        return n === 3 ? `ready after ${n}` : undefined;
      },
      { timeoutMs: 5_000, intervalMs: 1, timeoutError },
    );
    expect(value).toBe('ready after 3');
    expect(n).toBe(3);
  });

  it('keeps falsy values other than undefined as ready (0 ms is an answer)', async () => {
    expect(await waitUntil(async () => 0, { timeoutMs: 1_000, timeoutError })).toBe(0);
  });

  it('times out with the last error an attempt threw', async () => {
    let n = 0;
    await expect(
      waitUntil(
        async () => {
          throw new Error(`HTTP 50${++n}`);
        },
        { timeoutMs: 60, intervalMs: 10, timeoutError },
      ),
    ).rejects.toThrow(/^not ready \(HTTP 50\d+\)$/);
    expect(n).toBeGreaterThan(1);
  });

  it('times out with an empty last error when attempts only said not yet', async () => {
    await expect(
      waitUntil(async () => undefined, { timeoutMs: 30, intervalMs: 5, timeoutError }),
    ).rejects.toThrow('not ready ()');
  });

  it('stops at once when failFast reports an error, before any further attempt', async () => {
    let attempts = 0;
    let alive = true;
    const started = Date.now();
    await expect(
      waitUntil(
        async () => {
          attempts++;
          alive = false; // the process dies during its first attempt
          return undefined;
        },
        {
          timeoutMs: 10_000,
          intervalMs: 5,
          failFast: () => (alive ? undefined : new Error('exited during start-up')),
          timeoutError,
        },
      ),
    ).rejects.toThrow('exited during start-up');
    expect(attempts).toBe(1);
    expect(Date.now() - started).toBeLessThan(5_000);
  });
});
