/**
 * Provider webhooks, outside the API key (providers sign instead): SendGrid's Signed Event Webhook, Twilio's
 * status callbacks and inbound SMS keywords. A missing signature is 401, a wrong or stale one 403, and
 * either changes nothing; signatures are checked over the raw bytes as received.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, MiddlewareHandler } from 'hono';
import * as sql from '../db/sql.ts';
import { one, rows } from '../db/sql-client.ts';
import { applyProviderEvent, type EventOutcome } from '../status/provider-events.ts';
import { credentialVariable } from '../delivery/providers/registry.ts';
import type { ProviderEvent, SignatureCheck } from './events.ts';
import { parseSendgridEvents, SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, verifySendgridSignature } from './sendgrid.ts';
import { parseInboundKeyword, parseTwilioStatus, TWILIO_SIGNATURE_HEADER, twiml, verifyTwilioSignature } from './twilio.ts';
import type { AppDeps } from '../http/deps.ts';
import { HttpError } from '../http/errors.ts';
import { createFeature, type Feature, type Router, type RoutePolicy } from '../http/route.ts';

/** SendGrid posts up to thousands of events at once. */
export const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;
/** Twilio's callbacks are one form of a few dozen short fields. */
const MAX_TWILIO_FORM_BYTES = 64 * 1024;

/**
 * A signature header is asked for before the body is read: an unsigned request costs no more than its headers.
 * `headers` runs as the route's guard, before the body limit (which reads a chunked body whole to count it).
 */
const signed = (note: string, body: number, headers: (c: Context) => void): RoutePolicy => {
  const guard: MiddlewareHandler = async (c, next) => {
    headers(c);
    await next();
  };
  return { auth: 'provider-signature', body, note, guard };
};

function requireHeader(c: Context, header: string, what: string): void {
  if (!c.req.header(header)) throw new HttpError(401, 'unauthorized', `missing ${header} header: ${what}`);
}

function sendgridHeaders(deps: AppDeps): (c: Context) => void {
  return (c) => {
    if (!deps.env.SENDGRID_WEBHOOK_PUBLIC_KEY)
      throw new HttpError(403, 'forbidden', 'SENDGRID_WEBHOOK_PUBLIC_KEY is not set: signed events cannot be verified, so none are accepted');
    requireHeader(c, SENDGRID_SIGNATURE_HEADER, 'enable the Signed Event Webhook in SendGrid');
    requireHeader(c, SENDGRID_TIMESTAMP_HEADER, 'enable the Signed Event Webhook in SendGrid');
  };
}

function twilioHeaders(deps: AppDeps): (c: Context) => void {
  return (c) => {
    if (twilioTokens(deps).length === 0)
      throw new HttpError(403, 'forbidden', 'TWILIO_AUTH_TOKEN is not set: Twilio webhooks cannot be verified, so none are accepted');
    requireHeader(c, TWILIO_SIGNATURE_HEADER, 'Twilio signs every request it makes');
  };
}

/**
 * A provider may report on a message before the job that sent it has committed (the provider answers, then
 * the job records): events whose message is not found yet are tried again for a moment before being
 * acknowledged as not ours.
 */
const UNKNOWN_RETRY_MS = [200, 400, 800];

function refuse(check: Extract<SignatureCheck, { ok: false }>): never {
  throw new HttpError(check.status, check.status === 401 ? 'unauthorized' : 'forbidden', check.reason);
}

async function applyAll(deps: AppDeps, events: ProviderEvent[]): Promise<Record<EventOutcome, number>> {
  const counts: Record<EventOutcome, number> = { applied: 0, duplicate: 0, unknown_message: 0 };
  const keepPayload = !deps.driver.redact.payloads;
  let pending = events;
  for (let round = 0; ; round++) {
    const unknown: ProviderEvent[] = [];
    for (const event of pending) {
      const outcome = await deps.db.transaction((tx) => applyProviderEvent(deps.driver, tx, event, { keepPayload }));
      if (outcome === 'unknown_message') unknown.push(event);
      else {
        counts[outcome]++;
        deps.metrics.webhooks.inc({ provider: event.provider, outcome });
      }
    }
    const wait = UNKNOWN_RETRY_MS[round];
    if (unknown.length === 0 || wait === undefined) {
      counts.unknown_message += unknown.length;
      for (const event of unknown) deps.metrics.webhooks.inc({ provider: event.provider, outcome: 'unknown_message' });
      return counts;
    }
    await sleep(wait);
    pending = unknown;
  }
}

