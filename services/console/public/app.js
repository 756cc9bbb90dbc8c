// The console page: four views over /api, rendered with DOM calls only (every value from Kafka is
// untrusted text: nothing is ever inserted as HTML). index.html loads its classic scripts in order
// (common.js, then overview, events, failures, redrive, replay), which share their top-level names;
// this one, loaded last, routes the address to the views and starts the page.
'use strict';
/* global timer, overview, events, eventPage, failures, replay */

async function route() {
  clearInterval(timer);
  const [path, query] = (location.hash.slice(1) || '/overview').split('?');
  const params = Object.fromEntries(new URLSearchParams(query || ''));
  const parts = path.split('/').filter(Boolean);
  for (const a of document.querySelectorAll('header nav a'))
    a.classList.toggle('active', a.dataset.page === (parts[0] === 'event' ? 'events' : parts[0]));
  if (parts[0] === 'events') return events(params);
  if (parts[0] === 'event') return eventPage(decodeURIComponent(parts.slice(1).join('/')), params);
  if (parts[0] === 'failures') return failures(params);
  if (parts[0] === 'replay') return replay();
  return overview();
}
window.addEventListener('hashchange', route);
route();
