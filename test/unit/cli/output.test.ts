import { describe, expect, it } from 'vitest';
import { progressBar } from '../../../services/common/src/ops/progress.js';
import { table, truncate } from '../../../services/cli/src/table.js';

describe('table', () => {
  it('aligns columns, prints null as -, flattens newlines', () => {
    expect(
      table(
        ['a', 'bb', 'c'],
        [
          ['xxx', null, 'line\nbreak'],
          [1, 22, undefined],
        ],
      ),
    ).toBe(['a    bb  c', 'xxx  -   line break', '1    22  -'].join('\n'));
  });

  it('truncate adds an ellipsis only when needed', () => {
    expect(truncate('abcdef', 4)).toBe('abc…');
    expect(truncate('abc', 4)).toBe('abc');
  });
});

describe('progressBar', () => {
  it('draws nothing when the stream is not a TTY', () => {
    let out = '';
    const bar = progressBar({ write: (s: string) => (out += s) }, 'x', 10);
    bar.tick(10);
    bar.done();
    expect(out).toBe('');
  });

  it('draws on a TTY once the work lasts, then clears its line', async () => {
    let out = '';
    const bar = progressBar({ write: (s: string) => (out += s), isTTY: true }, 'replaying', 4);
    bar.tick();
    expect(out).toBe(''); // not in the first 300 ms
    await new Promise((r) => setTimeout(r, 350));
    bar.tick();
    expect(out).toMatch(/replaying \[#{15}-{15}\] 2\/4 50%/);
    bar.done();
    expect(out.endsWith('\r\x1b[2K')).toBe(true);
  });
});