/** The auth tokens of the Twilio accounts the live bundle sends through (a callback may come from any). */
function twilioTokens(deps: AppDeps): string[] {
  const providers = Object.values(deps.driver.bundles.live?.providers ?? {}).filter((p) => p.kind === 'twilio');
  const names = new Set(providers.map((p) => credentialVariable(p, 'authToken')!));
  names.add('TWILIO_AUTH_TOKEN');
  return [...names].map((n) => deps.env[n]).filter((v): v is string => !!v);
}

/** Reads and verifies a Twilio form post against the public URL Twilio was given (twilioHeaders has passed). */
async function verifiedTwilioForm(c: Context, deps: AppDeps): Promise<Record<string, string>> {
  const tokens = twilioTokens(deps);
  // Null prototype: the form's field names are the sender's, and `__proto__=` must stay a plain field.
  const params: Record<string, string> = Object.create(null);
  for (const [name, value] of new URLSearchParams(await c.req.text())) params[name] = value;
  const url = `${deps.driver.publicUrl}${c.req.path}${new URL(c.req.url).search}`;
  const signature = c.req.header(TWILIO_SIGNATURE_HEADER);
  let check: SignatureCheck = { ok: false, status: 403, reason: 'no Twilio auth token' };
  for (const authToken of tokens) {
    check = verifyTwilioSignature({ authToken, signature, url, params });
    if (check.ok) return params;
  }
  refuse(check as Extract<SignatureCheck, { ok: false }>);
}

/** The providers' webhooks: a sub-app that runtime/http/app.ts mounts. */
export function webhookFeature(deps: AppDeps): Feature {
  return createFeature(deps, (routes) => webhookRoutes(routes, deps));
}

function webhookRoutes(routes: Router, deps: AppDeps) {
  routes.post(
    '/webhooks/sendgrid',
    signed('SendGrid Signed Event Webhook (ECDSA, SENDGRID_WEBHOOK_PUBLIC_KEY), timestamp within 10 min', MAX_WEBHOOK_BYTES, sendgridHeaders(deps)),
    async (c) => {
      const publicKey = deps.env.SENDGRID_WEBHOOK_PUBLIC_KEY!;
      const rawBody = Buffer.from(await c.req.arrayBuffer());
      const check = verifySendgridSignature({
        publicKey,
        signature: c.req.header(SENDGRID_SIGNATURE_HEADER),
        timestamp: c.req.header(SENDGRID_TIMESTAMP_HEADER),
        rawBody,
        now: Date.now(),
      });
      if (!check.ok) refuse(check);
      let parsed;
      try {
        parsed = parseSendgridEvents(rawBody);
      } catch (error) {
        throw new HttpError(400, 'invalid_request', error instanceof Error ? error.message : String(error));
      }
      const counts = await applyAll(deps, parsed.events);
      return c.json({ ...counts, rejected: parsed.rejected });
    },
  );

  routes.post(
    '/webhooks/twilio/status',
    signed('X-Twilio-Signature (HMAC-SHA1 with the account auth token)', MAX_TWILIO_FORM_BYTES, twilioHeaders(deps)),
    async (c) => {
      const params = await verifiedTwilioForm(c, deps);
      let event;
      try {
        event = parseTwilioStatus(params, { now: Date.now(), messageId: c.req.query('message') ?? null });
      } catch (error) {
        throw new HttpError(400, 'invalid_request', error instanceof Error ? error.message : String(error));
      }
      const counts = await applyAll(deps, [event]);
      return c.json(counts);
    },
  );

  routes.post(
    '/webhooks/twilio/inbound',
    signed('X-Twilio-Signature (HMAC-SHA1 with the account auth token); replays deduped by MessageSid', MAX_TWILIO_FORM_BYTES, twilioHeaders(deps)),
    async (c) => {
      const params = await verifiedTwilioForm(c, deps);
      const keyword = parseInboundKeyword(params.Body ?? '');
      const from = params.From;
      const messageSid = params.MessageSid ?? params.SmsSid;
      if (from && (keyword === 'stop' || keyword === 'start')) {
        const users = await deps.db.transaction(async (tx) => {
          // A signed request can be replayed as is (Twilio retries too): an old STOP replayed after a START
          // must not opt the person out again. Each MessageSid changes the opt-out once.
          if (messageSid && !(await one(tx, sql.claimInboundSms(messageSid)))) return null;
          const changed = await rows<{ id: string }>(tx, sql.setSmsOptOutByPhone(from, keyword === 'stop'));
          return changed.map((u) => u.id);
        });
        if (users === null) c.header('x-herald-duplicate', 'true');
        else c.header('x-herald-users', String(users.length));
      }
      // Twilio answers STOP/START/HELP itself on standard numbers; a HELP text of our own only when configured.
      const reply = keyword === 'help' ? deps.env.HERALD_SMS_HELP_TEXT : undefined;
      return c.body(twiml(reply), 200, { 'content-type': 'text/xml' });
    },
  );
}
