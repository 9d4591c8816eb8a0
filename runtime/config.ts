import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiKeyConfigError, MIN_SECRET_LENGTH, parseApiKeys, secretProblem, type ApiKey } from './http/api-keys.ts';

/**
 * Where the runtime may take shortcuts meant for one developer's machine: the public development key and a
 * generated signing secret. Only `herald dev`, or `herald start` on the embedded database listening on
 * loopback outside NODE_ENV=production; everywhere else the keys and secrets must be set (see readConfig).
 */
export type RuntimeMode = 'development' | 'production';

/** A configuration the runtime must not start with: the message says what to set. */
export class ConfigError extends Error {}

/** The runtime's settings, from the environment (names are a contract: see README). */
export interface RuntimeConfig {
  port: number;
  /** The interface the API listens on (`HERALD_HOST`, default 127.0.0.1: containers set 0.0.0.0). */
  host: string;
  mode: RuntimeMode;
  databaseUrl: string | null;
  /**
   * A URL straight to PostgreSQL (`DATABASE_DIRECT_URL`), set when DATABASE_URL is a connection pooler in
   * transaction mode (PgBouncer): what needs a session (LISTEN, the send receipts' pool, the partitions' lock)
   * connects here, and statements through DATABASE_URL run unnamed (runtime/README.md, "Through a connection
   * pooler"). Null: DATABASE_URL is PostgreSQL itself.
   */
  databaseDirectUrl: string | null;
  /**
   * A read replica of DATABASE_URL (`DATABASE_READ_URL`): the dashboard, the message log and the export read it;
   * writes, runs and the queue never do (runtime/README.md, "Reads off the primary"). Null: every read is the primary's.
   */
  databaseReadUrl: string | null;
  dataDir: string;
  /** The first admin key (`HERALD_API_KEY`, else the first admin entry of `HERALD_API_KEYS`): the dashboard's default login. */
  apiKey: string;
  /** Every accepted key, with its name and scope (`HERALD_API_KEY`, `HERALD_API_KEYS`). */
  apiKeys: ApiKey[];
  /** True when no key was set and the development key stands in. */
  apiKeyIsDefault: boolean;
  /** `/metrics` on its own port, without a key (`HERALD_METRICS_PORT`); null: on the API's port, behind a read key. */
  metricsPort: number | null;
  /** The interface of the metrics port (`HERALD_METRICS_HOST`, default 127.0.0.1: a sidecar in the same task, not the internet). */
  metricsHost: string;
  bundlePath: string;
  publicUrl: string | null;
  workers: number;
  /** Runs accepted here are started here right after their commit, not by start jobs (`HERALD_LOCAL_STARTS`, default on). */
  localStarts: boolean;
  /**
   * Each provider acceptance is recorded in a send receipt as it happens (`HERALD_SEND_RECEIPTS`, default on;
   * delivery/receipts.ts). Off only to measure what they cost: a crash then re-sends a whole batch's messages.
   */
  sendReceipts: boolean;
  /** Signs links in messages and dashboard sessions (`HERALD_SIGNING_SECRET`); generated and kept in the data folder in development. */
  signingSecret: string;
  /** What the message log leaves out (`HERALD_REDACT=content,payloads`): rendered bodies; provider responses and webhook payloads. */
  redact: Redaction;
}

export interface Redaction {
  content: boolean;
  payloads: boolean;
}

