/**
 * `herald doctor`: a deployment's configuration checked against reality, one line per check, each failure with
 * its fix. Reads the environment `herald start` would read; never sends a message, never changes the database.
 */
import type { Bundle, Provider } from '../../compiler/bundle/schema.ts';
import { ConfigError, readConfig } from '../config.ts';
import { MigrationError, migrationStatus } from '../db/migrate.ts';
import { partitionCoverage, type PartitionCoverage } from '../db/partitions.ts';
import { openDatabase } from '../db/pool.ts';
import { openReadReplica, replicaStatus } from '../db/read-replica.ts';
import { createProviderRegistry, credentialSlots, credentialVariable } from '../delivery/providers/registry.ts';

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do about it (failures only). */
  fix?: string;
}

/** The database's clock may differ from ours by this much: delays, windows and retention read both. */
const MAX_CLOCK_SKEW_MS = 2_000;
const MIN_POSTGRES = 150_000;
const TIMEOUT_MS = 5_000;

const pass = (name: string, detail: string): Check => ({ name, ok: true, detail });
const fail = (name: string, detail: string, fix: string): Check => ({ name, ok: false, detail, fix });

export async function runDoctor(input: { env: NodeJS.ProcessEnv; bundle: Bundle | null; bundleProblem?: string }): Promise<Check[]> {
  const { env, bundle } = input;
  const checks: Check[] = [configuration(env)];
  checks.push(...(await database(env)));
  checks.push(...(await directDatabase(env)));
  checks.push(...(await readReplica(env)));
  checks.push(
    bundle
      ? pass('bundle', `version ${bundle.version}`)
      : fail('bundle', input.bundleProblem ?? 'no bundle', 'run `herald build`, then pass --bundle FILE or set HERALD_BUNDLE'),
  );
  if (bundle) {
    const providers = Object.values(bundle.providers);
    checks.push(...secrets(providers, env), ...(await credentials(providers, env)), ...webhooks(providers, env));
  }
  checks.push(await publicUrl(env, bundle));
  return checks;
}

/** What `herald start` refuses to start without (keys, signing secret), as it would say it. */
function configuration(env: NodeJS.ProcessEnv): Check {
  try {
    const config = readConfig({ ...env, NODE_ENV: env.NODE_ENV ?? 'production' });
    return pass('configuration', `mode ${config.mode}, API keys and signing secret set`);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    return fail('configuration', error.message, 'set what the message names (README: Configuration)');
  }
}

async function database(env: NodeJS.ProcessEnv): Promise<Check[]> {
  if (!env.DATABASE_URL)
    return [
      fail('database', 'DATABASE_URL is unset: herald start would run an embedded database (development only)', 'set DATABASE_URL to a PostgreSQL 15 or newer'),
    ];
  const directUrl = env.DATABASE_DIRECT_URL?.trim() || undefined;
  const db = openDatabase(env.DATABASE_URL, { max: 1, ...(directUrl ? { directUrl } : {}) });
  try {
    if (!(await db.ping(TIMEOUT_MS)))
      return [fail('database', 'not reachable', 'check DATABASE_URL (host, port, credentials, sslmode) and that the database accepts connections from here')];
    const sent = Date.now();
    const { rows } = await db.query<{ version: number; now: number }>(
      "SELECT current_setting('server_version_num')::int AS version, (extract(epoch FROM clock_timestamp()) * 1000)::float8 AS now",
    );
    const skew = Math.round(rows[0]!.now - (sent + Date.now()) / 2);
    const version = rows[0]!.version;
    const checks = [
      version >= MIN_POSTGRES
        ? pass('database', `PostgreSQL ${Math.floor(version / 10_000)}, reachable`)
        : fail('database', `PostgreSQL ${Math.floor(version / 10_000)}`, 'Herald needs PostgreSQL 15 or newer'),
      Math.abs(skew) <= MAX_CLOCK_SKEW_MS
        ? pass('clock', `database clock within ${Math.abs(skew)} ms of this machine's`)
        : fail('clock', `database clock ${skew} ms off this machine's`, 'synchronise both clocks (NTP): delays, send windows and retention read them'),
    ];
    try {
      const { pending, applied } = await migrationStatus(db);
      checks.push(
        pass(
          'migrations',
          pending.length
            ? `${pending.length} pending (${pending.map((m) => m.name).join(', ')}): herald start or herald migrate applies them`
            : `up to date (${applied.length} applied)`,
        ),
      );
    } catch (error) {
      if (!(error instanceof MigrationError)) throw error;
      checks.push(fail('migrations', error.message, 'run the release that migrated this database, or a newer one'));
    }
    checks.push(partitionsCheck(await partitionCoverage(db)));
    return checks;
  } finally {
    await db.close();
  }
}

/**
 * The logs' day partitions (runtime/README.md, "Time partitions and retention"): a row dated past the last one
 * has nowhere to go and its insert fails, so at least tomorrow must exist. Not partitioned yet is no fault:
 * the next start, or herald migrate, does it.
 */
