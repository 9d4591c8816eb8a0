/**
 * Every SQL statement Herald runs, as pure functions returning text and values. Nothing here executes.
 */
import type { Statement } from './sql-client.ts';
import { timeOfId } from './time-ordered-id.ts';

const s = (text: string, ...values: unknown[]): Statement => ({ text, values });
const json = (value: unknown) => JSON.stringify(value ?? null);
/**
 * A message or inbox item by its id ($1). An id that carries its time (UUIDv7) names the row's partition too:
 * one index probe. An id from before partitioning is looked up in every partition (only old rows have one).
 */
const byId = (id: string, param = '$1') => (timeOfId(id) ? `id = ${param} AND created_at = herald.uuid7_time(${param})` : `id = ${param}`);
/**
 * How far back a provider's report that names only the provider's own message id (not Herald's) is matched:
 * such a lookup reads every partition in its range, so it is kept to the days reports come in. Herald's id
 * travels with every send (SendGrid's custom_args, Twilio's callback URL), so this is the rare fallback.
 */
export const PROVIDER_ID_LOOKBACK = '7 days';
/**
 * How far back a repeated event (Segment's messageId) or provider event is recognised. The logs are partitioned
 * by day, so no unique index spans them: a repeat is looked for in the days this window covers (one index
 * probe per day) under a lock on its key (lockDedupeKeys). Segment dedupes over a day; SendGrid retries a
 * webhook for up to 72 hours.
 */
export const EVENT_DEDUPE_WINDOW = '1 day';
export const PROVIDER_EVENT_DEDUPE_WINDOW = '3 days';
/**
 * Serialises the acceptance of the same keys until the transaction ends. Its own statement: a statement that
 * looks for an earlier copy must start after the lock is held, or it would not see a copy committed meanwhile.
 * Keys are locked in order, so two transactions never wait on each other in a cycle.
 */
export const lockDedupeKeys = (scope: string, keys: string[]) =>
  s(
    `SELECT count(pg_advisory_xact_lock(hashtextextended($1 || '/' || k, 0))) FROM (SELECT DISTINCT k FROM unnest($2::text[]) AS k ORDER BY k) AS keys`,
    scope,
    keys,
  );

// ── bundles ────────────────────────────────────────────────────────────────────────────────────────────
export const insertBundle = (version: string, bundle: unknown) =>
  s('INSERT INTO herald.bundles (version, bundle) VALUES ($1, $2) ON CONFLICT (version) DO NOTHING', version, json(bundle));
export const markLive = (version: string) => s('UPDATE herald.bundles SET live = (version = $1) WHERE live OR version = $1', version);
export const bundleByVersion = (version: string) => s('SELECT bundle FROM herald.bundles WHERE version = $1', version);

// ── users, preferences, presence ─────────────────────────────────────────────────────────────────────────
export interface ProfilePatch {
  email?: string | null;
  phone_number?: string | null;
  push_tokens?: string[];
  locale?: string | null;
  timezone?: string | null;
  traits?: Record<string, unknown>;
}
/**
 * The profile's addresses before the statement that changes it, as `address_before` (null for a new user): a
 * WITH query sees the table as the statement began, so the caller can tell whether an address is new
 * (runtime/intake/address-waits.ts) without another round trip.
 */
const ADDRESS_BEFORE = `WITH before AS (SELECT email, phone_number, push_tokens FROM herald.users WHERE id = $1)`;
const RETURNING_ADDRESS_BEFORE = `(SELECT row_to_json(before) FROM before) AS address_before`;
/** Upsert: given fields replace, absent fields stay; traits merge key by key. */
export const upsertUser = (id: string, p: ProfilePatch) =>
  s(
    `${ADDRESS_BEFORE}
     INSERT INTO herald.users (id, email, phone_number, push_tokens, locale, timezone, traits)
     VALUES ($1, $2, $3, COALESCE($4::jsonb, '[]'), $5, $6, COALESCE($7::jsonb, '{}'))
     ON CONFLICT (id) DO UPDATE SET
       email = CASE WHEN $8 THEN EXCLUDED.email ELSE herald.users.email END,
       phone_number = CASE WHEN $9 THEN EXCLUDED.phone_number ELSE herald.users.phone_number END,
       push_tokens = CASE WHEN $10 THEN EXCLUDED.push_tokens ELSE herald.users.push_tokens END,
       locale = CASE WHEN $11 THEN EXCLUDED.locale ELSE herald.users.locale END,
       timezone = CASE WHEN $12 THEN EXCLUDED.timezone ELSE herald.users.timezone END,
       traits = herald.users.traits || EXCLUDED.traits,
       updated_at = now()
     RETURNING herald.users.*, ${RETURNING_ADDRESS_BEFORE}`,
    id,
    p.email ?? null,
    p.phone_number ?? null,
    p.push_tokens === undefined ? null : json(p.push_tokens),
    p.locale ?? null,
    p.timezone ?? null,
    p.traits === undefined ? null : json(p.traits),
    'email' in p,
    'phone_number' in p,
    'push_tokens' in p,
    'locale' in p,
    'timezone' in p,
  );
export const userById = (id: string) => s('SELECT * FROM herald.users WHERE id = $1', id);
/** Columns a user snapshot is made of: the profile as JSON (null when unknown) and its preferences. */
const PROFILE_COLUMNS = (userId: string) => `(SELECT row_to_json(u) FROM herald.users u WHERE u.id = ${userId}) AS profile,
       COALESCE((SELECT json_agg(json_build_object('category', p.category, 'channel', p.channel, 'allowed', p.allowed))
         FROM herald.preferences p WHERE p.user_id = ${userId}), '[]') AS prefs`;
/** The profile with its preferences, in one round trip. */
export const userWithPreferences = (id: string) => s(`SELECT ${PROFILE_COLUMNS('$1')}`, id);
/** Drops push tokens a provider reported dead (`jsonb - text[]` removes matching array elements). */
export const removePushTokens = (userId: string, tokens: string[]) =>
  s('UPDATE herald.users SET push_tokens = push_tokens - $2::text[], updated_at = now() WHERE id = $1', userId, tokens);
export const setSmsOptOut = (userId: string, optOut: boolean) =>
  s('UPDATE herald.users SET sms_opt_out = $2, updated_at = now() WHERE id = $1', userId, optOut);
/** SMS STOP/START arrive by phone number: every profile with that number follows it. */
export const setSmsOptOutByPhone = (phoneNumber: string, optOut: boolean) =>
  s('UPDATE herald.users SET sms_opt_out = $2, updated_at = now() WHERE phone_number = $1 RETURNING id', phoneNumber, optOut);
/** Back to the category's defaults on every channel (no explicit choice left). */
export const clearPreferences = (userId: string, category: string) =>
  s('DELETE FROM herald.preferences WHERE user_id = $1 AND category = $2', userId, category);
/** Courier's profile replace: the given fields, the rest cleared, traits replaced rather than merged. */
export const replaceUser = (
  id: string,
  p: Required<Pick<ProfilePatch, 'email' | 'phone_number' | 'locale' | 'timezone'>> & { traits: Record<string, unknown> },
) =>
  s(
    `${ADDRESS_BEFORE}
     INSERT INTO herald.users (id, email, phone_number, locale, timezone, traits) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (id) DO UPDATE SET email = EXCLUDED.email, phone_number = EXCLUDED.phone_number, locale = EXCLUDED.locale,
       timezone = EXCLUDED.timezone, traits = EXCLUDED.traits, updated_at = now()
     RETURNING herald.users.email, herald.users.phone_number, herald.users.push_tokens, ${RETURNING_ADDRESS_BEFORE}`,
    id,
    p.email,
    p.phone_number,
    p.locale,
    p.timezone,
    json(p.traits),
  );
export const setPreference = (userId: string, category: string, channel: string, allowed: boolean) =>
  s(
    `INSERT INTO herald.preferences (user_id, category, channel, allowed) VALUES ($1, $2, $3, $4)
     ON CONFLICT (user_id, category, channel) DO UPDATE SET allowed = EXCLUDED.allowed, updated_at = now()`,
    userId,
    category,
    channel,
    allowed,
  );
