import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';
import {
  loadSchemas,
  type AvroRecordSchema,
} from '../../../services/transformer/src/avro/schema-catalog.js';
import { topicFile, type TopicFile } from '../../../services/common/src/topics.js';
import {
  GENERATED_TOPICS_PATH,
  GENERATED_TYPES_PATH,
  generateTopics,
  generateTypes,
} from '../../../tools/schema-types-generator.js';

const committed = () => readFileSync(join(projectRoot(), GENERATED_TYPES_PATH), 'utf8');

describe('generated TypeScript types (docs/style.md)', () => {
  it('match schemas/*.avsc: run `npm run schemas:types` after editing a schema', async () => {
    expect(await generateTypes()).toBe(committed());
  });

  it('would notice a schema edit (the drift check can fail)', async () => {
    const schemas = loadSchemas();
    const contact = structuredClone<AvroRecordSchema>(schemas.contact);
    contact.fields.push({ name: 'addedLater', type: ['null', 'string'], default: null });
    const edited = await generateTypes({ ...schemas, contact });
    expect(edited).not.toBe(committed());
    expect(edited).toMatch(/addedLater: string \| null;/);
  });

  it('type the payload union in avsc wrapped form and nullable fields as T | null', () => {
    const source = committed();
    expect(source).toContain("| { 'com.neuronx.events.ContactIngested': ContactIngested }");
    expect(source).toMatch(/email: string \| null;/);
    expect(source).toMatch(/startTime: number \| null;/);
    expect(source).toMatch(/tags: string\[\] \| null;/);
    expect(source).toMatch(/attributes: Record<string, string>;/);
  });

  it('refuses one record name defined two different ways', async () => {
    const schemas = loadSchemas();
    const opportunity = structuredClone<AvroRecordSchema>(schemas.opportunity);
    const json = JSON.stringify(opportunity).replace(
      '"name":"field","type":"string"',
      '"name":"field","type":["null","string"],"default":null',
    );
    await expect(
      generateTypes({ ...schemas, opportunity: JSON.parse(json) as AvroRecordSchema }),
    ).rejects.toThrow(/FieldChange is defined differently/);
  });
});

const committedTopics = () => readFileSync(join(projectRoot(), GENERATED_TOPICS_PATH), 'utf8');

/** infra/topics.json with `edit` applied to a copy. */
const editedTopicFile = (edit: (file: TopicFile) => void): TopicFile => {
  const file = structuredClone(topicFile());
  edit(file);
  return file;
};

describe('generated topic roles (infra/topics.json)', () => {
  it('match infra/topics.json: run `npm run schemas:types` after editing it', async () => {
    expect(await generateTopics()).toBe(committedTopics());
  });

  it('would notice a domain added to infra/topics.json, with its key fields', async () => {
    const schemas = { ...loadSchemas(), lead: loadSchemas().contact };
    const file = editedTopicFile((f) =>
      f.topics.push({
        key: 'lead' as never,
        name: 'neuronx.lead',
        description: 'leads',
        domain: { keyFields: ['contactId'] },
        configs: {},
      }),
    );
    const edited = await generateTopics(file, schemas);
    expect(edited).not.toBe(committedTopics());
    expect(edited).toMatch(/DOMAIN_KEYS = \[[^\]]*'workflow',\s*'lead',?\s*\] as const/);
    expect(edited).toMatch(/lead: \['contactId'\] as const/);
    // The value types follow the same list: the new domain gets its DomainEventValues entry.
    expect(await generateTypes(schemas, file)).toMatch(/lead: \w+;/);
  });

  it('refuses a key field that is not a required string field of every payload record', async () => {
    const nullable = editedTopicFile((f) => {
      f.topics.find((t) => t.key === 'workflow')!.domain!.keyFields = ['workflowId', 'stepId'];
    });
    await expect(generateTopics(nullable)).rejects.toThrow(
      /workflow: key field stepId is not a required string field of com\.neuronx\.events\.WorkflowStarted/,
    );
    const none = editedTopicFile((f) => {
      f.topics.find((t) => t.key === 'contact')!.domain!.keyFields = [];
    });
    await expect(generateTopics(none)).rejects.toThrow(/contact: domain.keyFields must list/);
  });

  it('refuses a domain without its schema', async () => {
    const file = editedTopicFile((f) => {
      f.topics.find((t) => t.key === 'dlq')!.domain = { keyFields: ['id'] };
    });
    await expect(generateTopics(file, loadSchemas())).rejects.toThrow(
      /domain dlq has no schemas\/dlq\.avsc/,
    );
  });
});
