import { describe, expect, it } from 'vitest';
import {
  DOMAIN_KEY_FIELDS,
  keyOf,
  TOPIC_KEYS,
  topicNames,
  topicSpecs,
} from '../../../services/common/src/topics.js';
import { loadIngressConfig } from '../../../services/ingress/src/config.js';

describe('topic definitions (infra/topics.json)', () => {
  it('declare every topic of docs/architecture.md with its settings', () => {
    const names = topicNames();
    expect(names.raw).toBe('ghl.raw');
    expect(names.dlq).toBe('ghl.dlq');
    expect(names.dedup).toBe('neuronx.transformer.dedup');
    expect(Object.keys(names)).toEqual([...TOPIC_KEYS]);
    const specs = topicSpecs();
    const byKey = new Map(specs.map((s) => [s.key, s]));
    expect(Number(byKey.get('raw')?.configs['retention.ms'])).toBeGreaterThanOrEqual(
      7 * 24 * 3600 * 1000,
    );
    expect(byKey.get('dedup')?.configs['cleanup.policy']).toBe('compact');
    expect(byKey.get('tenants')?.configs['cleanup.policy']).toBe('compact');
  });

  it('key domain topics by the entity id, and workflowId:contactId for workflows', () => {
    expect(DOMAIN_KEY_FIELDS.workflow).toEqual(['workflowId', 'contactId']);
    expect(keyOf('contact', { contactId: 'c1' })).toBe('c1');
    expect(keyOf('appointment', { appointmentId: 'a1' })).toBe('a1');
    expect(keyOf('workflow', { workflowId: 'wf', contactId: 'c1', stepId: 's' })).toBe('wf:c1');
  });

  it('size raw and changelog alike and take production sizing from the caller', () => {
    const specs = topicSpecs('prod-', {
      partitions: 12,
      replicationFactor: 3,
      minInsyncReplicas: 2,
    });
    for (const s of specs) {
      expect(s.name.startsWith('prod-')).toBe(true);
      expect(s.partitions).toBe(12);
      expect(s.replicationFactor).toBe(3);
      expect(s.configs['min.insync.replicas']).toBe('2');
    }
  });

  it('refuses min.insync.replicas above the replication factor', () => {
    expect(() => topicSpecs('', { replicationFactor: 1, minInsyncReplicas: 2 })).toThrow(
      /cannot exceed/,
    );
  });

  it('give every topic the one max.message.bytes, with room for a body at the ingress limit', () => {
    const specs = topicSpecs();
    const sizes = new Set(specs.map((s) => s.configs['max.message.bytes']));
    expect(sizes.size).toBe(1);
    const maxMessageBytes = Number([...sizes][0]);
    // A DLQ record is the body plus its key (<= 256 bytes), the raw headers and the dlq-* headers
    // (dlq-error is capped at 1,000 characters): 64 KiB of headroom is plenty.
    const bodyLimit = loadIngressConfig({ WEBHOOK_HMAC_SECRETS: 's' }).BODY_LIMIT_BYTES;
    expect(maxMessageBytes).toBeGreaterThanOrEqual(bodyLimit + 64 * 1024);
    for (const s of topicSpecs('', { maxMessageBytes: 5_000_000 }))
      expect(s.configs['max.message.bytes']).toBe('5000000');
  });
});
