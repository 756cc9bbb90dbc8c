// docs/asyncapi.yaml is the contract downstream tools read. It is generated; this keeps the
// committed file valid AsyncAPI (Avro payloads resolved from schemas/*.avsc, offline) and equal
// to what the generator writes from infra/topics.json and the schemas today.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AvroSchemaParser } from '@asyncapi/avro-schema-parser';
import { Parser, type AsyncAPIDocumentInterface, type Diagnostic } from '@asyncapi/parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { ASYNCAPI_FILE, renderAsyncApi } from '../../../infra/docs/asyncapi.js';
import { projectRoot } from '../../../services/common/src/project-root.js';
import { DOMAIN_KEYS, topicSpecs } from '../../../services/common/src/topics.js';

const path = join(projectRoot(), ASYNCAPI_FILE);
const committed = readFileSync(path, 'utf8');

/**
 * Information-level diagnostics accepted on purpose, by code. `asyncapi-latest-version` only says
 * AsyncAPI 3.1 exists; the document stays on 3.0, the version downstream tools were asked for.
 */
const TOLERATED = new Set(['asyncapi-latest-version']);

// Spectral severities: 0 error, 1 warning, 2 information, 3 hint.
const severityName = (s: number) => ['error', 'warning', 'information', 'hint'][s] ?? String(s);
const describeDiagnostic = (d: Diagnostic) =>
  `${severityName(d.severity)} ${String(d.code)} at ${d.path.join('.')}: ${d.message}`;

describe('docs/asyncapi.yaml', () => {
  let document: AsyncAPIDocumentInterface | undefined;
  let diagnostics: Diagnostic[] = [];

  beforeAll(async () => {
    const parser = new Parser({ schemaParsers: [AvroSchemaParser()] });
    // `source` makes the relative $refs to ../schemas/*.avsc resolve against the file: local
    // reads only.
    ({ document, diagnostics } = await parser.parse(committed, { source: path }));
  }, 60_000); // Spectral's ruleset takes seconds to load on a busy two-core machine

  it('references local files only, so parsing needs no network', () => {
    expect(committed).not.toMatch(/\$ref: '?https?:/);
  });

  it('parses without errors or warnings', () => {
    // Errors and warnings always count; information and hints count unless tolerated above.
    const problems = diagnostics
      .filter((d) => Number(d.severity) <= 1 || !TOLERATED.has(String(d.code)))
      .map(describeDiagnostic);
    expect(problems).toEqual([]);
    expect(document).toBeDefined();
  });

  it('has every topic of infra/topics.json as a channel, with its sizing and configs', () => {
    const channels = new Map(
      document!
        .channels()
        .all()
        .map((c) => [c.address(), c]),
    );
    const specs = topicSpecs();
    expect([...channels.keys()].sort()).toEqual(specs.map((s) => s.name).sort());
    for (const spec of specs) {
      const kafka = channels.get(spec.name)!.bindings().get('kafka')!.value<{
        partitions: number;
        replicas: number;
        topicConfiguration: Record<string, unknown>;
      }>();
      expect(kafka.partitions).toBe(spec.partitions);
      expect(kafka.replicas).toBe(spec.replicationFactor);
      expect(Object.keys(kafka.topicConfiguration).sort()).toEqual(
        Object.keys(spec.configs).sort(),
      );
    }
  });

  it('gives each output topic its Avro schema, resolved from schemas/<domain>.avsc', () => {
    const names = topicSpecs();
    for (const domain of DOMAIN_KEYS) {
      const topic = names.find((s) => s.key === domain)!.name;
      const [message] = document!
        .channels()
        .all()
        .find((c) => c.address() === topic)!
        .messages()
        .all();
      const avsc = JSON.parse(
        readFileSync(join(projectRoot(), 'schemas', `${domain}.avsc`), 'utf8'),
      ) as { name: string };
      expect(message!.schemaFormat()).toBe('application/vnd.apache.avro;version=1.9.0');
      // The Avro parser turned the record into a JSON schema: the $ref was followed.
      expect(message!.payload()!.properties()).toHaveProperty('payload');
      expect(message!.name()).toBe(avsc.name);
    }
  });

  it('is what `npm run docs:asyncapi` writes today', () => {
    // Fails when infra/topics.json, schemas/*.avsc or the header names changed without a
    // regeneration: run `npm run docs:asyncapi` and commit the result.
    expect(renderAsyncApi()).toBe(committed);
  });
});
