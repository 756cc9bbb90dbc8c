import { createRequire } from 'node:module';
import { randomBytes } from 'node:crypto';
import type { PartitionMetadata } from 'kafkajs';
import { Partitioners } from '../../../services/common/src/kafka/kafkajs.js';
import { describe, expect, it } from 'vitest';
import { murmur2, Murmur2Partitioner } from '../../../services/common/src/kafka/partitioner.js';

// kafkajs' own murmur2 (CommonJS, not exported by name): the reference this one must equal.
const kafkajsMurmur2 = createRequire(import.meta.url)(
  'kafkajs/src/producer/partitioners/default/murmur2.js',
) as (key: Buffer | string) => number;

const metadata = (n: number): PartitionMetadata[] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: 1,
    replicas: [1],
    isr: [1],
    offlineReplicas: [],
    partitionErrorCode: 0,
  }));

const keys = [
  '',
  'a',
  'ab',
  'abc',
  'abcd',
  'abcde',
  'wh_42',
  'sha256:be2488f86cf898211581c6ab13b0f7e1607244f172e8f851a5d61af3c6cc7603',
  'ümlaut-ключ-键-🎉',
  ...Array.from({ length: 2000 }, (_, i) => randomBytes(1 + (i % 97)).toString('base64')),
];

describe('murmur2', () => {
  it('equals kafkajs (and so Kafka Java) murmur2 for every key', () => {
    for (const key of keys) expect(murmur2(Buffer.from(key)), key).toBe(kafkajsMurmur2(key));
  });

  it('matches known Java client values', () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    expect(murmur2(Buffer.from('21'))).toBe(-973932308);
    expect(murmur2(Buffer.from('foobar'))).toBe(-790332482);
    expect(murmur2(Buffer.from('a-little-bit-long-string'))).toBe(-985981536);
    expect(murmur2(Buffer.from('a-little-bit-longer-string'))).toBe(-1486304829);
    expect(murmur2(Buffer.from('lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8'))).toBe(
      -58897971,
    );
    expect(murmur2(Buffer.from([0x61, 0x62, 0x63]))).toBe(479470107);
  });
});

describe('Murmur2Partitioner', () => {
  it("puts every keyed message on the partition kafkajs' DefaultPartitioner picks", () => {
    for (const n of [1, 3, 6, 7, 64]) {
      const ours = Murmur2Partitioner();
      const theirs = Partitioners.DefaultPartitioner();
      const partitionMetadata = metadata(n);
      for (const key of keys) {
        const message = { key, value: 'v' };
        expect(ours({ topic: 't', partitionMetadata, message }), `${n}:${key}`).toBe(
          theirs({ topic: 't', partitionMetadata, message }),
        );
      }
    }
  });

  it('honours an explicit partition and spreads key-less messages', () => {
    const partition = Murmur2Partitioner();
    const partitionMetadata = metadata(4);
    expect(
      partition({ topic: 't', partitionMetadata, message: { key: 'k', value: 'v', partition: 2 } }),
    ).toBe(2);
    const seen = new Set(
      Array.from({ length: 8 }, () =>
        partition({ topic: 't', partitionMetadata, message: { value: 'v' } }),
      ),
    );
    expect(seen.size).toBe(4);
  });
});
