// Hand-drawn SVG charts (no library, no network): lines over time, bars, stacked bars.
'use strict';
(function () {
  const NS = 'http://www.w3.org/2000/svg';
  const COLORS = [
    '#2f6fd6',
    '#c9473b',
    '#d6912f',
    '#2e9d5b',
    '#8e5bd6',
    '#3bb3c9',
    '#7a7f8c',
    '#d65fa3',
    '#5f8c2e',
  ];
  function svgEl(tag, attrs) {
    const e = document.createElementNS(NS, tag);
    for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, String(v));
    return e;
  }
  function frame(width, height, max, label) {
    const svg = svgEl('svg', {
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'img',
      'aria-label': label,
    });
    svg.appendChild(
      svgEl('line', { x1: 40, y1: height - 20, x2: width - 5, y2: height - 20, stroke: '#ccd' }),
    );
    for (const f of [0, 0.5, 1]) {
      const y = height - 20 - f * (height - 35);
      const t = svgEl('text', { x: 2, y: y + 3 });
      t.textContent = formatNumber(max * f);
      svg.appendChild(t);
      svg.appendChild(svgEl('line', { x1: 40, y1: y, x2: width - 5, y2: y, stroke: '#eef' }));
    }
    return svg;
  }
  function formatNumber(n) {
    return n >= 100 ? String(Math.round(n)) : n >= 10 ? n.toFixed(1) : n.toFixed(2);
  }
  function legend(names) {
    const div = document.createElement('div');
    div.className = 'legend';
    names.forEach((name, i) => {
      const s = document.createElement('span');
      const sw = document.createElement('i');
      sw.style.background = COLORS[i % COLORS.length];
      s.append(sw, document.createTextNode(name));
      div.appendChild(s);
    });
    return div;
  }
  /** series: {name: [values]} over the same points; returns a div with the chart and a legend. */
  function lineChart(series, opts) {
    const width = opts.width || 400,
      height = opts.height || 140;
    const names = Object.keys(series);
    const n = Math.max(0, ...names.map((k) => series[k].length));
    const max = Math.max(1e-9, ...names.flatMap((k) => series[k]));
    const svg = frame(width, height, max, opts.label);
    names.forEach((name, i) => {
      const values = series[name];
      if (values.length === 0) return;
      const pts = values.map((v, j) => {
        const x = 40 + (n <= 1 ? 0 : (j / (n - 1)) * (width - 45));
        const y = height - 20 - (v / max) * (height - 35);
        return `${x.toFixed(1)},${y.toFixed(1)}`;
      });
      svg.appendChild(
        svgEl('polyline', {
          points: pts.join(' '),
          fill: 'none',
          stroke: COLORS[i % COLORS.length],
          'stroke-width': 2,
        }),
      );
    });
    if (n === 0) {
      const t = svgEl('text', { x: width / 2 - 40, y: height / 2 });
      t.textContent = 'no samples yet';
      svg.appendChild(t);
    }
    const div = document.createElement('div');
    div.append(svg, legend(names));
    return div;
  }
  /** bars: [{label, values: {name: n}}] stacked per bar. */
  function stackedBars(bars, names, opts) {
    const width = opts.width || 400,
      height = opts.height || 140;
    const totals = bars.map((b) => names.reduce((s, k) => s + (b.values[k] || 0), 0));
    const max = Math.max(1, ...totals);
    const svg = frame(width, height, max, opts.label);
    const w = (width - 45) / Math.max(1, bars.length);
    bars.forEach((b, i) => {
      let y = height - 20;
      names.forEach((name, k) => {
        const v = b.values[name] || 0;
        if (!v) return;
        const h = (v / max) * (height - 35);
        y -= h;
        const r = svgEl('rect', {
          x: 40 + i * w + 1,
          y,
          width: Math.max(1, w - 2),
          height: h,
          fill: COLORS[k % COLORS.length],
        });
        const title = svgEl('title');
        title.textContent = `${b.label} ${name}: ${v}`;
        r.appendChild(title);
        svg.appendChild(r);
      });
      if (bars.length <= 12 || i % Math.ceil(bars.length / 8) === 0) {
        const t = svgEl('text', { x: 40 + i * w, y: height - 6 });
        t.textContent = b.short || b.label;
        svg.appendChild(t);
      }
    });
    const div = document.createElement('div');
    div.append(svg, legend(names));
    return div;
  }
  window.Charts = { lineChart, stackedBars };
})();
