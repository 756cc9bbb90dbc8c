// The console page: four views over /api, rendered with DOM calls only (every value from Kafka is
// untrusted text: nothing is ever inserted as HTML).
'use strict';
(function () {
  const main = document.getElementById('main');
  // Who is signed in: the operator the token belongs to (the server's audit names them, never
  // anything typed here).
  const operator = document.getElementById('operator');
  let session = null;
  let timer = null;

  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === undefined || v === null || v === false) continue;
      if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
      else if (k === 'className') e.className = v;
      else e.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat())
      if (c !== null && c !== undefined) e.append(c instanceof Node ? c : String(c));
    return e;
  }
  function table(headers, rows) {
    return el(
      'table',
      {},
      el(
        'thead',
        {},
        el(
          'tr',
          {},
          headers.map((h) => el('th', {}, h)),
        ),
      ),
      el(
        'tbody',
        {},
        rows.map((r) =>
          el(
            'tr',
            {},
            r.map((c) => el('td', {}, c === null || c === undefined ? '-' : c)),
          ),
        ),
      ),
    );
  }
  async function api(path, opts) {
    opts = opts || {};
    if (!session && path !== '/api/session') {
      session = await api('/api/session');
      operator.textContent = `signed in as ${session.operator}`;
    }
    const headers = { accept: 'application/json' };
    if (opts.body !== undefined) {
      headers['content-type'] = 'application/json';
      headers['x-csrf-token'] = session.csrf;
    }
    const res = await fetch(path, {
      method: opts.body !== undefined ? 'POST' : 'GET',
      headers,
      credentials: 'same-origin',
      body: opts.body !== undefined ? JSON.stringify(opts.body) : undefined,
    });
    const data = await res.json().catch(() => ({ error: `HTTP ${res.status}`, code: 'HTTP' }));
    if (!res.ok) {
      const err = new Error(`${data.error} (${data.code})`);
      err.code = data.code;
      err.records = data.records;
      throw err;
    }
    return data;
  }
  function errorBox(err) {
    return el('p', { className: 'error', role: 'alert' }, String(err.message || err));
  }
  function qs(params) {
    const u = new URLSearchParams();
    for (const [k, v] of Object.entries(params))
      if (v !== undefined && v !== null && v !== '') u.set(k, v);
    return u.toString();
  }
  function formValues(form) {
    return Object.fromEntries(new FormData(form).entries());
  }
  function progressBar(job) {
    const pct =
      job.total > 0
        ? Math.min(100, Math.round((job.done / job.total) * 100))
        : job.state === 'done'
          ? 100
          : 0;
    const inner = el('div');
    inner.style.width = `${pct}%`;
    return el(
      'div',
      {},
      el('div', { className: 'progress' }, inner),
      el(
        'span',
        { className: 'muted', 'data-testid': 'job-state' },
        `${job.kind} ${job.state}: ${job.done}${job.total ? ` / ${job.total}` : ''}`,
      ),
    );
  }
  async function followJob(id, into, onDone) {
    for (;;) {
      const job = await api(`/api/jobs/${id}`);
      into.replaceChildren(progressBar(job));
      if (job.state !== 'running') {
        if (job.state === 'failed') into.append(errorBox(new Error(job.error)));
        if (onDone) onDone(job);
        return job;
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  }

  // ---- Overview
  async function overview() {
    const box = el(
      'div',
      {},
      el('h2', {}, 'Overview'),
      el('p', { className: 'muted' }, 'loading…'),
    );
    main.replaceChildren(box);
    const draw = async () => {
      let o;
      try {
        o = await api('/api/overview');
      } catch (err) {
        box.replaceChildren(el('h2', {}, 'Overview'), errorBox(err));
        return;
      }
      const badge = (name, r) =>
        el(
          'span',
          {
            className: `badge ${r.status === 'ready' ? 'ready' : 'bad'}`,
            title: r.reasons.join('; '),
          },
          `${name}: ${r.status}`,
        );
      const rates = o.rates;
      const pick = (k) => rates.map((r) => r[k]);
      const lagRows = o.lag.partitions || [];
      const reasons = [...new Set(o.dlq.buckets.flatMap((b) => Object.keys(b.counts)))];
      box.replaceChildren(
        el('h2', {}, 'Overview'),
        el(
          'p',
          {},
          badge('ingress', o.readiness.ingress),
          badge('transformer', o.readiness.transformer),
        ),
        el(
          'div',
          { className: 'cards' },
          el(
            'div',
            { className: 'card' },
            el('h3', {}, 'Ingress (requests/s)'),
            Charts.lineChart(
              { accepted: pick('accepted'), 429: pick('throttled'), '4xx': pick('clientErrors') },
              { width: 420, label: 'ingress rates' },
            ),
          ),
          el(
            'div',
            { className: 'card' },
            el('h3', {}, 'Transformer (records/s)'),
            Charts.lineChart(
              { processed: pick('processed'), emitted: pick('emitted'), dlq: pick('dlq') },
              { width: 420, label: 'transformer throughput' },
            ),
          ),
          el(
            'div',
            { className: 'card' },
            el('h3', {}, `Lag per partition${o.lag.group ? ` (${o.lag.group})` : ''}`),
            o.lag.error
              ? el('p', { className: 'muted' }, o.lag.error)
              : Charts.stackedBars(
                  lagRows.map((p) => ({
                    label: `partition ${p.partition}`,
                    short: `p${p.partition}`,
                    values: { lag: p.lag || 0 },
                  })),
                  ['lag'],
                  { width: 420, label: 'lag per partition' },
                ),
          ),
          el(
            'div',
            { className: 'card', 'data-testid': 'dlq-chart' },
            el('h3', {}, `DLQ records by reason, last 24 h (${o.dlq.total})`),
            Charts.stackedBars(
              o.dlq.buckets.map((b) => ({
                label: b.t,
                short: b.t.slice(11, 16),
                values: b.counts,
              })),
              reasons,
              { width: 420, label: 'DLQ by reason over time' },
            ),
          ),
        ),
      );
    };
    await draw();
    timer = setInterval(draw, 5000);
  }

  // ---- Events
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

  // ---- Failures
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
  function previewView(p, onRedrive) {
    return [
      el('h3', {}, `What a redrive sends to ${p.topic} (${p.records.length} record(s))`),
      p.redriven && p.redriven.length > 0
        ? el(
            'p',
            { className: 'error', 'data-testid': 'preview-redriven' },
            `redriven already (a redrive of the selection is refused): ${p.redriven.join(', ')}`,
          )
        : null,
      ...p.records.map((r) =>
        el(
          'div',
          { className: 'card', 'data-testid': 'preview-record', 'data-dlq': r.dlq },
          el('div', {}, `from ${r.dlq} → partition ${r.partition ?? 'by key'} · key ${r.key}`),
          el(
            'pre',
            {},
            Object.entries(r.headers)
              .map(([k, v]) => `${k}: ${v}`)
              .join('\n'),
          ),
          el('pre', {}, r.body ?? 'null'),
        ),
      ),
      el('button', { className: 'danger', onclick: onRedrive }, 'Redrive…'),
    ].filter((x) => x !== null);
  }
  async function preview(sel, g, detail) {
    detail.replaceChildren(el('p', { className: 'muted' }, 'preparing preview…'));
    try {
      const p = await api(`/api/failures/preview?${qs(sel)}`);
      detail.replaceChildren(...previewView(p, () => confirmRedrive(sel, g, detail)));
    } catch (err) {
      detail.replaceChildren(errorBox(err));
    }
  }
  async function previewSelection(sel, detail) {
    detail.replaceChildren(el('p', { className: 'muted' }, 'preparing preview…'));
    try {
      const p = await api('/api/failures/records/preview', { body: sel });
      detail.replaceChildren(...previewView(p, () => confirmRedrive(sel, null, detail)));
    } catch (err) {
      detail.replaceChildren(errorBox(err));
    }
  }
  // `g` null: `sel` is a selection of records ({records}), redriven by address.
  function confirmRedrive(sel, g, detail) {
    const out = el('div');
    const question = g
      ? `Redrive ${g.count} DLQ record(s) (${g.reason} / ${g.eventType ?? 'no type'}) back to ghl.raw?`
      : `Redrive the ${sel.records.length} selected DLQ record(s) back to ghl.raw?`;
    const box = el(
      'div',
      { className: 'confirm', role: 'dialog' },
      el(
        'p',
        {},
        `${question} Fix the cause first; a second redrive of the same events yields no second output.`,
      ),
      el(
        'button',
        {
          className: 'danger',
          'data-testid': 'confirm-redrive',
          onclick: async (e) => {
            e.target.disabled = true;
            try {
              const job = g
                ? await api('/api/failures/redrive', { body: sel })
                : await api('/api/failures/records/redrive', { body: sel });
              await followJob(job.id, out, (j) => {
                if (j.state === 'done')
                  out.append(
                    el(
                      'p',
                      { 'data-testid': 'redrive-done' },
                      `redriven ${j.result.redriven} of ${j.result.selected}`,
                      ' ',
                      el('button', { onclick: () => route() }, 'Refresh'),
                    ),
                  );
              });
            } catch (err) {
              out.replaceChildren(errorBox(err));
            }
          },
        },
        'Confirm redrive',
      ),
      ' ',
      el('button', { onclick: () => detail.replaceChildren() }, 'Cancel'),
      out,
    );
    detail.replaceChildren(box);
  }

  // ---- Replay
  function replay() {
    const out = el('div');
    const field = (name, label, placeholder, value) =>
      el('label', {}, label, el('input', { name, placeholder, value: value || '' }));
    const form = el(
      'form',
      { className: 'inline', onsubmit: (e) => e.preventDefault() },
      field('from', 'from', '2h / ISO / earliest / 0:120', '1h'),
      field('to', 'to (exclusive)', 'ISO (default: now)'),
      field('types', 'types', 'ContactCreate,contact.created'),
      field('locations', 'locations', 'location ids'),
      field('rate', 'rate (records/s)', '100', '100'),
    );
    const body = (dryRun) => {
      const v = formValues(form);
      const list = (s) =>
        s
          ? s
              .split(',')
              .map((x) => x.trim())
              .filter(Boolean)
          : undefined;
      return {
        from: v.from,
        to: v.to || undefined,
        types: list(v.types),
        locations: list(v.locations),
        rate: Number(v.rate) || 100,
        dryRun,
      };
    };
    const dry = el(
      'button',
      {
        onclick: async () => {
          out.replaceChildren(el('p', { className: 'muted' }, 'counting…'));
          try {
            const r = await api('/api/replay', { body: body(true) });
            out.replaceChildren(
              el(
                'p',
                { 'data-testid': 'dry-run' },
                `dry run: ${r.selected} record(s) would be replayed (${r.scanned} scanned, ${r.skipped} skipped by filter)`,
              ),
            );
          } catch (err) {
            out.replaceChildren(errorBox(err));
          }
        },
      },
      'Dry run (count)',
    );
    const run = el(
      'button',
      {
        className: 'danger',
        onclick: () => {
          const progress = el('div');
          out.replaceChildren(
            el(
              'div',
              { className: 'confirm' },
              el(
                'p',
                {},
                'Republish the selected ghl.raw records? The transformer emits each of them once more.',
              ),
              el(
                'button',
                {
                  className: 'danger',
                  onclick: async (e) => {
                    e.target.disabled = true;
                    try {
                      const job = await api('/api/replay', { body: body(false) });
                      progress.before(
                        el(
                          'p',
                          {},
                          'replay id ',
                          el('code', { 'data-testid': 'replay-id' }, job.info.replayId),
                        ),
                      );
                      await followJob(job.id, progress);
                    } catch (err) {
                      progress.replaceChildren(errorBox(err));
                    }
                  },
                },
                'Confirm replay',
              ),
              progress,
            ),
          );
        },
      },
      'Replay…',
    );
    main.replaceChildren(
      el('h2', {}, 'Replay'),
      el(
        'p',
        { className: 'muted' },
        'Republish a range of ghl.raw with a new replay id; trace the events afterwards.',
      ),
      form,
      el('p', {}, dry, ' ', run),
      out,
    );
  }

  async function route() {
    clearInterval(timer);
    const [path, query] = (location.hash.slice(1) || '/overview').split('?');
    const params = Object.fromEntries(new URLSearchParams(query || ''));
    const parts = path.split('/').filter(Boolean);
    for (const a of document.querySelectorAll('header nav a'))
      a.classList.toggle('active', a.dataset.page === (parts[0] === 'event' ? 'events' : parts[0]));
    if (parts[0] === 'events') return events(params);
    if (parts[0] === 'event')
      return eventPage(decodeURIComponent(parts.slice(1).join('/')), params);
    if (parts[0] === 'failures') return failures(params);
    if (parts[0] === 'replay') return replay();
    return overview();
  }
  window.addEventListener('hashchange', route);
  route();
})();
