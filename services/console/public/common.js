// The console page's shared parts, loaded first: the page's elements and session, DOM building
// (`el`, `table`: every value from Kafka is untrusted text, nothing is ever inserted as HTML), the
// /api calls with the session and its CSRF token, and a job's progress.
'use strict';
/* exported main, table, qs, formValues, followJob */

const main = document.getElementById('main');
// Who is signed in: the operator the token belongs to (the server's audit names them, never
// anything typed here).
const operator = document.getElementById('operator');
let session = null;

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
