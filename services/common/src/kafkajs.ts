// kafkajs is CommonJS and builds its exports object with a spread, which Node's ESM loader cannot
// see statically: only a few names work as named imports. Everything else comes through here.
import kafkajs from 'kafkajs';

export const { ConfigResourceTypes, KafkaJSError, KafkaJSProtocolError, KafkaJSNonRetriableError } =
  kafkajs;

/**
 * kafkajs' own isRebalancing (src/errors.js) is not part of its public exports; these are the
 * group errors after which its runner rejoins the group.
 */
export const isRebalancing = (e: { type?: string }): boolean =>
  e.type === 'REBALANCE_IN_PROGRESS' ||
  e.type === 'NOT_COORDINATOR_FOR_GROUP' ||
  e.type === 'ILLEGAL_GENERATION';
