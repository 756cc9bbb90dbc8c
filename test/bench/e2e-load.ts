// The load of `npm run bench:e2e` (test/bench/e2e.bench.ts): signed contact.created webhooks,
// each carrying its event ID, posted over one keep-alive agent.
import { createHmac } from 'node:crypto';
import { Agent, request } from 'node:http';

/** One keep-alive agent for every request of the run; the benchmark destroys it at the end. */
export const agent = new Agent({ keepAlive: true, maxSockets: 64 });
/** POSTs one webhook; resolves with the status, 0 when the request fails. */
export function post(url: URL, body: Buffer, signature: string): Promise<number> {
  return new Promise((resolve) => {
    const req = request(
      url,
      {
        method: 'POST',
        agent,
        headers: {
          'content-type': 'application/json',
          'content-length': body.length,
          'x-webhook-signature': signature,
        },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

/** Webhook `i` of a run, with its event ID, timestamped now and signed with `secret`. */
export function signedWebhook(
  i: number,
  eventId: string,
  secret: string,
): { body: Buffer; signature: string } {
  const body = Buffer.from(
    JSON.stringify({
      event: 'contact.created',
      eventId,
      locationId: `loc_${i % 50}`,
      companyId: 'comp_456',
      timestamp: new Date().toISOString(),
      data: {
        id: `contact_${i}`,
        email: `lead${i}@example.com`,
        phone: '+14155550100',
        firstName: 'Jo',
        lastName: 'Doe',
        tags: ['lead'],
      },
    }),
  );
  const signature = `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
  return { body, signature };
}
