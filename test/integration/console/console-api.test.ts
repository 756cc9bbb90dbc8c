// The console's API against the real stack, below the page: who an audit line names (the operator
// whose token was used, from CONSOLE_TOKENS or CONSOLE_TOKEN, never a name the request sends;
// parsing the settings: test/unit/console/operators.test.ts), the strict checks of a record
// selection (400 and a code for each way it can be wrong, nothing written to ghl.raw), and a
// selection redriven twice: refused the second time, and even when the CLI's redrive is run again
// behind the console's back, one output per event.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_HEADERS } from '../../../services/common/src/record-headers.js';
import { OpsContext } from '../../../services/common/src/ops/context.js';
import { collectDlq } from '../../../services/common/src/ops/dlq-records.js';
import { redriveRecords } from '../../../services/common/src/ops/redrive.js';
import { loadConsoleConfig } from '../../../services/console/src/config.js';
import { tokenFingerprint } from '../../../services/console/src/security.js';
import { cli } from '../../helpers/cli.js';
import { readCommitted, testKafka } from '../../helpers/integration.js';
import {
  countBy,
  readPipelineOutputs,
  waitForCommittedEnd,
} from '../../helpers/transformer-harness.js';
import {
  startConsole,
  startConsoleStack,
  type ConsoleStack,
  type RunningConsole,
} from './console-harness.js';

const LOCATION = 'loc_console_api';

interface Answer {
  status: number;
  body: Record<string, unknown>;
}

