/**
 * The hosted preference center, at the signed link every message carries as `{{preferences_url}}`
 * (runtime/render/links.ts: `preferences` links, valid 30 days). GET shows the user's categories × channels as the
 * engine resolves them (for a send of the link's tenant, when it names one: tenant.ts); POST (a plain HTML form, no JavaScript) saves exactly the toggles the page showed
 * through the same rules as the preferences API (runtime/preferences/save.ts), then redirects back
 * (post/redirect/get, so a reload does not post again). Rules and markup: runtime/preferences/README.md.
 */
import type { Context } from 'hono';
import { z } from 'zod';
import { channelSchema, type Bundle } from '../../compiler/bundle/schema.ts';
import { loadUserSnapshot } from '../execution/snapshot.ts';
import type { UserSnapshot } from '../engine/index.ts';
import { centerForm, changesFromForm } from './form.ts';
import { badFormPage, centerPage, linkErrorPage, noLinkPage, type Notice } from './page.ts';
import { PreferenceRefused, savePreferences } from './save.ts';
import { loadCenterTenant, userInTenant, withoutKeptTenantDefaults } from './tenant.ts';
import { resolveAll } from './view.ts';
import type { AppDeps } from '../http/deps.ts';
import type { PreferencesClaim } from '../render/index.ts';
import { createFeature, type Feature, type Router, type RoutePolicy } from '../http/route.ts';

/** A page of toggles posts a few KB; anything much larger is not from it. */
const MAX_FORM_BYTES = 64 * 1024;

/** Notices a redirect asks for: `?saved=1` after a save, `?unsubscribed=<category>&channel=<channel>` after an unsubscribe. */
const noticeQuery = z.object({
  saved: z.literal('1').optional(),
  unsubscribed: z.string().max(200).optional(),
  channel: channelSchema.optional(),
});

/** Who the page is for, as the profile names them; shown as text (escaped), whatever it contains. */
function whoOf(user: UserSnapshot): string | null {
  for (const trait of ['name', 'first_name']) {
    const value = user.traits[trait];
    if (typeof value === 'string' && value.trim()) return value.trim();
  }
  return user.email || null;
}

/**
 * The notice a redirect asked for. The query is not signed, so an "unsubscribed" notice shows only when it is
 * true: the category exists and the user is opted out of it on that channel right now.
 */
function noticeOf(query: Record<string, string>, bundle: Bundle | null, user: UserSnapshot): Notice | null {
  const parsed = noticeQuery.safeParse(query);
  if (!parsed.success) return null;
  const { saved, unsubscribed, channel } = parsed.data;
  if (unsubscribed && channel) {
    const category = bundle?.categories[unsubscribed];
    if (category && user.preferences[category.id]?.[channel] === false && !category.required) {
      return { kind: 'unsubscribed', description: category.description || category.id, channel };
    }
  }
  return saved ? { kind: 'saved' } : null;
}

/** The page holds a bearer link: never cached, never sent on as a referrer, never framed, no scripts. */
function secureHeaders(c: Context) {
  c.header('Cache-Control', 'no-store');
  c.header('Referrer-Policy', 'no-referrer');
  c.header('X-Frame-Options', 'DENY');
  c.header('X-Content-Type-Options', 'nosniff');
  c.header('Content-Security-Policy', "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'");
}

/** The hosted preference center, with its own security headers: a sub-app that runtime/http/app.ts mounts. */
export function preferenceCenterFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => preferenceCenterRoutes(routes, deps));
}

function preferenceCenterRoutes(routes: Router, deps: AppDeps): void {
  const verify = (token: string) => deps.driver.links.verifyPreferences(token, Date.now());

  /** The user as a send of the link's tenant sees them: the page shows what that send would do, and why. */
  const userOf = async (claim: PreferencesClaim) => {
    const tenant = await loadCenterTenant(deps.db, claim.tenant);
    return { tenant, user: userInTenant(await loadUserSnapshot(deps.db, claim.userId), tenant) };
  };

  const render = async (c: Context, claim: PreferencesClaim, notice: Notice | null, status: 200 | 400 = 200) => {
    const bundle = deps.driver.bundles.live;
    const { tenant, user } = await userOf(claim);
    const n = notice ?? noticeOf(c.req.query(), bundle, user);
    const view = { who: whoOf(user), categories: resolveAll(bundle, user), notice: n, smsOptOut: user.smsOptOut === true };
    return c.html(centerPage({ ...view, tenant: tenant ? { name: tenant.name } : null }), status);
  };

  // Set before the handler runs: c.html() and the error handler's c.json() both carry them.
  for (const path of ['/preferences', '/preferences/*']) {
    routes.use(path, async (c, next) => {
      secureHeaders(c);
      await next();
    });
  }
  const link = (body: number): RoutePolicy => ({
    auth: 'signed-link',
    body,
    note: 'preference-center link (HMAC, HERALD_SIGNING_SECRET): one user, 30 days',
    ...(body ? { tooLarge: (c: Context) => c.html(badFormPage(), 413) } : {}),
  });

  routes.get('/preferences', { auth: 'none', body: 0, note: 'a page saying to use the link in a message; reads nothing' }, (c) => c.html(noLinkPage()));

  routes.get('/preferences/:token', link(0), async (c) => {
    const checked = verify(c.req.param('token'));
    if (!checked.ok) return c.html(linkErrorPage(), 400);
    return render(c, checked.claim, null);
  });

  routes.post('/preferences/:token', link(MAX_FORM_BYTES), async (c) => {
    const checked = verify(c.req.param('token'));
    if (!checked.ok) return c.html(linkErrorPage(), 400);
    const { claim } = checked;
    let body: unknown;
    try {
      body = await c.req.parseBody({ all: true });
    } catch {
      return c.html(badFormPage(), 400);
    }
    const form = centerForm.safeParse(body);
    if (!form.success) return c.html(badFormPage(), 400);
    const bundle = deps.driver.bundles.live;
    let changes = changesFromForm(form.data, bundle);
    if (claim.tenant && bundle) changes = withoutKeptTenantDefaults(changes, bundle, (await userOf(claim)).user);
    try {
      await savePreferences(deps.db, bundle, claim.userId, changes);
    } catch (error) {
      // Only a crafted post gets here (the page never posts a required category): show why, change nothing.
      if (!(error instanceof PreferenceRefused)) throw error;
      const description = bundle?.categories[error.category]?.description || error.category;
      return render(c, claim, { kind: 'refused', description }, 400);
    }
    // A query-only reference: back to this very link, wherever the runtime is mounted.
    return c.redirect('?saved=1', 303);
  });
}
