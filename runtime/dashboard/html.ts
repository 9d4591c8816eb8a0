/**
 * The dashboard's HTML vocabulary: hono/html escapes every interpolated value (user ids, traits, payloads,
 * provider answers are all outside data), and these helpers build the few recurring pieces: links, times,
 * status badges, pretty JSON. Nothing here calls `raw` on outside data.
 */
import { html } from 'hono/html';

export type Html = Awaited<ReturnType<typeof html>>;

/** `html` for values that are never promises, so pages compose synchronously. */
export function h(strings: TemplateStringsArray, ...values: unknown[]): Html {
  const out = html(strings, ...values);
  if (out instanceof Promise) throw new Error('dashboard markup must not contain promises');
  return out;
}

export const DASHBOARD = '/dashboard';
const seg = (value: string) => encodeURIComponent(value);
export const urls = {
  messages: (query = '') => `${DASHBOARD}${query}`,
  message: (id: string) => `${DASHBOARD}/messages/${seg(id)}`,
  user: (id: string) => `${DASHBOARD}/users/${seg(id)}`,
  workflows: () => `${DASHBOARD}/workflows`,
  workflow: (id: string, version?: string) => `${DASHBOARD}/workflows/${seg(id)}${version ? `?version=${seg(version)}` : ''}`,
  run: (id: string) => `${DASHBOARD}/runs/${seg(id)}`,
  providers: () => `${DASHBOARD}/providers`,
  broadcasts: (query = '') => `${DASHBOARD}/broadcasts${query}`,
  broadcastSend: (id: string) => `${DASHBOARD}/broadcasts/${seg(id)}/send`,
  broadcastCancel: (runId: string) => `${DASHBOARD}/broadcasts/runs/${seg(runId)}/cancel`,
  audit: (query = '') => `${DASHBOARD}/audit${query}`,
};

const iso = (value: Date | string | number) => new Date(value).toISOString();

/** `2024-05-01 10:00:03.123 UTC`: one zone for everyone reading the same page. */
export function timeText(value: Date | string | number): string {
  return `${iso(value).replace('T', ' ').replace('Z', '')} UTC`;
}

export function time(value: Date | string | number | null | undefined): Html {
  if (value === null || value === undefined || Number.isNaN(new Date(value).getTime())) return h`<span class="muted">—</span>`;
  return h`<time datetime="${iso(value)}">${timeText(value)}</time>`;
}

/** "3 min ago", for presence. */
export function ago(value: Date | string | number, now: number): string {
  const s = Math.round((now - new Date(value).getTime()) / 1000);
  if (s < 0) return 'in the future';
  if (s < 60) return `${s} s ago`;
  if (s < 3600) return `${Math.floor(s / 60)} min ago`;
  if (s < 86_400) return `${Math.floor(s / 3600)} h ago`;
  return `${Math.floor(s / 86_400)} days ago`;
}

/** Colour family of a status; the word itself is always shown too (colour is never the only signal). */
const TONE: Record<string, string> = {
  queued: 'wait',
  sent: 'info',
  accepted: 'info',
  delivered: 'ok',
  seen: 'ok',
  read: 'engaged',
  opened: 'engaged',
  clicked: 'engaged',
  bounced: 'bad',
  failed: 'bad',
  undeliverable: 'bad',
  attempt_failed: 'bad',
  skipped: 'muted',
  attempt_skipped: 'muted',
  running: 'info',
  waiting: 'wait',
  completed: 'ok',
  done: 'ok',
  cancelled: 'muted',
  live: 'ok',
  closed: 'ok',
  'half-open': 'wait',
  open: 'bad',
};

export const toneOf = (status: string): string => TONE[status] ?? 'neutral';

export function badge(status: string): Html {
  return h`<span class="badge tone-${toneOf(status)}">${status}</span>`;
}

export function link(href: string, text: string): Html {
  return h`<a href="${href}">${text}</a>`;
}

export function userLink(userId: string | null): Html {
  return userId === null ? h`<span class="muted">direct recipient</span>` : link(urls.user(userId), userId);
}

/** Pretty JSON as text: escaped like everything else, so a payload's `<script>` shows as characters. */
export function json(value: unknown, label?: string): Html {
  return h`<pre class="json"${label ? h` aria-label="${label}"` : ''} tabindex="0"><code>${JSON.stringify(value, null, 2) ?? 'null'}</code></pre>`;
}

export const dash = h`<span class="muted">—</span>`;