export const markActive = (userId: string, at: Date) =>
  s(
    `INSERT INTO herald.users (id, last_active_at) VALUES ($1, $2)
     ON CONFLICT (id) DO UPDATE SET last_active_at = GREATEST(herald.users.last_active_at, EXCLUDED.last_active_at)`,
    userId,
    at,
  );
/** Sets one profile path (`email`, `traits.plan`) from an updateProfile step. */
export const setProfilePath = (userId: string, path: string, value: unknown) => {
  const [head, ...rest] = path.split('.');
  if (head === 'traits' && rest.length) {
    return s(
      `INSERT INTO herald.users (id, traits) VALUES ($1, jsonb_set('{}', $2::text[], $3::jsonb, true))
       ON CONFLICT (id) DO UPDATE SET traits = jsonb_set(herald.users.traits, $2::text[], $3::jsonb, true), updated_at = now()`,
      userId,
      rest,
      json(value),
    );
  }
  const column = ({ email: 'email', phone_number: 'phone_number', locale: 'locale', timezone: 'timezone' } as const)[head as 'email'];
  if (!column) throw new Error(`updateProfile cannot set "${path}": use email, phone_number, locale, timezone or traits.<name>`);
  return s(
    `INSERT INTO herald.users (id, ${column}) VALUES ($1, $2) ON CONFLICT (id) DO UPDATE SET ${column} = EXCLUDED.${column}, updated_at = now()`,
    userId,
    value === null ? null : String(value),
  );
};

// ── runs ─────────────────────────────────────────────────────────────────────────────────────────────────
export interface RunRow {
  id: string;
  workflow: string;
  bundle_version: string;
  user_id: string | null;
  recipient: Record<string, unknown> | null;
  status: string;
  state: unknown;
  trigger_event: string | null;
  definition: unknown;
  request_id: string | null;
  /** Started by the accepting process rather than a start job, and not started yet (execution/local-starts.ts). */
  start_pending: boolean;
  /** The fan-out that started the run (runtime/recipients/), if one did. */
  fanout_id?: string | null;
  /** The tenant the run sends for (runtime/tenants), if any. */
  tenant_id?: string | null;
  created_at: Date;
  updated_at: Date;
}
/** A run as inserted: the row without its timestamps (the recipient as given). */
export interface NewRun extends Omit<RunRow, 'recipient' | 'created_at' | 'updated_at'> {
  recipient: unknown;
}
/** Inserts the runs in `$param` (a JSON array of NewRun) that do not exist yet, returning their ids. */
const insertRunsFrom = (param: string, where = 'true') =>
  `INSERT INTO herald.runs (id, workflow, bundle_version, user_id, recipient, status, state, trigger_event, definition, request_id, start_pending, fanout_id, tenant_id)
     SELECT id, workflow, bundle_version, user_id, recipient, status, state, trigger_event, definition, request_id, start_pending, fanout_id, tenant_id
     FROM jsonb_to_recordset(${param}::jsonb) AS r (id uuid, workflow text, bundle_version text, user_id text, recipient jsonb, status text,
       state jsonb, trigger_event text, definition jsonb, request_id uuid, start_pending boolean, fanout_id uuid, tenant_id text)
     WHERE ${where}
     ON CONFLICT (id) DO NOTHING RETURNING id`;
/**
 * A keyed listener of a run (migration 4): the event it listens to and what that event's data must contain.
 * Written with the run, only for workflows that have a `match`.
 */
export interface MatchKeyRow {
  run_id: string;
  user_id: string;
  event: string;
  expected: unknown;
}
/** Inserts the match keys in `$param` (a JSON array of MatchKeyRow) of the runs the CTE `started` inserted. */
const insertMatchKeysFrom = (param: string) =>
  `INSERT INTO herald.run_match_keys (run_id, user_id, event, expected)
     SELECT k.run_id, k.user_id, k.event, k.expected FROM jsonb_to_recordset(${param}::jsonb) AS k (run_id uuid, user_id text, event text, expected jsonb)
     WHERE k.run_id IN (SELECT id FROM started)`;
/** Inserts the runs, and with them the match keys of those inserted (the statement is unchanged when there are none). */
export const insertRuns = (runs: NewRun[], keys: MatchKeyRow[] = []) =>
  keys.length === 0
    ? s(insertRunsFrom('$1'), json(runs))
    : s(`WITH started AS (${insertRunsFrom('$1')}), keyed AS (${insertMatchKeysFrom('$2')}) SELECT id FROM started`, json(runs), json(keys));
/** Drops the match keys of runs that ended: nothing is waiting for a match any more. */
export const deleteMatchKeys = (runIds: string[]) => s('DELETE FROM herald.run_match_keys WHERE run_id = ANY($1::uuid[])', runIds);
/**
 * The runs of a batch of jobs, locked for the batch's transaction, with their users' snapshot columns (see
 * PROFILE_COLUMNS), its tenant's brand and default preferences (runtime/tenants; null without one) and the send receipts an earlier attempt of the batch left (delivery/receipts.ts; none
 * unless a process died mid-batch: saveTurns deletes a run's receipts with its turn), in one round trip.
 * Locked in id order, so two batches that share runs never wait on each other in a cycle.
 */
export const lockRunsWithUsers = (ids: string[]) =>
  s(
    `SELECT r.*, ${PROFILE_COLUMNS('r.user_id')},
       (SELECT json_build_object('brand', t.brand, 'default_preferences', t.default_preferences) FROM herald.tenants t WHERE t.id = r.tenant_id) AS tenant,
       (SELECT json_agg(json_build_object('step_id', sr.step_id, 'channel', sr.channel, 'message_id', sr.message_id,
                                   'provider', sr.provider, 'provider_message_id', sr.provider_message_id, 'at', sr.at))
          FROM herald.send_receipts sr WHERE sr.run_id = r.id) AS receipts
     FROM herald.runs r WHERE r.id = ANY($1::uuid[]) ORDER BY r.id FOR UPDATE OF r`,
    ids,
  );
/**
 * Takes pending local starts out of their process's hands (execution/local-starts.ts): those of `ids` (all when
 * empty) created at least `olderThanMs` ago, except `exclude`, oldest first, skipping runs a turn holds. Their
 * start_pending is cleared; the caller enqueues their start jobs in the same transaction. Returns each with its
 * creation time, when its trigger was accepted.
 */
export const claimPendingStarts = (options: { ids: string[]; olderThanMs: number; exclude: string[]; limit: number }) =>
  s(
    `UPDATE herald.runs r SET start_pending = false
     FROM (SELECT id FROM herald.runs
           WHERE start_pending AND created_at <= now() - make_interval(secs => $2::float8 / 1000)
             AND (cardinality($1::uuid[]) = 0 OR id = ANY($1::uuid[])) AND NOT (id = ANY($3::uuid[]))
           ORDER BY created_at LIMIT $4 FOR UPDATE SKIP LOCKED) p
     WHERE r.id = p.id
     RETURNING r.id, (extract(epoch FROM r.created_at) * 1000)::float8 AS created_ms`,
    options.ids,
    options.olderThanMs,
    options.exclude,
    options.limit,
  );
export const runById = (id: string) => s('SELECT * FROM herald.runs WHERE id = $1', id);
/**
 * A user's runs a new address may concern (runs_active_by_user): those whose send waits for one, and those not
 * started yet, whose start may already have read the profile without it (intake/address-waits.ts).
 */
export const runsAwaitingAddress = (userId: string) =>
  s(
    `SELECT id FROM herald.runs WHERE user_id = $1 AND status IN ('running', 'waiting')
       AND (status = 'running' OR state->'waiting'->>'kind' = 'address') ORDER BY id`,
    userId,
  );
