// The transformer's tenants follower reads through the shared topic reader: it catches up to the
// end captured at start even when that end is a transaction marker (the follower it replaced
// compared record offsets with the end and waited forever), then keeps following.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../../../services/common/src/logger.js';
import { encodeTenantValue } from '../../../services/common/src/tenants-record.js';
import { TenantStore } from '../../../services/transformer/src/tenant-store.js';
import { freshTopics, sleep, testKafka, type FreshTopics } from '../../helpers/integration.js';

describe('TenantStore.follow on the real broker', () => {
  const kafka = testKafka('tenants-follow-test');
  let fresh: FreshTopics;
  beforeAll(async () => {
    fresh = await freshTopics({ partitions: 1, label: 'tenfollow' });
  });
  afterAll(async () => fresh?.cleanup());

  it('a tenants topic that ends with a transaction marker: catches up, then follows new records', async () => {
    const producer = kafka.producer({
      transactionalId: `${fresh.prefix}tenants-writer-${randomUUID()}`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    const store = new TenantStore(createLogger('test', 'silent'));
    try {
      const txn = await producer.transaction();
      await txn.send({
        topic: fresh.names.tenants,
        messages: [
          { key: 'loc_1', value: encodeTenantValue('tenant_1') },
          { key: 'loc_2', value: '{"tenantId":42}' },
        ],
      });
      await txn.commit();

      const started = Date.now();
      await store.follow(kafka, fresh.names.tenants, `${fresh.prefix}t`, 20_000);
      expect(Date.now() - started).toBeLessThan(15_000);
      expect(store.tenantOf('loc_1')).toBe('tenant_1');
      expect(store.tenantOf('loc_2')).toBeUndefined();

      const later = await producer.transaction();
      await later.send({
        topic: fresh.names.tenants,
        messages: [
          { key: 'loc_2', value: encodeTenantValue('tenant_2') },
          { key: 'loc_1', value: null },
        ],
      });
      await later.commit();
      for (let i = 0; i < 100 && store.tenantOf('loc_2') === undefined; i++) await sleep(100);
      expect(store.tenantOf('loc_2')).toBe('tenant_2');
      expect(store.tenantOf('loc_1')).toBeUndefined();
    } finally {
      await store.stop();
      await producer.disconnect();
    }
  });

  it('an empty tenants topic is caught up at once', async () => {
    const other = await freshTopics({ partitions: 2, label: 'tenempty' });
    const store = new TenantStore(createLogger('test', 'silent'));
    try {
      await store.follow(kafka, other.names.tenants, `${other.prefix}t`, 10_000);
      expect(store.size).toBe(0);
    } finally {
      await store.stop();
      await other.cleanup();
    }
  });
});
