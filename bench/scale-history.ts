/**
 * A message log of N messages spread over the days before today, made in SQL: inserting millions through the
 * API would take a day. Each day is a partition of its own, as the runtime makes them (db/partitions.ts:
 * `messages_pYYYYMMDD`, one UTC day): the bench creates the days the database did not live through, loads
 * each as a plain table and then attaches it, so its indexes are built once, sorted, rather than row by row
 * (two days at a time, one per core). Columns as the runtime writes them (runtime/delivery/deliver.ts): a
 * UUIDv7 id whose time is `created_at`, a workflow, channel and provider per message, a status with the
 * history that led to it, rendered content and the provider's answer; users u0 … u<users-1>, each profile in
 * herald.users. Distributions are fixed below (statuses, channels, a skew of workflows); users are uniform.
 */
import pg from 'pg';
import { PARTITIONED_TABLES } from '../runtime/db/partitions.ts';

export const DAY_MS = 86_400_000;

export interface HistoryOptions {
  messages: number;
  days: number;
  users: number;
  /** Whole UTC days before this one are filled (default: today). */
  now?: number;
}

export interface HistoryFigures {
  messages: number;
  days: number;
  users: number;
  /** The first and last day filled (UTC dates). */
  from: string;
  to: string;
  partitions: string[];
  seconds: { users: number; messages: number; analyze: number };
}

/** Workflows, most used first: picked with a skew (a few carry most of the traffic, as in production). */
export const WORKFLOWS = [
  'order-shipped',
  'comment-reply',
  'password-reset',
  'login-alert',
  'weekly-digest',
  'invoice-paid',
  'trial-ending',
  'mention',
  'new-follower',
  'payment-failed',
  'welcome',
  'export-ready',
  'team-invite',
  'price-drop',
  'back-in-stock',
  'review-request',
  'subscription-renewed',
  'account-locked',
  'quota-warning',
  'survey',
] as const;

/** Channel shares and each one's provider (email has a second provider for a tenth of it). */
const CHANNELS = [
  { channel: 'email', share: 0.6, provider: 'sendgrid', other: 'sendgrid-eu' },
  { channel: 'push', share: 0.2, provider: 'fcm' },
  { channel: 'sms', share: 0.1, provider: 'twilio' },
  { channel: 'inapp', share: 0.1, provider: 'inapp' },
] as const;

/** Final statuses and their shares (sum 1), in lifecycle order; `rank` is how far along queued → sent → delivered → opened → clicked. */
export const STATUSES = [
  { status: 'skipped', share: 0.06, rank: 0 },
  { status: 'failed', share: 0.015, rank: 0 },
  { status: 'bounced', share: 0.01, rank: 2 },
  { status: 'undeliverable', share: 0.005, rank: 2 },
  { status: 'sent', share: 0.2, rank: 1 },
  { status: 'delivered', share: 0.5, rank: 2 },
  { status: 'opened', share: 0.15, rank: 3 },
  { status: 'clicked', share: 0.06, rank: 4 },
] as const;

const dayName = (ms: number) => new Date(ms).toISOString().slice(0, 10).replaceAll('-', '');
const literal = (ms: number) => `'${new Date(ms).toISOString()}'`;
const quote = (text: string) => `'${text.replaceAll("'", "''")}'`;

/** `CASE WHEN r < c1 THEN v1 WHEN r < c2 THEN v2 … END` over cumulative shares. */
function pick(r: string, entries: readonly { share: number; value: string }[]): string {
  let cumulative = 0;
  const arms = entries.map((e, i) => {
    cumulative += e.share;
    return i === entries.length - 1 ? `ELSE ${e.value}` : `WHEN ${r} < ${cumulative.toFixed(6)} THEN ${e.value}`;
  });
  return `CASE ${arms.join(' ')} END`;
}