export const runsOfRequest = (requestId: string) => s('SELECT * FROM herald.runs WHERE request_id = $1 ORDER BY created_at, id', requestId);
/** A message logged by a job's turn, written with the run's new state (runtime/execution/batch.ts). */
export interface MessageEntry {
  id: string;
  step_id: string;
  channel: string;
  workflow: string;
  template: string;
  user_id: string | null;
  /** The workflow's preference category when it sent (frequency caps count by it); absent is null. */
  category?: string | null;
  status: string;
  reason: string | null;
  provider: string | null;
  provider_message_id: string | null;
  provider_response: unknown;
  content: unknown;
  history: unknown[];
}
/** A run's state after a job's turn, with the messages the turn logged. */
export interface TurnRecord {
  id: string;
  status: string;
  state: unknown;
  /** The run's start is behind it (applied, or the run ended first): a pending local start is done. */
  started: boolean;
  messages: MessageEntry[];
  /** The run's tenant (runtime/tenants): its messages are logged with it. */
  tenantId?: string;
}
/**
 * Saves the turns of a batch in one statement: the messages they logged (each created at the time its UUIDv7 id
 * carries, which puts it in its day's partition and keeps the order they were logged in; an id of an earlier
 * release, kept by a send receipt, is dated now) and each run's new state.
 */
export const saveTurns = (turns: TurnRecord[]) =>
  s(
    `WITH logged AS (
       INSERT INTO herald.messages (id, created_at, run_id, step_id, channel, workflow, template, user_id, status, reason, provider,
         provider_message_id, provider_response, content, history, category, tenant_id)
       SELECT m.id, COALESCE(herald.uuid7_time(m.id), clock_timestamp()), m.run_id, m.step_id, m.channel, m.workflow, m.template, m.user_id, m.status, m.reason, m.provider,
         m.provider_message_id, m.provider_response, m.content, m.history, m.category, m.tenant_id
       FROM ROWS FROM (jsonb_to_recordset($2::jsonb) AS (id uuid, run_id uuid, step_id text, channel text, workflow text, template text,
         user_id text, status text, reason text, provider text, provider_message_id text, provider_response jsonb,
         content jsonb, history jsonb, category text, tenant_id text)) WITH ORDINALITY AS m (id, run_id, step_id, channel, workflow, template, user_id, status,
         reason, provider, provider_message_id, provider_response, content, history, category, tenant_id, n)
       ORDER BY m.n
       ON CONFLICT DO NOTHING
     ),
     -- The turn records its messages itself: the receipts its sends left (delivery/receipts.ts) have done their job.
     receipted AS (
       DELETE FROM herald.send_receipts sr USING jsonb_to_recordset($1::jsonb) AS t (id uuid) WHERE sr.run_id = t.id
     )
     UPDATE herald.runs r SET status = t.status, state = t.state, updated_at = now(), start_pending = r.start_pending AND NOT t.started
     FROM jsonb_to_recordset($1::jsonb) AS t (id uuid, status text, state jsonb, started boolean)
     WHERE r.id = t.id`,
    json(turns.map((t) => ({ id: t.id, status: t.status, state: t.state, started: t.started }))),
    json(turns.flatMap((t) => t.messages.map((m) => ({ ...m, run_id: t.id, ...(t.tenantId ? { tenant_id: t.tenantId } : {}) })))),
  );

// ── messages ─────────────────────────────────────────────────────────────────────────────────────────────
export interface MessageRow {
  id: string;
  run_id: string;
  step_id: string;
  channel: string;
  workflow: string;
  template: string;
  user_id: string | null;
  provider: string | null;
  provider_message_id: string | null;
  status: string;
  reason: string | null;
  history: { status: string; at: string; detail?: unknown }[];
  provider_response: unknown;
  content: unknown;
  /** The tenant the message was sent for (runtime/tenants); absent in rows read before migration 9. */
  tenant_id?: string | null;
  created_at: Date;
  updated_at: Date;
}
/** Appends an engagement or delivery status; `status` moves only forward (see runtime/status/status.ts). */
export const appendMessageStatus = (id: string, status: string, entry: unknown) =>
  s(`UPDATE herald.messages SET status = $2, history = history || $3::jsonb, updated_at = now() WHERE ${byId(id)} RETURNING *`, id, status, json([entry]));
/**
 * Claims a provider event's identity; no row back means it was applied within the window before (a provider
 * retry). Run after locking its message (lockMessage): two copies of one event wait on that row, so the second
 * claim starts after the first committed and sees it.
 */
export const claimProviderEvent = (dedupeKey: string, messageId: string | null) =>
  s(
    `INSERT INTO herald.provider_events (dedupe_key, message_id) SELECT $1, $2
     WHERE NOT EXISTS (SELECT 1 FROM herald.provider_events WHERE dedupe_key = $1 AND received_at > now() - interval '${PROVIDER_EVENT_DEDUPE_WINDOW}')
     RETURNING dedupe_key`,
    dedupeKey,
    messageId,
  );
/** The message a provider's id names (Twilio's SM…, SendGrid's x-message-id), locked; none when not ours. */
export const lockMessageByProviderId = (providerMessageId: string) =>
  s(
    `SELECT * FROM herald.messages WHERE provider_message_id = $1 AND created_at > now() - interval '${PROVIDER_ID_LOOKBACK}'
     ORDER BY created_at DESC LIMIT 1 FOR UPDATE`,
    providerMessageId,
  );
export const messageById = (id: string) => s(`SELECT * FROM herald.messages WHERE ${byId(id)}`, id);
export const lockMessage = (id: string) => s(`SELECT * FROM herald.messages WHERE ${byId(id)} FOR UPDATE`, id);
/** `tenant`: only the messages sent for that tenant (runtime/tenants). */
export const messagesOfUser = (userId: string, limit: number, before?: { createdAt: Date; id: string }, tenant?: string) => {
  const values: unknown[] = [userId, limit];
  const tenantWhere = tenant === undefined ? '' : ` AND tenant_id = $${values.push(tenant)}`;
  const keyset = before ? ` AND (created_at, id) < ($${values.push(before.createdAt)}, $${values.push(before.id)})` : '';
  return s(`SELECT * FROM herald.messages WHERE user_id = $1${tenantWhere}${keyset} ORDER BY created_at DESC, id DESC LIMIT $2`, ...values);
};
/**
 * A run's messages: none is older than its run, so the days before it are not read (an hour's margin for the
 * clocks: a message is dated by the runtime's, a run by the database's).
 */
export const messagesOfRun = (run: { id: string; created_at: Date }) =>
  s(`SELECT * FROM herald.messages WHERE run_id = $1 AND created_at >= $2::timestamptz - interval '1 hour' ORDER BY created_at, id`, run.id, run.created_at);
/** The other messages of one step of a run (its other channels), locked in id order: what read sync marks read. */
export const lockOtherStepMessages = (run: { id: string; created_at: Date }, stepId: string, exceptId: string) =>
  s(
    `SELECT * FROM herald.messages WHERE run_id = $1 AND step_id = $2 AND id <> $3 AND created_at >= $4::timestamptz - interval '1 hour'
     ORDER BY id FOR UPDATE`,
    run.id,
    stepId,
    exceptId,
    run.created_at,
  );

// ── inbox ────────────────────────────────────────────────────────────────────────────────────────────────
/** An in-app message's item: its id is the message's (a UUIDv7, so its partition follows from it). */
export const insertInboxItem = (i: { userId: string; messageId: string; title: string; body: string; actionUrl: string | null; tenantId?: string | null }) =>
  s(
    `INSERT INTO herald.inbox (id, created_at, user_id, message_id, title, body, action_url, tenant_id)
     VALUES ($2, COALESCE(herald.uuid7_time($2), now()), $1, $2, $3, $4, $5, $6)
     ON CONFLICT (id, created_at) DO UPDATE SET title = EXCLUDED.title RETURNING id`,
    i.userId,
    i.messageId,
    i.title,
    i.body,
    i.actionUrl,
    i.tenantId ?? null,
  );
export const inboxOf = (userId: string, limit: number) =>
  s('SELECT * FROM herald.inbox WHERE user_id = $1 AND archived_at IS NULL ORDER BY created_at DESC, id DESC LIMIT $2', userId, limit);
