// The console's API against the real stack: a selection redriven twice. Two redrives of it at once
// (one runs, one is refused), what went to ghl.raw (the original event with its redrive-of), the
// second redrive refused, and even when the CLI's redrive is run again behind the console's back,
// one output per event; the audit names the operator of the token. Shared setup:
// console-api-setup.ts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPLAY_HEADERS } from '../../../services/common/src/record-headers.js';
import { OpsContext } from '../../../services/common/src/ops/context.js';
import { collectDlq } from '../../../services/common/src/ops/dlq-records.js';
import { redriveRecords } from '../../../services/common/src/ops/redrive.js';
import { loadConsoleConfig } from '../../../services/console/src/config.js';
import { cli } from '../../helpers/cli.js';
import { readCommitted, testKafka } from '../../helpers/integration.js';
import {
  countBy,
  readPipelineOutputs,
  waitForCommittedEnd,
} from '../../helpers/transformer-harness.js';
import {
  consoleApiCalls,
  consoleApiTokens,
  LOCATION,
  startConsoleApi,
} from './console-api-setup.js';
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
  let rawTopic: string;
  const { get, post, waitJob, rawEnds } = consoleApiCalls(() => ({ stack, con, rawTopic }));

  beforeAll(async () => {
    ({ stack, con, eventIds, addresses, rawTopic } = await startConsoleApi(kafka, tokens));
  });
  afterAll(async () => {
    await con?.app.close();
    await stack?.close();
  });

  describe('record selection', () => {
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
