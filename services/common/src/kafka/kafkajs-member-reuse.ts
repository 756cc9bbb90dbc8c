import type { NodeRequire } from './node-require.js';

/**
 * Keeps a kafkajs consumer's group membership across its own crash-restarts.
 *
 * kafkajs 2.2.4 consumers "crash" when the broker stays unreachable longer than their retry
 * budget (KafkaJSNumberOfRetriesExceeded, KafkaJSNoBrokerAvailableError) and restart themselves
 * by building a new ConsumerGroup (src/consumer/index.js `start`), whose member id is empty. Its
 * LeaveGroup on the way down cannot reach the broker either, so the old member stays in the
 * group: when the broker is back, the coordinator (which reloads its groups with fresh session
 * timers) makes the rejoin wait until that stale member's session expires, 30 s with the
 * transformer's defaults, while nothing is consumed.
 *
 * This subclass of kafkajs' ConsumerGroup hands the member id of a consumer's previous group
 * object to the next one (keyed by the consumer's own cluster object, so two consumers of one
 * group in one process never share an id). JoinGroup with a known member id is a plain rejoin
 * (Kafka protocol, JoinGroup: "member_id: the member id assigned by the group coordinator"), so
 * the group stabilises as soon as the broker answers; a member id the coordinator has forgotten
 * gets UNKNOWN_MEMBER_ID, on which kafkajs already clears the id and joins as a new member. A
 * clean LeaveGroup or UNKNOWN_MEMBER_ID (both set the id to null) forgets the id.
 *
 * The same subclass adds the group generation to kafkajs' GROUP_JOIN event (see
 * instrumentationEmitter below), and keeps the consumer from fetching without a completed join:
 * when a rejoin fails with anything but a rebalance error (JoinGroup answered "coordinator
 * loading"), kafkajs' runner (src/consumer/runner.js, scheduleFetchManager) retries by fetching
 * again with the old assignment and generation and no GROUP_JOIN event; its heartbeats succeed
 * while the reloaded coordinator still holds that generation, so it never rejoins. After
 * UNKNOWN_MEMBER_ID it clears the member id first, and then sends no heartbeat at all. Until a
 * join and sync has succeeded, `fetch` here throws REBALANCE_IN_PROGRESS, on which the runner
 * rejoins (see `fetch` below).
 *
 * kafkajs' consumer captures the class when src/consumer/index.js loads, so this runs before any
 * kafkajs module loads (services/common/src/kafka/kafkajs.ts, the one place that loads kafkajs).
 */
export const CONSUMER_GROUP_MODULE = 'kafkajs/src/consumer/consumerGroup.js';

interface Emitter {
  emit(name: string, payload?: Record<string, unknown>): void;
}
interface ConsumerGroupOptions {
  cluster: object;
}
/** The kafkajs 2.2.4 ConsumerGroup methods the subclass wraps (src/consumer/consumerGroup.js). */
interface ConsumerGroupBase {
  joinAndSync(): Promise<void>;
  fetch(nodeId: number): Promise<unknown[]>;
}
type ConsumerGroupClass = new (options: ConsumerGroupOptions) => ConsumerGroupBase;
/** kafkajs' KafkaJSProtocolError: it copies `type`, `code` and `retriable` from the error given. */
export interface ProtocolErrorClass {
  new (e: Error & { type: string; code: number; retriable: boolean }): Error;
}

/**
 * A REBALANCE_IN_PROGRESS error (Kafka error code 27) of kafkajs' own class: thrown from a
 * consumer's fetch or `eachBatch`, it makes kafkajs' runner rejoin the group
 * (src/consumer/runner.js, scheduleFetchManager; src/errors.js, isRebalancing).
 */
export function rebalanceInProgress(ProtocolError: ProtocolErrorClass, reason: string): Error {
  const cause = Object.assign(new Error(reason), {
    type: 'REBALANCE_IN_PROGRESS',
    code: 27,
    retriable: true,
  });
  return new ProtocolError(cause);
}

/** Returns true when the member-keeping ConsumerGroup is active (installed now or before). */
export function installMemberReuse(require: NodeRequire): boolean {
  const path = require.resolve(CONSUMER_GROUP_MODULE);
  const loaded = require.cache[path];
  if (loaded) return (loaded.exports as { keepsMembers?: boolean }).keepsMembers === true;
  const Original = require(path) as ConsumerGroupClass;
  const remembered = new WeakMap<object, string>();

  const { KafkaJSProtocolError } = require('kafkajs/src/errors.js') as {
    KafkaJSProtocolError: ProtocolErrorClass;
  };
  const groupJoinEvent = (
    require('kafkajs/src/consumer/instrumentationEvents') as { events: { GROUP_JOIN: string } }
  ).events.GROUP_JOIN;

  class MemberKeepingConsumerGroup extends Original {
    static readonly keepsMembers = true;
    private keptMemberId: string | null = null;
    private readonly owner: object;
    // `declare`: no class field, which would be initialised after the base constructor has
    // already assigned the emitter through the setter below.
    declare private joinReportingEmitter: Emitter | undefined;
    declare generationId: number | null;

    /**
     * kafkajs' instrumentation emitter, except that the GROUP_JOIN payload also carries the
     * joined `generationId` (kafkajs reports only the member id): a transactional producer needs
     * both to fence its offset commits by the group (KIP-447, kafkajs-group-metadata.ts).
     */
    get instrumentationEmitter(): Emitter | undefined {
      return this.joinReportingEmitter;
    }

    set instrumentationEmitter(emitter: Emitter | undefined) {
      if (!emitter) {
        this.joinReportingEmitter = emitter;
        return;
      }
      const reporting = Object.create(emitter) as Emitter;
      reporting.emit = (name, payload) =>
        emitter.emit(
          name,
          name === groupJoinEvent && payload
            ? { ...payload, generationId: this.generationId }
            : payload,
        );
      this.joinReportingEmitter = reporting;
    }

    constructor(options: ConsumerGroupOptions) {
      const previous = remembered.get(options.cluster);
      super(options);
      this.owner = options.cluster;
      if (previous) this.memberId = previous;
    }

    /** True from a successful join and sync until the next join begins. */
    private joined = false;

    /** kafkajs' join and sync; `fetch` refuses from its start until it has succeeded. */
    override async joinAndSync(): Promise<void> {
      this.joined = false;
      await super.joinAndSync();
      this.joined = true;
    }

    /**
     * kafkajs' fetch, only while joined: otherwise it throws REBALANCE_IN_PROGRESS, on which
     * kafkajs' runner rejoins the group instead of fetching outside it.
     */
    override async fetch(nodeId: number): Promise<unknown[]> {
      if (!this.joined)
        throw rebalanceInProgress(KafkaJSProtocolError, 'not joined to the group; rejoining');
      return super.fetch(nodeId);
    }

    get memberId(): string | null {
      return this.keptMemberId;
    }

    set memberId(id: string | null) {
      this.keptMemberId = id;
      // The base constructor assigns null before `owner` exists; the constructor above restores.
      if (this.owner === undefined) return;
      if (id) remembered.set(this.owner, id);
      else remembered.delete(this.owner);
    }
  }

  const entry = require.cache[path];
  if (!entry) return false;
  entry.exports = MemberKeepingConsumerGroup;
  return true;
}
