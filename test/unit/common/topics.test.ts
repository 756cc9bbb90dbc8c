import { describe, expect, it } from 'vitest';
import { TOPIC_KEYS, topicNames, topicSpecs } from '../../../services/common/src/topics.js';

describe('topic definitions (infra/topics.json)', () => {
  it('declare every topic of ARCHITECTURE.md §4 with its settings', () => {
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
});
