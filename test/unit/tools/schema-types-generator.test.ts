import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';
import {
  loadSchemas,
  type AvroRecordSchema,
} from '../../../services/transformer/src/schema-catalog.js';
import { GENERATED_TYPES_PATH, generateTypes } from '../../../tools/schema-types-generator.js';

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
