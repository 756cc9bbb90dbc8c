// What the console API tests share (console-api.test.ts, console-api-redrive.test.ts): a console
// stack with three contact.created events of an unknown location in the DLQ, a console that knows a
// shared token (CONSOLE_TOKEN) and two operators' own (CONSOLE_TOKENS: alice, bob), and the HTTP
// calls the tests make with one of those tokens.
import { randomUUID } from 'node:crypto';
import type { Kafka } from 'kafkajs';
import { expect } from 'vitest';
import { readPipelineOutputs } from '../../helpers/transformer-harness.js';
import {
  startConsole,
  startConsoleStack,
  type ConsoleStack,
  type RunningConsole,
} from './console-harness.js';

export const LOCATION = 'loc_console_api';

export interface Answer {
  status: number;
  body: Record<string, unknown>;
}

export interface ConsoleApiTokens {
  shared: string;
  alice: string;
  bob: string;
}

/** A fresh shared token and one for each of the operators alice and bob. */
export function consoleApiTokens(): ConsoleApiTokens {
  return {
    shared: `shared-${randomUUID()}`,
    alice: `alice-${randomUUID()}`,
    bob: `bob-${randomUUID()}`,
  };
}

export interface ConsoleApi {
  stack: ConsoleStack;
  con: RunningConsole;
  eventIds: string[];
  /** The DLQ addresses of the three events, in eventIds' order. */
  addresses: string[];
  dlqTopic: string;
  rawTopic: string;
}

/** The stack, the three dead-lettered events and the console with `tokens`; the suite's beforeAll. */
export async function startConsoleApi(kafka: Kafka, tokens: ConsoleApiTokens): Promise<ConsoleApi> {
  const run = randomUUID().slice(0, 8);
  const stack = await startConsoleStack('console-api');
  try {
    const dlqTopic = stack.fresh.names.dlq;
    const rawTopic = stack.fresh.names.raw;
    const eventIds: string[] = [];
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
    const addresses = eventIds.map((id) => byEvent.get(id)!);
    expect(addresses.every((a) => a !== undefined)).toBe(true);
    const con = await startConsole(stack, {
      CONSOLE_TOKEN: tokens.shared,
      CONSOLE_TOKENS: `alice:${tokens.alice}, bob:${tokens.bob}`,
    });
    return { stack, con, eventIds, addresses, dlqTopic, rawTopic };
  } catch (err) {
    await stack.close();
    throw err;
  }
}

/** GET / POST with a token (and its CSRF token), a job awaited, ghl.raw's end offsets. */
export function consoleApiCalls(api: () => Pick<ConsoleApi, 'stack' | 'con' | 'rawTopic'>) {
  const csrfOf = async (token: string) => (await get('/api/session', token)).body.csrf as string;
  async function get(path: string, token: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${api().con.url}${path}`, {
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
    const res = await fetch(`${api().con.url}${path}`, {
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
    (await api().stack.fresh.admin.fetchTopicOffsets(api().rawTopic))
      .map((p) => `${p.partition}:${p.high}`)
      .sort();
  return { csrfOf, get, post, waitJob, rawEnds };
}
