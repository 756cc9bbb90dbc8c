// The contract between the exactly-once loop (eos-loop.ts, which owns Kafka, transactions, dedup
// and the DLQ) and the pure per-record transformation (transform.ts: parse, normalise, map,
// tenant lookup, payload building). The transformation never talks to Kafka or the registry.
import type { DlqStage } from '../../../common/src/dlq-record.js';
import type { DlqReason, TRANSFORMER_ERRORS } from '../../../common/src/errors.js';
import type { Domain } from '../../../common/src/topics.js';

/** One ghl.raw record as the loop hands it over. */
export interface RawRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  /** Record headers decoded as UTF-8 (first value when repeated). */
  headers: Readonly<Record<string, string>>;
  /** Kafka record timestamp, epoch millis as a string (kafkajs' representation). */
  timestamp: string;
}

export type UnknownTenantPolicy = 'null' | 'dlq';
export type UnmappedEventPolicy = 'dlq' | 'skip';

export interface TransformContext {
  /** tenantId for a GHL locationId; undefined when the location is unknown. */
  tenantOf(locationId: string): string | undefined;
  unknownTenantPolicy: UnknownTenantPolicy;
  unmappedEventPolicy: UnmappedEventPolicy;
}

/** Where in the transformation a permanent failure happened: the DLQ record format's stage. */
export type { DlqStage };

export type Decision =
  | {
      kind: 'emit';
      eventId: string;
      domain: Domain;
      /** Kafka key: the entity id (workflow: `workflowId:contactId`). */
      key: string;
      /** NeuronX type, e.g. `neuronx.contact.ingested`; also the CloudEvents ce_type. */
      type: string;
      /** Epoch millis; also ce_time. */
      occurredAt: number;
      /** The Avro value for the domain's schema (schemas/<domain>.avsc), ready to encode. */
      value: Record<string, unknown>;
    }
  | {
      kind: 'dlq';
      eventId: string | undefined;
      reason: DlqReason;
      stage: DlqStage;
      message: string;
    }
  | {
      kind: 'skip';
      eventId: string | undefined;
      /** Only unmapped types are skipped (UNMAPPED_EVENT_POLICY=skip): 'unmapped_event_type'. */
      reason: (typeof TRANSFORMER_ERRORS)['TRF_ERR_UNMAPPED_EVENT_TYPE']['dlqReason'];
      message: string;
    };
