// The console refuses what does not come from its operator, in a real Chromium (Debian's, driven by
// playwright-core) against a real ingress, transformer, Kafka and registry: a page or API request
// without the token, and POSTs from another site or without the CSRF header. The walk-through with
// the token: console-browser.test.ts; the shared setup: console-browser-setup.ts.
import { randomUUID } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openInChromium, startBrowserStack } from './console-browser-setup.js';
import type { ConsoleStack, RunningConsole } from './console-harness.js';

describe('ops console in Chromium', () => {
  const token = `alice-${randomUUID()}`;
  let stack: ConsoleStack;
  let running: RunningConsole;
  let url: string;
  let browser: Browser;
  let page: Page;

  beforeAll(async () => {
    stack = await startBrowserStack();
    ({ running, url, browser, page } = await openInChromium(stack, token));
  });
  afterAll(async () => {
    await browser?.close();
    await running?.app.close();
    await stack?.close();
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
});
