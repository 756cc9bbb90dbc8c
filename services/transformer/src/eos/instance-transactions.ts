import type { Producer } from '../../../common/src/kafka/kafka-client.js';
import { sendAndCommit } from './transaction-commit.js';
import { isStaleMembershipError } from '../../../common/src/kafka/kafka-errors.js';
import { sendOffsetsToTransaction } from '../../../common/src/kafka/kafkajs-group-metadata.js';
import type { TopicRecords } from '../../../common/src/kafka/records.js';
import type { Logger } from '../../../common/src/logger.js';
import { recordTransaction, type Phases } from './transaction-metrics.js';
import { fencedProducer } from './instance-producer.js';
import type { InstanceTransactionsDeps, Participant, SharedTransactions } from './participant.js';
import { TransactionFailed, type PreparedPart } from './transaction-part.js';

/**
 * One transactional producer for the whole transformer instance and one transaction at a time
 * for every partition it owns: Kafka Streams' exactly-once v2 (KIP-447). Each round takes what
 * the partition workers have queued, has each plan its part (outputs, DLQ, changelog), sends it
 * all, commits every part's next offset with the consumer's group metadata, and commits. The
 * group coordinator rejects the offsets of a member whose generation is stale (ILLEGAL_GENERATION,
 * UNKNOWN_MEMBER_ID), so a zombie that lost its partitions in a rebalance cannot commit; its
 * transaction aborts. A worker applies its part only after the commit. While the broker's refusal
 * of a record is being traced to its partition (record-isolation.ts), that partition's rounds
 * alternate with rounds of the others (takers).
 *
 * After any failed transaction the producer is replaced before the next one: the new producer's
 * InitProducerId bumps the epoch (which aborts this transactional.id's open transaction) and its
 * first transaction is the sweep (transaction-sweep.ts), which ends whatever the transactional.id
 * left open anywhere the way the coordinator decided its last transaction.
 */
export class InstanceTransactions implements SharedTransactions {
  private readonly participants = new Set<Participant>();
  private producer: Producer | undefined;
  /** After a failed transaction, or before the first: the producer must be replaced. */
  private stale = true;
  private closed = false;
  private wakeUp: (() => void) | undefined;
  private pending = false;
  private running: Promise<void> | undefined;
  /** Serialises rounds and exclusive() users (a takeover's marker, a settle). */
  private lock: Promise<unknown> = Promise.resolve();
  private readonly log: Logger;
  /** The last round was one participant's alone (takers). */
  private lastRoundAlone = false;
  /** Turns among the participants that must go alone (takers). */
  private aloneTurn = 0;

  constructor(private readonly deps: InstanceTransactionsDeps) {
    this.log = deps.logger.child({ component: 'instance-transactions' });
  }

  get transactionalId(): string {
    return this.deps.settings.transactionalId;
  }

  add(p: Participant): void {
    this.participants.add(p);
    this.running ??= this.run();
  }

  remove(p: Participant): void {
    this.participants.delete(p);
  }

  /** Something was queued (or a hold released, or an isolation re-queued): run a round soon. */
  wake(): void {
    this.pending = true;
    this.wakeUp?.();
  }

  /**
   * Runs `fn` with a ready producer while no round runs (a takeover's marker transaction).
   * If `fn` throws, the producer is replaced before its next use.
   */
  exclusive<T>(fn: (producer: Producer) => Promise<T>): Promise<T> {
    return this.serialised(async () => {
      const producer = await this.ready();
      try {
        return await fn(producer);
      } catch (err) {
        this.stale = true;
        throw err;
      }
    });
  }

  /**
   * Resolves once no transaction of this instance is open or in doubt: waits for the round in
   * flight and, if the last transaction failed, replaces the producer (whose fence and sweep end
   * it). A require_stable offset read would otherwise wait for this instance's own failed
   * transaction until the broker timed it out.
   */
  settle(): Promise<void> {
    return this.exclusive(async () => undefined);
  }

  /** Resolves once the round in flight, if any, has ended. */
  idle(): Promise<void> {
    return this.serialised(async () => undefined);
  }

  /**
   * The group's committed offset for `partition` of ghl.raw (next to read; -1n when none), read
   * with require_stable: it waits while another transaction holds offsets for it.
   */
  async fetchStable(partition: number): Promise<bigint> {
    return (await this.deps.stableOffsets([partition])).get(partition) ?? -1n;
  }

  /** Stops after the round in flight and disconnects the producer. Idempotent. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.wakeUp?.();
    await this.running?.catch(() => undefined);
    await this.idle();
    await this.producer?.disconnect().catch(() => undefined);
    this.producer = undefined;
  }

  private serialised<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.lock.then(fn, fn);
    this.lock = run.catch(() => undefined);
    return run;
  }

  /** The producer, replaced first (fence and sweep) when stale. Throws TransactionFailed. */
  private async ready(): Promise<Producer> {
    if (this.closed) throw new TransactionFailed(new Error('transformer stopping'), true);
    if (this.producer && !this.stale) return this.producer;
    const old = this.producer;
    this.producer = undefined;
    // kafkajs' disconnect can wait on requests of a connection that died in an outage.
    await Promise.race([
      old?.disconnect().catch(() => undefined),
      new Promise((r) => setTimeout(r, 2000)),
    ]);
    let producer;
    try {
      producer = await fencedProducer(this.deps, this.log);
    } catch (err) {
      throw new TransactionFailed(err, true);
    }
    try {
      await this.verifyParticipants();
    } catch (err) {
      await producer.disconnect().catch(() => undefined);
      throw new TransactionFailed(err, true);
    }
    this.producer = producer;
    this.stale = false;
    return producer;
  }

