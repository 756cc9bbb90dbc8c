// Installing the replacement producer send (kafkajs-send-messages.ts): loads the kafkajs 2.2.4
// internals it reuses and swaps it into the require cache in place of kafkajs' own module.
import { createSendMessages } from './kafkajs-send-messages.js';
import type { Internals } from './kafkajs-send-messages-types.js';
import type { NodeRequire } from './node-require.js';

/** kafkajs' producer send module, replaced in the require cache by installSendMessages. */
export const SEND_MESSAGES_MODULE = 'kafkajs/src/producer/sendMessages.js';

function loadInternals(require: NodeRequire): Internals {
  const error = require('kafkajs/src/protocol/error.js') as Pick<
    Internals,
    'createErrorFromCode' | 'staleMetadata'
  >;
  const errors = require('kafkajs/src/errors.js') as Pick<Internals, 'KafkaJSMetadataNotLoaded'>;
  return {
    responseSerializer:
      require('kafkajs/src/producer/responseSerializer.js') as Internals['responseSerializer'],
    createErrorFromCode: error.createErrorFromCode,
    staleMetadata: error.staleMetadata,
    KafkaJSMetadataNotLoaded: errors.KafkaJSMetadataNotLoaded,
  };
}

/**
 * Replaces kafkajs' sendMessages module with {@link createSendMessages} in the require cache.
 * Must run before any kafkajs module loads (the producer captures it at load). Returns true when
 * the replacement is active (installed now or before), false if the original was already loaded.
 */
export function installSendMessages(require: NodeRequire): boolean {
  const path = require.resolve(SEND_MESSAGES_MODULE);
  const loaded = require.cache[path];
  if (loaded) return (loaded.exports as { perPartitionSends?: boolean }).perPartitionSends === true;
  const replacement = Object.assign(createSendMessages(loadInternals(require)), {
    perPartitionSends: true as const,
  });
  require(path); // creates the cache entry (with the original); replaced right away
  const entry = require.cache[path];
  if (!entry) return false;
  entry.exports = replacement;
  return true;
}
