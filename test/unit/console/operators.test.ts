// Who may use the console and what a record selection may name: CONSOLE_TOKENS / CONSOLE_TOKEN to
// operators (every problem listed at once), and the strict checks of DLQ record addresses.
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../services/common/src/config.js';
import { consoleOperators, loadConsoleConfig } from '../../../services/console/src/config.js';
import {
  MAX_SELECTION,
  parseSelection,
  SelectionError,
} from '../../../services/console/src/selection.js';

const base = { KAFKA_BROKERS: '127.0.0.1:1', SCHEMA_REGISTRY_URL: 'http://127.0.0.1:1' };
const problems = (env: Record<string, string>): readonly string[] => {
  try {
    loadConsoleConfig({ ...base, ...env });
    return [];
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    return err.problems;
  }
};
const long = 'x'.repeat(20);

describe('console operators', () => {
  it('maps CONSOLE_TOKENS to named operators and CONSOLE_TOKEN to "operator"', () => {
    expect(
      consoleOperators({
        CONSOLE_TOKEN: 'shared',
        CONSOLE_TOKENS: ` alice:${long}a , bob.smith@ops:${long}:b `,
      }),
    ).toEqual([
      { name: 'operator', token: 'shared' },
      { name: 'alice', token: `${long}a` },
      { name: 'bob.smith@ops', token: `${long}:b` },
    ]);
    expect(consoleOperators({ CONSOLE_TOKEN: undefined, CONSOLE_TOKENS: `alice:${long}` })).toEqual(
      [{ name: 'alice', token: long }],
    );
  });

  it('refuses bad entries, every problem at once, and neither setting', () => {
    expect(problems({})).toEqual(['CONSOLE_TOKEN or CONSOLE_TOKENS is required']);
    expect(problems({ CONSOLE_TOKENS: ' , ' })).toEqual([
      'CONSOLE_TOKEN or CONSOLE_TOKENS is required',
    ]);
    expect(problems({ CONSOLE_TOKENS: `alice${long}` })).toEqual([
      'CONSOLE_TOKENS entry 1 must be name:token',
    ]);
    expect(problems({ CONSOLE_TOKENS: `:${long}` })).toEqual([
      'CONSOLE_TOKENS entry 1 must be name:token',
    ]);
    expect(problems({ CONSOLE_TOKENS: 'alice:short' })).toEqual([
      'CONSOLE_TOKENS entry 1 (alice): the token must be at least 16 characters, without spaces',
    ]);
    expect(problems({ CONSOLE_TOKENS: `alice:${long}a,alice:${long}b` })).toEqual([
      'CONSOLE_TOKENS entry 2: the name alice is given twice',
    ]);
    expect(problems({ CONSOLE_TOKENS: `alice:${long},bob:${long}` })).toEqual([
      'CONSOLE_TOKENS entry 2 (bob): the same token is given to another operator',
    ]);
    expect(problems({ CONSOLE_TOKEN: long, CONSOLE_TOKENS: `bob:${long}` })).toEqual([
      'CONSOLE_TOKENS entry 1 (bob): the same token is given to another operator',
    ]);
    expect(problems({ CONSOLE_TOKEN: 'any', CONSOLE_TOKENS: `operator:${long}` })).toEqual([
      'CONSOLE_TOKENS entry 1: "operator" is the name of CONSOLE_TOKEN\'s holder',
    ]);
    expect(problems({ CONSOLE_TOKENS: `al ice:${long}` })).toEqual([
      "CONSOLE_TOKENS entry 1: the name must be 1-64 letters, digits, '.', '_', '@' or '-' (starting with a letter or digit)",
    ]);
    expect(problems({ CONSOLE_TOKENS: `-x:short,ok:${long}` })).toHaveLength(2);
    expect(problems({ CONSOLE_TOKENS: `operator:${long}` })).toEqual([]);
    expect(problems({ CONSOLE_TOKEN: 'any' })).toEqual([]);
  });
});

describe('record selection', () => {
  const topic = 'p.ghl.dlq';
  const refused = (value: unknown) => {
    try {
      parseSelection(value, topic);
    } catch (err) {
      if (!(err instanceof SelectionError)) throw err;
      return { code: err.code, records: err.records };
    }
    return undefined;
  };

  it('takes distinct canonical addresses of the DLQ topic', () => {
    expect(parseSelection([`${topic}/0/0`, `${topic}/2/17`], topic)).toEqual([
      { address: `${topic}/0/0`, partition: 0, offset: 0n },
      { address: `${topic}/2/17`, partition: 2, offset: 17n },
    ]);
    const all = Array.from({ length: MAX_SELECTION }, (_, i) => `${topic}/0/${i}`);
    expect(parseSelection(all, topic)).toHaveLength(MAX_SELECTION);
  });

  it.each([
    ['undefined', undefined, []],
    ['a string', `${topic}/0/1`, []],
    ['an object', { 0: `${topic}/0/1` }, []],
    ['an empty list', [], []],
    ['too many', Array.from({ length: MAX_SELECTION + 1 }, (_, i) => `${topic}/0/${i}`), []],
    ['a number', [`${topic}/0/1`, 7], ['7']],
    ['null', [null], ['null']],
    ['partition:offset', ['0:1'], ['0:1']],
    ['leading zeros', [`${topic}/00/1`], [`${topic}/00/1`]],
    ['a sign', [`${topic}/0/+1`], [`${topic}/0/+1`]],
    ['spaces', [`${topic}/0/1 `], [`${topic}/0/1 `]],
    ['a partition too big', [`${topic}/2147483648/1`], [`${topic}/2147483648/1`]],
    ['another topic', ['p.ghl.raw/0/1', `${topic}/0/1`], ['p.ghl.raw/0/1']],
    ['an address twice', [`${topic}/0/1`, `${topic}/0/2`, `${topic}/0/1`], [`${topic}/0/1`]],
  ])('refuses %s (CONSOLE_ERR_BAD_RECORDS, naming the entries)', (_what, value, records) => {
    expect(refused(value)).toEqual({ code: 'CONSOLE_ERR_BAD_RECORDS', records });
  });
});
