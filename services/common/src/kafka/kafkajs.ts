// The one place that loads kafkajs. Two reasons:
//  1. kafkajs is CommonJS and builds its exports with a spread, which Node's ESM loader cannot
//     see statically: most names do not work as named ESM imports.
//  2. Four kafkajs internals are replaced, and must be in place before any kafkajs module loads
//     because kafkajs' modules capture them at load time: the faster protocol encoder
//     (kafkajs-fast-encoder.ts), the read_committed filter of aborted transactions, which
//     kafkajs gets wrong when aborted transactions interleave (kafkajs-aborted-filter.ts), and
//     the consumer group that keeps its member id across a consumer's crash-restart, so a broker
//     outage does not cost a session timeout of rejoin wait (kafkajs-member-reuse.ts), and the
//     producer's send, which on a replicated cluster could acknowledge records it never sent
//     or send them twice (kafkajs-send-messages.ts). A one-line source patch also clamps a
//     request-queue timer Node 24 warns about (kafkajs-request-queue.ts), and the group and
//     transaction coordinators are cached instead of looked up for every transaction step
//     (kafkajs-coordinator-cache.ts, a prototype patch: order does not matter). TxnOffsetCommit
//     gets version 3, with the consumer group's generation and member id (KIP-447 fencing,
//     kafkajs-group-metadata.ts, an in-place addition to kafkajs' request definition).
// Types still come from 'kafkajs' directly (`import type`); values come from here (ESLint rule).
import { createRequire } from 'node:module';
import type * as KafkaJS from 'kafkajs';
import { installAbortedFilter } from './kafkajs-aborted-filter.js';
import { installCoordinatorCache } from './kafkajs-coordinator-cache.js';
import { installFastEncoder } from './kafkajs-fast-encoder.js';
import { installTxnOffsetCommitV3 } from './kafkajs-group-metadata.js';
import { installMemberReuse } from './kafkajs-member-reuse.js';
import { installPositiveThrottleTimer } from './kafkajs-request-queue.js';
import { installSendMessages } from './kafkajs-send-messages-install.js';

const require = createRequire(import.meta.url);

/** False only if something loaded kafkajs before this module (the encoder fix then is off). */
export const fastEncoderActive = installFastEncoder(require);

/**
 * False only if something loaded kafkajs before this module: read_committed consumers may then
 * return records of aborted transactions (kafkajs-aborted-filter.ts).
 */
export const abortedFilterActive = installAbortedFilter(require);

/**
 * False only if something loaded kafkajs before this module: a consumer that crashes during a
 * broker outage then rejoins as a new member and waits out its stale member's session timeout.
 */
export const memberReuseActive = installMemberReuse(require);

/**
 * False only if something loaded kafkajs before this module: a send spanning several leader
 * brokers can then drop records or write them twice on a retry (kafkajs-send-messages.ts).
 */
export const sendMessagesActive = installSendMessages(require);

/** False only if something loaded kafkajs first: Node 24 then warns once about a negative timer. */
export const positiveThrottleTimerActive = installPositiveThrottleTimer(require);

/**
 * True when findGroupCoordinator answers from a per-client cache, dropped on coordinator errors
 * (kafkajs-coordinator-cache.ts); saves FindCoordinator round trips on every transaction.
 */
export const coordinatorCacheActive = installCoordinatorCache(require);

/**
 * True when kafkajs' transactional producer can send TxnOffsetCommit v3, which carries the
 * consumer group's generation and member id (KIP-447; kafkajs-group-metadata.ts).
 */
export const txnOffsetCommitV3Active = installTxnOffsetCommitV3(require);

const kafkajs = require('kafkajs') as typeof KafkaJS;

// Each class is exported as a value and as its instance type, as `import { Kafka } from 'kafkajs'` would.
export const Kafka = kafkajs.Kafka;
export type Kafka = KafkaJS.Kafka;
export const KafkaJSError = kafkajs.KafkaJSError;
export type KafkaJSError = KafkaJS.KafkaJSError;
export const KafkaJSProtocolError = kafkajs.KafkaJSProtocolError;
export type KafkaJSProtocolError = KafkaJS.KafkaJSProtocolError;
export const KafkaJSNonRetriableError = kafkajs.KafkaJSNonRetriableError;
export type KafkaJSNonRetriableError = KafkaJS.KafkaJSNonRetriableError;
export const { logLevel, Partitioners, CompressionTypes, ConfigResourceTypes } = kafkajs;

/**
 * kafkajs' own isRebalancing (src/errors.js) is not part of its public exports; these are the
 * group errors after which its runner rejoins the group.
 */
export const isRebalancing = (e: { type?: string }): boolean =>
  e.type === 'REBALANCE_IN_PROGRESS' ||
  e.type === 'NOT_COORDINATOR_FOR_GROUP' ||
  e.type === 'ILLEGAL_GENERATION';