/** An email's HTML part: a fixed layout around the message's own lines, the size of a plain transactional email. */
const HTML = `'<!doctype html><html><head><meta charset="utf-8"><title>' || s.subject || '</title><style>body{font-family:Helvetica,Arial,sans-serif;color:#222;background:#f4f4f7;margin:0}.c{max-width:600px;margin:0 auto;background:#fff;padding:32px}.b{display:inline-block;background:#3869d4;color:#fff;padding:12px 24px;border-radius:4px;text-decoration:none}.f{color:#888;font-size:12px;padding:24px}</style></head><body><div class="c"><h1>' || s.subject || '</h1><p>Hi ' || g.u || ',</p><p>' || s.line || '</p><p><a class="b" href="https://app.example.com/r/' || g.n || '">Open</a></p><p>If the button does not work, copy this link into your browser: https://app.example.com/r/' || g.n || '</p></div><div class="f">You receive this email because you have an account at Example. <a href="https://app.example.com/settings/notifications">Notification settings</a> · Example Inc., 1 Market St, San Francisco</div></body></html>'`;

/**
 * One day's rows into `table` (a plain table shaped like herald.messages): `$1` the day's start, `$2` rows,
 * `$3` users. Row n is at day + (n - 1 + jitter) / rows of the day (to the millisecond), its id a UUIDv7 of
 * that millisecond (RFC 9562: 48 bits of time, version 7, 74 random bits) and its created_at the time the id
 * carries, as saveTurns writes it (herald.uuid7_time(id) = created_at).
 */