function partitionsCheck(coverage: PartitionCoverage[], now = Date.now()): Check {
  const whole = coverage.filter((c) => !c.partitioned).map((c) => c.table);
  if (whole.length === coverage.length) return pass('partitions', 'the logs are not partitioned by day yet: herald start or herald migrate does it, online');
  const short = coverage.filter((c) => c.partitioned && (c.until === null || c.until.getTime() < now + 86_400_000));
  if (short.length)
    return fail(
      'partitions',
      `no partition for tomorrow in ${short.map((c) => `herald.${c.table}${c.until ? ` (ends ${c.until.toISOString()})` : ''}`).join(', ')}: rows dated then will fail to insert`,
      'run herald migrate to make the days ahead now; a running runtime makes them every hour (its maintenance schedule), so check that one is running',
    );
  const until = new Date(Math.min(...coverage.filter((c) => c.until).map((c) => c.until!.getTime())));
  return pass('partitions', `by day${whole.length ? ` (not yet: ${whole.join(', ')})` : ''}, made up to ${until.toISOString().slice(0, 10)}`);
}

/** A PostgreSQL server and database, as both URLs see them: the same through a pooler and straight. */
const IDENTITY = 'SELECT current_database() AS name, pg_postmaster_start_time()::text AS started';

/**
 * DATABASE_DIRECT_URL (runtime/README.md, "Through a connection pooler"): reachable, and the database behind
 * DATABASE_URL's pooler, not another one (LISTEN there would hear nothing the runtime's commits notify).
 */
async function directDatabase(env: NodeJS.ProcessEnv): Promise<Check[]> {
  const url = env.DATABASE_DIRECT_URL?.trim();
  if (!url) return [];
  const name = 'direct database';
  if (!env.DATABASE_URL)
    return [
      fail(
        name,
        'DATABASE_DIRECT_URL is set but DATABASE_URL is not: herald start refuses to start',
        'set DATABASE_URL to the connection pooler, or unset DATABASE_DIRECT_URL',
      ),
    ];
  const direct = openDatabase(url, { max: 1 });
  const pooled = openDatabase(env.DATABASE_URL, { max: 1, directUrl: url });
  try {
    if (!(await direct.ping(TIMEOUT_MS)))
      return [
        fail(
          name,
          'DATABASE_DIRECT_URL not reachable: listeners, send receipts and partition upkeep connect there',
          'check DATABASE_DIRECT_URL (host, port, credentials, sslmode): it must reach PostgreSQL itself, not the pooler',
        ),
      ];
    type Identity = { name: string; started: string };
    const [straight] = (await direct.query<Identity>(IDENTITY)).rows;
    const [through] = (await pooled.ping(TIMEOUT_MS)) ? (await pooled.query<Identity>(IDENTITY)).rows : [];
    if (through && (straight?.name !== through.name || straight?.started !== through.started))
      return [
        fail(
          name,
          `DATABASE_DIRECT_URL reaches database ${straight?.name}, not the one behind DATABASE_URL (${through.name}, on a server started ${through.started})`,
          'point DATABASE_DIRECT_URL at the PostgreSQL server and database that DATABASE_URL pools',
        ),
      ];
    return [
      pass(name, `reachable${through ? ', the same database as DATABASE_URL' : ''}: DATABASE_URL is treated as a transaction pooler (unnamed statements)`),
    ];
  } finally {
    await Promise.all([direct.close(), pooled.close()]);
  }
}

/**
 * DATABASE_READ_URL, when set: it answers, it is a standby (or at least a readable server), and it holds Herald's
 * tables at the primary's migrations, which a replica of DATABASE_URL does and another database does not.
 */
async function readReplica(env: NodeJS.ProcessEnv): Promise<Check[]> {
  const url = env.DATABASE_READ_URL?.trim();
  if (!url) return [];
  const name = 'read replica';
  const replica = openReadReplica(url, { max: 1 });
  const primary = env.DATABASE_URL ? openDatabase(env.DATABASE_URL, { max: 1 }) : null;
  try {
    const status = await replicaStatus(replica, TIMEOUT_MS);
    if (!status.reachable)
      return [
        fail(
          name,
          'DATABASE_READ_URL not reachable: the dashboard, message lists and the export would answer 503',
          'check DATABASE_READ_URL (host, port, credentials, sslmode) and that the replica accepts connections from here, or unset it to read everything from DATABASE_URL',
        ),
      ];
    let onReplica: number[];
    try {
      onReplica = (await migrationStatus(replica)).applied.map((m) => m.id);
    } catch (error) {
      if (!(error instanceof MigrationError)) throw error;
      return [fail(name, `DATABASE_READ_URL: ${error.message}`, 'point DATABASE_READ_URL at a replica of DATABASE_URL')];
    }
    const onPrimary = primary && (await primary.ping(TIMEOUT_MS)) ? (await migrationStatus(primary).catch(() => null))?.applied.map((m) => m.id) : undefined;
    if (onReplica.length === 0 || (onPrimary && onPrimary.join() !== onReplica.join()))
      return [
        fail(
          name,
          onReplica.length === 0
            ? "DATABASE_READ_URL has none of Herald's tables"
            : `DATABASE_READ_URL is at migration ${onReplica.at(-1)}, DATABASE_URL at ${onPrimary?.at(-1)}: it is not replaying DATABASE_URL`,
          'point DATABASE_READ_URL at a streaming replica of DATABASE_URL (a standby of that server), or unset it',
        ),
      ];
    const lag = status.lagSeconds === null ? 'lag unknown' : `${status.lagSeconds.toFixed(1)} s behind`;
    return [
      pass(
        name,
        status.standby
          ? `a standby, reachable, ${lag}`
          : "reachable and readable, with Herald's tables, but not a standby (pg_is_in_recovery() is false): reads see what that server holds, not necessarily DATABASE_URL's data",
      ),
    ];
  } finally {
    await Promise.all([replica.close(), primary?.close()]);
  }
}