export function parseRedaction(value: string | undefined): Redaction {
  const parts = new Set(
    (value ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );
  const unknown = [...parts].filter((p) => p !== 'content' && p !== 'payloads');
  if (unknown.length) throw new ConfigError(`HERALD_REDACT: unknown part "${unknown[0]}" (use a comma-separated list of content, payloads)`);
  return { content: parts.has('content'), payloads: parts.has('payloads') };
}

/** An on/off setting: on, off, true, false, 1, 0 (any case); unset is `fallback`. */
function parseSwitch(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim().toLowerCase();
  if (['on', 'true', '1'].includes(v)) return true;
  if (['off', 'false', '0'].includes(v)) return false;
  throw new ConfigError(`${name} "${value}" is not on or off (use on/off, true/false or 1/0)`);
}

export const DEV_API_KEY = 'herald-dev-key';

/**
 * Jobs in flight per process when HERALD_WORKERS is unset: four batches of 16. A batch is one transaction, so
 * its per-transaction cost (BEGIN, the runs' lock, the save, COMMIT) is shared by 16 runs; at 32 (batches of
 * 8) the same one-send load cost PostgreSQL about 1.6× the CPU per message and the process ~1.1× (bench/, see
 * docs/performance.md). Larger batches gained nothing more, and each waits for its slowest provider call.
 */
export const DEFAULT_WORKERS = 64;

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
const DEFAULT_HOST = '127.0.0.1';

/**
 * The mode the settings give (`herald dev` aside, which says development itself): development only on the
 * embedded database (no DATABASE_URL) at a loopback host outside NODE_ENV=production.
 */
export function modeOf(databaseUrl: string | null, host: string, nodeEnv: string | undefined): RuntimeMode {
  return databaseUrl === null && LOOPBACK.has(host) && nodeEnv !== 'production' ? 'development' : 'production';
}

/** The mode from the environment alone, for a caller that has no config at hand (the outbound guard's default). */
export function environmentMode(env: NodeJS.ProcessEnv): RuntimeMode {
  return modeOf(env.DATABASE_URL ?? null, env.HERALD_HOST?.trim() || DEFAULT_HOST, env.NODE_ENV);
}

function portOf(name: string, value: string | undefined, fallback: number | null): number | null {
  if (value === undefined || value.trim() === '') return fallback;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`${name} "${value}" is not a port number (0–65535)`);
  return port;
}

/**
 * The development signing secret: random, kept in the data folder so that links and sessions survive a
 * restart of `herald dev`. Never used in production, where HERALD_SIGNING_SECRET is required.
 */
