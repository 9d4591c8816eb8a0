/**
 * One-click unsubscribe (RFC 8058) at the signed link every email of a non-required category carries in
 * `List-Unsubscribe`. A POST opts the user out of that category on that channel (mail clients post
 * `List-Unsubscribe=One-Click`; the page's button posts the same); a GET only shows the page with the
 * button, because mail scanners follow links and must never unsubscribe anyone. A person who unsubscribes
 * from a browser lands on their preference center afterwards (303), with a notice of what changed; the
 * one-click POST a mail client makes in the background still gets its plain 200.
 */
import type { Context } from 'hono';
import { html } from 'hono/html';
import * as sql from '../db/sql.ts';
import { exec, one } from '../db/sql-client.ts';
import { recordMessageEvent } from '../status/message-events.ts';
import { HANDED_ON_PREFERENCES_TTL_MS, type UnsubscribeClaim } from '../render/index.ts';
import type { AppDeps } from '../http/deps.ts';
import { createFeature, type Feature, type Router, type RoutePolicy } from '../http/route.ts';

function page(c: Context, status: 200 | 400, title: string, body: ReturnType<typeof html>) {
  return c.html(
    html`<!doctype html>
      <html lang="en">
        <head>
          <meta charset="utf-8" />
          <meta name="viewport" content="width=device-width, initial-scale=1" />
          <title>${title}</title>
          <style>
            body { font: 16px/1.5 system-ui, sans-serif; max-width: 32rem; margin: 4rem auto; padding: 0 1rem; color: #222; }
            button { font: inherit; padding: .5rem 1rem; }
          </style>
        </head>
        <body>
          <h1>${title}</h1>
          ${body}
        </body>
      </html>`,
    status,
  );
}

function describe(deps: AppDeps, claim: UnsubscribeClaim): string {
  const category = deps.driver.bundles.live?.categories[claim.category];
  return category?.description || claim.category;
}

/**
 * Is a person at a browser waiting for an answer? Our page's button says so (`source=page`), and so does a
 * client asking for HTML. RFC 8058 one-click POSTs come from mail clients in the background, with
 * `List-Unsubscribe=One-Click` and no interest in HTML: they keep their plain 200, no redirect to follow.
 */
async function fromBrowser(c: Context): Promise<boolean> {
  let form: Record<string, unknown> = {};
  try {
    form = await c.req.parseBody();
  } catch {
    // An unreadable body is still a valid one-click POST: the signed link alone decides.
  }
  if (form.source === 'page') return true;
  return (c.req.header('accept') ?? '').toLowerCase().includes('text/html');
}

/** The one-click form (`List-Unsubscribe=One-Click&source=page`): a few dozen bytes. */
const MAX_UNSUBSCRIBE_FORM_BYTES = 1024;

/** One-click unsubscribe: a sub-app that runtime/http/app.ts mounts. */
export function unsubscribeFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => unsubscribeRoutes(routes, deps));
}

function unsubscribeRoutes(routes: Router, deps: AppDeps) {
  const verify = (token: string) => deps.driver.links.verifyUnsubscribe(token, Date.now());
  const link = (body: number): RoutePolicy => ({
    auth: 'signed-link',
    body,
    note: 'unsubscribe link (HMAC, HERALD_SIGNING_SECRET): one user, category and channel, 180 days',
  });

  routes.get('/unsubscribe/:token', link(0), (c) => {
    const checked = verify(c.req.param('token'));
    if (!checked.ok)
      return page(c, 400, 'This link does not work', html`<p>The unsubscribe link is ${checked.reason}. Use the link in a more recent message.</p>`);
    return page(
      c,
      200,
      'Unsubscribe',
      html`<p>Stop receiving <strong>${describe(deps, checked.claim)}</strong> by ${checked.claim.channel}?</p>
        <form method="post">
          <input type="hidden" name="List-Unsubscribe" value="One-Click" /><input type="hidden" name="source" value="page" />
          <button type="submit">Unsubscribe</button>
        </form>`,
    );
  });

  routes.post('/unsubscribe/:token', link(MAX_UNSUBSCRIBE_FORM_BYTES), async (c) => {
    const checked = verify(c.req.param('token'));
    if (!checked.ok) return page(c, 400, 'This link does not work', html`<p>The unsubscribe link is ${checked.reason}.</p>`);
    const { userId, category, channel, messageId } = checked.claim;
    const tenant = await deps.db.transaction(async (tx) => {
      await exec(tx, sql.setPreference(userId, category, channel, false));
      const message = messageId ? await one<sql.MessageRow>(tx, sql.lockMessage(messageId)) : undefined;
      if (message)
        await recordMessageEvent(deps.driver, tx, message, 'unsubscribed', { source: 'one-click', preference: { category, channel, allowed: false } });
      // The message's tenant (its log row, not the link: the unsubscribe link is unchanged) opens the page on its defaults.
      return message?.tenant_id ?? null;
    });
    if (await fromBrowser(c)) {
      // On to the rest of their choices, at a freshly signed link valid for an hour (this one only ever opts
      // out one channel, and must not become a standing key to every other choice).
      // Relative to /unsubscribe/<token>, so it works wherever the runtime is mounted.
      const token = deps.driver.links.preferences(userId, Date.now(), { ttlMs: HANDED_ON_PREFERENCES_TTL_MS, tenant });
      return c.redirect(`../preferences/${token}?unsubscribed=${encodeURIComponent(category)}&channel=${channel}`, 303);
    }
    return page(c, 200, 'You are unsubscribed', html`<p>You will no longer receive <strong>${describe(deps, checked.claim)}</strong> by ${channel}.</p>`);
  });
}
