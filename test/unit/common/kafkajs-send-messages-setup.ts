// Shared pieces of the kafkajs-send-messages test files: the replacement send factory that
// services/common/src/kafka/kafkajs.ts installs (imported first, before any kafkajs module
// loads), and the kafkajs internals the scripted brokers answer with.
import { createRequire } from 'node:module';
import '../../../services/common/src/kafka/kafkajs.js';
import { SEND_MESSAGES_MODULE } from '../../../services/common/src/kafka/kafkajs-send-messages-install.js';

const require = createRequire(import.meta.url);
export type SendFactory = (deps: object) => (args: object) => Promise<Record<string, unknown>[]>;
export const fixedFactory = require(SEND_MESSAGES_MODULE) as SendFactory & {
  perPartitionSends?: boolean;
};

export const { createErrorFromCode } = require('kafkajs/src/protocol/error.js') as {
  createErrorFromCode: (code: number) => Error;
};
export const createRetry = require('kafkajs/src/retry/index.js') as (o: object) => unknown;
export const CONCURRENT_TRANSACTIONS = 51;
