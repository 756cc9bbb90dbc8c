// A transactional producer of the fake cluster: its transactions buffer records and offsets and
// hand them to the cluster at commit or abort, failing where the test injected a fault, where a
// send carries a record the cluster refuses (rejectRecords) and when a newer producer of its
// transactional.id has fenced it.
import type { Message } from 'kafkajs';
import { ADD_PARTITION_ONLY } from '../../services/common/src/kafka/kafkajs-send-messages.js';
import type { FakeCluster, FaultPoint } from './fake-cluster.js';
import { protocolError, type CommittedRecord } from './fake-kafka-records.js';

const text = (v: Buffer | string | null | undefined): string | null =>
  v === null || v === undefined ? null : v.toString();

function headerText(headers: Message['headers']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers ?? {}))
    out[k] = String(Array.isArray(v) ? v[0] : (v as Buffer | string));
  return out;
}

export class FakeProducer {
  connected = false;
  private epoch: number | undefined;

  constructor(
    private readonly cluster: FakeCluster,
    readonly transactionalId: string,
  ) {}

  async connect(): Promise<void> {
    this.connected = true;
  }

  async disconnect(): Promise<void> {
    this.connected = false;
  }

  private checkEpoch(): void {
    if (this.epoch === undefined || !this.cluster.isCurrent(this.transactionalId, this.epoch))
      throw protocolError('PRODUCER_FENCED');
  }

  async transaction() {
    const fault = await this.cluster.reach('transaction');
    if (fault) throw fault.error;
    // kafkajs sends InitProducerId with the first transaction of a producer.
    this.epoch ??= this.cluster.initProducer(this.transactionalId);
    this.checkEpoch();
    const cluster = this.cluster;
    const id = this.transactionalId;
    const pending: CommittedRecord[] = [];
    const touched = new Set<string>();
    let offsetsAdded = false;
    const offsets = new Map<number, bigint>();
    let done = false;
    const step = async (at: FaultPoint) => {
      if (done) throw new Error('transaction already ended');
      const f = await cluster.reach(at);
      if (f) throw f.error;
      this.checkEpoch();
    };
    const add = (topic: string, messages: Message[]) => {
      const records: CommittedRecord[] = [];
      for (const m of messages)
        if ((m as unknown as Record<symbol, unknown>)[ADD_PARTITION_ONLY])
          touched.add(`${topic}/${m.partition}`);
        else
          records.push({
            topic,
            partition: m.partition,
            key: text(m.key),
            value: m.value === null || m.value === undefined ? null : Buffer.from(m.value),
            headers: headerText(m.headers),
          });
      // The partitions were added (AddPartitionsToTxn) before the produce was refused.
      cluster.began(id);
      const rejected = cluster.rejectionOf(records);
      if (rejected) throw rejected;
      pending.push(...records);
    };
    return {
      send: async ({ topic, messages }: { topic: string; messages: Message[] }) => {
        await step('sendBatch');
        add(topic, messages);
      },
      sendBatch: async (req: { topicMessages: { topic: string; messages: Message[] }[] }) => {
        // Injected send faults hit sends that carry data, not a sweep's added partitions.
        const data = req.topicMessages.some((t) => t.messages.some((m) => m.value != null));
        if (data) await step('sendBatch');
        else if (done) throw new Error('transaction already ended');
        else this.checkEpoch();
        for (const t of req.topicMessages) add(t.topic, t.messages);
      },
      sendOffsets: async (req: {
        topics: { partitions: { partition: number; offset: string }[] }[];
      }) => {
        // A sweep adds the offsets partition without offsets; injected faults hit real offsets.
        if (req.topics.length > 0) await step('sendOffsets');
        else if (done) throw new Error('transaction already ended');
        else this.checkEpoch();
        offsetsAdded = true;
        cluster.began(id);
        for (const t of req.topics)
          for (const p of t.partitions) offsets.set(p.partition, BigInt(p.offset));
      },
      commit: async () => {
        if (done) throw new Error('transaction already ended');
        const f = await cluster.reach('commit');
        if (f && !f.applied) throw f.error;
        this.checkEpoch();
        done = true;
        cluster.endTransaction(id, pending, offsets, true, touched, offsetsAdded);
        if (f) throw f.error;
      },
      abort: async () => {
        done = true;
        const f = await cluster.reach('abort');
        // A failed abort still ends the transaction: the coordinator aborts it when the producer
        // is fenced or its timeout passes.
        cluster.endTransaction(id, pending, offsets, false, touched, offsetsAdded);
        if (f) throw f.error;
      },
    };
  }
}
