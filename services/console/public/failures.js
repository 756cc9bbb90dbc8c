// The console's Failures: the open DLQ groups, and the records of one group with boxes to tick
// for a selection (redrive.js previews and redrives it).
'use strict';
/* global main, el, table, api, errorBox, qs, preview, previewSelection, confirmRedrive */
/* exported failures */

const groupLabel = (g) => `${g.reason ?? '(no reason)'} / ${g.eventType ?? '(no type)'}`;
async function failures(params) {
  const since = params.since || '24h';
  const sinceSelect = el(
    'select',
    {
      name: 'since',
      onchange: (e) => {
        location.hash = `#/failures?since=${e.target.value}`;
      },
    },
    ['1h', '24h', '7d', '30d'].map((v) =>
      el('option', { value: v, selected: v === since }, `last ${v}`),
    ),
  );
  const detail = el('div');
  const recordsBox = el('div');
  const list = el('div', {}, el('p', { className: 'muted' }, 'reading the DLQ…'));
  main.replaceChildren(
    el('h2', {}, 'Failures'),
    el('p', {}, 'open DLQ records (not redriven) ', sinceSelect),
    list,
    recordsBox,
    detail,
  );
  let data;
  try {
    data = await api(`/api/failures?since=${encodeURIComponent(since)}`);
  } catch (err) {
    list.replaceChildren(errorBox(err));
    return;
  }
  const selector = (g) => ({ reason: g.reason, eventType: g.eventType, since });
  const openRecords = (g) => {
    location.hash = `#/failures?${qs({ since, group: '1', reason: g.reason, eventType: g.eventType })}`;
  };
  list.replaceChildren(
    data.groups.length === 0
      ? el('p', { 'data-testid': 'no-failures' }, 'no open DLQ records')
      : table(
          ['reason', 'event type', 'count', 'first seen', 'last seen', 'sample', ''],
          data.groups.map((g) => [
            g.reason,
            g.eventType ?? '(none)',
            el('span', { 'data-testid': 'group-count' }, String(g.count)),
            g.firstSeen,
            g.lastSeen,
            el(
              'div',
              {},
              el(
                'div',
                {},
                `${g.sample.eventId ?? '-'} · ${g.sample.stage ?? '-'}: ${g.sample.error ?? ''}`,
              ),
              g.sample.body
                ? el('details', {}, el('summary', {}, 'body'), el('pre', {}, g.sample.body))
                : null,
            ),
            el(
              'div',
              {},
              el('button', { onclick: () => openRecords(g) }, 'Records'),
              ' ',
              el('button', { onclick: () => preview(selector(g), g, detail) }, 'Preview'),
              ' ',
              el(
                'button',
                { className: 'danger', onclick: () => confirmRedrive(selector(g), g, detail) },
                'Redrive…',
              ),
            ),
          ]),
        ),
  );
  if (params.group === '1') {
    const g = { reason: params.reason || null, eventType: params.eventType || null };
    const open = data.groups.find((x) => x.reason === g.reason && x.eventType === g.eventType);
    await groupRecords(g, since, open ? open.count : 0, recordsBox, detail);
  }
}
// The open records of one group, each with a box to tick; the selection is previewed and
// redriven by address (exactly those records, nothing that arrived since).
async function groupRecords(g, since, count, box, detail) {
  const title = el('h3', {}, `Records of ${groupLabel(g)}`);
  box.replaceChildren(title, el('p', { className: 'muted' }, 'reading the records…'));
  if (count === 0) {
    box.replaceChildren(
      title,
      el('p', { 'data-testid': 'group-empty' }, 'no open records in this group'),
    );
    return;
  }
  let r;
  try {
    r = await api(
      `/api/failures/records?${qs({ reason: g.reason, eventType: g.eventType, since })}`,
    );
  } catch (err) {
    box.replaceChildren(title, errorBox(err));
    return;
  }
  if (r.records.length === 0) {
    box.replaceChildren(
      title,
      el('p', { 'data-testid': 'group-empty' }, 'no open records in this group'),
    );
    return;
  }
  const boxes = [];
  const countLabel = el('span', { 'data-testid': 'selection-count' }, '0 selected');
  const selectAll = el('input', {
    type: 'checkbox',
    'aria-label': 'select all records of the group',
    'data-testid': 'select-all',
  });
  const previewBtn = el('button', { disabled: true }, 'Preview selection');
  const redriveBtn = el('button', { className: 'danger', disabled: true }, 'Redrive selection…');
  const selected = () => boxes.filter((b) => b.checked).map((b) => b.dataset.address);
  const update = () => {
    const n = selected().length;
    countLabel.textContent = `${n} selected`;
    selectAll.checked = n === boxes.length;
    selectAll.indeterminate = n > 0 && n < boxes.length;
    previewBtn.disabled = redriveBtn.disabled = n === 0;
  };
  selectAll.addEventListener('change', () => {
    for (const b of boxes) b.checked = selectAll.checked;
    update();
  });
  const rows = r.records.map((rec) => {
    const tick = el('input', {
      type: 'checkbox',
      'aria-label': `select ${rec.address}`,
      'data-address': rec.address,
      onchange: update,
    });
    boxes.push(tick);
    const cells = [
      tick,
      el(
        'div',
        {},
        el('code', {}, rec.address),
        rec.running ? el('div', { className: 'muted' }, 'being redriven') : null,
      ),
      el('span', { className: 'id' }, rec.eventId ?? '-'),
      rec.eventType,
      rec.reason,
      `${rec.stage ?? '-'}: ${rec.error ?? ''}`,
      rec.attempts,
      rec.firstSeen,
      rec.at,
    ];
    return el(
      'tr',
      { 'data-testid': 'dlq-record', 'data-address': rec.address, 'data-event-id': rec.eventId },
      cells.map((c) => el('td', {}, c === null || c === undefined ? '-' : c)),
    );
  });
  const sel = () => ({ records: selected() });
  previewBtn.addEventListener('click', () => previewSelection(sel(), detail));
  redriveBtn.addEventListener('click', () => confirmRedrive(sel(), null, detail));
  box.replaceChildren(
    title,
    el(
      'p',
      { className: 'muted' },
      `${r.total} open record(s)${r.truncated ? `, the oldest ${r.records.length} listed` : ''}; tick records to preview and redrive only those`,
    ),
    el(
      'table',
      { className: 'records', 'data-testid': 'group-records' },
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          el('th', {}, selectAll),
          [
            'record',
            'event ID',
            'type',
            'reason',
            'stage: error',
            'attempts',
            'first seen',
            'dead-lettered at',
          ].map((h) => el('th', {}, h)),
        ),
      ),
      el('tbody', {}, rows),
    ),
    el('p', { className: 'actions' }, countLabel, ' ', previewBtn, ' ', redriveBtn),
  );
}