describe('console API', () => {
  const kafka = testKafka('console-api-test');
  const run = randomUUID().slice(0, 8);
  const shared = `shared-${randomUUID()}`;
  const alice = `alice-${randomUUID()}`;
  const bob = `bob-${randomUUID()}`;
  let stack: ConsoleStack;
  let con: RunningConsole;
  let eventIds: string[];
  /** The DLQ addresses of the three events, in eventIds' order. */
  let addresses: string[];
  let dlqTopic: string;
  let rawTopic: string;

  const csrfOf = async (token: string) => (await get('/api/session', token)).body.csrf as string;
  async function get(path: string, token: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${con.url}${path}`, {
      headers: { authorization: `Bearer ${token}`, ...headers },
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  async function post(
    path: string,
    token: string,
    body: unknown,
    headers: Record<string, string> = {},
  ): Promise<Answer> {
    const res = await fetch(`${con.url}${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/json',
        'x-csrf-token': await csrfOf(token),
        ...headers,
      },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  }
  async function waitJob(id: string, token: string) {
    for (;;) {
      const job = (await get(`/api/jobs/${id}`, token)).body;
      if (job.state !== 'running') return job;
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  /** The end offset of every ghl.raw partition: what a refused request must leave unchanged. */
  const rawEnds = async () =>
    (await stack.fresh.admin.fetchTopicOffsets(rawTopic))
      .map((p) => `${p.partition}:${p.high}`)
      .sort();

  beforeAll(async () => {
    stack = await startConsoleStack('console-api');
    dlqTopic = stack.fresh.names.dlq;
    rawTopic = stack.fresh.names.raw;
    eventIds = [];
    for (const n of [1, 2, 3])
      eventIds.push(await stack.post('contact.created', LOCATION, `ct-api${n}-${run}`));
    const { dlq } = await readPipelineOutputs(kafka, stack.fresh.names, {
      expected: 3,
      timeoutMs: 60_000,
      settleMs: 0,
    });
    expect(dlq.length).toBe(3);
    const byEvent = new Map(
      dlq.map((r) => [r.key?.toString(), `${r.topic}/${r.partition}/${r.offset}`]),
    );
    addresses = eventIds.map((id) => byEvent.get(id)!);
    expect(addresses.every((a) => a !== undefined)).toBe(true);
    con = await startConsole(stack, {
      CONSOLE_TOKEN: shared,
      CONSOLE_TOKENS: `alice:${alice}, bob:${bob}`,
    });
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

    it('lists a group, previews and redrives exactly the selection once: a second redrive is refused, a forced one yields no second output', async () => {
      const group = await get(
        `/api/failures/records?reason=unknown_tenant&eventType=contact.created&since=1h`,
        alice,
      );
      const listed = group.body.records as { address: string; eventId: string; error: string }[];
      expect(listed.map((r) => r.address).sort()).toEqual([...addresses].sort());
      expect(group.body.total).toBe(3);
      expect(JSON.stringify(group.body)).not.toContain('jane.doe@example.com');

      const selection = [addresses[0]!, addresses[1]!];
      const preview = await post('/api/failures/records/preview', alice, { records: selection });
      expect(preview.status).toBe(200);
      const previewed = preview.body.records as {
        dlq: string;
        eventId: string;
        headers: Record<string, string>;
        body: string;
      }[];
      expect(
        previewed.map((r) => [r.dlq, r.eventId, r.headers[REPLAY_HEADERS.redriveOf]]).sort(),
      ).toEqual(
        [
          [addresses[0], eventIds[0], addresses[0]],
          [addresses[1], eventIds[1], addresses[1]],
        ].sort(),
      );
      for (const r of previewed) {
        expect(Object.keys(r.headers).filter((h) => /^dlq-|signature(?!-scheme)/.test(h))).toEqual(
          [],
        );
        expect(r.body).not.toContain('jane.doe@example.com');
      }
      expect(preview.body.redriven).toEqual([]);

      // The fix, then the redrive of the two; two requests at once: one runs, one is refused.
      expect((await cli(['tenants', 'set', LOCATION, 'tenant-api'], stack.env)).code).toBe(0);
      await expect
        .poll(() => stack.transformer.tenantOf(LOCATION), { timeout: 20_000, interval: 100 })
        .toBe('tenant-api');
      const [a, b] = await Promise.all([
        post('/api/failures/records/redrive', bob, { records: selection }),
        post('/api/failures/records/redrive', bob, { records: [...selection].reverse() }),
      ]);
      const [started, refusedAtOnce] = a.status === 202 ? [a, b] : [b, a];
      expect([started.status, refusedAtOnce.status, refusedAtOnce.body.code]).toEqual([
        202,
        409,
        'CONSOLE_ERR_ALREADY_REDRIVEN',
      ]);
      const job = await waitJob(started.body.id as string, bob);
      expect(job.state).toBe('done');
      expect(job.result).toMatchObject({ selected: 2, redriven: 2 });
      expect([...(job.result as { records: string[] }).records].sort()).toEqual(
        [...selection].sort(),
      );

      // What went to ghl.raw: the original event with redrive-of = its DLQ record's address.
      const raw = await readCommitted(kafka, [rawTopic], {
        expected: 5,
        timeoutMs: 20_000,
        settleMs: 200,
      });
      const redrives = raw.filter((r) => r.headers[REPLAY_HEADERS.redriveOf] !== undefined);
      expect(
        redrives.map((r) => [r.key?.toString(), r.headers[REPLAY_HEADERS.redriveOf]]).sort(),
      ).toEqual(
        [
          [eventIds[0], addresses[0]],
          [eventIds[1], addresses[1]],
        ].sort(),
      );
      expect(redrives.every((r) => !Object.keys(r.headers).some((h) => h.startsWith('dlq-')))).toBe(
        true,
      );

      // Again: refused, naming them; with an open record beside them, refused too, nothing sent.
      const ends = await rawEnds();
      const again = await post('/api/failures/records/redrive', alice, { records: selection });
      expect([again.status, again.body.code, [...(again.body.records as string[])].sort()]).toEqual(
        [409, 'CONSOLE_ERR_ALREADY_REDRIVEN', [...selection].sort()],
      );
      const mixed = await post('/api/failures/records/redrive', alice, {
        records: [addresses[2], addresses[0]],
      });
      expect([mixed.status, mixed.body.records]).toEqual([409, [addresses[0]]]);
      expect(await rawEnds()).toEqual(ends);
      const previewAgain = await post('/api/failures/records/preview', alice, {
        records: selection,
      });
      expect([...(previewAgain.body.redriven as string[])].sort()).toEqual([...selection].sort());

      // The group now holds only the third record.
      const left = await get(
        `/api/failures/records?reason=unknown_tenant&eventType=contact.created&since=1h`,
        alice,
      );
      expect((left.body.records as { address: string }[]).map((r) => r.address)).toEqual([
        addresses[2],
      ]);

      // Behind the console's back, the CLI's redrive of the same two records runs once more: the
      // transformer's dedup by event ID keeps the second output out.
      const ctx = new OpsContext(loadConsoleConfig({ ...stack.env, CONSOLE_TOKEN: shared }), true, {
        stdout: { write: () => undefined },
        stderr: { write: () => undefined },
      });
      try {
        const records = (await collectDlq(ctx, {})).filter((r) =>
          selection.includes(r.entry.address),
        );
        expect(records.length).toBe(2);
        expect((await redriveRecords(ctx, records, { dryRun: false, rate: 1000 })).redriven).toBe(
          2,
        );
      } finally {
        await ctx.close();
      }
      // Once the transformer has committed the end of ghl.raw, it has read every redrive.
      await waitForCommittedEnd(stack.fresh.admin, stack.fresh.group, rawTopic, 30_000);
      const { outputs } = await readPipelineOutputs(kafka, stack.fresh.names, {
        expected: 2 + 3,
        timeoutMs: 30_000,
        settleMs: 500,
      });
      const counts = countBy(outputs, (o) => String(o.decoded.eventId));
      expect(Object.fromEntries(counts)).toEqual({ [eventIds[0]!]: 1, [eventIds[1]!]: 1 });
      // ... and the transformer did read the forced redrives (four redrive records in ghl.raw).
      const rawAfter = await readCommitted(kafka, [rawTopic], {
        expected: 7,
        timeoutMs: 20_000,
        settleMs: 200,
      });
      expect(rawAfter.filter((r) => r.headers[REPLAY_HEADERS.redriveOf] !== undefined).length).toBe(
        4,
      );

      // One redrive audited, by the operator of the token that asked for it.
      const audited = con.audits.filter((e) => e.action === 'redrive');
      expect(
        audited.map((e) => [e.who.operator, [...(e.what.records as string[])].sort()]),
      ).toEqual([['bob', [...selection].sort()]]);
    });
  });
});
