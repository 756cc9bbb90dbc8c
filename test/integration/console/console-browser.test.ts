// The console as a person uses it, in a real Chromium (Debian's, driven by playwright-core) against
// a real ingress, transformer, Kafka and registry: open it with an operator's token, find an event
// by ID and see its raw body and decoded output, find the DLQ group of an event for an unknown
// tenant, fix the tenant, redrive the group, see the output appear and the group empty; then, in a
// group of three, tick two records, preview and redrive only those: their outputs appear, they
// leave the group and the unticked one stays. The audit names the operator the token belongs to.
// The screenshots go to docs/ (README shows them). Requests refused without the token or from
// another site: console-browser-access.test.ts; the shared setup: console-browser-setup.ts.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cli } from '../../helpers/cli.js';
import { testKafka } from '../../helpers/integration.js';
import { readPipelineOutputs } from '../../helpers/transformer-harness.js';
import {
  NEW_LOCATION,
  openInChromium,
  postWalkthroughEvents,
  SEL_LOCATION,
  shot,
  startBrowserStack,
} from './console-browser-setup.js';
import type { ConsoleStack, RunningConsole } from './console-harness.js';

describe('ops console in Chromium', () => {
  const kafka = testKafka('console-test');
  const token = `alice-${randomUUID()}`;
  let stack: ConsoleStack;
  let running: RunningConsole;
  let url: string;
  let browser: Browser;
  let page: Page;
  let env: Record<string, string>;
  let goodId: string;
  let tenantlessId: string;
  /** Three contact.updated events of SEL_LOCATION (unknown tenant): two get ticked, one not. */
  let selIds: string[];

  /** The Failures table's row of a group. */
  const groupRow = (reason: string, eventType: string) =>
    page
      .locator('tbody tr')
      .filter({ has: page.locator('td:nth-child(1)', { hasText: new RegExp(`^${reason}$`) }) })
      .filter({
        has: page.locator('td:nth-child(2)', {
          hasText: new RegExp(`^${eventType.replace('.', '\\.')}$`),
        }),
      });

  beforeAll(async () => {
    stack = await startBrowserStack();
    env = stack.env;
    ({ goodId, tenantlessId, selIds } = await postWalkthroughEvents(kafka, stack));
    ({ running, url, browser, page } = await openInChromium(stack, token));
  });
  afterAll(async () => {
    await browser?.close();
    await running?.app.close();
    await stack?.close();
  });

  it('opens with the token, shows the overview, finds an event by ID with its raw body and decoded output', async () => {
    const opened = await page.goto(`${url}/?token=${token}`);
    expect(opened?.status()).toBe(200);
    expect(page.url()).toBe(`${url}/`); // the token left the address bar
    await page.getByTestId('operator').getByText('signed in as alice').waitFor();
    await page.getByText('ingress: ready').waitFor({ timeout: 15_000 });
    await page.getByText('transformer: ready').waitFor({ timeout: 15_000 });
    await page.getByTestId('dlq-chart').locator('rect').first().waitFor();
    await page.screenshot({ path: shot('overview') });

    await page.getByRole('link', { name: 'Events' }).click();
    await page.locator('input[name=eventId]').fill(goodId);
    await page.getByRole('button', { name: 'Search' }).click();
    const lineage = page.getByTestId('lineage');
    await lineage.waitFor();
    const raw = await page.getByTestId('raw-body').first().textContent();
    expect(raw).toContain('"locationId": "loc_123"');
    expect(raw).toContain('j***@e***.com');
    expect(raw).not.toContain('jane.doe@example.com');
    expect(raw).not.toContain('555 0100');
    const decoded = await page.getByTestId('decoded-output').textContent();
    expect(decoded).toContain('"tenantId": "tenant-a"');
    expect(decoded).toContain(`"eventId": "${goodId}"`);
    expect(decoded).not.toContain('jane.doe@example.com');
    await page.screenshot({ path: shot('event'), fullPage: true });

    await page.getByRole('button', { name: /Reveal emails/ }).click();
    await page.getByText('personal data revealed (logged)').waitFor();
    expect(await page.getByTestId('raw-body').first().textContent()).toContain(
      'jane.doe@example.com',
    );
  });

  it('finds the unknown-tenant DLQ group, redrives it after the fix: the output appears, the group empties', async () => {
    await page.getByRole('link', { name: 'Failures' }).click();
    const row = groupRow('unknown_tenant', 'contact.created');
    await row.waitFor();
    expect(await row.getByTestId('group-count').textContent()).toBe('1');
    expect(
      await groupRow('unknown_tenant', 'contact.updated').getByTestId('group-count').textContent(),
    ).toBe('3');
    await row.getByRole('button', { name: 'Preview' }).click();
    await page.getByText(/What a redrive sends to/).waitFor();
    expect(await page.locator('pre', { hasText: 'redrive-of:' }).count()).toBe(1);
    await page.screenshot({ path: shot('failures'), fullPage: true });

    // The fix: a tenant for the location (what `ghl-pipeline tenants set` does).
    expect((await cli(['tenants', 'set', NEW_LOCATION, 'tenant-b'], env)).code).toBe(0);
    await expect
      .poll(() => stack.transformer.tenantOf(NEW_LOCATION), { timeout: 20_000, interval: 100 })
      .toBe('tenant-b');
    await row.getByRole('button', { name: 'Redrive…' }).click();
    await page.getByTestId('confirm-redrive').click();
    await page.getByTestId('redrive-done').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('redrive-done').textContent()).toContain('redriven 1 of 1');
    await page.screenshot({ path: shot('redrive'), fullPage: true });
    await page.getByRole('button', { name: 'Refresh' }).click();
    // The group is gone; the other one is untouched.
    await expect
      .poll(() => groupRow('unknown_tenant', 'contact.updated').getByTestId('group-count').count())
      .toBe(1);
    expect(await groupRow('unknown_tenant', 'contact.created').count()).toBe(0);

    await expect
      .poll(
        async () => {
          await page.goto(`${url}/#/event/${encodeURIComponent(tenantlessId)}?r=${Date.now()}`);
          await page.getByTestId('lineage').waitFor();
          return page.locator('[data-kind=output]').count();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(1);
    expect(
      await Promise.all(
        (await page.locator('[data-kind]').all()).map((step) => step.getAttribute('data-kind')),
      ),
    ).toEqual(['delivery', 'dlq', 'redrive', 'output']);
    expect(await page.getByTestId('decoded-output').textContent()).toContain(
      '"tenantId": "tenant-b"',
    );
  });

  it('redrives only the ticked records of a group: their outputs appear, they leave the group, the unticked one stays', async () => {
    const [first, second, unticked] = selIds as [string, string, string];
    expect((await cli(['tenants', 'set', SEL_LOCATION, 'tenant-c'], env)).code).toBe(0);
    await expect
      .poll(() => stack.transformer.tenantOf(SEL_LOCATION), { timeout: 20_000, interval: 100 })
      .toBe('tenant-c');

    await page.getByRole('link', { name: 'Failures' }).click();
    const row = groupRow('unknown_tenant', 'contact.updated');
    await row.waitFor();
    expect(await row.getByTestId('group-count').textContent()).toBe('3');
    await row.getByRole('button', { name: 'Records' }).click();
    const records = page.getByTestId('dlq-record');
    await records.first().waitFor();
    expect(
      (await Promise.all((await records.all()).map((r) => r.getAttribute('data-event-id')))).sort(),
    ).toEqual([...selIds].sort());
    const listed = (await page.getByTestId('group-records').textContent()) ?? '';
    for (const id of selIds) expect(listed).toContain(id);
    expect(listed).toContain('unknown_tenant');
    expect(listed).not.toContain('jane.doe@example.com');
    expect(listed).not.toContain('555 0100');

    // Select all ticks the three, and unticks them again.
    const count = page.getByTestId('selection-count');
    await page.getByTestId('select-all').check();
    expect(await count.textContent()).toBe('3 selected');
    await page.getByTestId('select-all').uncheck();
    expect(await count.textContent()).toBe('0 selected');
    expect(await page.getByRole('button', { name: 'Redrive selection…' }).isDisabled()).toBe(true);

    const tick = (eventId: string) =>
      page.locator(`tr[data-event-id="${eventId}"] input[type=checkbox]`);
    const addressOf = (eventId: string) =>
      page.locator(`tr[data-event-id="${eventId}"]`).getAttribute('data-address');
    const ticked = [(await addressOf(first))!, (await addressOf(second))!].sort();
    const left = (await addressOf(unticked))!;
    await tick(first).check();
    await tick(second).check();
    expect(await count.textContent()).toBe('2 selected');

    await page.getByRole('button', { name: 'Preview selection' }).click();
    await page.getByText(/What a redrive sends to .* \(2 record\(s\)\)/).waitFor();
    const previewed = page.getByTestId('preview-record');
    expect(
      (await Promise.all((await previewed.all()).map((r) => r.getAttribute('data-dlq')))).sort(),
    ).toEqual(ticked);
    for (const card of await previewed.all()) {
      const text = (await card.textContent()) ?? '';
      expect(text).toContain(`redrive-of: ${await card.getAttribute('data-dlq')}`);
      expect(text).not.toMatch(/dlq-reason|x-webhook-signature/);
      expect(text).toContain('j***@e***.com');
      expect(text).not.toContain('jane.doe@example.com');
    }
    await page.screenshot({ path: shot('records'), fullPage: true });

    await page.getByRole('button', { name: 'Redrive selection…' }).click();
    await page.getByText('Redrive the 2 selected DLQ record(s) back to ghl.raw?').waitFor();
    await page.getByTestId('confirm-redrive').click();
    await page.getByTestId('redrive-done').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('redrive-done').textContent()).toContain('redriven 2 of 2');
    await page.getByRole('button', { name: 'Refresh' }).click();
    // The two ticked records left the open group; the unticked one is still there.
    await expect
      .poll(async () => {
        const rows = await page.getByTestId('dlq-record').all();
        return Promise.all(rows.map((r) => r.getAttribute('data-address')));
      })
      .toEqual([left]);
    expect(await row.getByTestId('group-count').textContent()).toBe('1');

    // The outputs of the two appear (in the lineage and in the topics), none of the third.
    await expect
      .poll(
        async () => {
          await page.goto(`${url}/#/event/${encodeURIComponent(first)}?r=${Date.now()}`);
          await page.getByTestId('lineage').waitFor();
          return page.locator('[data-kind=output]').count();
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(1);
    expect(await page.getByTestId('decoded-output').textContent()).toContain(
      '"tenantId": "tenant-c"',
    );
    const { outputs } = await readPipelineOutputs(kafka, stack.fresh.names, {
      expected: 4 + 4, // loc_123, the group redrive and the two ticked; four DLQ records
      timeoutMs: 30_000,
      settleMs: 1000,
    });
    const outputIds = outputs.map((o) => (o.decoded as { eventId: string }).eventId).sort();
    expect(outputIds).toEqual([goodId, tenantlessId, first, second].sort());

    // A second redrive of the same records is refused, and names them.
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const { csrf } = (await (await fetch(`${url}/api/session`, { headers: auth })).json()) as {
      csrf: string;
    };
    const again = await fetch(`${url}/api/failures/records/redrive`, {
      method: 'POST',
      headers: { ...auth, 'x-csrf-token': csrf },
      body: JSON.stringify({ records: ticked }),
    });
    expect(again.status).toBe(409);
    const refused = (await again.json()) as { code: string; records: string[] };
    expect([refused.code, [...refused.records].sort()]).toEqual([
      'CONSOLE_ERR_ALREADY_REDRIVEN',
      ticked,
    ]);

    // The audit names the operator the token belongs to.
    const audit = (await (await fetch(`${url}/api/audit`, { headers: auth })).json()) as {
      entries: { action: string; who: { operator: string }; what: { records?: string[] } }[];
    };
    expect(audit.entries.map((e) => [e.action, e.who.operator])).toEqual([
      ['reveal', 'alice'],
      ['redrive', 'alice'],
      ['redrive', 'alice'],
    ]);
    expect([...(audit.entries[2]!.what.records ?? [])].sort()).toEqual(ticked);
  });
});