export function insertDay(table: string): string {
  const r = (i: number) => `g.r${i}`;
  const workflows = `(ARRAY[${WORKFLOWS.map(quote).join(', ')}])[1 + floor(power(${r(1)}, 2.5) * ${WORKFLOWS.length})::int]`;
  const channel = pick(
    r(2),
    CHANNELS.map((c) => ({ share: c.share, value: quote(c.channel) })),
  );
  const status = pick(
    r(3),
    STATUSES.map((s) => ({ share: s.share, value: quote(s.status) })),
  );
  const rank = pick(
    r(3),
    STATUSES.map((s) => ({ share: s.share, value: String(s.rank) })),
  );
  const provider = `CASE c.channel ${CHANNELS.map((c) => `WHEN ${quote(c.channel)} THEN ${'other' in c ? `CASE WHEN ${r(4)} < 0.1 THEN ${quote(c.other)} ELSE ${quote(c.provider)} END` : quote(c.provider)}`).join(' ')} END`;
  // The history a status went through: queued and the provider's acceptance (or the failure), then a webhook
  // event per later stage. Times: sent 40 ms after queued, delivered 4 s, opened 40 min, clicked 41 min.
  // Written as JSON text and parsed once: building it with jsonb functions cost three times as much.
  const at = (offset: string) => `to_jsonb(t.at + interval '${offset}')::text`;
  const history = `(CASE
      WHEN s.status = 'skipped' THEN '[{"status":"skipped","at":' || ${at('0 ms')} || ',"reason":"' || s.reason || '"}]'
      WHEN s.status = 'failed' THEN '[{"status":"queued","at":' || ${at('0 ms')} || '},{"status":"failed","at":' || ${at('900 ms')}
        || ',"code":"ETIMEDOUT","provider":"' || p.provider || '"}]'
      ELSE '[{"status":"queued","at":' || ${at('0 ms')} || '},{"status":"sent","at":' || ${at('40 ms')} || ',"provider":"' || p.provider
        || '","adapter":"' || replace(p.provider, '-eu', '') || '"}'
        || CASE WHEN s.status IN ('bounced', 'undeliverable') THEN ',{"status":"' || s.status || '","at":' || ${at('4 s')} || ',"event":"' || s.status || '"}'
                WHEN s.rank >= 2 THEN ',{"status":"delivered","at":' || ${at('4 s')} || ',"event":"delivered"}' ELSE '' END
        || CASE WHEN s.rank >= 3 THEN ',{"status":"opened","at":' || ${at('40 min')} || ',"event":"open","userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X)"}' ELSE '' END
        || CASE WHEN s.rank >= 4 THEN ',{"status":"clicked","at":' || ${at('41 min')} || ',"event":"click","url":"https://app.example.com/r/' || g.n || '"}' ELSE '' END
        || ']'
    END)::jsonb`;
  const content = `CASE c.channel
      WHEN 'email' THEN jsonb_build_object('subject', s.subject, 'text', 'Hi ' || g.u || E',\\n\\n' || s.line || E'\\n\\nOpen: https://app.example.com/r/' || g.n || E'\\n\\nNotification settings: https://app.example.com/settings/notifications', 'html', ${HTML})
      WHEN 'sms' THEN jsonb_build_object('body', s.subject || ': ' || s.line)
      WHEN 'push' THEN jsonb_build_object('title', s.subject, 'body', s.line, 'data', jsonb_build_object('url', 'https://app.example.com/r/' || g.n))
      ELSE jsonb_build_object('title', s.subject, 'body', s.line, 'actionUrl', 'https://app.example.com/r/' || g.n)
    END`;
  const providerId = `CASE c.channel
      WHEN 'email' THEN left(replace(replace(encode(uuid_send(g.run_id), 'base64'), '/', '_'), '+', '-'), 22)
      WHEN 'sms' THEN 'SM' || replace(g.run_id::text, '-', '')
      WHEN 'push' THEN 'projects/example-app/messages/0:' || (g.n::bigint * 7919)::text
      ELSE NULL END`;
  const response = `CASE c.channel
      WHEN 'email' THEN jsonb_build_object('status', 202, 'messageId', p.provider_id)
      WHEN 'sms' THEN jsonb_build_object('sid', p.provider_id, 'status', 'queued')
      WHEN 'push' THEN jsonb_build_object('name', p.provider_id)
      ELSE NULL END`;
  return `
    INSERT INTO ${table} (id, created_at, updated_at, run_id, step_id, channel, workflow, template, user_id, status, reason, provider,
      provider_message_id, provider_response, content, history)
    SELECT t.id, t.at, t.at + CASE s.rank WHEN 0 THEN interval '0 s' WHEN 1 THEN interval '40 ms' WHEN 2 THEN interval '4 s' WHEN 3 THEN interval '40 min' ELSE interval '41 min' END,
      g.run_id, 'send', c.channel, w.workflow, w.workflow || '-' || c.channel, 'u' || g.u, s.status, s.reason,
      CASE WHEN s.status = 'skipped' THEN NULL ELSE p.provider END,
      CASE WHEN s.rank >= 1 THEN p.provider_id END,
      CASE WHEN s.rank >= 1 THEN ${response} END,
      CASE WHEN s.status = 'skipped' THEN NULL ELSE ${content} END,
      ${history}
    FROM (
      SELECT n, floor(random() * $3)::int AS u, md5(random()::text)::uuid AS run_id, md5(random()::text) AS bits,
        random() AS r1, random() AS r2, random() AS r3, random() AS r4,
        floor(extract(epoch FROM $1::timestamptz) * 1000 + (n - 1 + random() * 0.5) * 86400000.0 / $2)::bigint AS ms
      FROM generate_series(1, $2::int) n
    ) g
    CROSS JOIN LATERAL (
      SELECT (lpad(to_hex(g.ms), 12, '0') || '7' || substr(g.bits, 1, 3) || substr('89ab', 1 + (g.n % 4)::int, 1) || substr(g.bits, 4, 15))::uuid AS id,
        timestamptz 'epoch' + g.ms * interval '1 millisecond' AS at
      OFFSET 0) t
    CROSS JOIN LATERAL (SELECT ${workflows} AS workflow OFFSET 0) w
    CROSS JOIN LATERAL (SELECT ${channel} AS channel) c
    CROSS JOIN LATERAL (SELECT ${status} AS status, ${rank} AS rank,
      CASE WHEN g.r4 < 0.5 THEN 'preference' WHEN g.r4 < 0.8 THEN 'no_address' ELSE 'throttled' END AS reason0,
      initcap(replace(w.workflow, '-', ' ')) || ' #' || g.n AS subject,
      'Something happened on your account (' || replace(w.workflow, '-', ' ') || ', reference ' || g.n || '). Open the app to see the details and what to do next.' AS line) s0
    CROSS JOIN LATERAL (SELECT s0.status, s0.rank, s0.subject, s0.line,
      CASE s0.status WHEN 'skipped' THEN s0.reason0 WHEN 'failed' THEN 'provider_error' ELSE NULL END AS reason) s
    CROSS JOIN LATERAL (SELECT ${provider} AS provider, ${providerId} AS provider_id OFFSET 0) p`;
}

