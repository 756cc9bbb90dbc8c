import type { NodeRequire } from './node-require.js';

/**
 * A faster drop-in for kafkajs 2.2.4's protocol Encoder (kafkajs/src/protocol/encoder.js).
 *
 * kafkajs builds every record and every record header with `new Encoder()`, which zero-fills a
 * fresh 512-byte Buffer (`Buffer.alloc`), and grows by allocating zero-filled buffers again. An
 * output record with its 7 CloudEvents headers costs 8 such allocations; profiles of the
 * transformer and the ingress showed this (plus the garbage collection it causes) as their
 * largest single cost. This subclass only swaps the allocation for `Buffer.allocUnsafe` (served
 * from Node's buffer pool): every method of the original writes exactly the bytes it advances
 * over, and `buffer` exposes only `[0, offset)`, so no uninitialised byte is ever sent.
 * test/unit/common/kafkajs-fast-encoder.test.ts checks byte-identical output.
 *
 * kafkajs' modules capture the class when they are first loaded, so this must run before any
 * kafkajs module loads: services/common/src/kafka/kafkajs.ts does it and is the only place that loads
 * kafkajs (ESLint forbids value imports from 'kafkajs' elsewhere). kafkajs is pinned and
 * unmaintained; the path below is part of that pin.
 */
export const ENCODER_MODULE = 'kafkajs/src/protocol/encoder.js';

interface EncoderClass {
  new (initialSize?: number): EncoderInstance;
  nextPowerOfTwo(value: number): number;
}
interface EncoderInstance {
  buf: Buffer;
  offset: number;
}

/** Returns true when the fast encoder is active (installed now or before). */
export function installFastEncoder(require: NodeRequire): boolean {
  const path = require.resolve(ENCODER_MODULE);
  const loaded = require.cache[path];
  if (loaded) return (loaded.exports as { fast?: boolean }).fast === true;
  const Original = require(path) as EncoderClass;

  class FastEncoder extends Original {
    static readonly fast = true;
    static readonly Original = Original;

    constructor(initialSize = 511) {
      super(0); // the original allocates Buffer.alloc(1) for 0; replaced right away
      this.buf = Buffer.allocUnsafe(Original.nextPowerOfTwo(initialSize));
    }

    ensureAvailable(length: number): void {
      if (this.offset + length > this.buf.length) {
        const grown = Buffer.allocUnsafe(Original.nextPowerOfTwo(this.offset + length));
        this.buf.copy(grown, 0, 0, this.offset);
        this.buf = grown;
      }
    }
  }

  const entry = require.cache[path];
  if (!entry) return false;
  entry.exports = FastEncoder;
  return true;
}