/** The variables a provider's credentials are read from (those it names, or the conventional ones). */
const credentialVariables = (provider: Provider): string[] =>
  credentialSlots(provider)
    .map((slot) => credentialVariable(provider, slot))
    .filter((v): v is string => v !== undefined);

/** The variables the bundle's providers name (or their conventional ones), each set or not. */
function secrets(providers: Provider[], env: NodeJS.ProcessEnv): Check[] {
  return providers.flatMap((provider) => {
    const names = credentialVariables(provider);
    const unset = names.filter((name) => !env[name]);
    if (!names.length) return [];
    return unset.length
      ? [
          fail(
            `secrets of ${provider.id}`,
            `${unset.join(', ')} unset: ${provider.id} would send through the sandbox (nothing delivered)`,
            `set ${unset.join(' and ')}`,
          ),
        ]
      : [pass(`secrets of ${provider.id}`, `${names.join(', ')} set`)];
  });
}

/** Each provider with credentials: does the provider accept them? A harmless authenticated call, nothing sent. */
async function credentials(providers: Provider[], env: NodeJS.ProcessEnv): Promise<Check[]> {
  const registry = createProviderRegistry({ env });
  try {
    return await Promise.all(
      providers.map(async (provider): Promise<Check> => {
        const adapter = registry.get(provider);
        if (!adapter.verify) return pass(`provider ${provider.id}`, `${adapter.kind}: nothing to verify`);
        const result = await Promise.race([
          adapter.verify(),
          new Promise<{ ok: false; why: string }>((resolve) =>
            setTimeout(() => resolve({ ok: false, why: `no answer within ${TIMEOUT_MS} ms` }), TIMEOUT_MS).unref(),
          ),
        ]);
        return result.ok
          ? pass(`provider ${provider.id}`, `${provider.kind}: ${result.detail}`)
          : fail(
              `provider ${provider.id}`,
              `${provider.kind} refused: ${result.why}`,
              `check the credentials in ${credentialVariables(provider).join(', ')} (and the account's state at ${provider.kind})`,
            );
      }),
    );
  } finally {
    await registry.close();
  }
}

/** Callbacks Herald must verify: SendGrid's signed event webhook needs its public key. */
function webhooks(providers: Provider[], env: NodeJS.ProcessEnv): Check[] {
  if (!providers.some((p) => p.kind === 'sendgrid')) return [];
  return env.SENDGRID_WEBHOOK_PUBLIC_KEY
    ? [pass('sendgrid webhook', 'SENDGRID_WEBHOOK_PUBLIC_KEY set: signed events are verified')]
    : [
        fail(
          'sendgrid webhook',
          'SENDGRID_WEBHOOK_PUBLIC_KEY unset: POST /webhooks/sendgrid refuses every event (no opens, clicks or bounces)',
          "set it to the verification key of SendGrid's Signed Event Webhook",
        ),
      ];
}

/** The URL links in messages point at: reachable, and serving this runtime (its /readyz names the bundle). */
async function publicUrl(env: NodeJS.ProcessEnv, bundle: Bundle | null): Promise<Check> {
  const url = env.HERALD_PUBLIC_URL;
  if (!url)
    return fail(
      'public url',
      'HERALD_PUBLIC_URL unset: links in messages (unsubscribe, preferences) would point at localhost',
      'set HERALD_PUBLIC_URL to the address the internet reaches this runtime at',
    );
  try {
    const response = await fetch(new URL('/readyz', url), { signal: AbortSignal.timeout(TIMEOUT_MS), redirect: 'manual' });
    const body = (await response.json().catch(() => null)) as { bundle?: unknown } | null;
    if (typeof body?.bundle !== 'string' && body?.bundle !== null)
      return fail(
        'public url',
        `${url} answers, but not as Herald (no /readyz of ours)`,
        'point HERALD_PUBLIC_URL (and its DNS or load balancer) at this runtime',
      );
    if (bundle && body.bundle !== bundle.version)
      return fail(
        'public url',
        `${url} serves bundle ${String(body.bundle)}, not ${bundle.version}`,
        'deploy this bundle there, or point HERALD_PUBLIC_URL at the runtime that runs it',
      );
    return pass('public url', `${url} reachable and serving this runtime (HTTP ${response.status})`);
  } catch (error) {
    return fail(
      'public url',
      `${url} not reachable: ${error instanceof Error ? error.message : String(error)}`,
      'check DNS, the load balancer and that the runtime is up',
    );
  }
}
