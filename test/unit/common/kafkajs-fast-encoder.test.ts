import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fastEncoderActive, Kafka } from '../../../services/common/src/kafka/kafkajs.js';
import { ENCODER_MODULE } from '../../../services/common/src/kafka/kafkajs-fast-encoder.js';

const require = createRequire(import.meta.url);

interface Encoder {
  buffer: Buffer;
  [method: string]: unknown;
}
type EncoderClass = (new (size?: number) => Encoder) & { fast?: boolean; Original?: EncoderClass };

const Fast = require(ENCODER_MODULE) as EncoderClass;
const Original = Fast.Original!;

/** The same writes on both encoders, returning both results. */
function both(script: (e: Encoder) => void, initialSize?: number): [Buffer, Buffer] {
  const run = (C: EncoderClass) => {
    const e = new C(initialSize);
    script(e);
    return e.buffer;
  };
  return [run(Original), run(Fast)];
}

const call = (e: Encoder, method: string, ...args: unknown[]) =>
  (e[method] as (...a: unknown[]) => unknown).call(e, ...args);

describe("kafkajs' encoder with pooled allocation", () => {
  it('is the class every kafkajs module uses (installed before kafkajs loaded)', () => {
    expect(fastEncoderActive).toBe(true);
    expect(Fast.fast).toBe(true);
    expect(typeof Kafka).toBe('function');
    const Record = require('kafkajs/src/protocol/recordBatch/record/v0/index.js') as (
      m: object,
    ) => Encoder;
    expect(Record({ key: 'k', value: 'v' })).toBeInstanceOf(Fast);
  });

  it.each([
    [
      'small ints and strings',
      (e: Encoder) => {
        call(e, 'writeInt8', -3);
        call(e, 'writeInt16', 512);
        call(e, 'writeInt32', -70000);
        call(e, 'writeUInt32', 4_000_000_000);
        call(e, 'writeInt64', '9007199254740993');
        call(e, 'writeDouble', 3.25);
        call(e, 'writeBoolean', true);
        call(e, 'writeString', 'héllo ✓');
        call(e, 'writeString', null);
      },
    ],
    [
      'varints and nullable bytes',
      (e: Encoder) => {
        for (const n of [0, 1, -1, 63, -64, 300, -70000, 2 ** 30]) call(e, 'writeVarInt', n);
        call(e, 'writeVarLong', '-9007199254740993');
        call(e, 'writeVarIntBytes', Buffer.from([1, 2, 3]));
        call(e, 'writeVarIntBytes', 'text value');
        call(e, 'writeVarIntBytes', null);
        call(e, 'writeVarIntString', 'key');
        call(e, 'writeBytes', Buffer.alloc(10, 7));
        call(e, 'writeBytes', null);
      },
    ],
    [
      'growth past the initial size, several times',
      (e: Encoder) => {
        for (let i = 0; i < 50; i++) call(e, 'writeVarIntBytes', Buffer.alloc(1000 + i, i));
        call(e, 'writeVarIntString', 'x'.repeat(70_000));
      },
    ],
    [
      'nested encoders and arrays',
      (e: Encoder) => {
        const inner = new Fast();
        call(inner, 'writeInt32', 42);
        call(e, 'writeEncoder', inner);
        call(e, 'writeArray', [1, 2, 3]);
        call(e, 'writeArray', ['a', 'bb']);
      },
    ],
  ])('writes exactly what the original writes: %s', (_name, script) => {
    const [original, fast] = both(script);
    expect(fast.equals(original)).toBe(true);
    const [small, smallFast] = both(script, 1);
    expect(smallFast.equals(small)).toBe(true);
  });

  // The pool hands out memory that held other bytes before; none of it may leak into a request.
  it('never exposes bytes it did not write', () => {
    const e = new Fast(4096);
    call(e, 'writeInt8', 1);
    expect(e.buffer).toEqual(Buffer.from([1]));
  });
});