/** `tenant` as in inboxOfTenant: absent, every item of the user (the server API); else that tenant's only. */
export const unreadCount = (userId: string, tenant?: string | null) =>
  s(
    `SELECT count(*)::int AS n FROM herald.inbox WHERE user_id = $1 AND read_at IS NULL AND archived_at IS NULL${inboxOfTenant(tenant, '$2')}`,
    userId,
    ...tenantValue(tenant),
  );
export const markInboxRead = (userId: string, id: string) =>
  s(
    `UPDATE herald.inbox SET read_at = COALESCE(read_at, now()), seen_at = COALESCE(seen_at, now()) WHERE user_id = $1 AND ${byId(id, '$2')} RETURNING *`,
    userId,
    id,
  );

// ── idempotency and the event log ────────────────────────────────────────────────────────────────────────
/**
 * Claims a group's keys in one statement, in key order: two groups claiming overlapping keys wait for each
 * other in the same order, never in a cycle. Returns the keys this call claimed.
 */
export const claimIdempotencyKeys = (claims: { key: string; hash: string }[]) =>
  s(
    `INSERT INTO herald.idempotency (key, request_hash, status, response)
     SELECT key, hash, 0, 'null' FROM jsonb_to_recordset($1::jsonb) AS c (key text, hash text) ORDER BY key
     ON CONFLICT (key) DO NOTHING RETURNING key`,
    json(claims),
  );
export const idempotencyByKeys = (keys: string[]) => s('SELECT key, request_hash, status, response FROM herald.idempotency WHERE key = ANY($1::text[])', keys);
export const storeIdempotentResponses = (answers: { key: string; status: number; response: unknown }[]) =>
  s(
    `UPDATE herald.idempotency i SET status = a.status, response = a.response
     FROM jsonb_to_recordset($1::jsonb) AS a (key text, status int, response jsonb) WHERE i.key = a.key`,
    json(answers),
  );
/** One event of a batch for acceptEvents: `run_ids` are the runs it starts if it is new. */
export interface EventRow {
  message_id: string | null;
  event: string;
  user_id: string;
  properties: unknown;
  run_ids: string[];
}
/**
 * Accepts a batch of events in one statement: logs each (an event whose message_id is already logged — or
 * repeats an earlier one of the batch — is not: `kept` lists the batch positions, from 1, that were), starts
 * the runs of the kept ones (with their match keys, when any), and lists the kept users' runs that were active
 * before this statement (for routing the events to the runs that wait for them or are cancelled by them), and
 * `keyed`: for each kept event, the runs whose match keys its data contains (found by the index on user and
 * event; the caller keeps those still active).
 */
export const acceptEvents = (events: EventRow[], runs: NewRun[], keys: MatchKeyRow[] = []) =>
  s(
    `WITH input AS (
       SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (message_id text, event text, user_id text, properties jsonb, run_ids jsonb))
         WITH ORDINALITY AS e (message_id, event, user_id, properties, run_ids, n)
     ),
     -- The first of a repeated message id in the batch, unless the log has it already (lockDedupeKeys ran first).
     kept AS (
       SELECT i.n FROM input i
       WHERE i.message_id IS NULL OR (
         i.n = (SELECT min(j.n) FROM input j WHERE j.message_id = i.message_id)
         AND NOT EXISTS (SELECT 1 FROM herald.events e WHERE e.message_id = i.message_id AND e.received_at > now() - interval '${EVENT_DEDUPE_WINDOW}'))
     ),
     logged AS (
       INSERT INTO herald.events (message_id, event, user_id, properties, run_ids)
       SELECT i.message_id, i.event, i.user_id, i.properties, i.run_ids FROM input i JOIN kept k ON k.n = i.n ORDER BY i.n
     ),
     started AS (${insertRunsFrom('$2', 'r.id IN (SELECT jsonb_array_elements_text(i.run_ids)::uuid FROM input i JOIN kept k ON k.n = i.n)')}),${
       keys.length ? `\n     keyed_started AS (${insertMatchKeysFrom('$3')}),` : ''
     }
     keyed AS (
       SELECT i.n, mk.run_id FROM input i JOIN kept k ON k.n = i.n
       JOIN herald.run_match_keys mk ON mk.user_id = i.user_id AND mk.event = i.event AND i.properties @> mk.expected
     ),
     active AS (
       SELECT id, workflow, bundle_version, user_id FROM herald.runs
       WHERE user_id IN (SELECT i.user_id FROM input i JOIN kept k ON k.n = i.n) AND status IN ('running', 'waiting')
     )
     SELECT COALESCE((SELECT json_agg(n) FROM kept), '[]') AS kept,
       COALESCE((SELECT json_agg(id) FROM started), '[]') AS started,
       COALESCE((SELECT json_agg(json_build_object('id', id, 'workflow', workflow, 'bundle_version', bundle_version, 'user_id', user_id)) FROM active), '[]') AS active,
       COALESCE((SELECT json_agg(json_build_object('n', n, 'run_id', run_id)) FROM keyed), '[]') AS keyed`,
    json(events),
    json(runs),
    ...(keys.length ? [json(keys)] : []),
  );
/** The runs logged events started, by message id (answers for retries of events already accepted). */
export const eventsByMessageId = (messageIds: string[]) =>
  s(`SELECT message_id, run_ids FROM herald.events WHERE message_id = ANY($1::text[]) AND received_at > now() - interval '${EVENT_DEDUPE_WINDOW}'`, messageIds);

// ── digests and throttles ────────────────────────────────────────────────────────────────────────────────
/** Opens a digest owned by `runId`, or appends the item to the open one; returns the owner. */
export const joinDigest = (d: { workflow: string; stepId: string; userId: string; key: string; runId: string; item: unknown }) =>
  s(
    `INSERT INTO herald.digests (workflow, step_id, user_id, key, owner_run, items) VALUES ($1, $2, $3, $4, $5, jsonb_build_array($6::jsonb))
     ON CONFLICT (workflow, step_id, user_id, key) WHERE open DO UPDATE SET items = herald.digests.items || jsonb_build_array($6::jsonb)
     RETURNING owner_run`,
    d.workflow,
    d.stepId,
    d.userId,
    d.key,
    d.runId,
    json(d.item),
  );
export const closeDigest = (d: { workflow: string; stepId: string; userId: string; key: string; runId: string }) =>
  s(
    `UPDATE herald.digests SET open = false WHERE workflow = $1 AND step_id = $2 AND user_id = $3 AND key = $4 AND owner_run = $5 AND open
     RETURNING items`,
    d.workflow,
    d.stepId,
    d.userId,
    d.key,
    d.runId,
  );
// ── frequency caps ───────────────────────────────────────────────────────────────────────────────────────
/** A count a capped send needs: one user's messages within one cap's window (runtime/delivery/frequency.ts). */
export interface CapCount {
  userId: string;
  channel: string | null;
  category: string | null;
  since: Date;
}
/** The key of the lock that serialises a user's capped sends across transactions, for the user id `u`. */
const userSendsKey = (u: string) => `hashtextextended('herald.frequency/' || ${u}, 0)`;
/** Waits for the locks on these users' capped sends (in order, so two transactions never wait in a cycle), held until the transaction ends. */
export const lockUserSends = (userIds: string[]) =>
  s(`SELECT count(pg_advisory_xact_lock(${userSendsKey('u')})) FROM (SELECT DISTINCT u FROM unnest($1::text[]) AS u ORDER BY u) AS users`, userIds);
/**
 * Each count asked, in order: the user's messages handed to a provider since `since` on the channel or in the
 * category (statuses before a provider took the message, queued, or without one, skipped and failed, do not
 * count); and whether this transaction holds the lock on the user's capped sends (taken here when it was free).
 * One read per user of the per-user index (user_id, created_at) over its longest window, which names its days.
 */
