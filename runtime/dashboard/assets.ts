/**
 * The dashboard's only stylesheet and script, served by the runtime itself (no CDN, nothing fetched from
 * elsewhere). URLs carry a hash of the content, so browsers may cache them for long and still see changes.
 */
import { createHash } from 'node:crypto';

const CSS = `
:root { --fg: #1f2328; --muted: #57606a; --bg: #ffffff; --panel: #f6f8fa; --line: #d0d7de; --link: #0550ae; --focus: #0969da; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; font: 15px/1.5 -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: var(--fg); background: var(--bg); }
a { color: var(--link); }
a:hover { text-decoration-thickness: 2px; }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; }
main:focus { outline: none; }
.skip { position: absolute; left: -999px; top: 0; background: var(--fg); color: #fff; padding: .5rem 1rem; z-index: 10; }
.skip:focus { left: .5rem; top: .5rem; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.top { display: flex; flex-wrap: wrap; align-items: center; gap: .5rem 1.5rem; padding: .6rem 1rem; border-bottom: 1px solid var(--line); background: var(--panel); }
.brand { font-weight: 700; color: var(--fg); text-decoration: none; font-size: 1.1rem; }
nav { display: flex; flex: 1; flex-wrap: wrap; align-items: center; gap: .5rem 1rem; }
nav ul { display: flex; flex-wrap: wrap; gap: .25rem 1rem; list-style: none; margin: 0; padding: 0; }
nav a { text-decoration: none; padding: .25rem 0; display: inline-block; }
nav a[aria-current="page"] { font-weight: 700; border-bottom: 3px solid var(--link); }
.logout { margin-left: auto; }
button, .button { font: inherit; padding: .4rem .9rem; border: 1px solid #1f6feb; background: #0969da; color: #fff; border-radius: 6px; cursor: pointer; text-decoration: none; display: inline-block; }
button.secondary, .button.secondary, .logout button { background: var(--bg); color: var(--fg); border-color: var(--line); }
main { max-width: 1200px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin: .5rem 0 1rem; overflow-wrap: anywhere; }
h2 { font-size: 1.15rem; margin: 1.75rem 0 .6rem; }
h3 { font-size: 1rem; margin: 1.25rem 0 .4rem; }
.muted { color: var(--muted); }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 8px; padding: 1rem; }
.table-wrap { overflow-x: auto; border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .45rem .6rem; border-bottom: 1px solid var(--line); vertical-align: top; }
thead th { background: var(--panel); font-weight: 600; white-space: nowrap; }
tbody tr:last-child td, tbody tr:last-child th { border-bottom: 0; }
tr.new { animation: arrive 2s ease-out; }
@keyframes arrive { from { background: #fff8c5; } to { background: transparent; } }
@media (prefers-reduced-motion: reduce) { tr.new { animation: none; background: #fff8c5; } }
td.nowrap, th.nowrap { white-space: nowrap; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: .3rem 1rem; margin: 0; }
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; overflow-wrap: anywhere; }
@media (max-width: 540px) { dl.facts { grid-template-columns: 1fr; } dl.facts dd { margin-bottom: .4rem; } }
.badge { display: inline-block; padding: 0 .5rem; border-radius: 999px; font-size: .85rem; font-weight: 600; border: 1px solid transparent; white-space: nowrap; }
.tone-info { background: #ddf4ff; color: #0550ae; border-color: #54aeff; }
.tone-ok { background: #dafbe1; color: #116329; border-color: #4ac26b; }
.tone-engaged { background: #fbefff; color: #6639ba; border-color: #c297ff; }
.tone-bad { background: #ffebe9; color: #a40e26; border-color: #ff8182; }
.tone-wait { background: #fff8c5; color: #6c4400; border-color: #d4a72c; }
.tone-muted, .tone-neutral { background: var(--panel); color: var(--muted); border-color: var(--line); }
form.filters { display: grid; grid-template-columns: repeat(auto-fill, minmax(11rem, 1fr)); gap: .75rem; align-items: end; }
form.filters .actions { display: flex; gap: .5rem; flex-wrap: wrap; }
label { display: block; font-weight: 600; font-size: .9rem; margin-bottom: .2rem; }
input, select { font: inherit; width: 100%; padding: .35rem .5rem; border: 1px solid #8c959f; border-radius: 6px; background: #fff; color: var(--fg); min-height: 2.2rem; }
.check label { display: inline; font-weight: 400; }
.check input { width: auto; min-height: 0; }
ul.counts { list-style: none; display: flex; flex-wrap: wrap; gap: .4rem; padding: 0; margin: 1rem 0; }
ul.counts a { display: inline-flex; gap: .35rem; align-items: center; padding: .2rem .6rem; border: 1px solid var(--line); border-radius: 999px; text-decoration: none; color: var(--fg); }
ul.counts a[aria-current="true"] { border-color: var(--link); background: #ddf4ff; font-weight: 600; }
.live { display: flex; flex-wrap: wrap; gap: .5rem 1rem; align-items: center; margin: .5rem 0; }
.pager { display: flex; gap: 1rem; margin: 1rem 0; flex-wrap: wrap; }
ol.stages { list-style: none; display: flex; flex-wrap: wrap; gap: .5rem; padding: 0; margin: 0 0 1rem; }
ol.stages li { border: 1px solid var(--line); border-radius: 6px; padding: .3rem .6rem; min-width: 7.5rem; background: var(--panel); color: var(--muted); }
ol.stages li.reached { background: #dafbe1; border-color: #4ac26b; color: #116329; }
ol.stages li.reached.bad { background: #ffebe9; border-color: #ff8182; color: #a40e26; }
ol.stages li strong { display: block; color: inherit; }
ol.timeline { list-style: none; margin: 0; padding: 0 0 0 1rem; border-left: 3px solid var(--line); }
ol.timeline > li { position: relative; padding: 0 0 1rem 1rem; }
ol.timeline > li::before { content: ""; position: absolute; left: -1.55rem; top: .35rem; width: .8rem; height: .8rem; border-radius: 50%; background: var(--bg); border: 3px solid var(--muted); }
.timeline .when { display: block; color: var(--muted); font-size: .9rem; }
pre.json { background: var(--panel); border: 1px solid var(--line); border-radius: 6px; padding: .6rem; overflow: auto; max-height: 28rem; font-size: .85rem; margin: .4rem 0; white-space: pre; }
details > summary { cursor: pointer; padding: .2rem 0; }
.content { display: grid; gap: .6rem; }
.email-frame { width: 100%; min-height: 420px; border: 1px solid var(--line); border-radius: 6px; background: #fff; resize: vertical; }
.bubble { background: #e9e9eb; border-radius: 16px; padding: .6rem .9rem; max-width: 32rem; white-space: pre-wrap; overflow-wrap: anywhere; }
.notice { border-left: 4px solid #d4a72c; background: #fff8c5; padding: .5rem .8rem; border-radius: 4px; }
.error { border-left: 4px solid #cf222e; background: #ffebe9; padding: .5rem .8rem; border-radius: 4px; }
.graph { overflow: auto; border: 1px solid var(--line); border-radius: 8px; padding: .5rem; background: #fff; }
.graph svg { max-width: 100%; height: auto; display: block; margin: 0 auto; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(100%, 30rem), 1fr)); gap: 1rem; }
.chart { margin: 0 0 1rem; }
.chart svg { width: 100%; height: auto; display: block; }
.chart figcaption { margin-top: .2rem; }
.legend { display: flex; flex-wrap: wrap; gap: .25rem 1rem; font-size: .85rem; color: var(--muted); margin: .25rem 0 0; padding: 0; list-style: none; }
.legend .swatch { display: inline-block; width: .9rem; height: .4rem; margin-right: .3rem; vertical-align: middle; }
.login { max-width: 26rem; margin: 3rem auto; }
.login form { display: grid; gap: 1rem; }
`;

