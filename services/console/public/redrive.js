// The console's redrive: the preview of what a redrive of a group or of a selection of records
// sends, and the confirmation that starts it and follows its job.
'use strict';
/* global el, api, errorBox, qs, followJob, route */
/* exported preview, previewSelection, confirmRedrive */

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