export const countUserSends = (counts: CapCount[]) =>
  s(
    `WITH asked AS (
       SELECT * FROM ROWS FROM (jsonb_to_recordset($1::jsonb) AS (user_id text, channel text, category text, since timestamptz)) WITH ORDINALITY AS a (user_id, channel, category, since, n)
     ),
     users AS (
       SELECT user_id, min(since) AS since, pg_try_advisory_xact_lock(${userSendsKey('user_id')}) AS locked FROM asked GROUP BY user_id
     ),
     recent AS MATERIALIZED (
       SELECT u.user_id, m.channel, m.category, m.created_at FROM users u
       -- OFFSET 0 keeps the subquery a per-user read (not pulled up into a join the planner could hash over every user's messages).
       CROSS JOIN LATERAL (SELECT channel, category, created_at FROM herald.messages
                           WHERE user_id = u.user_id AND created_at > u.since AND status NOT IN ('queued', 'skipped', 'failed') OFFSET 0) m
     )
     SELECT a.user_id, u.locked,
       (SELECT count(*) FROM recent r WHERE r.user_id = a.user_id AND r.created_at > a.since
          AND (a.channel IS NULL OR r.channel = a.channel) AND (a.category IS NULL OR r.category = a.category))::int AS count
     FROM asked a JOIN users u USING (user_id) ORDER BY a.n`,
    json(counts.map((c) => ({ user_id: c.userId, channel: c.channel, category: c.category, since: c.since.toISOString() }))),
  );

/** Serialises throttle checks per key until the transaction ends (run it before `passThrottle`). */
export const lockThrottle = (t: { workflow: string; stepId: string; userId: string; key: string }) =>
  s("SELECT pg_advisory_xact_lock(hashtext($1 || '/' || $2 || '/' || $3 || '/' || $4))", t.workflow, t.stepId, t.userId, t.key);
/** Counts passes in the window and records this one only when under the limit. */
export const passThrottle = (t: { workflow: string; stepId: string; userId: string; key: string; runId: string; limit: number; windowMs: number; now: Date }) =>
  s(
    `WITH counted AS (
       SELECT count(*)::int AS n FROM herald.throttles
       WHERE workflow = $1 AND step_id = $2 AND user_id = $3 AND key = $4 AND at > $7::timestamptz - ($6 || ' milliseconds')::interval
     ),
     inserted AS (
       INSERT INTO herald.throttles (workflow, step_id, user_id, key, run_id, at)
       SELECT $1, $2, $3, $4, $5, $7 FROM counted WHERE n < $8
       RETURNING 1
     )
     SELECT (SELECT n FROM counted) AS n, EXISTS (SELECT 1 FROM inserted) AS allowed`,
    t.workflow,
    t.stepId,
    t.userId,
    t.key,
    t.runId,
    String(t.windowMs),
    t.now,
    t.limit,
  );

// ── retention ────────────────────────────────────────────────────────────────────────────────────────────
/**
 * Deletes what is older than the retention in the tables that are not partitioned by time (the partitioned logs —
 * messages, inbox, events, provider events, audit — lose whole days instead: db/partitions.ts): finished runs,
 * idempotency keys, throttle passes, rejected ingests, inbound SMS ids (a replay older than the retention would
 * need a Twilio signature that old, which Twilio never resends); and send receipts older than `receiptsBefore`
 * (they matter only while a job may be retried).
 */
export const deleteExpired = (before: Date, receiptsBefore: Date) =>
  s(
    `WITH old_runs AS (
       DELETE FROM herald.runs WHERE updated_at < $1 AND status IN ('completed', 'cancelled', 'failed') RETURNING id
     ),
     old_keys AS (DELETE FROM herald.idempotency WHERE created_at < $1 RETURNING key),
     old_throttles AS (DELETE FROM herald.throttles WHERE at < $1 RETURNING 1),
     old_rejected AS (DELETE FROM herald.ingest_rejected WHERE rejected_at < $1 RETURNING 1),
     old_inbound_sms AS (DELETE FROM herald.inbound_sms WHERE received_at < $1 RETURNING 1),
     old_receipts AS (DELETE FROM herald.send_receipts WHERE at < $2 RETURNING 1)
     SELECT (SELECT count(*) FROM old_runs) AS runs`,
    before,
    receiptsBefore,
  );

// ── ingest queue ─────────────────────────────────────────────────────────────────────────────────────────
// The typed client's DB mode writes herald.ingest (client/db.ts, the customer's side); these are the
// runtime's side, run by intake/ingest-queue.ts.
export interface IngestRow {
  id: string;
  event: string;
  user_id: string;
  properties: Record<string, unknown>;
  message_id: string | null;
  idempotency_key: string | null;
  created_at: Date;
}
/**
 * Takes up to `limit` queued events, oldest first, deleting them in the caller's transaction: they are
 * gone exactly when that transaction commits their acceptance. Rows another runtime holds are skipped,
 * not waited for. (DELETE … RETURNING does not keep the subquery's order; the caller sorts by id.)
 */
export const claimIngested = (limit: number) =>
  s(
    `DELETE FROM herald.ingest WHERE id IN (
       SELECT id FROM herald.ingest ORDER BY id FOR UPDATE SKIP LOCKED LIMIT $1
     ) RETURNING *`,
    limit,
  );
/** Keeps a queued event its schema refused, with zod's issues, out of the queue's way. */
export const rejectIngested = (row: IngestRow, issues: unknown) =>
  s(
    `INSERT INTO herald.ingest_rejected (id, event, user_id, properties, message_id, idempotency_key, issues, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (id) DO NOTHING`,
    row.id,
    row.event,
    row.user_id,
    json(row.properties),
    row.message_id,
    row.idempotency_key,
    json(issues),
    row.created_at,
  );

// ── segment ──────────────────────────────────────────────────────────────────────────────────────────────
// Statements of the Segment source (runtime/segment/, runtime/segment/routes.ts).
/** Adds a device's push token to the profile (once), keeping the 50 most recent, as `PUT /v1/users` allows. */
export const addPushToken = (userId: string, token: string) =>
  s(
    `INSERT INTO herald.users (id, push_tokens) VALUES ($1, jsonb_build_array($2::text))
     ON CONFLICT (id) DO UPDATE SET
       push_tokens = CASE WHEN herald.users.push_tokens ? $2 THEN herald.users.push_tokens
         ELSE jsonb_path_query_array(herald.users.push_tokens || jsonb_build_array($2::text), '$[last - 49 to last]') END,
       updated_at = now()`,
    userId,
    token,
  );
/** A Segment group call: the group's traits under `traits.groups.<groupId>` (replacing that group's previous traits). */
export const setGroupTraits = (userId: string, groupId: string, traits: unknown) =>
  s(
    `INSERT INTO herald.users (id, traits) VALUES ($1, jsonb_build_object('groups', jsonb_build_object($2::text, $3::jsonb)))
     ON CONFLICT (id) DO UPDATE SET
       traits = herald.users.traits || jsonb_build_object('groups',
         CASE WHEN jsonb_typeof(herald.users.traits->'groups') = 'object' THEN herald.users.traits->'groups' ELSE '{}'::jsonb END
         || jsonb_build_object($2::text, $3::jsonb)),
       updated_at = now()`,
    userId,
    groupId,
    json(traits),
  );
/**
 * A Segment alias: `previousId`'s profile merged into `userId`'s, then removed. The target keeps what it has
 * and takes what it lacks (email, phone, locale, time zone); traits merge with the target's winning (the
 * groups of both are kept); push tokens are the union, in order; an SMS opt-out on either side stands;
 * presence is the later of the two. Preferences move unless the target has its own for that category and
 * channel. Nothing happens when `previousId` has no profile (or is the same id).
 */
