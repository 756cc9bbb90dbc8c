// A small fake of the Confluent schema registry API for registerSchemas, to inject faults (the
// real registry is exercised by test/integration/transformer/schema-registry.test.ts): each fake
// records the calls it gets; closeFakeRegistries closes them all after each test.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { topicNames } from '../../../services/common/src/topics.js';

export interface FakeCall {
  method: string;
  path: string;
  body: string;
}
export type Handler = (call: FakeCall, res: ServerResponse) => void;

export const servers: Server[] = [];

/** For afterEach: closes every fake started by the test. */
export async function closeFakeRegistries(): Promise<void> {
  await Promise.all(
    servers.splice(0).map((s) => {
      s.closeAllConnections(); // the never-answering fake holds its requests open
      return new Promise((r) => s.close(r));
    }),
  );
}

export async function fakeRegistry(handler: Handler): Promise<{ url: string; calls: FakeCall[] }> {
  const calls: FakeCall[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const call = { method: req.method ?? '', path: decodeURIComponent(req.url ?? ''), body };
      calls.push(call);
      handler(call, res);
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, calls };
}

export const reply = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body));
};

/**
 * A healthy registry: subjects start without config (404) unless `levels` says otherwise, PUT
 * /config sets the level, registration returns ids 1..5.
 */
export const healthy = (levels: Record<string, string> = {}): Handler => {
  let next = 1;
  const config = new Map(Object.entries(levels));
  return (call, res) => {
    const subject = call.path.replace(/^\/(config|subjects)\//, '').replace(/\/versions$/, '');
    if (call.method === 'GET' && call.path.startsWith('/config/')) {
      const level = config.get(subject);
      return level
        ? reply(res, 200, { compatibilityLevel: level })
        : reply(res, 404, { error_code: 40401, message: 'Subject not found.' });
    }
    if (call.method === 'PUT') {
      const body = JSON.parse(call.body) as { compatibility: string };
      config.set(subject, body.compatibility);
      return reply(res, 200, body);
    }
    if (call.method === 'POST') return reply(res, 200, { id: next++ });
    reply(res, 500, {});
  };
};

export const names = topicNames('unit.');
export const fast = { initialBackoffMs: 10, maxBackoffMs: 50, requestTimeoutMs: 500 };