const JS = `
// Live message list: every 5 s the first page is fetched again as JSON and redrawn, with the status counts.
// Rows are built with textContent, never innerHTML: every value stays text. Paused on later pages (the list
// would shift under the reader), in a hidden tab, and when the reader unticks "Live updates".
(function () {
  var table = document.querySelector('table[data-live]');
  if (!table) return;
  var endpoint = table.getAttribute('data-live');
  var body = table.querySelector('tbody');
  var status = document.getElementById('live-status');
  var toggle = document.getElementById('live-toggle');
  var known = {};
  Array.prototype.forEach.call(body.querySelectorAll('tr[data-id]'), function (tr) { known[tr.getAttribute('data-id')] = true; });

  function cell(row, content) {
    var td = document.createElement('td');
    if (content) td.appendChild(content);
    row.appendChild(td);
    return td;
  }
  function text(value, className) {
    var span = document.createElement('span');
    span.textContent = value;
    if (className) span.className = className;
    return span;
  }
  function anchor(href, value) {
    var a = document.createElement('a');
    a.href = href;
    a.textContent = value;
    return a;
  }
  function row(m) {
    var tr = document.createElement('tr');
    tr.setAttribute('data-id', m.id);
    var when = document.createElement('time');
    when.dateTime = m.createdAt;
    when.textContent = m.createdAtText;
    var open = document.createElement('a');
    open.href = m.links.message;
    open.appendChild(when);
    cell(tr, open).className = 'nowrap';
    cell(tr, m.userId === null ? text('direct recipient', 'muted') : anchor(m.links.user, m.userId));
    var flow = cell(tr, anchor(m.links.workflow, m.workflow));
    flow.appendChild(text(' · ' + m.step, 'muted'));
    cell(tr, text(m.channel));
    cell(tr, m.provider === null ? text('—', 'muted') : text(m.provider));
    var state = cell(tr, text(m.status, 'badge tone-' + m.tone));
    if (m.reason) state.appendChild(text(' ' + m.reason, 'muted'));
    if (!known[m.id]) tr.className = 'new';
    return tr;
  }
  function say(message) { if (status) status.textContent = message; }

  function refresh() {
    if (document.hidden || (toggle && !toggle.checked)) return;
    fetch(endpoint, { headers: { accept: 'application/json' }, credentials: 'same-origin' }).then(function (res) {
      if (res.status === 401) { location.href = '/dashboard/login?next=' + encodeURIComponent(location.pathname + location.search); return null; }
      if (!res.ok) { say('Live updates failed (HTTP ' + res.status + '); retrying.'); return null; }
      return res.json();
    }).then(function (data) {
      if (!data) return;
      var fresh = 0;
      var rows = document.createDocumentFragment();
      data.messages.forEach(function (m) { if (!known[m.id]) fresh++; rows.appendChild(row(m)); });
      body.replaceChildren(rows);
      known = {};
      data.messages.forEach(function (m) { known[m.id] = true; });
      var empty = document.getElementById('empty');
      if (empty) empty.hidden = data.messages.length > 0;
      Array.prototype.forEach.call(document.querySelectorAll('[data-count]'), function (el) {
        var key = el.getAttribute('data-count');
        var n = key === '' ? data.counts.total : (data.counts.byStatus[key] || 0);
        el.textContent = String(n) + (key === '' && data.counts.capped ? '+' : '');
      });
      say('Updated ' + new Date().toLocaleTimeString() + (fresh ? ' · ' + fresh + ' new' : ''));
    }).catch(function () { say('Live updates paused: the runtime is unreachable; retrying.'); });
  }
  setInterval(refresh, 5000);
  document.addEventListener('visibilitychange', function () { if (!document.hidden) refresh(); });
})();
`;

const version = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 12);

export const ASSETS: Record<string, Asset> = {
  'dashboard.css': { body: CSS, type: 'text/css; charset=utf-8' },
  'dashboard.js': { body: JS, type: 'text/javascript; charset=utf-8' },
};

export interface Asset {
  body: string;
  type: string;
}

/** The asset a URL names, if any: own keys only, so `constructor` or `__proto__` is a 404, not Object's. */
export function assetNamed(name: string): Asset | undefined {
  return Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
}

export const ASSET_URLS = {
  css: `/dashboard/assets/dashboard.css?v=${version(CSS)}`,
  js: `/dashboard/assets/dashboard.js?v=${version(JS)}`,
};
