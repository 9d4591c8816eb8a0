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
}

export const DEV_API_KEY = 'herald-dev-key';

export function readConfig(env: NodeJS.ProcessEnv = process.env, overrides: Partial<RuntimeConfig> = {}): RuntimeConfig {
  const port = overrides.port ?? Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`PORT "${env.PORT}" is not a port number (0–65535)`);
  const apiKey = overrides.apiKey ?? env.HERALD_API_KEY;
  return {
    port,
    databaseUrl: overrides.databaseUrl ?? env.DATABASE_URL ?? null,
    dataDir: overrides.dataDir ?? env.HERALD_DATA_DIR ?? '.herald',
    apiKey: apiKey ?? DEV_API_KEY,
    apiKeyIsDefault: apiKey === undefined,
    bundlePath: overrides.bundlePath ?? env.HERALD_BUNDLE ?? 'dist/bundle.json',
    publicUrl: overrides.publicUrl ?? env.HERALD_PUBLIC_URL ?? null,
    workers: overrides.workers ?? Number(env.HERALD_WORKERS ?? 8),
  };
}
