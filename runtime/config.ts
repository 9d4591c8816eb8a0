import { createHash } from 'node:crypto';

/** The runtime's settings, from the environment (names are a contract: see README). */
export interface RuntimeConfig {
  port: number;
  databaseUrl: string | null;
  dataDir: string;
  apiKey: string;
  /** True when HERALD_API_KEY was unset and a development key stands in. */
  apiKeyIsDefault: boolean;
  bundlePath: string;
  publicUrl: string | null;
  workers: number;
  /** Runs accepted here are started here right after their commit, not by start jobs (`HERALD_LOCAL_STARTS`, default on). */
  localStarts: boolean;
  /** Signs links in messages (one-click unsubscribe). Defaults to one derived from the API key. */
  signingSecret: string;
  /** What the message log leaves out (`HERALD_REDACT=content,payloads`): rendered bodies; provider responses and webhook payloads. */
  redact: Redaction;
}

export interface Redaction {
  content: boolean;
  payloads: boolean;
}

export function parseRedaction(value: string | undefined): Redaction {
  const parts = new Set((value ?? '').split(',').map((s) => s.trim()).filter(Boolean));
  const unknown = [...parts].filter((p) => p !== 'content' && p !== 'payloads');
  if (unknown.length) throw new Error(`HERALD_REDACT: unknown part "${unknown[0]}" (use a comma-separated list of content, payloads)`);
  return { content: parts.has('content'), payloads: parts.has('payloads') };
}

/** An on/off setting: on, off, true, false, 1, 0 (any case); unset is `fallback`. */
function parseSwitch(name: string, value: string | undefined, fallback: boolean): boolean {
  if (value === undefined || value.trim() === '') return fallback;
  const v = value.trim().toLowerCase();
  if (['on', 'true', '1'].includes(v)) return true;
  if (['off', 'false', '0'].includes(v)) return false;
  throw new Error(`${name} "${value}" is not on or off (use on/off, true/false or 1/0)`);
}

export const DEV_API_KEY = 'herald-dev-key';

/**
 * Jobs in flight per process when HERALD_WORKERS is unset: four batches of 16. A batch is one transaction, so
 * its per-transaction cost (BEGIN, the runs' lock, the save, COMMIT) is shared by 16 runs; at 32 (batches of
 * 8) the same one-send load cost PostgreSQL about 1.6× the CPU per message and the process ~1.1× (bench/, see
 * docs/performance.md). Larger batches gained nothing more, and each waits for its slowest provider call.
 */
export const DEFAULT_WORKERS = 64;

export function readConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  const port = overrides.port ?? Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT "${env.PORT}" is not a port number (0–65535)`);
  const apiKey = overrides.apiKey ?? env.HERALD_API_KEY;
  const workers = overrides.workers ?? Number(env.HERALD_WORKERS ?? DEFAULT_WORKERS);
  if (!Number.isInteger(workers) || workers < 1) throw new Error(`HERALD_WORKERS "${env.HERALD_WORKERS}" is not a positive whole number (jobs in flight per process; default ${DEFAULT_WORKERS})`);
  const localStarts = overrides.localStarts ?? parseSwitch('HERALD_LOCAL_STARTS', env.HERALD_LOCAL_STARTS, true);
  return {
    port,
    databaseUrl: overrides.databaseUrl ?? env.DATABASE_URL ?? null,
    dataDir: overrides.dataDir ?? env.HERALD_DATA_DIR ?? '.herald',
    apiKey: apiKey ?? DEV_API_KEY,
    apiKeyIsDefault: apiKey === undefined,
    bundlePath: overrides.bundlePath ?? env.HERALD_BUNDLE ?? 'dist/bundle.json',
    publicUrl: overrides.publicUrl ?? env.HERALD_PUBLIC_URL ?? null,
    workers,
    localStarts,
    redact: overrides.redact ?? parseRedaction(env.HERALD_REDACT),
    signingSecret: overrides.signingSecret ?? env.HERALD_SIGNING_SECRET ?? createHash('sha256').update(`herald-links\0${apiKey ?? DEV_API_KEY}`).digest('hex'),
  };
}
