// The console as a person uses it, in a real Chromium (Debian's, driven by playwright-core) against
// a real ingress, transformer, Kafka and registry: open it with the token, find an event by ID and
// see its raw body and decoded output, find the DLQ group of an event for an unknown tenant, fix
// the tenant, redrive the group, see the output appear and the group empty. Requests without the
// token, and POSTs from another site, are refused. The screenshots go to docs/ (README shows them).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';
import { buildConsole } from '../../../services/console/src/app.js';
import { loadConsoleConfig } from '../../../services/console/src/config.js';
import { signHmac } from '../../../services/ingress/src/hmac-signature.js';
import type { Transformer } from '../../../services/transformer/src/app.js';
import { cli, cliEnv } from '../../helpers/cli.js';
import { freshTopics, testKafka, type FreshTopics } from '../../helpers/integration.js';
import { readPipelineOutputs, startTransformer } from '../../helpers/transformer-harness.js';
import { postWebhook, startIngress, type RunningIngress } from '../ingress/ingress-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const NEW_LOCATION = 'loc_console_new';
const shot = (name: string) => join(projectRoot(), 'docs', 'console', `${name}.png`);

describe('ops console in Chromium', () => {
  const kafka = testKafka('console-test');
  const run = randomUUID().slice(0, 8);
  const token = randomUUID();
  let fresh: FreshTopics;
  let transformer: Transformer;
  let ingress: RunningIngress;
  let consoleApp: FastifyInstance;
  let url: string;
  let browser: Browser;
  let page: Page;
  let env: Record<string, string>;
  let goodId: string;
  let tenantlessId: string;

  const post = async (locationId: string, contactId: string) => {
    const body = JSON.stringify({
      event: 'contact.created',
      locationId,
      companyId: 'comp_1',
      timestamp: new Date().toISOString(),
      data: {
        id: contactId,
        email: 'jane.doe@example.com',
        phone: '+1 415 555 0100',
        firstName: 'Jane',
      },
    });
    const res = await postWebhook(ingress.url, body, {
      'x-webhook-signature': signHmac(body, 's1'),
    });
    expect(res.status).toBe(200);
    return String(res.body.eventId);
  };

  beforeAll(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(
        `${CHROMIUM} is missing: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`,
      );
    fresh = await freshTopics({ partitions: 3, label: 'console' });
    env = cliEnv(fresh.prefix, { TRANSFORMER_GROUP_ID: fresh.group });
    expect((await cli(['tenants', 'set', 'loc_123', 'tenant-a'], env)).code).toBe(0);
    [transformer, ingress] = await Promise.all([
      startTransformer(fresh, { UNKNOWN_TENANT_POLICY: 'dlq' }),
      startIngress(cliEnv(fresh.prefix)),
    ]);
    goodId = await post('loc_123', `ct-${run}`);
    tenantlessId = await post(NEW_LOCATION, `ct2-${run}`);
    const { outputs, dlq } = await readPipelineOutputs(kafka, fresh.names, {
      expected: 2,
      timeoutMs: 60_000,
      settleMs: 0,
    });
    expect([outputs.length, dlq.length]).toEqual([1, 1]);

    const config = loadConsoleConfig({
      ...env,
      CONSOLE_TOKEN: token,
      CONSOLE_PORT: '0',
      CONSOLE_INGRESS_URL: new URL(ingress.url).origin,
      CONSOLE_TRANSFORMER_URL: `http://127.0.0.1:${transformer.metricsPort}`,
      CONSOLE_SCRAPE_INTERVAL_MS: '1000',
      LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'warn',
    });
    const built = buildConsole(config);
    consoleApp = built.app;
    built.health.start();
    url = await consoleApp.listen({ host: '127.0.0.1', port: 0 });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  });
  afterAll(async () => {
    await browser?.close();
    await consoleApp?.close();
    await ingress?.close();
    await transformer?.close();
    await fresh?.cleanup();
  });

  it('refuses a request without the token, and POSTs from another site or without the CSRF header', async () => {
    const noToken = await page.goto(`${url}/`);
    expect(noToken?.status()).toBe(401);
    expect(JSON.parse(await noToken!.text())).toEqual({
      error: 'missing or invalid console token',
      code: 'CONSOLE_ERR_UNAUTHORIZED',
    });
    expect((await fetch(`${url}/api/failures`)).status).toBe(401);
    expect((await fetch(`${url}/?token=wrong`)).status).toBe(401);
    const auth = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const { csrf } = (await (await fetch(`${url}/api/session`, { headers: auth })).json()) as {
      csrf: string;
    };
    const redrive = (headers: Record<string, string>) =>
      fetch(`${url}/api/failures/redrive`, {
        method: 'POST',
        headers: { ...auth, ...headers },
        body: '{}',
      });
    const noCsrf = await redrive({});
    expect(noCsrf.status).toBe(403);
    expect(((await noCsrf.json()) as { code: string }).code).toBe('CONSOLE_ERR_CROSS_SITE');
    expect((await redrive({ 'x-csrf-token': csrf, origin: 'http://evil.example' })).status).toBe(
      403,
    );
    expect((await redrive({ 'x-csrf-token': csrf, 'sec-fetch-site': 'cross-site' })).status).toBe(
      403,
    );
  });

  it('opens with the token, shows the overview, finds an event by ID with its raw body and decoded output', async () => {
    const opened = await page.goto(`${url}/?token=${token}`);
    expect(opened?.status()).toBe(200);
    expect(page.url()).toBe(`${url}/`); // the token left the address bar
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
    const row = page.locator('tr', { hasText: 'unknown_tenant' });
    await row.waitFor();
    expect(await row.getByTestId('group-count').textContent()).toBe('1');
    await row.getByRole('button', { name: 'Preview' }).click();
    await page.getByText(/What a redrive sends to/).waitFor();
    expect(await page.locator('pre', { hasText: 'redrive-of:' }).count()).toBe(1);
    await page.screenshot({ path: shot('failures'), fullPage: true });

    // The fix: a tenant for the location (what `ghl-pipeline tenants set` does).
    expect((await cli(['tenants', 'set', NEW_LOCATION, 'tenant-b'], env)).code).toBe(0);
    await expect
      .poll(() => transformer.tenantOf(NEW_LOCATION), { timeout: 20_000, interval: 100 })
      .toBe('tenant-b');
    await page.locator('input#operator').fill('e2e-operator');
    await page.locator('input#operator').dispatchEvent('change');
    await row.getByRole('button', { name: 'Redrive…' }).click();
    await page.getByTestId('confirm-redrive').click();
    await page.getByTestId('redrive-done').waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('redrive-done').textContent()).toContain('redriven 1 of 1');
    await page.screenshot({ path: shot('redrive'), fullPage: true });
    await page.getByRole('button', { name: 'Refresh' }).click();
    await page.getByTestId('no-failures').waitFor();

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

    const audit = (await (
      await fetch(`${url}/api/audit`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as { entries: { action: string; who: { operator: string } }[] };
    expect(audit.entries.map((e) => [e.action, e.who.operator])).toEqual([
      ['reveal', 'unnamed'],
      ['redrive', 'e2e-operator'],
    ]);
  });
});
