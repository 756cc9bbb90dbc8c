// The console's Overview: readiness of the services, their rates, the lag and the DLQ by reason
// (charts.js draws the charts), redrawn every 5 s.
'use strict';
/* global main, el, api, errorBox */
/* exported timer, overview */

// The redraw interval; the router (app.js) stops it on every change of view.
let timer = null;

async function overview() {
  const box = el('div', {}, el('h2', {}, 'Overview'), el('p', { className: 'muted' }, 'loading…'));
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
