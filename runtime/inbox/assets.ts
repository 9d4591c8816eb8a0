/**
 * The widget's script as the runtime serves it (`/inbox.js`): read once, with an ETag of its content so a
 * browser revalidates cheaply after its cache time, and gets a new widget soon after an upgrade.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';

export interface StaticAsset {
  body: string;
  etag: string;
  contentType: string;
  /** Long enough to spare repeat page views a request, short enough that an upgrade reaches pages within the hour. */
  cacheControl: string;
}

let widget: StaticAsset | null = null;

export function widgetScript(): StaticAsset {
  if (!widget) {
    const body = readFileSync(new URL('./widget.js', import.meta.url), 'utf8');
    widget = {
      body,
      etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
      contentType: 'text/javascript; charset=utf-8',
      cacheControl: 'public, max-age=3600, stale-while-revalidate=86400',
    };
  }
  return widget;
}

/** Whether the request's If-None-Match already names this version (a 304 answers it). */
export function isFresh(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