function developmentSecret(dataDir: string): string {
  const path = join(dataDir, 'signing-secret');
  if (existsSync(path)) {
    const kept = readFileSync(path, 'utf8').trim();
    if (kept.length >= MIN_SECRET_LENGTH) return kept;
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(path, `${secret}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
  return secret;
}

/**
 * The runtime's settings. Outside development (`mode`), the API key(s) and HERALD_SIGNING_SECRET must be set,
 * visible ASCII, and at least 32 characters: a runtime reachable from the internet never runs on the public
 * development key or on a secret derived from it.
 */
export function readConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<RuntimeConfig> & { development?: boolean } = {}): RuntimeConfig {
  const port = overrides.port ?? portOf('PORT', env.PORT, 3000)!;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`PORT "${env.PORT}" is not a port number (0–65535)`);
  const workers = overrides.workers ?? Number(env.HERALD_WORKERS ?? DEFAULT_WORKERS);
  if (!Number.isInteger(workers) || workers < 1)
    throw new ConfigError(`HERALD_WORKERS "${env.HERALD_WORKERS}" is not a positive whole number (jobs in flight per process; default ${DEFAULT_WORKERS})`);
  const localStarts = overrides.localStarts ?? parseSwitch('HERALD_LOCAL_STARTS', env.HERALD_LOCAL_STARTS, true);
  const sendReceipts = overrides.sendReceipts ?? parseSwitch('HERALD_SEND_RECEIPTS', env.HERALD_SEND_RECEIPTS, true);
  const databaseUrl = overrides.databaseUrl ?? env.DATABASE_URL ?? null;
  const databaseDirectUrl = overrides.databaseDirectUrl !== undefined ? overrides.databaseDirectUrl : env.DATABASE_DIRECT_URL?.trim() || null;
  // The embedded database has no pooler in front of it: a direct URL beside it would be some other database.
  if (databaseDirectUrl !== null && databaseUrl === null)
    throw new ConfigError(
      'DATABASE_DIRECT_URL is set but DATABASE_URL is not: DATABASE_DIRECT_URL goes with a DATABASE_URL that points at a connection pooler (PgBouncer); set DATABASE_URL to the pooler, or unset DATABASE_DIRECT_URL',
    );
  const databaseReadUrl = overrides.databaseReadUrl !== undefined ? overrides.databaseReadUrl : env.DATABASE_READ_URL?.trim() || null;
  // The embedded database has no replica: a read URL beside it would read some other database's data.
  if (databaseReadUrl !== null && databaseUrl === null)
    throw new ConfigError(
      'DATABASE_READ_URL is set but DATABASE_URL is not: a read replica follows a primary of your own; set DATABASE_URL to that primary, or unset DATABASE_READ_URL',
    );
  const host = overrides.host ?? (env.HERALD_HOST?.trim() || DEFAULT_HOST);
  const dataDir = overrides.dataDir ?? env.HERALD_DATA_DIR ?? '.herald';
  const mode: RuntimeMode = overrides.mode ?? (overrides.development ? 'development' : modeOf(databaseUrl, host, env.NODE_ENV));
  const why =
    mode === 'production'
      ? ` (required unless running \`herald dev\`, or \`herald start\` on the embedded database at 127.0.0.1 outside NODE_ENV=production)`
      : '';

  const single = overrides.apiKey ?? env.HERALD_API_KEY;
  const listed = overrides.apiKeys ? undefined : env.HERALD_API_KEYS;
  let apiKeys: ApiKey[];
  try {
    apiKeys = overrides.apiKeys ?? parseApiKeys(single, listed, mode === 'production' ? MIN_SECRET_LENGTH : 1);
  } catch (error) {
    if (error instanceof ApiKeyConfigError) throw new ConfigError(`${error.message}${why}`);
    throw error;
  }
  const apiKeyIsDefault = apiKeys.length === 0;
  if (apiKeyIsDefault) {
    if (mode === 'production')
      throw new ConfigError(`HERALD_API_KEY is not set: set it (or HERALD_API_KEYS) to a random key of at least ${MIN_SECRET_LENGTH} characters${why}`);
    apiKeys = [{ name: 'development', scopes: new Set(['admin']), secret: DEV_API_KEY }];
  }
  const admin = apiKeys.find((k) => k.scopes.has('admin'));

  let signingSecret = overrides.signingSecret ?? env.HERALD_SIGNING_SECRET;
  if (signingSecret !== undefined) {
    const problem = secretProblem('HERALD_SIGNING_SECRET', signingSecret, mode === 'production' ? MIN_SECRET_LENGTH : 1);
    if (problem) throw new ConfigError(`${problem}${why}`);
  } else if (mode === 'production') {
    throw new ConfigError(
      `HERALD_SIGNING_SECRET is not set: set it to a random secret of at least ${MIN_SECRET_LENGTH} characters; it signs the links in messages and dashboard sessions${why}`,
    );
  } else {
    signingSecret = developmentSecret(dataDir);
  }

  return {
    port,
    host,
    mode,
    databaseUrl,
    databaseDirectUrl,
    databaseReadUrl,
    dataDir,
    apiKey: admin?.secret ?? '',
    apiKeys,
    apiKeyIsDefault,
    metricsPort: overrides.metricsPort !== undefined ? overrides.metricsPort : portOf('HERALD_METRICS_PORT', env.HERALD_METRICS_PORT, null),
    metricsHost: overrides.metricsHost ?? (env.HERALD_METRICS_HOST?.trim() || '127.0.0.1'),
    bundlePath: overrides.bundlePath ?? env.HERALD_BUNDLE ?? 'dist/bundle.json',
    publicUrl: overrides.publicUrl ?? env.HERALD_PUBLIC_URL ?? null,
    workers,
    localStarts,
    sendReceipts,
    redact: overrides.redact ?? parseRedaction(env.HERALD_REDACT),
    signingSecret,
  };
}
