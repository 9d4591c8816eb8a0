/**
 * Applies one verified provider event (a SendGrid event, a Twilio status callback) to the message it names:
 * once per provider event identity (providers deliver at least once), moving the status forward only,
 * keeping the report in the history, waking the run on an engagement, and acting on what the recipient
 * said: an unsubscribe or spam report opts them out of the message's category on that channel; an opt-out
 * the provider reports (Twilio's 21610, "replied STOP") opts them out of the channel (opt-out.ts).
 */
import type { JsonValue } from '../../compiler/bundle/schema.ts';
import * as sql from '../db/sql.ts';
import { exec, one, type SqlClient } from '../db/sql-client.ts';
import type { ProviderEvent } from '../webhooks/events.ts';
import type { StatusDeps } from '../execution/deps.ts';
import { recordOptOut } from '../delivery/opt-out.ts';
import { recordMessageEvent } from './message-events.ts';

export type EventOutcome = 'applied' | 'duplicate' | 'unknown_message';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

async function findMessage(tx: SqlClient, event: ProviderEvent): Promise<sql.MessageRow | undefined> {
  if (event.messageId && UUID.test(event.messageId)) {
    const byId = await one<sql.MessageRow>(tx, sql.lockMessage(event.messageId));
    if (byId) return byId;
  }
  if (event.providerMessageId) return one<sql.MessageRow>(tx, sql.lockMessageByProviderId(event.providerMessageId));
  return undefined;
}

/** Opts the message's user in or out of its workflow's category on its channel (not for required ones). */
async function setCategoryPreference(deps: StatusDeps, tx: SqlClient, message: sql.MessageRow, allowed: boolean): Promise<string | null> {
  if (!message.user_id) return null;
  const run = await one<sql.RunRow>(tx, sql.runById(message.run_id));
  if (!run) return null;
  const bundle = await deps.bundles.get(tx, run.bundle_version);
  const categoryId = bundle.workflows[message.workflow]?.category;
  const category = categoryId ? bundle.categories[categoryId] : undefined;
  if (!category || category.required) return null;
  await exec(tx, sql.setPreference(message.user_id, category.id, message.channel, allowed));
  return category.id;
}

export async function applyProviderEvent(deps: StatusDeps, tx: SqlClient, event: ProviderEvent, options: { keepPayload: boolean }): Promise<EventOutcome> {
  const message = await findMessage(tx, event);
  if (!message) return 'unknown_message';
  if (!(await one(tx, sql.claimProviderEvent(event.dedupeKey, message.id)))) return 'duplicate';
  const detail: Record<string, JsonValue> = { source: event.provider, ...event.detail };
  if (event.kind === 'unsubscribed' || event.kind === 'spam_report' || event.kind === 'resubscribed') {
    const category = await setCategoryPreference(deps, tx, message, event.kind === 'resubscribed');
    if (category) detail.preference = { category, channel: message.channel, allowed: event.kind === 'resubscribed' };
  }
  if (event.optOut && message.user_id) {
    await recordOptOut(tx, message.user_id, event.optOut);
    detail.smsOptOut = true;
  }
  if (options.keepPayload) detail.payload = event.raw;
  await recordMessageEvent(deps, tx, message, event.kind, detail, event.at);
  return 'applied';
}
