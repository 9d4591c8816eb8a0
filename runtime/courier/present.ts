/**
 * Herald's records in Courier's shapes: a run (one recipient of a send) as Courier's message details, a
 * category as a subscription topic, a profile as Courier's profile.
 */
import { CHANNELS, type Bundle, type Channel } from '../../compiler/bundle/schema.ts';
import type * as sql from '../db/sql.ts';
import { resolvePreference, type UserSnapshot } from '../engine/index.ts';

export type CourierStatus = 'ENQUEUED' | 'DELAYED' | 'SENT' | 'DELIVERED' | 'OPENED' | 'CLICKED' | 'UNDELIVERABLE' | 'UNROUTABLE' | 'CANCELED';

/** Best first. An in-app read is Courier's OPENED (as its inbox reports it), a sighting in the list DELIVERED. */
const ENGAGEMENT: [string, CourierStatus][] = [
  ['clicked', 'CLICKED'],
  ['opened', 'OPENED'],
  ['read', 'OPENED'],
  ['seen', 'DELIVERED'],
  ['delivered', 'DELIVERED'],
  ['sent', 'SENT'],
];
const UNDELIVERED = new Set(['failed', 'bounced', 'undeliverable']);

/** The first time any of the messages reached one of `statuses`, in ms (Courier's timestamps). */
function firstTime(messages: sql.MessageRow[], statuses: readonly string[]): number | undefined {
  const times = messages.flatMap((m) =>
    (m.history as { status: string; at: string }[]).filter((h) => statuses.includes(h.status)).map((h) => Date.parse(h.at)),
  );
  return times.length ? Math.min(...times) : undefined;
}

function reasonOf(messages: sql.MessageRow[]): string | null {
  const reasons = messages.map((m) => m.reason ?? '');
  if (reasons.some((r) => r === 'preference' || r === 'sms_opt_out')) return 'UNSUBSCRIBED';
  if (reasons.some((r) => r === 'no_provider')) return 'NO_PROVIDERS';
  if (messages.some((m) => m.status === 'bounced')) return 'BOUNCED';
  if (messages.some((m) => UNDELIVERED.has(m.status))) return 'PROVIDER_ERROR';
  if (messages.length && messages.every((m) => m.status === 'skipped')) return 'NO_CHANNELS';
  return null;
}

/** The Courier status of a run's messages: its best engagement, else why nothing went out. */
export function courierStatus(run: Pick<sql.RunRow, 'status' | 'state'>, messages: sql.MessageRow[]): CourierStatus {
  // Statuses only move forward (runtime/status/status.ts): each message's is its furthest.
  for (const [status, courier] of ENGAGEMENT) if (messages.some((m) => m.status === status)) return courier;
  if (run.status === 'cancelled') return 'CANCELED';
  if (messages.length && messages.every((m) => m.status === 'skipped')) return 'UNROUTABLE';
  if (messages.some((m) => UNDELIVERED.has(m.status))) return 'UNDELIVERABLE';
  const waiting = (run.state as { waiting?: { kind?: string } | null } | null)?.waiting;
  return waiting?.kind === 'delay' ? 'DELAYED' : 'ENQUEUED';
}

export function presentCourierMessage(id: string, run: sql.RunRow, messages: sql.MessageRow[]) {
  const status = courierStatus(run, messages);
  const definition = run.definition as { workflow?: { steps?: { kind: string; template?: string }[] } } | null;
  const template = definition?.workflow?.steps?.find((s) => s.kind === 'send')?.template ?? messages[0]?.template ?? run.workflow;
  const recipient =
    run.user_id ?? String((run.recipient as Record<string, unknown> | null)?.email ?? (run.recipient as Record<string, unknown> | null)?.phone_number ?? '');
  const reason = ['UNDELIVERABLE', 'UNROUTABLE'].includes(status) ? reasonOf(messages) : null;
  const times = Object.fromEntries(
    (['sent', 'delivered', 'opened', 'clicked'] as const).flatMap((s) => {
      // An in-app read is Courier's open.
      const t = firstTime(messages, s === 'opened' ? ['opened', 'read'] : [s]);
      return t === undefined ? [] : [[s, t]];
    }),
  );
  return {
    id,
    status,
    enqueued: run.created_at.getTime(),
    ...times,
    recipient,
    event: run.trigger_event ?? run.workflow,
    notification: template.startsWith('courier:') ? 'inline' : template,
    ...(reason ? { reason } : {}),
    providers: messages.map((m) => ({
      channel: { key: m.channel === 'inapp' ? 'inbox' : m.channel },
      provider: m.provider,
      status: m.status.toUpperCase(),
      reference: { provider_message_id: m.provider_message_id },
      messageId: m.id,
    })),
  };
}

const COURIER_CHANNEL: Record<Channel, string> = { email: 'email', sms: 'sms', push: 'push', inapp: 'inbox', webhook: 'webhook' };

/** A category as Courier's subscription topic, for this user. */
export function presentTopic(bundle: Bundle, categoryId: string, user: UserSnapshot) {
  const category = bundle.categories[categoryId]!;
  const resolved = CHANNELS.map((channel) => ({ channel, ...resolvePreference(bundle, categoryId, channel, user) }));
  const explicit = resolved.filter((r) => r.rule === 'opted-in' || r.rule === 'opted-out');
  const allowed = resolved.filter((r) => r.allowed);
  const status = category.required ? 'REQUIRED' : explicit.length && allowed.length === 0 ? 'OPTED_OUT' : 'OPTED_IN';
  const custom = explicit.length > 0 && status === 'OPTED_IN';
  return {
    topic_id: category.id,
    topic_name: category.description || category.id,
    status,
    default_status: category.required ? 'REQUIRED' : 'OPTED_IN',
    has_custom_routing: custom,
    custom_routing: custom ? allowed.map((r) => COURIER_CHANNEL[r.channel]) : [],
  };
}

/** Profile fields Herald keeps in columns; everything else of a Courier profile lives in `traits`. */
export const PROFILE_FIELDS = ['email', 'phone_number', 'locale', 'timezone'] as const;

export function presentProfile(user: Record<string, unknown>) {
  const traits = (user.traits ?? {}) as Record<string, unknown>;
  const profile: Record<string, unknown> = { ...traits };
  for (const field of PROFILE_FIELDS) if (user[field] !== null && user[field] !== undefined) profile[field] = user[field];
  const tokens = user.push_tokens as string[] | undefined;
  if (tokens?.length) profile.push_tokens = tokens;
  return profile;
}