/**
 * Makes room for the days before today: a database the runtime set up today has one partition for
 * everything before today (`messages_before_<today>`, empty). It is replaced by one ending where the history
 * starts, so that each day of history gets its own partition.
 */
async function makeRoom(db: pg.Client, first: number): Promise<void> {
  const { rows } = await db.query<{ name: string; bound: string }>(
    `SELECT c.relname AS name, pg_get_expr(c.relpartbound, c.oid) AS bound FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = 'herald.messages'::regclass AND pg_get_expr(c.relpartbound, c.oid) LIKE '%MINVALUE%'`,
  );
  const before = rows[0];
  if (!before) throw new Error('herald.messages has no partition for the time before its first day: not a database the runtime set up');
  const to = /TO \('([^']+)'\)/.exec(before.bound)?.[1];
  if (to && Date.parse(to.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00')) <= first) return; // made room before
  if ((await db.query(`SELECT 1 FROM herald.${before.name} LIMIT 1`)).rowCount !== 0) {
    throw new Error(`herald.${before.name} holds messages: history is only made in a fresh database`);
  }
  await db.query(`ALTER TABLE herald.messages DETACH PARTITION herald.${before.name}`);
  await db.query(`DROP TABLE herald.${before.name}`);
  const name = `messages_before_${dayName(first)}`;
  await db.query(`CREATE TABLE herald.${name} (LIKE herald.messages INCLUDING DEFAULTS INCLUDING STORAGE)`);
  await db.query(`ALTER TABLE herald.messages ATTACH PARTITION herald.${name} FOR VALUES FROM (MINVALUE) TO (${literal(first)})`);
}

/** Profiles u0 … u<users-1> (those the API made already are kept), a phone number for some, a locale, a time zone. */
async function insertUsers(db: pg.Client, users: number): Promise<void> {
  await db.query(
    `INSERT INTO herald.users (id, email, phone_number, push_tokens, locale, timezone, traits, created_at, updated_at)
     SELECT 'u' || n, 'u' || n || '@example.com',
       CASE WHEN n % 3 = 0 THEN '+1555' || lpad(n::text, 7, '0') END,
       CASE WHEN n % 2 = 0 THEN jsonb_build_array(md5(n::text) || md5((n + 1)::text)) ELSE '[]'::jsonb END,
       (ARRAY['en-US', 'en-GB', 'de-DE', 'fr-FR', 'es-ES'])[1 + n % 5], (ARRAY['America/New_York', 'Europe/London', 'Europe/Berlin', 'Asia/Tokyo'])[1 + n % 4],
       jsonb_build_object('plan', (ARRAY['free', 'pro', 'team'])[1 + n % 3], 'signed_up', '2025-01-01'::date + (n % 700)),
       now() - interval '200 days', now() - interval '1 day'
     FROM generate_series(0, $1::int - 1) n
     ON CONFLICT (id) DO NOTHING`,
    [users],
  );
  // As autovacuum would have (else it does, during the measurements): the visibility map, statistics.
  await db.query('VACUUM (ANALYZE) herald.users');
}

/** Loads one day: a plain table, its rows, then ATTACH (which builds its share of each index of herald.messages). */
async function loadDay(db: pg.Client, day: number, rows: number, users: number): Promise<string> {
  const name = `messages_p${dayName(day)}`;
  await db.query(`DROP TABLE IF EXISTS herald.${name}`);
  await db.query(`CREATE TABLE herald.${name} (LIKE herald.messages INCLUDING DEFAULTS INCLUDING STORAGE)`);
  await db.query(insertDay(`herald.${name}`), [new Date(day).toISOString(), rows, users]);
  await db.query(`ALTER TABLE herald.messages ATTACH PARTITION herald.${name} FOR VALUES FROM (${literal(day)}) TO (${literal(day + DAY_MS)})`);
  // As autovacuum would have long since for a day that is over: hint bits, the visibility map, statistics.
  await db.query(`VACUUM (ANALYZE) herald.${name}`);
  return name;
}

/** The session settings of a loading connection: room to sort an index in memory, UTC days. */
async function loader(url: string): Promise<pg.Client> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("SET TimeZone = 'UTC'");
  await client.query("SET maintenance_work_mem = '512MB'");
  return client;
}

