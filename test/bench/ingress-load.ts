// The load of `npm run bench:ingress` (test/bench/ingress.bench.ts): ~1 KB seed contact.created
// bodies, each distinct, HMAC-signed before the run, sent by autocannon from a pool.
import { createHmac, randomUUID } from 'node:crypto';
import autocannon, { type AutocannonResult } from 'autocannon';

interface Signed {
  body: Buffer;
  signature: string;
}
export interface Pool {
  items: Signed[];
  next: number;
}

function seedContactCreated(n: number, runId: string): Buffer {
  const at = new Date(Date.UTC(2026, 0, 3, 10, 30, 0) + n).toISOString();
  return Buffer.from(
    JSON.stringify({
      event: 'contact.created',
      locationId: `loc_${(n % 50).toString().padStart(4, '0')}`,
      companyId: 'comp_456',
      timestamp: at,
      data: {
        id: `contact_${runId}_${n}`,
        email: `lead.${n}@example.com`,
        phone: `+1415555${(n % 10000).toString().padStart(4, '0')}`,
        firstName: 'Jordan',
        lastName: 'Rivera',
        companyName: 'Rivera Landscaping LLC',
        address1: '1200 Market Street, Suite 400',
        city: 'San Francisco',
        state: 'CA',
        postalCode: '94102',
        country: 'US',
        timezone: 'America/Los_Angeles',
        website: 'https://rivera-landscaping.example.com',
        source: 'website',
        tags: ['lead', 'website', 'spring-campaign'],
        dnd: false,
        assignedTo: 'user_8f3k2j',
        dateAdded: at,
        customFields: {
          source: 'website',
          company_size: '50-100',
          budget: '10000-25000',
          interest: 'weekly lawn care and seasonal planting',
          utm_campaign: 'spring_2026_search',
          utm_medium: 'cpc',
        },
        attributionSource: {
          url: 'https://rivera-landscaping.example.com/contact?ref=search',
          campaign: 'spring_2026',
          medium: 'cpc',
          sessionSource: 'Paid Search',
        },
      },
      metadata: { webhookId: 'web_123', attempt: 1, deliveredAt: at },
    }),
    'utf8',
  );
}

export function buildPool(size: number, secret: string): Pool {
  const runId = randomUUID().slice(0, 8);
  const items: Signed[] = new Array<Signed>(size);
  for (let n = 0; n < size; n++) {
    const body = seedContactCreated(n, runId);
    items[n] = {
      body,
      signature: `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`,
    };
  }
  return { items, next: 0 };
}

/** `seconds` of load at `url` over `connections` connections, each request the pool's next body. */
export function load(
  url: string,
  pool: Pool,
  seconds: number,
  connections: number,
): Promise<AutocannonResult> {
  return autocannon({
    url,
    connections,
    duration: seconds,
    timeout: 30,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    requests: [
      {
        method: 'POST',
        // Picks the next pre-signed body; nothing is signed inside the load loop.
        setupRequest: (request) => {
          const item = pool.items[pool.next++ % pool.items.length]!;
          request.body = item.body;
          request.headers = { ...request.headers, 'x-webhook-signature': item.signature };
          return request;
        },
      },
    ],
  });
}
