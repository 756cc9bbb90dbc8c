import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { projectRoot } from '../../../services/common/src/project-root.js';
import {
  CANONICAL_TYPES,
  EVENT_MAPPINGS,
  GHL_ALIASES,
  mappingFor,
} from '../../../services/transformer/src/mapping/event-mapping.js';
import { PAYLOAD_RECORD_DOMAINS } from '../../../services/transformer/src/avro/generated/neuronx-events.js';

// The seed specification's per-category tables, copied by hand (reproduced in docs/ghl-webhooks.md).
const PER_CATEGORY_TABLES: Record<string, string> = {
  'contact.created': 'neuronx.contact.ingested',
  'contact.updated': 'neuronx.contact.updated',
  'contact.deleted': 'neuronx.contact.deleted',
  'contact.tag.added': 'neuronx.contact.tagged',
  'contact.tag.removed': 'neuronx.contact.untagged',
  'opportunity.created': 'neuronx.opportunity.created',
  'opportunity.updated': 'neuronx.opportunity.updated',
  'opportunity.deleted': 'neuronx.opportunity.deleted',
  'opportunity.stage_changed': 'neuronx.opportunity.stage_changed',
  'conversation.created': 'neuronx.conversation.started',
  'conversation.message.sent': 'neuronx.message.sent',
  'conversation.message.received': 'neuronx.message.received',
  'conversation.status_changed': 'neuronx.conversation.status_changed',
  'calendar.event.created': 'neuronx.appointment.booked',
  'calendar.event.updated': 'neuronx.appointment.updated',
  'calendar.event.cancelled': 'neuronx.appointment.cancelled',
  'calendar.event.completed': 'neuronx.appointment.completed',
  'workflow.triggered': 'neuronx.workflow.started',
  'workflow.step.completed': 'neuronx.workflow.step_completed',
  'workflow.completed': 'neuronx.workflow.completed',
  'workflow.failed': 'neuronx.workflow.failed',
};

// The seed's final summary table: four names that lose to the per-category tables.
const SUMMARY_TABLE_LOSERS = [
  'neuronx.opportunity.progressed',
  'neuronx.communication.received',
  'neuronx.appointment.scheduled',
];

describe('event mapping (the seed per-category tables as data)', () => {
  it('maps exactly the 21 seed events to their per-category NeuronX names', () => {
    expect(CANONICAL_TYPES).toHaveLength(21);
    const actual = Object.fromEntries(
      Object.values(EVENT_MAPPINGS).map((m) => [m.canonicalType, m.neuronxType]),
    );
    expect(actual).toEqual(PER_CATEGORY_TABLES);
    for (const [canonicalType, mapping] of Object.entries(EVENT_MAPPINGS))
      expect(mapping.canonicalType).toBe(canonicalType);
  });

  it('never uses the names of the seed summary table', () => {
    const names = Object.values(EVENT_MAPPINGS).map((m) => m.neuronxType);
    for (const loser of SUMMARY_TABLE_LOSERS) expect(names).not.toContain(loser);
  });

  it('puts each payload record in the schema of its domain, and uses every record once', () => {
    const records = Object.values(EVENT_MAPPINGS).map((m) => m.record);
    expect(new Set(records).size).toBe(21);
    expect(new Set(records)).toEqual(new Set(Object.keys(PAYLOAD_RECORD_DOMAINS)));
    for (const m of Object.values(EVENT_MAPPINGS))
      expect(PAYLOAD_RECORD_DOMAINS[m.record]).toBe(m.domain);
  });

  it('takes dateAdded as the occurrence time only for creations', () => {
    const creations = Object.values(EVENT_MAPPINGS)
      .filter((m) => m.dateAddedIsOccurrence)
      .map((m) => m.canonicalType)
      .sort();
    expect(creations).toEqual([
      'calendar.event.created',
      'contact.created',
      'conversation.created',
      'conversation.message.received',
      'conversation.message.sent',
      'opportunity.created',
    ]);
  });

  it('is the table downstream teams read in schemas/README.md, GHL aliases included', () => {
    const documented = documentedMapping();
    expect(documented.map((row) => row.canonicalType)).toEqual([...CANONICAL_TYPES]);
    for (const row of documented) {
      const mapping = EVENT_MAPPINGS[row.canonicalType as keyof typeof EVENT_MAPPINGS];
      expect(mapping.neuronxType, row.canonicalType).toBe(row.neuronxType);
      expect(mapping.record, row.canonicalType).toBe(row.record);
    }
    expect(GHL_ALIASES).toEqual(
      Object.fromEntries(documented.flatMap((row) => row.ghl.map((g) => [g, row.canonicalType]))),
    );
  });

  it('resolves the GHL aliases of docs/ghl-webhooks.md, including the documented extension', () => {
    for (const extension of [
      'OpportunityStatusUpdate',
      'OpportunityMonetaryValueUpdate',
      'OpportunityAssignedToUpdate',
    ])
      expect(GHL_ALIASES[extension]).toBe('opportunity.updated');
    expect(GHL_ALIASES.ContactTagUpdate).toBe('contact.updated');
    expect(mappingFor('ContactTagUpdate')?.neuronxType).toBe('neuronx.contact.updated');
    expect(mappingFor('InboundMessage')?.neuronxType).toBe('neuronx.message.received');
    expect(mappingFor('contact.created')?.neuronxType).toBe('neuronx.contact.ingested');
  });

  it('knows nothing of unmapped or differently spelled types', () => {
    expect(mappingFor('InvoiceCreate')).toBeUndefined();
    expect(mappingFor('Contact.Created')).toBeUndefined();
    expect(mappingFor('contactcreate')).toBeUndefined();
    expect(mappingFor('toString')).toBeUndefined();
  });
});

interface DocumentedRow {
  canonicalType: string;
  ghl: string[];
  neuronxType: string;
  record: string;
}

/** The rows of the mapping table of schemas/README.md ("## Mapping"). */
function documentedMapping(): DocumentedRow[] {
  const readme = readFileSync(join(projectRoot(), 'schemas', 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('\n## Mapping\n'));
  const table = section.slice(section.indexOf('\n|')).split('\n\n')[0]!;
  const names = (cell: string) => [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  return table
    .split('\n')
    .filter((line) => line.startsWith('| `'))
    .map((line) => {
      const cells = line.split('|').slice(1, -1);
      return {
        canonicalType: names(cells[0]!)[0]!,
        ghl: names(cells[1]!),
        neuronxType: names(cells[2]!)[0]!,
        record: names(cells[3]!)[0]!,
      };
    });
}
