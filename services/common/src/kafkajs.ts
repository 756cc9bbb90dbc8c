// kafkajs is CommonJS and builds its exports object with a spread, which Node's ESM loader cannot
// see statically: only a few names work as named imports. Everything else comes through here.
import kafkajs from 'kafkajs';

export const {
  ConfigResourceTypes,
  KafkaJSError,
  KafkaJSProtocolError,
  KafkaJSNonRetriableError,
  isRebalancing,
} = kafkajs as typeof kafkajs & {
  isRebalancing: (e: unknown) => boolean;
};
