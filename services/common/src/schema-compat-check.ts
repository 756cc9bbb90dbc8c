// The BACKWARD check of `ghl-pipeline schemas check`: each domain schema against the latest
// version registered under its subject, registering nothing (the registry's answer, plus a local
// avsc check when the subject's rule is weaker than BACKWARD).
import avro from 'avsc';
import { RegistryHttp } from './registry-http.js';
import {
  AVRO_TYPE_OPTIONS,
  subjectOf,
  type AvroRecordSchema,
  type DomainSchemas,
} from './schema-registry.js';
import { DOMAIN_KEYS, type Domain, type TopicNames } from './topics.js';

export type CheckStatus = 'compatible' | 'incompatible' | 'new';
/** One subject's BACKWARD check (`schemas check`). */
export interface CheckRow {
  domain: Domain;
  subject: string;
  status: CheckStatus;
  latestVersion: number | null;
  compatibility: string | null;
  messages: string[];
}

const BACKWARD_LEVELS = new Set(['BACKWARD', 'BACKWARD_TRANSITIVE', 'FULL', 'FULL_TRANSITIVE']);

/**
 * Checks each domain schema against the latest version registered under its subject for
 * BACKWARD compatibility, registering nothing: the registry's own check, plus a local avsc check
 * when the subject's rule is weaker than BACKWARD (such a registry would accept anything).
 * Throws TransformerError TRF_ERR_REGISTRY_UNAVAILABLE / TRF_ERR_REGISTRY_REJECTED when the
 * registry cannot answer.
 */
export async function checkBackward(
  registryUrl: string,
  topics: Pick<TopicNames, Domain>,
  schemas: DomainSchemas,
): Promise<CheckRow[]> {
  const registry = new RegistryHttp(registryUrl);
  const rows: CheckRow[] = [];
  for (const domain of DOMAIN_KEYS) {
    const subject = subjectOf(topics[domain]);
    const versions = await registry.get<number[]>(
      `/subjects/${encodeURIComponent(subject)}/versions`,
    );
    if (versions === undefined) {
      rows.push({
        domain,
        subject,
        status: 'new',
        latestVersion: null,
        compatibility: null,
        messages: ['not registered yet: would be created'],
      });
      continue;
    }
    const config = await registry.get<{ compatibilityLevel?: string; compatibility?: string }>(
      `/config/${encodeURIComponent(subject)}`,
    );
    const level = (config?.compatibilityLevel ?? config?.compatibility ?? 'NONE').toUpperCase();
    const schema = JSON.stringify(schemas[domain]);
    const answer = await registry.compatibility(subject, schema);
    let compatible = answer.is_compatible === true;
    const messages = [...(answer.messages ?? [])];
    // A subject without a BACKWARD rule accepts anything; check BACKWARD locally then (the new
    // schema must be able to read what the latest version wrote).
    if (compatible && !BACKWARD_LEVELS.has(level)) {
      const latest = await registry.get<{ schema: string }>(
        `/subjects/${encodeURIComponent(subject)}/versions/latest`,
      );
      const local = backwardProblem(schemas[domain], latest?.schema);
      if (local) {
        compatible = false;
        messages.push(`checked locally (subject compatibility is ${level}): ${local}`);
      }
    }
    rows.push({
      domain,
      subject,
      status: compatible ? 'compatible' : 'incompatible',
      latestVersion: Math.max(...versions),
      compatibility: level,
      messages,
    });
  }
  return rows;
}

/** Why `next` cannot read data written with `latest` (BACKWARD), or undefined when it can. */
function backwardProblem(next: AvroRecordSchema, latest: string | undefined): string | undefined {
  if (!latest) return undefined;
  try {
    const reader = avro.Type.forSchema(next as avro.Schema, { ...AVRO_TYPE_OPTIONS });
    const writer = avro.Type.forSchema(JSON.parse(latest) as avro.Schema, {
      ...AVRO_TYPE_OPTIONS,
    });
    reader.createResolver(writer);
    return undefined;
  } catch (err) {
    return (err as Error).message;
  }
}
