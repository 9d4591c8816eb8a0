/**
 * <herald-inbox>: Herald's in-app inbox as a web component, for any page, with no framework and nothing
 * loaded from elsewhere.
 *
 *   <script src="https://herald.example.com/inbox.js" defer></script>
 *   <herald-inbox token="…"></herald-inbox>
 *
 * Attributes: `token` (the user token your backend signs, see runtime/inbox/README.md), `api` (Herald's
 * base URL; defaults to where this script came from), `label` (the button's name, default "Notifications"),
 * `limit` (items kept in view, default 30).
 * Events (bubbling, composed): `herald-inbox-unread` {unread}, `herald-inbox-expired` when the token ran out
 * or was refused (set a fresh `token` attribute to carry on).
 *
 * Everything Herald sends is shown as text (textContent), never parsed as HTML: a template that put a
 * user's name in a title cannot put markup on the host page. Action links must be http(s).
 *
 * Engagement, reported to Herald as the user acts: opening the panel makes the items it shows `seen` (and items
 * that arrive while it is open); opening an item or marking it read makes it `read`; following its action link
 * makes it `clicked` (which counts as read too).
 */
(() => {
  if (typeof customElements === 'undefined' || customElements.get('herald-inbox')) return;

  // Where the script was loaded from, read now: document.currentScript is only set while it runs.
  const SCRIPT_ORIGIN = (() => {
    try {
      return new URL(document.currentScript.src).origin;
    } catch {
      return location.origin;
    }
  })();

  const CSS = `
:host { display: inline-block; position: relative; font: 14px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #111827;
  --herald-accent: #1d4ed8; --herald-badge: #b91c1c; --herald-bg: #ffffff; --herald-muted: #4b5563; --herald-border: #d1d5db; --herald-unread-bg: #eff6ff; }
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only { position: absolute; width: 1px; height: 1px; padding: 0; margin: -1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0; }
button { font: inherit; color: inherit; }
:focus-visible { outline: 3px solid var(--herald-accent); outline-offset: 2px; }
.bell { position: relative; display: inline-flex; align-items: center; justify-content: center; width: 44px; height: 44px; padding: 0;
  border: 1px solid transparent; border-radius: 999px; background: transparent; cursor: pointer; color: inherit; }
.bell:hover { background: rgba(0, 0, 0, 0.06); }
.bell svg { width: 24px; height: 24px; }
.badge { position: absolute; top: 2px; right: 0; min-width: 20px; height: 20px; padding: 0 5px; border-radius: 10px;
  background: var(--herald-badge); color: #fff; font-size: 12px; font-weight: 700; line-height: 20px; text-align: center; }
.panel { position: absolute; top: calc(100% + 6px); right: 0; z-index: 2147483000; width: 360px; max-width: calc(100vw - 16px);
  max-height: min(70vh, 560px); display: flex; flex-direction: column; background: var(--herald-bg); color: #111827;
  border: 1px solid var(--herald-border); border-radius: 10px; box-shadow: 0 10px 30px rgba(0, 0, 0, 0.18); overflow: hidden; text-align: left; }
.head { display: flex; align-items: center; justify-content: space-between; gap: 8px; padding: 10px 12px; border-bottom: 1px solid var(--herald-border); }
.head h2 { margin: 0; font-size: 16px; font-weight: 650; }
.head h2:focus { outline: none; }
.all { border: 0; background: transparent; color: var(--herald-accent); font-weight: 600; padding: 6px 8px; border-radius: 6px; cursor: pointer; min-height: 32px; }
.all:hover { text-decoration: underline; }
.all[aria-disabled="true"] { color: var(--herald-muted); cursor: default; text-decoration: none; }
.status { margin: 0; padding: 16px 12px; color: var(--herald-muted); }
.list { list-style: none; margin: 0; padding: 0; overflow-y: auto; overscroll-behavior: contain; }
.item { display: flex; align-items: flex-start; gap: 4px; border-bottom: 1px solid #e5e7eb; }
.item:last-child { border-bottom: 0; }
.item.unread { background: var(--herald-unread-bg); }
.open { flex: 1; min-width: 0; display: grid; grid-template-columns: 10px 1fr; column-gap: 8px; padding: 10px 4px 10px 12px;
  border: 0; background: transparent; text-align: left; cursor: pointer; }
.dot { width: 8px; height: 8px; margin-top: 6px; border-radius: 50%; background: transparent; }
.unread .dot { background: var(--herald-accent); }
.title { font-weight: 600; overflow-wrap: anywhere; }
.unread .title { font-weight: 700; }
.body, .time { grid-column: 2; overflow-wrap: anywhere; }
.body { color: #1f2937; }
.time { color: var(--herald-muted); font-size: 12px; margin-top: 2px; }
.action { flex: none; align-self: center; margin: 0 10px 0 4px; padding: 6px 8px; border-radius: 6px; color: var(--herald-accent); font-weight: 600; text-decoration: underline; min-height: 32px; display: inline-flex; align-items: center; }
@media (max-width: 480px) {
  .panel { position: fixed; top: 56px; left: 8px; right: 8px; width: auto; max-width: none; max-height: calc(100vh - 72px); }
}
@media (prefers-reduced-motion: no-preference) { .bell { transition: background-color 120ms; } }
`;

  const BELL =
    '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true" focusable="false"><path d="M18 8a6 6 0 0 0-12 0c0 7-3 9-3 9h18s-3-2-3-9"/><path d="M13.73 21a2 2 0 0 1-3.46 0"/></svg>';

  let sheet = null;
  function styles(root) {
    // A constructed stylesheet is not subject to the host page's style-src CSP; <style> is the fallback.
    try {
      sheet ??= new CSSStyleSheet();
      if (!sheet.cssRules.length) sheet.replaceSync(CSS);
      root.adoptedStyleSheets = [sheet];
    } catch {
      const style = document.createElement('style');
      style.textContent = CSS;
      root.append(style);
    }
  }

  const el = (tag, props = {}, ...children) => {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(props)) {
      if (k === 'text') node.textContent = v;
      else if (k === 'class') node.className = v;
      else node.setAttribute(k, v);
    }
    node.append(...children);
    return node;
  };

  /** Only http(s) action links, resolved against the host page (a relative one points into the host app). */
  function safeUrl(raw) {
    if (!raw) return null;
    try {
      const url = new URL(raw, location.href);
      return url.protocol === 'http:' || url.protocol === 'https:' ? url.href : null;
    } catch {
      return null;
    }
  }

  function relativeTime(iso, lang) {
    const seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
    const units = [
      ['year', 31536000],
      ['month', 2592000],
      ['week', 604800],
      ['day', 86400],
      ['hour', 3600],
      ['minute', 60],
    ];
    let format;
    try {
      format = new Intl.RelativeTimeFormat(lang || undefined, { numeric: 'auto' });
    } catch {
      format = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto' });
    }
    for (const [unit, size] of units) if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
    return format.format(0, 'second');
  }

  const newestFirst = (a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1);

  class HeraldInbox extends HTMLElement {
    static observedAttributes = ['api', 'token', 'label'];

    #items = new Map(); // id → item
    #rows = new Map(); // id → <li>
    #seenSent = new Set(); // ids reported seen by this widget: never sent twice
    #unread = 0;
    #loaded = false;
    #source = null;
    #retry = null;
    #timer = null;
    #failures = 0;
    #ui;

    constructor() {
      super();
      const root = this.attachShadow({ mode: 'open' });
      styles(root);
      const ids = { panel: 'herald-inbox-panel', heading: 'herald-inbox-heading' };
      const bell = el('button', { type: 'button', class: 'bell', 'aria-expanded': 'false', 'aria-controls': ids.panel });
      bell.innerHTML = BELL; // a constant of this file, never data
      const badge = el('span', { class: 'badge', 'aria-hidden': 'true', hidden: '' });
      bell.append(badge);
      const live = el('span', { class: 'sr-only', role: 'status', 'aria-live': 'polite', 'aria-atomic': 'true' });
      const heading = el('h2', { id: ids.heading, tabindex: '-1', text: 'Notifications' });
      const all = el('button', { type: 'button', class: 'all', text: 'Mark all as read' });
      const status = el('p', { class: 'status', text: 'Loading…' });
      const list = el('ul', { class: 'list', 'aria-labelledby': ids.heading });
      const panel = el(
        'section',
        { id: ids.panel, class: 'panel', 'aria-labelledby': ids.heading, hidden: '' },
        el('div', { class: 'head' }, heading, all),
        status,
        list,
      );
      root.append(bell, live, panel);
      this.#ui = { bell, badge, live, heading, all, status, list, panel };

      bell.addEventListener('click', () => this.toggle());
      all.addEventListener('click', () => all.getAttribute('aria-disabled') !== 'true' && this.markAllRead());
      // Escape from anywhere in the widget closes it, and focus goes back to the bell.
      this.addEventListener('keydown', (e) => {
        if (e.key === 'Escape' && this.open) {
          e.stopPropagation();
          this.toggle(false);
          bell.focus();
        }
      });
      this.#outside = (e) => {
        if (this.open && !e.composedPath().includes(this)) this.toggle(false);
      };
    }

    #outside;

    get open() {
      return !this.#ui.panel.hidden;
    }

    get unread() {
      return this.#unread;
    }

    connectedCallback() {
      this.#label();
      document.addEventListener('click', this.#outside, true);
      this.#connect();
      // Relative times ("2 minutes ago") age while the page stays open.
      this.#timer = setInterval(() => this.open && this.#render(), 60_000);
    }

    disconnectedCallback() {
      document.removeEventListener('click', this.#outside, true);
      clearInterval(this.#timer);
      this.#disconnect();
    }

    attributeChangedCallback(name, before, after) {
      if (before === after || !this.isConnected) return;
      if (name === 'label') return this.#label();
      this.#connect();
    }

    toggle(force) {
      const open = force ?? !this.open;
      this.#ui.panel.hidden = !open;
      this.#ui.bell.setAttribute('aria-expanded', String(open));
      if (open) {
        this.#render();
        this.#ui.heading.focus();
        this.#reportSeen();
      }
    }

    get #api() {
      return (this.getAttribute('api') || SCRIPT_ORIGIN).replace(/\/+$/, '');
    }

    get #token() {
      return this.getAttribute('token') || '';
    }

    // ── the stream ──
    #connect() {
      this.#disconnect();
      if (!this.#token) {
        this.#status('Sign in to see your notifications.');
        return;
      }
      const limit = Number(this.getAttribute('limit')) || 30;
      const url = `${this.#api}/v1/inbox/stream?limit=${encodeURIComponent(limit)}&token=${encodeURIComponent(this.#token)}`;
      const source = new EventSource(url);
      this.#source = source;
      const on = (event, fn) => source.addEventListener(event, (e) => fn(JSON.parse(e.data)));
      on('snapshot', ({ items, unread }) => {
        this.#failures = 0;
        this.#items = new Map(items.map((i) => [i.id, i]));
        this.#loaded = true;
        this.#setUnread(unread);
        this.#render();
        if (this.open) this.#reportSeen();
      });
      on('item', ({ item }) => {
        this.#items.set(item.id, item);
        this.#render();
        // Arriving in an open panel is being seen.
        if (this.open) this.#reportSeen();
      });
      on('update', ({ item }) => {
        this.#items.set(item.id, item);
        this.#render();
      });
      on('remove', ({ id }) => {
        this.#items.delete(id);
        this.#render();
      });
      on('unread', ({ unread }) => this.#setUnread(unread));
      on('expired', () => this.#expired());
      source.addEventListener('error', () => {
        // CONNECTING: the browser retries by itself (a fresh snapshot follows). CLOSED: it gave up, which
        // happens on an error status; ask the API which one.
        if (source.readyState === EventSource.CLOSED && this.#source === source) this.#diagnose();
      });
    }

    #disconnect() {
      this.#source?.close();
      this.#source = null;
      clearTimeout(this.#retry);
    }

    async #diagnose() {
      this.#disconnect();
      let status = 0;
      try {
        status = (await this.#call('GET', '/v1/inbox/count')).status;
      } catch {
        // offline: retry below
      }
      if (status === 401) return this.#expired();
      if (status === 503) return this.#status('Notifications are unavailable right now.');
      const wait = Math.min(60_000, 2_000 * 2 ** this.#failures++);
      this.#retry = setTimeout(() => this.#connect(), wait);
    }

    #expired() {
      this.#disconnect();
      this.#status('Your session expired. Reload the page to see new notifications.');
      this.dispatchEvent(new CustomEvent('herald-inbox-expired', { bubbles: true, composed: true }));
    }

    // ── actions ──
    #call(method, path, body) {
      const headers = { authorization: `Bearer ${this.#token}` };
      if (body !== undefined) headers['content-type'] = 'application/json';
      // keepalive: a report made as the page navigates away (an action link) still reaches Herald.
      return fetch(`${this.#api}${path}`, { method, headers, keepalive: true, ...(body === undefined ? {} : { body: JSON.stringify(body) }) });
    }

    /** The items the open panel shows that were never seen: one request, at most 100 ids (the API's bound). */
    async #reportSeen() {
      const ids = [...this.#items.values()]
        .filter((i) => !i.seenAt && !i.readAt && !this.#seenSent.has(i.id))
        .map((i) => i.id)
        .slice(0, 100);
      if (!ids.length) return;
      for (const id of ids) this.#seenSent.add(id);
      const response = await this.#call('POST', '/v1/inbox/seen', { ids }).catch(() => null);
      if (response?.status === 401) this.#expired();
    }

    /** The item's action was followed: reported as a click, which reads it too. */
    async #clicked(id) {
      const item = this.#items.get(id);
      if (!item) return;
      if (!item.readAt) {
        this.#items.set(id, { ...item, readAt: new Date().toISOString() });
        this.#setUnread(Math.max(0, this.#unread - 1));
        this.#render();
      }
      const response = await this.#call('POST', `/v1/inbox/${encodeURIComponent(id)}/click`).catch(() => null);
      if (response?.status === 401) this.#expired();
    }

    async markRead(id) {
      const item = this.#items.get(id);
      if (!item || item.readAt) return;
      // Optimistic: the stream confirms (or corrects) a moment later.
      this.#items.set(id, { ...item, readAt: new Date().toISOString() });
      this.#setUnread(Math.max(0, this.#unread - 1));
      this.#render();
      const response = await this.#call('POST', `/v1/inbox/${encodeURIComponent(id)}/read`).catch(() => null);
      if (response?.status === 401) this.#expired();
    }

    async markAllRead() {
      const now = new Date().toISOString();
      for (const [id, item] of this.#items) if (!item.readAt) this.#items.set(id, { ...item, readAt: now });
      this.#setUnread(0);
      this.#render();
      const response = await this.#call('POST', '/v1/inbox/read-all').catch(() => null);
      if (response?.status === 401) this.#expired();
    }

    // ── rendering ──
    #label() {
      const name = this.getAttribute('label') || 'Notifications';
      this.#ui.heading.textContent = name;
      const n = this.#unread;
      this.#ui.bell.setAttribute('aria-label', n ? `${name}, ${n} unread` : name);
    }

    #setUnread(n) {
      const changed = n !== this.#unread || !this.#ui.live.textContent;
      this.#unread = n;
      this.#ui.badge.hidden = n === 0;
      this.#ui.badge.textContent = n > 99 ? '99+' : String(n);
      // aria-disabled, not disabled: a disabled button drops keyboard focus, right after "mark all" is pressed.
      this.#ui.all.setAttribute('aria-disabled', String(n === 0));
      this.#label();
      if (changed) {
        this.#ui.live.textContent = n === 0 ? 'No unread notifications' : `${n} unread notification${n === 1 ? '' : 's'}`;
        this.dispatchEvent(new CustomEvent('herald-inbox-unread', { bubbles: true, composed: true, detail: { unread: n } }));
      }
    }

    #status(text) {
      this.#ui.status.textContent = text;
      this.#ui.status.hidden = !text;
    }

    #render() {
      const items = [...this.#items.values()].sort(newestFirst);
      if (this.#loaded) this.#status(items.length ? '' : 'You have no notifications.');
      const list = this.#ui.list;
      const keep = new Set(items.map((i) => i.id));
      for (const [id, row] of this.#rows) {
        if (!keep.has(id)) {
          row.remove();
          this.#rows.delete(id);
        }
      }
      // In place, moving only rows out of position: a row that holds keyboard focus keeps it.
      items.forEach((item, index) => {
        const row = this.#row(item);
        if (list.children[index] !== row) list.insertBefore(row, list.children[index] ?? null);
      });
    }

    #row(item) {
      let row = this.#rows.get(item.id);
      const lang = document.documentElement.lang || navigator.language;
      if (!row) {
        const open = el('button', { type: 'button', class: 'open' });
        open.addEventListener('click', () => this.markRead(item.id));
        row = el('li', { class: 'item', 'data-id': item.id }, open);
        this.#rows.set(item.id, row);
      }
      const open = row.firstChild;
      const unread = !item.readAt;
      row.classList.toggle('unread', unread);
      const time = el(
        'time',
        { class: 'time', datetime: item.createdAt, title: new Date(item.createdAt).toLocaleString(lang) },
        relativeTime(item.createdAt, lang),
      );
      open.replaceChildren(
        el('span', { class: 'dot', 'aria-hidden': 'true' }),
        el('span', { class: 'title', text: item.title }),
        ...(unread ? [el('span', { class: 'sr-only', text: ' (unread)' })] : []),
        el('span', { class: 'body', text: item.body }),
        time,
      );
      // The link is updated in place, not rebuilt: it may hold keyboard focus.
      const href = safeUrl(item.actionUrl);
      let action = row.querySelector('a.action');
      if (!href) action?.remove();
      else {
        if (!action) {
          action = el('a', { class: 'action', text: 'Open' });
          action.addEventListener('click', () => this.#clicked(item.id));
          row.append(action);
        }
        if (action.getAttribute('href') !== href) action.setAttribute('href', href);
        action.setAttribute('aria-label', `Open: ${item.title}`);
      }
      return row;
    }
  }

  customElements.define('herald-inbox', HeraldInbox);
})();
