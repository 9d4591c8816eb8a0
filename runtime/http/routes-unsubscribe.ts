/**
 * One-click unsubscribe (RFC 8058) at the signed link every email of a non-required category carries in
 * `List-Unsubscribe`. A POST opts the user out of that category on that channel (mail clients post
 * `List-Unsubscribe=One-Click`; the page's button posts the same); a GET only shows the page with the
 * button, because mail scanners follow links and must never unsubscribe anyone.
 */
import type { Context, Hono } from 'hono';
import { html } from 'hono/html';
import * as sql from '../db/sql.ts';
import { exec, one } from '../db/sql-client.ts';
import { recordMessageEvent } from '../driver/triggers.ts';
import type { UnsubscribeClaim } from '../links.ts';
import type { AppDeps } from './deps.ts';

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

export function unsubscribeRoutes(app: Hono, deps: AppDeps) {
  const verify = (token: string) => deps.driver.links.verifyUnsubscribe(token, Date.now());

  app.get('/unsubscribe/:token', (c) => {
    const checked = verify(c.req.param('token'));
    if (!checked.ok) return page(c, 400, 'This link does not work', html`<p>The unsubscribe link is ${checked.reason}. Use the link in a more recent message.</p>`);
    return page(
      c,
      200,
      'Unsubscribe',
      html`<p>Stop receiving <strong>${describe(deps, checked.claim)}</strong> by ${checked.claim.channel}?</p>
        <form method="post"><input type="hidden" name="List-Unsubscribe" value="One-Click" /><button type="submit">Unsubscribe</button></form>`,
    );
  });

  app.post('/unsubscribe/:token', async (c) => {
    const checked = verify(c.req.param('token'));
    if (!checked.ok) return page(c, 400, 'This link does not work', html`<p>The unsubscribe link is ${checked.reason}.</p>`);
    const { userId, category, channel, messageId } = checked.claim;
    await deps.db.transaction(async (tx) => {
      await exec(tx, sql.setPreference(userId, category, channel, false));
      const message = messageId ? await one<sql.MessageRow>(tx, sql.lockMessage(messageId)) : undefined;
      if (message) await recordMessageEvent(deps.driver, tx, message, 'unsubscribed', { source: 'one-click', preference: { category, channel, allowed: false } });
    });
    return page(c, 200, 'You are unsubscribed', html`<p>You will no longer receive <strong>${describe(deps, checked.claim)}</strong> by ${channel}.</p>`);
  });
}