export const mergeUserInto = (userId: string, previousId: string) =>
  s(
    `WITH prev AS (
       DELETE FROM herald.users WHERE id = $2 AND id <> $1 RETURNING *
     ),
     merged AS (
       INSERT INTO herald.users (id, email, phone_number, push_tokens, locale, timezone, traits, sms_opt_out, last_active_at)
       SELECT $1, email, phone_number, push_tokens, locale, timezone, traits, sms_opt_out, last_active_at FROM prev
       ON CONFLICT (id) DO UPDATE SET
         email = COALESCE(herald.users.email, EXCLUDED.email),
         phone_number = COALESCE(herald.users.phone_number, EXCLUDED.phone_number),
         locale = COALESCE(herald.users.locale, EXCLUDED.locale),
         timezone = COALESCE(herald.users.timezone, EXCLUDED.timezone),
         traits = EXCLUDED.traits || herald.users.traits || CASE
           WHEN jsonb_typeof(EXCLUDED.traits->'groups') = 'object' AND jsonb_typeof(herald.users.traits->'groups') = 'object'
           THEN jsonb_build_object('groups', (EXCLUDED.traits->'groups') || (herald.users.traits->'groups'))
           ELSE '{}'::jsonb END,
         push_tokens = (
           SELECT COALESCE(jsonb_agg(t ORDER BY n), '[]'::jsonb) FROM (
             SELECT DISTINCT ON (t) t, n FROM jsonb_array_elements(herald.users.push_tokens || EXCLUDED.push_tokens) WITH ORDINALITY AS e (t, n)
             ORDER BY t, n
           ) tokens
         ),
         sms_opt_out = herald.users.sms_opt_out OR EXCLUDED.sms_opt_out,
         last_active_at = GREATEST(herald.users.last_active_at, EXCLUDED.last_active_at),
         updated_at = now()
       RETURNING id
     ),
     moved AS (
       INSERT INTO herald.preferences (user_id, category, channel, allowed, updated_at)
       SELECT $1, category, channel, allowed, updated_at FROM herald.preferences WHERE user_id = $2 AND $2 <> $1 AND EXISTS (SELECT 1 FROM prev)
       ON CONFLICT (user_id, category, channel) DO NOTHING
       RETURNING 1
     ),
     dropped AS (
       DELETE FROM herald.preferences WHERE user_id = $2 AND $2 <> $1 AND EXISTS (SELECT 1 FROM prev) RETURNING 1
     )
     SELECT EXISTS (SELECT 1 FROM merged) AS merged, (SELECT count(*) FROM moved)::int AS preferences`,
    userId,
    previousId,
  );

// ── events export ──
// Statements of GET /v1/events/export (runtime/http/routes-export.ts).
export interface ExportedEventRow {
  id: string;
  message_id: string | null;
  event: string;
  user_id: string | null;
  properties: Record<string, unknown>;
  received_at: Date;
  /** `received_at` in ISO 8601 UTC with microseconds (a JS Date keeps only ms): the next page starts exactly after this row. */
  cursor_at: string;
}
/**
 * One keyset page of the event log, oldest first: rows after (`afterAt`, `afterId`) and before `until`
 * (when given). The first page passes (since, 0): ids start at 1, so that is every row at or after `since`.
 * The plain `received_at >= $1` lets the planner bound its scan with the index on received_at.
 */
export const exportEventsPage = (p: { afterAt: string; afterId: string; until: string | null; limit: number }) =>
  s(
    `SELECT id, message_id, event, user_id, properties, received_at, to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at
     FROM herald.events
     WHERE received_at >= $1::timestamptz AND (received_at, id) > ($1::timestamptz, $2::bigint)
       AND ($3::timestamptz IS NULL OR received_at < $3::timestamptz)
     ORDER BY received_at, id
     LIMIT $4`,
    p.afterAt,
    p.afterId,
    p.until,
    p.limit,
  );

// ── read replica ──
// Asked of DATABASE_READ_URL's server (db/read-replica.ts): /readyz, /metrics and `herald doctor`.
export interface ReplicaStatusRow {
  standby: boolean;
  /** Null when it is no standby, or has replayed no transaction yet. */
  lag_seconds: number | null;
}
/**
 * How far behind the primary a standby's data is: none when it has applied all the WAL it received, else the
 * age of the last transaction it applied. An estimate: for a moment after a primary that sat idle writes
 * again, it is the length of the idle time.
 */
export const replicaStatus = () =>
  s(`SELECT pg_is_in_recovery() AS standby,
       CASE WHEN NOT pg_is_in_recovery() THEN NULL
            WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
            ELSE extract(epoch FROM now() - pg_last_xact_replay_timestamp())::float8 END AS lag_seconds`);

// ── dashboard ──
// Statements of the message dashboard (runtime/dashboard/, runtime/dashboard/routes.ts). Every list is a
// keyset page, newest first by (created_at, id), served by an index whose leading column is the filter
// (migrate.ts, "dashboard"): a page costs the same at the millionth message as at the first.
export interface DashboardMessageFilter {
  user?: string;
  /** The tenant the message was sent for (runtime/tenants; index messages_by_tenant). */
  tenant?: string;
  workflow?: string;
  channel?: string;
  provider?: string;
  status?: string;
  /** Inclusive lower bound of `created_at`. */
  from?: Date;
  /** Exclusive upper bound of `created_at`. */
  to?: Date;
}
/** Where a page starts: after the last row of the previous one (its time as text, to the microsecond). */
export interface DashboardKeyset {
  at: string;
  id: string;
}
/** A message as the list shows it: no content, history or payloads (they can be large; the list never needs them). */
export interface DashboardMessageListRow extends Omit<MessageRow, 'provider_message_id' | 'history' | 'provider_response' | 'content'> {
  /** `created_at` in ISO 8601 UTC with microseconds: a JS Date keeps only milliseconds, and rows logged in one turn share them. */
  cursor_at: string;
}
/**
 * For the rest of the transaction, plan each statement for its values. The list's statements are prepared
 * (pool.ts), and a prepared statement may settle on a generic plan made for an average value: for a rare
 * workflow or status that walks the time index instead of the filter's own (14 ms instead of 0.2 at 200k
 * messages, growing with the table). Planning each time costs a fraction of a millisecond.
 */