  /**
   * After a fence and sweep, before any new transaction: every participant compares the group's
   * committed offset with its own. A commit the participant applied whose markers Kafka skipped
   * was aborted whole by the sweep; its offset shows it, and the participant is taken over again.
   */
  private async verifyParticipants(): Promise<void> {
    const all = [...this.participants];
    if (all.length === 0) return;
    const committed = await this.deps.stableOffsets(all.map((p) => p.partition));
    for (const p of all) p.verifyCommitted(committed.get(p.partition) ?? -1n);
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      if (!this.pending)
        await new Promise<void>((resolve) => {
          this.wakeUp = resolve;
        });
      this.wakeUp = undefined;
      if (this.closed) break;
      this.pending = false;
      let more = false;
      try {
        more = await this.serialised(() => this.round());
      } catch (err) {
        this.log.error({ err }, 'transaction round failed unexpectedly');
      }
      if (more) {
        this.pending = true;
        if (this.deps.settings.transactionGapMs > 0)
          await new Promise((r) => setTimeout(r, this.deps.settings.transactionGapMs));
      }
    }
  }

  /**
   * One transaction over the participants with records ready (takers: all of them, or one that
   * must go alone). Returns true if records remain.
   */
  private async round(): Promise<boolean> {
    const started = Date.now();
    const more = () => [...this.participants].some((p) => p.ready > 0);
    if (!more()) return false;
    // Begin first: a producer replaced here re-checks every participant's committed offset
    // (verifyParticipants), and one found in doubt must not have a part in this transaction.
    let begun;
    try {
      begun = await this.begin();
    } catch (err) {
      this.stale = true;
      const failed = err instanceof TransactionFailed ? err : new TransactionFailed(err, false);
      // Each participant rewinds and backs off (the loop), then wakes the rounds again.
      for (const p of [...this.participants]) if (p.ready > 0) p.abandon(failed);
      return false;
    }
    // Each partition's part holds at most maxTransactionRecords, as a partition's transaction
    // does per-partition: under a backlog a round carries every partition's share, which keeps
    // the throughput of six transactions in parallel (`npm run bench:transformer`).
    const max = this.deps.settings.maxTransactionRecords;
    const parts: { by: Participant; part: PreparedPart }[] = [];
    for (const by of this.takers()) {
      const part = by.ready > 0 ? by.takePart(max, started) : undefined;
      if (part) parts.push({ by, part });
    }
    if (parts.length > 0) await this.transact(parts, started, begun);
    // Nothing added to it: kafkajs ends it locally, without EndTxn.
    else await begun.txn.abort().catch(() => (this.stale = true));
    return more();
  }

  /**
   * Who takes part in this round. A participant that must go alone (record-isolation.ts) gets a
   * round of its own, one such participant after another; while any wait, those rounds alternate
   * with rounds of everyone else, so finding a rejected record slows the other partitions by one
   * round in two instead of stopping them.
   */
  private takers(): Participant[] {
    const ready = [...this.participants].filter((p) => p.ready > 0);
    const alone = ready.filter((p) => p.alone);
    const others = ready.filter((p) => !p.alone);
    if (alone.length > 0 && (others.length === 0 || !this.lastRoundAlone)) {
      this.lastRoundAlone = true;
      return [alone[this.aloneTurn++ % alone.length] as Participant];
    }
    this.lastRoundAlone = false;
    return others;
  }

  /** A new transaction of the (ready) producer, with the group metadata its offsets carry. */
  private async begin() {
    const group = this.deps.group();
    if (!group) throw new Error('the consumer is not in its group (starting or rejoining)');
    const producer = await this.ready();
    return { txn: await producer.transaction(), group };
  }

  private async transact(
    parts: { by: Participant; part: PreparedPart }[],
    started: number,
    { txn, group }: Awaited<ReturnType<InstanceTransactions['begin']>>,
  ): Promise<void> {
    const byTopic = new Map<string, TopicRecords['messages']>();
    for (const { part } of parts)
      for (const { topic, messages } of part.topicMessages) {
        const into = byTopic.get(topic);
        if (into) into.push(...messages);
        else byTopic.set(topic, [...messages]);
      }
    const topicMessages = [...byTopic].map(([topic, messages]) => ({ topic, messages }));

    const offsets = {
      consumerGroupId: this.deps.settings.groupId,
      topics: [
        {
          topic: this.deps.names.raw,
          partitions: parts.map(({ by, part }) => ({ partition: by.partition, offset: part.next })),
        },
      ],
    };
    const phases: Phases = { began: Date.now() - started, sent: 0, offsets: 0, committed: 0 };
    try {
      await sendAndCommit(
        txn,
        {
          topicMessages,
          sendOffsets: (o) => sendOffsetsToTransaction(txn, o, group),
          offsets,
          limitOf: this.deps.limits.limitOf,
        },
        started,
        phases,
      );
    } catch (err) {
      this.stale = true;
      const failed = err as TransactionFailed;
      this.log.warn(
        { err, partitions: parts.map(({ by }) => by.partition), ambiguous: failed.ambiguous },
        'transaction failed',
      );
      this.deps.metrics.transactions.inc({ result: 'abort' });
      if (isStaleMembershipError(failed)) this.deps.membershipRejected(group);
      for (const { by, part } of parts) by.partFailed(part, failed, parts.length === 1);
      return;
    }
    const records = parts.reduce((n, { part }) => n + part.messages.length, 0);
    if (phases.committed >= this.deps.settings.slowTransactionMs)
      this.log.warn({ records, partitions: parts.length, msSince: phases }, 'slow transaction');
    recordTransaction(this.deps.metrics, records, started);
    for (const { by, part } of parts) by.partCommitted(part, started, phases);
  }
}
