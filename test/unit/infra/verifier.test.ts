// The exactly-once verifier wrapper's pure parts: the command line it builds, the report it
// parses from the Java side's stdout, and the exactly-once comparison. The Java side itself runs
// in test/integration/verifier.
import { describe, expect, it } from 'vitest';
import {
  exactlyOnce,
  parseReport,
  verifierArgs,
  type VerifyReport,
} from '../../../infra/verifier/verifier.js';

const report = (ids: Record<string, number>): VerifyReport => ({
  records: Object.values(ids).reduce((a, b) => a + b, 0),
  perTopic: {},
  ids,
  idsByTopic: {},
  dlqReasons: {},
  hanging: [],
  locations: {},
  copies: {},
});

describe('verifierArgs', () => {
  it('passes each topic on its own and fills the defaults', () => {
    expect(verifierArgs({ brokers: 'h:1,h:2', topics: ['a.out', 'a.dlq'] })).toEqual([
      '--brokers',
      'h:1,h:2',
      '--topic',
      'a.out',
      '--topic',
      'a.dlq',
      '--id-headers',
      'ce_id,event-id',
      '--timeout-ms',
      '120000',
      '--wait-lso-ms',
      '0',
    ]);
  });

  it('uses the given headers and limits', () => {
    const args = verifierArgs({
      brokers: 'h:1',
      topics: ['t'],
      idHeaders: ['x-id'],
      timeoutMs: 5000,
      waitLsoMs: 250,
    });
    expect(args.slice(4)).toEqual([
      '--id-headers',
      'x-id',
      '--timeout-ms',
      '5000',
      '--wait-lso-ms',
      '250',
    ]);
  });

  it('asks for input locations only when given a topic to locate', () => {
    expect(
      verifierArgs({ brokers: 'h:1', topics: ['t', 'in'], locateTopic: 'in' }).slice(-2),
    ).toEqual(['--locate-topic', 'in']);
    expect(verifierArgs({ brokers: 'h:1', topics: ['t'] })).not.toContain('--locate-topic');
  });

  it('rejects what the command line cannot carry', () => {
    expect(() => verifierArgs({ brokers: 'h:1', topics: [] })).toThrow(/no topics/);
    expect(() => verifierArgs({ brokers: ' ', topics: ['t'] })).toThrow(/brokers/);
    expect(() => verifierArgs({ brokers: 'h:1', topics: ['t'], idHeaders: ['a,b'] })).toThrow(
      /idHeaders/,
    );
    expect(() => verifierArgs({ brokers: 'h:1', topics: ['t'], idHeaders: [] })).toThrow(
      /idHeaders/,
    );
    expect(() => verifierArgs({ brokers: 'h:1', topics: ['t'], timeoutMs: -1 })).toThrow(
      /timeoutMs/,
    );
    expect(() => verifierArgs({ brokers: 'h:1', topics: ['t'], waitLsoMs: 1.5 })).toThrow(
      /waitLsoMs/,
    );
  });
});

describe('parseReport', () => {
  // What Verifier.java prints for IDs with escapes, non-ASCII and prototype-ish names.
  const json =
    '{"records":6,"perTopic":{"p.out":5,"p.dlq":1},' +
    '"ids":{"a\\"b":1,"c\\\\d":1,"e\\nf\\u0001":1,"ünï ✓ 𝄞":1,"__proto__":1,"constructor":1},' +
    '"idsByTopic":{"p.dlq":{"constructor":1},"p.out":{"a\\"b":1,"c\\\\d":1,"e\\nf\\u0001":1,"ünï ✓ 𝄞":1,"__proto__":1}},' +
    '"dlqReasons":{"invalid-json":1},"hanging":["p.out/2"],"locations":{"__proto__":"0:17"},' +
    '"copies":{"__proto__":["p.out/1:4","p.out/2:9"]}}';

  it('reads every field, with escaped and prototype-named IDs as plain keys', () => {
    const r = parseReport(`${json}\n`);
    expect(r.records).toBe(6);
    expect({ ...r.perTopic }).toEqual({ 'p.out': 5, 'p.dlq': 1 });
    expect(Object.keys(r.ids).sort()).toEqual(
      ['a"b', 'c\\d', 'e\nf\u0001', 'ünï ✓ 𝄞', '__proto__', 'constructor'].sort(),
    );
    expect(r.ids['__proto__']).toBe(1);
    expect(r.ids['constructor']).toBe(1);
    expect(r.idsByTopic['p.dlq']?.['constructor']).toBe(1);
    expect({ ...r.dlqReasons }).toEqual({ 'invalid-json': 1 });
    expect(r.hanging).toEqual(['p.out/2']);
    expect(r.locations['__proto__']).toBe('0:17');
    expect(r.copies['__proto__']).toEqual(['p.out/1:4', 'p.out/2:9']);
  });

  it('takes the last JSON line when something else was printed first', () => {
    expect(parseReport(`warning: something\n${json}`).records).toBe(6);
  });

  it('fails on output that is not a report', () => {
    expect(() => parseReport('')).toThrow(/no report/);
    expect(() => parseReport('{"records":')).toThrow(/invalid JSON/);
    expect(() => parseReport('{"records":"1"}')).toThrow(/records/);
    expect(() => parseReport(json.replace('"hanging":["p.out/2"]', '"hanging":[2]'))).toThrow(
      /hanging/,
    );
    expect(() => parseReport(json.replace('"ids":{', '"ids":{"x":"1",'))).toThrow(/ids/);
    expect(() => parseReport(json.replace('"0:17"', '17'))).toThrow(/locations/);
    expect(() => parseReport(json.replace('"p.out/2:9"', '9'))).toThrow(/copies/);
    expect(() => parseReport(json.replace(/,"copies":.*}$/, '}'))).toThrow(/copies/);
  });
});

describe('exactlyOnce', () => {
  it('is all empty when every expected ID appears once and nothing else does', () => {
    expect(exactlyOnce(report({ a: 1, b: 1 }), ['a', 'b', 'a'])).toEqual({
      missing: [],
      duplicated: {},
      unexpected: [],
    });
  });

  it('names missing, duplicated and unexpected IDs', () => {
    expect(exactlyOnce(report({ a: 2, c: 1, d: 3, e: 0 }), new Set(['a', 'b', 'e']))).toEqual({
      missing: ['b', 'e'],
      duplicated: { a: 2, d: 3 },
      unexpected: ['c', 'd'],
    });
  });

  it('does not mistake inherited object members for counted IDs', () => {
    const r = parseReport(
      '{"records":1,"perTopic":{},"ids":{"__proto__":2},"idsByTopic":{},"dlqReasons":{},"hanging":[],"locations":{},"copies":{}}',
    );
    const result = exactlyOnce(r, ['constructor', 'toString', '__proto__']);
    expect(result.missing).toEqual(['constructor', 'toString']);
    expect(Object.keys(result.duplicated)).toEqual(['__proto__']);
    expect(result.duplicated['__proto__']).toBe(2);
    expect(result.unexpected).toEqual([]);
  });
});
