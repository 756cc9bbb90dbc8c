import { describe, expect, it } from 'vitest';
import {
  bool,
  ConfigError,
  int,
  list,
  loadConfig,
  oneOf,
  optionalInt,
  str,
} from '../../../services/common/src/config.js';

const schema = {
  PORT: int({ default: 3000, min: 1, max: 65535, describe: 'port' }),
  NAME: str({ describe: 'required name' }),
  MODE: oneOf(['dlq', 'skip'] as const, { default: 'dlq', describe: 'mode' }),
  FLAG: bool({ default: false, describe: 'flag' }),
  ITEMS: list({ default: ['a'], oneOf: ['a', 'b'], describe: 'items' }),
  MAYBE: optionalInt({ min: 1, describe: 'maybe' }),
};

describe('loadConfig', () => {
  it('applies defaults, parses values and freezes the result', () => {
    const c = loadConfig(schema, { NAME: 'x', FLAG: 'true', ITEMS: 'b, a,' });
    expect(c).toEqual({
      PORT: 3000,
      NAME: 'x',
      MODE: 'dlq',
      FLAG: true,
      ITEMS: ['b', 'a'],
      MAYBE: undefined,
    });
    expect(Object.isFrozen(c)).toBe(true);
  });

  it('reports every problem at once', () => {
    let error: unknown;
    try {
      loadConfig(schema, { PORT: '70000', MODE: 'drop', FLAG: 'maybe', ITEMS: 'c', MAYBE: '0' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toEqual([
      'PORT must be <= 65535, got 70000',
      'NAME is required',
      'MODE must be one of dlq|skip, got "drop"',
      'FLAG must be true or false, got "maybe"',
      'ITEMS has unknown value(s) c; allowed: a,b',
      'MAYBE must be >= 1, got 0',
    ]);
  });

  it('treats an empty list as empty, not as the default', () => {
    expect(loadConfig({ L: list({ default: ['a'], describe: '' }) }, { L: '' }).L).toEqual([]);
  });
});
