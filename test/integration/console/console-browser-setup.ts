// What the console's browser tests share (console-browser.test.ts, console-browser-access.test.ts):
// the console stack (after checking that Debian's Chromium is there), the events the walk-through
// works on, the console opened in a real Chromium page through playwright-core, and where the
// screenshots go (docs/console/, README shows them).
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { Kafka } from 'kafkajs';
import { chromium, type Browser, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';
import { readPipelineOutputs } from '../../helpers/transformer-harness.js';
import {
  startConsole,
  startConsoleStack,
  type ConsoleStack,
  type RunningConsole,
} from './console-harness.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const NEW_LOCATION = 'loc_console_new';
export const SEL_LOCATION = 'loc_console_sel';
export const shot = (name: string) => join(projectRoot(), 'docs', 'console', `${name}.png`);

/** The console stack, once Chromium is known to be there. */
export async function startBrowserStack(): Promise<ConsoleStack> {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `${CHROMIUM} is missing: apt-get install chromium (.ci/run does), or set CHROMIUM_PATH`,
    );
  return startConsoleStack('console');
}

export interface WalkthroughEvents {
  /** contact.created of loc_123 (tenant-a): an output. */
  goodId: string;
  /** contact.created of NEW_LOCATION (unknown tenant): a DLQ record. */
  tenantlessId: string;
  /** Three contact.updated events of SEL_LOCATION (unknown tenant): two get ticked, one not. */
  selIds: string[];
}

/** Posts the walk-through's five events and waits for their output and four DLQ records. */
export async function postWalkthroughEvents(
  kafka: Kafka,
  stack: ConsoleStack,
): Promise<WalkthroughEvents> {
  const run = randomUUID().slice(0, 8);
  const goodId = await stack.post('contact.created', 'loc_123', `ct-${run}`);
  const tenantlessId = await stack.post('contact.created', NEW_LOCATION, `ct2-${run}`);
  const selIds: string[] = [];
  for (const n of [1, 2, 3])
    selIds.push(await stack.post('contact.updated', SEL_LOCATION, `ct-sel${n}-${run}`));
  const { outputs, dlq } = await readPipelineOutputs(kafka, stack.fresh.names, {
    expected: 5,
    timeoutMs: 60_000,
    settleMs: 0,
  });
  expect([outputs.length, dlq.length]).toEqual([1, 4]);
  return { goodId, tenantlessId, selIds };
}

export interface BrowserConsole {
  running: RunningConsole;
  url: string;
  browser: Browser;
  page: Page;
}

/** A console with alice's `token` (scraping the services' health) and a Chromium page, not yet on it. */
export async function openInChromium(stack: ConsoleStack, token: string): Promise<BrowserConsole> {
  const running = await startConsole(stack, { CONSOLE_TOKENS: `alice:${token}` });
  let browser: Browser | undefined;
  try {
    running.health.start();
    const url = running.url;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    return { running, url, browser, page };
  } catch (err) {
    await browser?.close();
    await running.app.close();
    throw err;
  }
}
