/**
 * Provider webhooks, outside the API key (providers sign instead): SendGrid's Signed Event Webhook, Twilio's
 * status callbacks and inbound SMS keywords. A missing signature is 401, a wrong or stale one 403, and
 * either changes nothing; signatures are checked over the raw bytes as received.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Context, Hono } from 'hono';
import { bodyLimit } from './body-limit.ts';
import * as sql from '../db/sql.ts';
import { rows } from '../db/sql-client.ts';
import { applyProviderEvent, type EventOutcome } from '../driver/provider-events.ts';
import { credentialVariable } from '../providers/registry.ts';
import type { ProviderEvent, SignatureCheck } from '../webhooks/events.ts';
import { parseSendgridEvents, SENDGRID_SIGNATURE_HEADER, SENDGRID_TIMESTAMP_HEADER, verifySendgridSignature } from '../webhooks/sendgrid.ts';
import { parseInboundKeyword, parseTwilioStatus, TWILIO_SIGNATURE_HEADER, twiml, verifyTwilioSignature } from '../webhooks/twilio.ts';
import type { AppDeps } from './deps.ts';
import { HttpError } from './errors.ts';

/** SendGrid posts up to thousands of events at once. */
const MAX_WEBHOOK_BYTES = 5 * 1024 * 1024;

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

/** Reads and verifies a Twilio form post against the public URL Twilio was given. */
async function verifiedTwilioForm(c: Context, deps: AppDeps): Promise<Record<string, string>> {
  const params = Object.fromEntries(new URLSearchParams(await c.req.text()));
  const url = `${deps.driver.publicUrl}${c.req.path}${new URL(c.req.url).search}`;
  const tokens = twilioTokens(deps);
  if (tokens.length === 0) throw new HttpError(403, 'forbidden', 'TWILIO_AUTH_TOKEN is not set: Twilio webhooks cannot be verified, so none are accepted');
  const signature = c.req.header(TWILIO_SIGNATURE_HEADER);
  let check: SignatureCheck = { ok: false, status: 403, reason: 'no Twilio auth token' };
  for (const authToken of tokens) {
    check = verifyTwilioSignature({ authToken, signature, url, params });
    if (check.ok) return params;
  }
  refuse(check as Extract<SignatureCheck, { ok: false }>);
}

export function webhookRoutes(app: Hono, deps: AppDeps) {
  app.use(
    '/webhooks/*',
    bodyLimit({
      maxSize: MAX_WEBHOOK_BYTES,
      onError: () => {
        throw new HttpError(413, 'payload_too_large', `the body is larger than ${MAX_WEBHOOK_BYTES / 1024 / 1024} MB`);
      },
    }),
  );

  app.post('/webhooks/sendgrid', async (c) => {
    const publicKey = deps.env.SENDGRID_WEBHOOK_PUBLIC_KEY;
    if (!publicKey) throw new HttpError(403, 'forbidden', 'SENDGRID_WEBHOOK_PUBLIC_KEY is not set: signed events cannot be verified, so none are accepted');
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
  });

  app.post('/webhooks/twilio/status', async (c) => {
    const params = await verifiedTwilioForm(c, deps);
    let event;
    try {
      event = parseTwilioStatus(params, { now: Date.now(), messageId: c.req.query('message') ?? null });
    } catch (error) {
      throw new HttpError(400, 'invalid_request', error instanceof Error ? error.message : String(error));
    }
    const counts = await applyAll(deps, [event]);
    return c.json(counts);
  });

  app.post('/webhooks/twilio/inbound', async (c) => {
    const params = await verifiedTwilioForm(c, deps);
    const keyword = parseInboundKeyword(params.Body ?? '');
    const from = params.From;
    if (from && (keyword === 'stop' || keyword === 'start')) {
      const users = await deps.db.transaction(async (tx) => {
        const changed = await rows<{ id: string }>(tx, sql.setSmsOptOutByPhone(from, keyword === 'stop'));
        return changed.map((u) => u.id);
      });
      c.header('x-herald-users', String(users.length));
    }
    // Twilio answers STOP/START/HELP itself on standard numbers; a HELP text of our own only when configured.
    const reply = keyword === 'help' ? deps.env.HERALD_SMS_HELP_TEXT : undefined;
    return c.body(twiml(reply), 200, { 'content-type': 'text/xml' });
  });
}

