// The console's API against the real stack, below the page: who an audit line names (the operator
// whose token was used, from CONSOLE_TOKENS or CONSOLE_TOKEN, never a name the request sends;
// parsing the settings: test/unit/console/operators.test.ts), and the strict checks of a record
// selection (400 and a code for each way it can be wrong, nothing written to ghl.raw). A selection
// redriven twice: console-api-redrive.test.ts; the shared setup: console-api-setup.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tokenFingerprint } from '../../../services/console/src/security.js';
import { testKafka } from '../../helpers/integration.js';
import { consoleApiCalls, consoleApiTokens, startConsoleApi } from './console-api-setup.js';
import type { ConsoleStack, RunningConsole } from './console-harness.js';

describe('console API', () => {
  const kafka = testKafka('console-api-test');
  const tokens = consoleApiTokens();
  const { shared, alice, bob } = tokens;
  let stack: ConsoleStack;
  let con: RunningConsole;
  let eventIds: string[];
  /** The DLQ addresses of the three events, in eventIds' order. */
  let addresses: string[];
  let dlqTopic: string;
  let rawTopic: string;
  const { csrfOf, get, post, rawEnds } = consoleApiCalls(() => ({ stack, con, rawTopic }));

  beforeAll(async () => {
    ({ stack, con, eventIds, addresses, dlqTopic, rawTopic } = await startConsoleApi(
      kafka,
      tokens,
    ));
  });
  afterAll(async () => {
    await con?.app.close();
    await stack?.close();
  });

  describe('operators', () => {
    it('names the operator of the token in the session, and accepts no token but theirs', async () => {
      expect((await get('/api/session', alice)).body.operator).toBe('alice');
      expect((await get('/api/session', bob)).body.operator).toBe('bob');
      expect((await get('/api/session', shared)).body.operator).toBe('operator');
      expect((await get('/api/session', `${alice}x`)).status).toBe(401);
      // A CSRF token is bound to its console token: alice's does not pass with bob's.
      const res = await fetch(`${con.url}/api/failures/records/preview`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${bob}`,
          'content-type': 'application/json',
          'x-csrf-token': await csrfOf(alice),
        },
        body: JSON.stringify({ records: [addresses[0]] }),
      });
      expect([res.status, ((await res.json()) as { code: string }).code]).toEqual([
        403,
        'CONSOLE_ERR_CROSS_SITE',
      ]);
    });

    it('audits who from the token used (bearer or the login cookie), never from a name the request sends', async () => {
      const before = con.audits.length;
      const typed = { 'x-console-operator': 'mallory' };
      expect(
        (await get(`/api/events/${encodeURIComponent(eventIds[0]!)}?reveal=1`, bob, typed)).status,
      ).toBe(200);
      expect(
        (await get(`/api/events/${encodeURIComponent(eventIds[0]!)}?reveal=1`, shared, typed))
          .status,
      ).toBe(200);
      // The page's way in: /?token= sets the session cookie, later requests carry only it.
      const login = await fetch(`${con.url}/?token=${encodeURIComponent(alice)}`, {
        redirect: 'manual',
      });
      expect(login.status).toBe(303);
      const cookie = login.headers.get('set-cookie')!.split(';')[0]!;
      const viaCookie = await fetch(
        `${con.url}/api/events/${encodeURIComponent(eventIds[0]!)}?reveal=1`,
        { headers: { cookie, ...typed } },
      );
      expect(viaCookie.status).toBe(200);

      const entries = con.audits.slice(before);
      expect(entries.map((e) => [e.action, e.who.operator, e.who.token])).toEqual([
        ['reveal', 'bob', tokenFingerprint(bob)],
        ['reveal', 'operator', tokenFingerprint(shared)],
        ['reveal', 'alice', tokenFingerprint(alice)],
      ]);
      // The audit line on stdout says the same.
      const lines = con.logLines
        .filter((l) => l.msg === 'audit: reveal')
        .map((l) => (l.audit as { who: { operator: string } }).who.operator);
      expect(lines.slice(-3)).toEqual(['bob', 'operator', 'alice']);
      expect(JSON.stringify(con.logLines)).not.toContain('mallory');
      for (const t of [alice, bob, shared]) expect(JSON.stringify(con.logLines)).not.toContain(t);
    });
  });

  describe('record selection', () => {
    const bad: [string, () => unknown, string][] = [
      ['no records field', () => ({}), 'CONSOLE_ERR_BAD_RECORDS'],
      ['records not a list', () => ({ records: addresses[0] }), 'CONSOLE_ERR_BAD_RECORDS'],
      ['an empty list', () => ({ records: [] }), 'CONSOLE_ERR_BAD_RECORDS'],
      ['a number', () => ({ records: [42] }), 'CONSOLE_ERR_BAD_RECORDS'],
      ['not an address', () => ({ records: ['0:1'] }), 'CONSOLE_ERR_BAD_RECORDS'],
      ['a negative offset', () => ({ records: [`${dlqTopic}/0/-1`] }), 'CONSOLE_ERR_BAD_RECORDS'],
      ['leading zeros', () => ({ records: [`${dlqTopic}/0/007`] }), 'CONSOLE_ERR_BAD_RECORDS'],
      ['spaces', () => ({ records: [` ${addresses[0]}`] }), 'CONSOLE_ERR_BAD_RECORDS'],
      ['a ghl.raw record', () => ({ records: [`${rawTopic}/0/0`] }), 'CONSOLE_ERR_BAD_RECORDS'],
      [
        'an address twice',
        () => ({ records: [addresses[0], addresses[1], addresses[0]] }),
        'CONSOLE_ERR_BAD_RECORDS',
      ],
      [
        '501 addresses',
        () => ({ records: Array.from({ length: 501 }, (_, i) => `${dlqTopic}/0/${i}`) }),
        'CONSOLE_ERR_BAD_RECORDS',
      ],
      [
        'a partition the topic lacks',
        () => ({ records: [`${dlqTopic}/7/0`] }),
        'CONSOLE_ERR_UNKNOWN_RECORDS',
      ],
      [
        'an offset past the end',
        () => ({ records: [addresses[0], `${dlqTopic}/0/100000`] }),
        'CONSOLE_ERR_UNKNOWN_RECORDS',
      ],
      [
        'an unknown field',
        () => ({ records: [addresses[0]], reason: 'x' }),
        'CONSOLE_ERR_BAD_REQUEST',
      ],
      ['a JSON list as body', () => [addresses[0]], 'CONSOLE_ERR_BAD_REQUEST'],
    ];

    it.each(bad)('refuses %s with 400 and its code, writing nothing', async (_what, body, code) => {
      const ends = await rawEnds();
      for (const path of ['/api/failures/records/preview', '/api/failures/records/redrive']) {
        const res = await post(path, alice, body());
        expect([res.status, res.body.code]).toEqual([400, code]);
        expect(typeof res.body.error).toBe('string');
      }
      expect(await rawEnds()).toEqual(ends);
    });

    it('refuses a rate out of range, and an address holding a transaction marker', async () => {
      expect(
        (await post('/api/failures/records/redrive', alice, { records: [addresses[0]], rate: 0 }))
          .body.code,
      ).toBe('CONSOLE_ERR_BAD_REQUEST');
      // The transformer writes the DLQ in transactions: the offset after each record is a commit
      // marker, which no reader sees as a record.
      const [, partition, offset] = addresses[0]!.split('/').slice(-3);
      const marker = `${dlqTopic}/${partition}/${BigInt(offset!) + 1n}`;
      const ends = await stack.fresh.admin.fetchTopicOffsets(dlqTopic);
      expect(BigInt(ends.find((p) => p.partition === Number(partition))!.high)).toBeGreaterThan(
        BigInt(offset!) + 1n,
      );
      const res = await post('/api/failures/records/preview', alice, { records: [marker] });
      expect([res.status, res.body.code, res.body.records]).toEqual([
        400,
        'CONSOLE_ERR_UNKNOWN_RECORDS',
        [marker],
      ]);
    });
  });
});
