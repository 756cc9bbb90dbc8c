// The console's Replay: the range and filters, a dry run that counts, and the confirmed replay
// with its job.
'use strict';
/* global main, el, api, errorBox, formValues, followJob */
/* exported replay */

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