/**
 * Fills the `days` whole days before `now`'s with `messages` messages (evenly: each day the same count) and
 * herald.users with `users` profiles. The database's runtimes must be stopped (partitions are attached).
 */
export async function insertHistory(url: string, options: HistoryOptions): Promise<HistoryFigures> {
  const today = Math.floor((options.now ?? Date.now()) / DAY_MS) * DAY_MS;
  const first = today - options.days * DAY_MS;
  const perDay = Math.ceil(options.messages / options.days);
  const clients = await Promise.all([loader(url), loader(url)]);
  try {
    const t0 = performance.now();
    await makeRoom(clients[0]!, first);
    await insertUsers(clients[0]!, options.users);
    const t1 = performance.now();
    const days = Array.from({ length: options.days }, (_, i) => first + i * DAY_MS);
    const partitions: string[] = [];
    let next = 0;
    // Two days at a time, one per connection: each day's rows are made by one backend, on one core.
    await Promise.all(
      clients.map(async (client) => {
        for (let i = next++; i < days.length; i = next++) {
          partitions.push(await loadDay(client, days[i]!, perDay, options.users));
          process.stderr.write(`    day ${partitions.length} of ${days.length} (${((performance.now() - t1) / 1000) | 0} s)\n`);
        }
      }),
    );
    const t2 = performance.now();
    // The partitioned table's own statistics (the planner's estimates before pruning); each day has its own.
    await clients[0]!.query('ANALYZE ONLY herald.messages');
    const t3 = performance.now();
    return {
      messages: perDay * options.days,
      days: options.days,
      users: options.users,
      from: new Date(first).toISOString().slice(0, 10),
      to: new Date(today - DAY_MS).toISOString().slice(0, 10),
      partitions: partitions.sort(),
      seconds: { users: +((t1 - t0) / 1000).toFixed(1), messages: +((t2 - t1) / 1000).toFixed(1), analyze: +((t3 - t2) / 1000).toFixed(1) },
    };
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
}

/** CREATE INDEX statements for `table`: the indexes of herald.messages as db/partitions.ts declares them, the primary key's first. */
export function messageIndexes(table: string): string[] {
  const spec = PARTITIONED_TABLES.find((t) => t.table === 'messages')!;
  const short = table.replace(/^.*\./, '');
  return [
    `CREATE UNIQUE INDEX ${short}_pkey ON ${table} (${spec.primaryKey})`,
    ...spec.indexes.map((i) => `CREATE INDEX ${short}_${i.name} ON ${table} (${i.columns})${i.where ? ` WHERE ${i.where}` : ''}`),
  ];
}
