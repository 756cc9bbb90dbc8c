// The shapes of kafkajs 2.2.4's producer send path as kafkajs-send-messages.ts uses them (kafkajs
// is untyped here): the records of a send, the factory's dependencies and arguments, the result
// per partition, and the kafkajs internals the replacement reuses (loaded by
// kafkajs-send-messages-install.ts).

export interface Message {
  partition?: number;
  [field: string]: unknown;
}
export interface TopicMessages {
  topic: string;
  messages: Message[];
}
export interface PartitionMetadata {
  partitionId: number;
  leader?: number | null;
}
export interface TopicData {
  topic: string;
  partitions: { partition: number; messages: Message[] }[];
}
export interface PartitionResult {
  topicName: string;
  partition: number;
  [field: string]: unknown;
}
export interface Broker {
  nodeId: number;
  produce(request: Record<string, unknown>): Promise<unknown>;
}
export interface KafkaError extends Error {
  retriable?: boolean;
  host?: string;
  port?: number;
}
export interface SendDeps {
  logger: {
    debug(message: string, extra?: object): void;
    error(message: string, extra?: object): void;
  };
  cluster: {
    refreshMetadataIfNecessary(): Promise<void>;
    refreshMetadata(): Promise<void>;
    addMultipleTargetTopics(topics: string[]): Promise<void>;
    findTopicPartitionMetadata(topic: string): PartitionMetadata[];
    findBroker(args: { nodeId: string }): Promise<Broker>;
    isConnected(): boolean;
    connect(): Promise<void>;
    removeBroker(args: { host?: string; port?: number }): void;
    targetTopics?: Set<string>;
  };
  partitioner: unknown;
  eosManager: {
    isTransactional(): boolean;
    getTransactionalId(): string;
    getProducerId(): unknown;
    getProducerEpoch(): unknown;
    acquireBrokerLock(broker: Broker): Promise<void>;
    releaseBrokerLock(broker: Broker): Promise<void>;
    addPartitionsToTransaction(topicData: TopicData[]): Promise<void>;
    getSequence(topic: string, partition: number): number;
    updateSequence(topic: string, partition: number, increment: number): void;
  };
  retrier: <T>(
    fn: (bail: (e: Error) => void, retryCount: number, retryTime: number) => Promise<T>,
  ) => Promise<T>;
}
export interface SendArgs {
  acks: number;
  timeout?: number;
  compression?: unknown;
  topicMessages: TopicMessages[];
}
export type SendFactory = (deps: SendDeps) => (args: SendArgs) => Promise<PartitionResult[]>;

/** What kafkajs' src/producer/groupMessagesPerPartition.js takes (and groupByPartition). */
export interface GroupArgs {
  topic: string;
  partitionMetadata: PartitionMetadata[];
  messages: Message[];
  partitioner: unknown;
}

/** kafkajs internals the send path reuses unchanged (paths under kafkajs/src, pinned). */
export interface Internals {
  responseSerializer: (response: unknown) => PartitionResult[];
  createErrorFromCode: (code: number) => KafkaError;
  staleMetadata: (e: KafkaError) => boolean;
  KafkaJSMetadataNotLoaded: new (message: string) => KafkaError;
}
