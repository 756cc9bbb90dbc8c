// The console's Events: the search form and its results, and one event's lineage (trace) with
// its raw body and decoded output.
'use strict';
/* global main, el, table, api, errorBox, qs, formValues */
/* exported events, eventPage */

function searchForm(values, onSubmit) {
  const field = (name, label, placeholder) =>
    el('label', {}, label, el('input', { name, value: values[name] || '', placeholder }));
  const form = el(
    'form',
    {
      className: 'inline',
      onsubmit: (e) => {
        e.preventDefault();
        onSubmit(formValues(form));
      },
    },
    field('eventId', 'event ID', 'evt_…'),
    field('contact', 'contact', 'contact id'),
    field('location', 'location', 'location id'),
    field('type', 'type', 'ContactCreate,…'),
    field('since', 'since', '24h / ISO'),
    field('until', 'until', 'ISO'),
    el('button', { className: 'primary', type: 'submit' }, 'Search'),
  );
  return form;
}
function scannedTable(result) {
  return el(
    'details',
    {},
    el(
      'summary',
      { className: 'muted' },
      `read ${result.totals.records} record(s), ${result.totals.bytes} bytes in ${result.totals.ms} ms`,
    ),
    table(
      ['topic', 'partitions (from-to)', 'records', 'bytes', 'why'],
      result.scanned.map((s) => [
        s.topic,
        s.ranges.map((r) => `${r.partition}:${r.from}-${r.to}`).join(' '),
        s.records,
        s.bytes,
        s.why,
      ]),
    ),
  );
}
async function events(params) {
  const results = el('div');
  main.replaceChildren(
    el('h2', {}, 'Events'),
    searchForm(params, (v) => {
      location.hash = `#/events?${qs(v)}`;
    }),
    results,
  );
  if (!Object.values(params).some((v) => v)) return;
  if (params.eventId && !params.contact && !params.location && !params.type) {
    location.hash = `#/event/${encodeURIComponent(params.eventId)}?${qs({ since: params.since, until: params.until })}`;
    return;
  }
  results.append(el('p', { className: 'muted' }, 'searching…'));
  try {
    const r = await api(`/api/events?${qs(params)}`);
    results.replaceChildren(
      r.events.length === 0
        ? el('p', {}, 'no matching records')
        : table(
            ['event', 'type', 'location', 'first seen', 'steps'],
            r.events.map((e) => [
              el(
                'a',
                {
                  href: `#/event/${encodeURIComponent(e.eventId)}?${qs({ since: params.since, until: params.until })}`,
                },
                e.eventId,
              ),
              e.eventType,
              e.locationId,
              e.steps[0] && e.steps[0].time,
              e.steps.map((s) => s.kind).join(' → '),
            ]),
          ),
      scannedTable(r),
    );
  } catch (err) {
    results.replaceChildren(errorBox(err));
  }
}
function stepView(s) {
  const head = el(
    'div',
    {},
    el('strong', {}, s.kind),
    ' ',
    el('span', { className: 'muted' }, `${s.time} · ${s.topic}/${s.partition}/${s.offset}`),
  );
  const facts = [];
  if (s.kind === 'output')
    facts.push(
      `${s.neuronxType} · key ${s.key} · tenant ${s.tenantId ?? '-'} · schema ${s.schemaId}`,
    );
  else if (s.kind === 'dlq')
    facts.push(`${s.reason} at ${s.stage} after ${s.attempts} attempt(s): ${s.error}`);
  else
    facts.push(
      `received ${s.receivedAt ?? '-'} · request ${s.requestId ?? '-'} · ${s.signatureScheme ?? '-'} · ${s.contentBytes} bytes${s.source ? ` · of ${s.source}` : ''}${s.processed === false ? ' · not processed yet' : ''}`,
    );
  const body =
    s.kind === 'output'
      ? s.decoded === undefined
        ? null
        : JSON.stringify(s.decoded, null, 2)
      : s.body;
  return el(
    'div',
    { className: `step ${s.kind}`, 'data-kind': s.kind },
    head,
    el('div', {}, facts),
    body === null || body === undefined
      ? null
      : el('pre', { 'data-testid': s.kind === 'output' ? 'decoded-output' : 'raw-body' }, body),
  );
}
async function eventPage(id, params) {
  const box = el(
    'div',
    {},
    el('h2', {}, 'Event ', el('code', {}, id)),
    el('p', { className: 'muted' }, 'tracing…'),
  );
  main.replaceChildren(box);
  try {
    const r = await api(`/api/events/${encodeURIComponent(id)}?${qs(params)}`);
    const e = r.events[0];
    const reveal =
      params.reveal === '1'
        ? el('span', { className: 'muted' }, 'personal data revealed (logged)')
        : el(
            'button',
            {
              onclick: () => {
                location.hash = `#/event/${encodeURIComponent(id)}?${qs({ ...params, reveal: '1' })}`;
              },
            },
            'Reveal emails and phone numbers (logged)',
          );
    box.replaceChildren(
      el('h2', {}, 'Event ', el('code', {}, id)),
      e
        ? el('p', {}, `type ${e.eventType ?? '-'} · location ${e.locationId ?? '-'} · `, reveal)
        : el('p', {}, 'no records of this event found in the window read'),
      e ? el('div', { 'data-testid': 'lineage' }, e.steps.map(stepView)) : null,
      scannedTable(r),
    );
  } catch (err) {
    box.append(errorBox(err));
  }
}