export const dashboardCustomPlans = () => s('SET LOCAL plan_cache_mode = force_custom_plan');
const DASHBOARD_MESSAGE_COLUMNS = `id, run_id, step_id, channel, workflow, template, user_id, provider, status, reason, created_at, updated_at,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;
/**
 * The WHERE clause of a filter, appending its values. Only the filters given appear in the text (no
 * `$1 IS NULL OR …`): each combination is its own prepared statement whose generic plan can still use the
 * filter's index.
 */
function dashboardMessageWhere(f: DashboardMessageFilter, values: unknown[], withStatus: boolean): string[] {
  const where: string[] = [];
  const add = (column: string, op: string, value: unknown, cast = '') => {
    values.push(value);
    where.push(`${column} ${op} $${values.length}${cast}`);
  };
  if (f.user !== undefined) add('user_id', '=', f.user);
  if (f.tenant !== undefined) add('tenant_id', '=', f.tenant);
  if (f.workflow !== undefined) add('workflow', '=', f.workflow);
  if (f.channel !== undefined) add('channel', '=', f.channel);
  if (f.provider !== undefined) add('provider', '=', f.provider);
  if (withStatus && f.status !== undefined) add('status', '=', f.status);
  if (f.from !== undefined) add('created_at', '>=', f.from.toISOString(), '::timestamptz');
  if (f.to !== undefined) add('created_at', '<', f.to.toISOString(), '::timestamptz');
  return where;
}
const whereText = (where: string[]) => (where.length ? `WHERE ${where.join(' AND ')}` : '');
/** One page of messages matching the filter, newest first, after `after` (the previous page's last row). */
export const dashboardMessagesPage = (f: DashboardMessageFilter, after: DashboardKeyset | null, limit: number) => {
  const values: unknown[] = [];
  const where = dashboardMessageWhere(f, values, true);
  if (after) {
    values.push(after.at, after.id);
    where.push(`(created_at, id) < ($${values.length - 1}::timestamptz, $${values.length}::uuid)`);
  }
  values.push(limit);
  return s(`SELECT ${DASHBOARD_MESSAGE_COLUMNS} FROM herald.messages ${whereText(where)} ORDER BY created_at DESC, id DESC LIMIT $${values.length}`, ...values);
};
/**
 * Messages by status under every filter but the status one, over at most the newest `cap` matches: the
 * cost stays bounded on a table of millions (the caller says "newest N" when the cap is reached).
 */
export const dashboardStatusCounts = (f: DashboardMessageFilter, cap: number) => {
  const values: unknown[] = [];
  const where = dashboardMessageWhere(f, values, false);
  values.push(cap);
  return s(
    `SELECT status, count(*)::int AS n FROM (
       SELECT status FROM herald.messages ${whereText(where)} ORDER BY created_at DESC, id DESC LIMIT $${values.length}
     ) newest GROUP BY status ORDER BY status`,
    ...values,
  );
};
/**
 * How many of the workflow's newest runs (at most `cap`, created since `since`) passed through each step,
 * from the history every run keeps in its state (engine: one entry per step reached; run-wide entries have
 * step id ''). The row with a null step id is the number of runs counted.
 */
export const dashboardStepCounts = (workflow: string, since: Date, cap: number) =>
  s(
    `WITH recent AS (
       SELECT id, state FROM herald.runs WHERE workflow = $1 AND created_at >= $2 ORDER BY created_at DESC LIMIT $3
     )
     SELECT NULL::text AS step_id, count(*)::int AS runs FROM recent
     UNION ALL
     SELECT h.entry->>'stepId', count(DISTINCT r.id)::int
     FROM recent r CROSS JOIN LATERAL jsonb_array_elements(COALESCE(r.state->'history', '[]'::jsonb)) AS h (entry)
     WHERE h.entry->>'stepId' <> ''
     GROUP BY 1`,
    workflow,
    since,
    cap,
  );
/** The workflow's runs in flight by the step they wait at. */
export const dashboardWaitingByStep = (workflow: string) =>
  s(
    `SELECT state->'waiting'->>'stepId' AS step_id, count(*)::int AS runs FROM herald.runs
     WHERE workflow = $1 AND status IN ('running', 'waiting') GROUP BY 1`,
    workflow,
  );
export interface DashboardRunInFlightRow {
  id: string;
  user_id: string | null;
  bundle_version: string;
  status: string;
  waiting: { stepId?: string; kind?: string; until?: number } | null;
  created_at: Date;
  updated_at: Date;
}
/** The workflow's newest runs in flight. */
export const dashboardRunsInFlight = (workflow: string, limit: number) =>
  s(
    `SELECT id, user_id, bundle_version, status, state->'waiting' AS waiting, created_at, updated_at FROM herald.runs
     WHERE workflow = $1 AND status IN ('running', 'waiting') ORDER BY created_at DESC LIMIT $2`,
    workflow,
    limit,
  );
export interface DashboardBundleRow {
  version: string;
  loaded_at: Date;
  live: boolean;
  has_workflow: boolean;
  in_flight: number;
}
/** Bundle versions loaded, newest first: which hold the workflow, which is live, and its runs in flight on each. */
export const dashboardBundleVersions = (workflow: string, limit: number) =>
  s(
    `SELECT b.version, b.loaded_at, b.live, (b.bundle->'workflows') ? $1 AS has_workflow,
       (SELECT count(*)::int FROM herald.runs r
        WHERE r.workflow = $1 AND r.bundle_version = b.version AND r.status IN ('running', 'waiting')) AS in_flight
     FROM herald.bundles b ORDER BY b.loaded_at DESC LIMIT $2`,
    workflow,
    limit,
  );

// ── inbox (end user) ──
// Statements of the signed-in user's inbox API and its live stream (runtime/inbox/routes.ts,
// runtime/inbox/stream.ts). Every one is scoped by the token's user id: an item id alone never reaches a row.
export interface InboxItemRow {
  id: string;
  /** The in-app message the item shows (its id is the item's, but items of earlier releases had their own). */
  message_id: string;
  title: string;
  body: string;
  action_url: string | null;
  read_at: Date | null;
  /** When the list was opened on it (reported `seen`); a read sets it too. */
  seen_at: Date | null;
  /** When it was first shown in a list or stream (reported `delivered`). */
  delivered_at: Date | null;
  archived_at: Date | null;
  created_at: Date;
  /** `created_at` in ISO 8601 UTC with microseconds (a JS Date keeps only ms): the next page starts exactly after this row. */
  cursor_at: string;
}
/**
 * The tenant scope of an inbox token (runtime/tenants/README.md): a token of a tenant reads that tenant's items
 * only, a token without one the items sent without a tenant only (`IS NOT DISTINCT FROM`: null equals null).
 * `undefined` (the server API, never a token) adds no condition.
 */
const inboxOfTenant = (tenant: string | null | undefined, param: string) => (tenant === undefined ? '' : ` AND tenant_id IS NOT DISTINCT FROM ${param}::text`);
const tenantValue = (tenant: string | null | undefined): unknown[] => (tenant === undefined ? [] : [tenant]);
const INBOX_ITEM = `id, message_id, title, body, action_url, read_at, seen_at, delivered_at, archived_at, created_at,
       to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS cursor_at`;
/** One keyset page, newest first: the archived items or the others, after (`beforeAt`, `beforeId`) when given. */
export const inboxPage = (p: { userId: string; archived: boolean; before: { at: string; id: string } | null; limit: number; tenant?: string | null }) =>
  s(
    `SELECT ${INBOX_ITEM} FROM herald.inbox
     WHERE user_id = $1 AND (archived_at IS NOT NULL) = $2
       AND ($3::timestamptz IS NULL OR (created_at, id) < ($3::timestamptz, $4::uuid))${inboxOfTenant(p.tenant, '$6')}
     ORDER BY created_at DESC, id DESC
     LIMIT $5`,
    p.userId,
    p.archived,
    p.before?.at ?? null,
    p.before?.id ?? null,
    p.limit,
    ...tenantValue(p.tenant),
  );
/**
 * What an open stream compares with what it last sent: the newest `limit` items outside the archive, and
 * the items it already sent (`known`), whatever their state now (archived ones are removed from the widget).
 * Each row carries the unread count too, in the same round trip; no rows means no items outside the
 * archive, so nothing unread.
 */
export const inboxWindow = (userId: string, known: string[], limit: number, tenant?: string | null) =>
  s(
    `SELECT ${INBOX_ITEM},
       (SELECT count(*)::int FROM herald.inbox WHERE user_id = $1 AND read_at IS NULL AND archived_at IS NULL${inboxOfTenant(tenant, '$4')}) AS unread
     FROM herald.inbox
     WHERE user_id = $1${inboxOfTenant(tenant, '$4')}
       AND (id = ANY($2::uuid[])
            OR id IN (SELECT id FROM herald.inbox WHERE user_id = $1 AND archived_at IS NULL${inboxOfTenant(tenant, '$4')} ORDER BY created_at DESC, id DESC LIMIT $3))`,
    userId,
    known,
    limit,
    ...tenantValue(tenant),
  );
/** Read (`read` true) or unread again; a second read keeps the first time. A read item was seen: unread keeps that. */
export const setInboxItemRead = (userId: string, id: string, read: boolean, tenant?: string | null) =>
  s(
    `UPDATE herald.inbox SET read_at = CASE WHEN $3 THEN COALESCE(read_at, now()) ELSE NULL END,
       seen_at = CASE WHEN $3 THEN COALESCE(seen_at, now()) ELSE seen_at END
     WHERE user_id = $1 AND ${byId(id, '$2')}${inboxOfTenant(tenant, '$4')} RETURNING ${INBOX_ITEM}`,
    userId,
    id,
    read,
    ...tenantValue(tenant),
  );
/** Archived items leave the default list and the unread count; a second archive keeps the first time. */
export const archiveInboxItem = (userId: string, id: string, tenant?: string | null) =>
  s(
    `UPDATE herald.inbox SET archived_at = COALESCE(archived_at, now()) WHERE user_id = $1 AND ${byId(id, '$2')}${inboxOfTenant(tenant, '$3')} RETURNING ${INBOX_ITEM}`,
    userId,
    id,
    ...tenantValue(tenant),
  );
/** Every unread item outside the archive becomes read; returns how many changed, and their messages (to report). */
export const readAllInbox = (userId: string, tenant?: string | null) =>
  s(
    `WITH changed AS (
       UPDATE herald.inbox SET read_at = now(), seen_at = COALESCE(seen_at, now())
       WHERE user_id = $1 AND read_at IS NULL AND archived_at IS NULL${inboxOfTenant(tenant, '$2')} RETURNING message_id
     )
     SELECT count(*)::int AS n, COALESCE(array_agg(message_id::text), '{}') AS messages FROM changed`,
    userId,
    ...tenantValue(tenant),
  );
/**
 * Claims the first showing (`delivered_at`) or sighting (`seen_at`) of the user's items among `ids`: only items
 * not claimed before come back (their messages, to report), so however often a list is fetched or opened, and by
 * however many tabs and processes, each item is reported once. Ids of other users' items change nothing.
 */
export const claimInboxItems = (userId: string, ids: readonly string[], mark: 'delivered' | 'seen', tenant?: string | null) =>
  s(
    mark === 'delivered'
      ? `UPDATE herald.inbox SET delivered_at = now() WHERE user_id = $1 AND id = ANY($2::uuid[]) AND delivered_at IS NULL${inboxOfTenant(tenant, '$3')} RETURNING message_id`
      : `UPDATE herald.inbox SET seen_at = now(), delivered_at = COALESCE(delivered_at, now())
         WHERE user_id = $1 AND id = ANY($2::uuid[]) AND seen_at IS NULL${inboxOfTenant(tenant, '$3')} RETURNING message_id`,
    userId,
    ids,
    ...tenantValue(tenant),
  );

// ── dashboard sessions ──
// A dashboard session is open while its row exists (runtime/dashboard/sessions.ts): a logout deletes it, and
// every process sharing the database sees that on the next request.
/** Opens a session, and forgets the ones that have expired (few rows: the logins of one session lifetime). */
export const openDashboardSession = (id: string, expiresAt: Date) =>
  s(
    `WITH expired AS (DELETE FROM herald.dashboard_sessions WHERE expires_at <= now())
     INSERT INTO herald.dashboard_sessions (id, expires_at) VALUES ($1, $2)`,
    id,
    expiresAt,
  );
/** One primary-key lookup per authenticated dashboard request. */
export const dashboardSessionIsOpen = (id: string) =>
  s('SELECT EXISTS (SELECT 1 FROM herald.dashboard_sessions WHERE id = $1 AND expires_at > now()) AS open', id);
export const closeDashboardSession = (id: string) => s('DELETE FROM herald.dashboard_sessions WHERE id = $1', id);

// ── audit log ─────────────────────────────────────────────────────────────────────────────────────────────
export interface AuditRow {
  id: string;
  at: Date;
  actor: string;
  action: string;
  target: string | null;
  ip: string | null;
  details: Record<string, unknown> | null;
}
export const insertAudit = (e: { actor: string; action: string; target: string | null; ip: string | null; details: unknown }) =>
  s(
    'INSERT INTO herald.audit_log (actor, action, target, ip, details) VALUES ($1, $2, $3, $4, $5)',
    e.actor,
    e.action,
    e.target,
    e.ip,
    e.details === null ? null : json(e.details),
  );
/** Newest first, keyset-paged by id (ids only grow; ordered by the column, not by its text in the output). */
export const auditPage = (limit: number, beforeId: string | null, action: string | null) =>
  s(
    `SELECT id::text, at, actor, action, target, ip, details FROM herald.audit_log
     WHERE ($2::bigint IS NULL OR id < $2) AND ($3::text IS NULL OR action = $3)
     ORDER BY audit_log.id DESC LIMIT $1`,
    limit,
    beforeId,
    action,
  );

// ── inbound SMS ───────────────────────────────────────────────────────────────────────────────────────────
/** Claims an inbound message by its MessageSid: a row back means it is new, none means a replay. */
export const claimInboundSms = (messageSid: string) =>
  s('INSERT INTO herald.inbound_sms (message_sid) VALUES ($1) ON CONFLICT DO NOTHING RETURNING message_sid', messageSid);

// ── deleting a user ───────────────────────────────────────────────────────────────────────────────────────
/** The user's runs still to do something (runs_active_by_user), for the engine to cancel before erasing. */
export const activeRunsOfUser = (userId: string) => s(`SELECT id FROM herald.runs WHERE user_id = $1 AND status IN ('running', 'waiting') ORDER BY id`, userId);
export interface ErasedUser {
  profile: boolean;
  preferences: number;
  inbox_items: number;
  messages_redacted: number;
}
/**
 * Erases what Herald holds about a user (runtime/README.md, "Deleting a user"), after their runs were
 * cancelled in the same transaction: the profile, preferences, inbox, open digests, throttle marks and queued
 * events go; message rows stay for delivery accounting, without rendered content, provider answers or history
 * details (webhook payloads and provider errors carry the address); runs and logged events keep their shape
 * without the trigger's data. (Postgres runs every data-modifying WITH to completion, read or not.)
 */
export const eraseUser = (userId: string) =>
  s(
    `WITH profile AS (DELETE FROM herald.users WHERE id = $1 RETURNING 1),
     prefs AS (DELETE FROM herald.preferences WHERE user_id = $1 RETURNING 1),
     inbox AS (DELETE FROM herald.inbox WHERE user_id = $1 RETURNING 1),
     digests AS (DELETE FROM herald.digests WHERE user_id = $1 RETURNING 1),
     throttles AS (DELETE FROM herald.throttles WHERE user_id = $1 RETURNING 1),
     -- Match keys hold trigger values; the cancelled runs dropped theirs, this catches any other.
     match_keys AS (DELETE FROM herald.run_match_keys WHERE user_id = $1 RETURNING 1),
     queued AS (DELETE FROM herald.ingest WHERE user_id = $1 RETURNING 1),
     -- Memberships name the user (and carry per-member data): the user leaves every list.
     memberships AS (DELETE FROM herald.list_members WHERE user_id = $1 RETURNING 1),
     rejected AS (DELETE FROM herald.ingest_rejected WHERE user_id = $1 RETURNING 1),
     messages AS (
       UPDATE herald.messages SET content = NULL, provider_response = NULL, updated_at = now(),
         history = (SELECT COALESCE(jsonb_agg(jsonb_strip_nulls(jsonb_build_object(
             'status', e->'status', 'at', e->'at', 'reason', e->'reason', 'provider', e->'provider',
             'adapter', e->'adapter', 'attempt', e->'attempt', 'code', e->'code', 'redacted', true)) ORDER BY n), '[]'::jsonb)
           FROM jsonb_array_elements(history) WITH ORDINALITY AS h (e, n))
       WHERE user_id = $1 RETURNING 1
     ),
     runs AS (
       -- A fetch step's answer (state.fetched) and its why-log entries (URLs built from trigger data, answers) go too.
       UPDATE herald.runs SET recipient = NULL, updated_at = now(),
         state = jsonb_set(jsonb_set(jsonb_set(state, '{data}', '{}'::jsonb), '{digest}', 'null'::jsonb), '{history}',
           (SELECT COALESCE(jsonb_agg(CASE WHEN e->>'kind' = 'fetch' THEN e - 'detail' ELSE e END ORDER BY n), '[]'::jsonb)
              FROM jsonb_array_elements(COALESCE(state->'history', '[]'::jsonb)) WITH ORDINALITY AS h (e, n))) - 'fetched'
       WHERE user_id = $1 AND status NOT IN ('running', 'waiting') RETURNING 1
     ),
     events AS (UPDATE herald.events SET properties = '{}'::jsonb WHERE user_id = $1 RETURNING 1)
     SELECT EXISTS (SELECT 1 FROM profile) AS profile, (SELECT count(*) FROM prefs)::int AS preferences,
       (SELECT count(*) FROM inbox)::int AS inbox_items, (SELECT count(*) FROM messages)::int AS messages_redacted`,
    userId,
  );
