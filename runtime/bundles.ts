/**
 * Every bundle the runtime has loaded, kept in Postgres by version: a run started under a version finishes
 * under it, even after a newer one goes live. Parsed bundles are cached in memory by version.
 */
import { withNullPrototypes } from '../compiler/bundle/null-prototype.ts';
import { refusedEndpoints } from '../compiler/bundle/endpoints.ts';
import { parseBundle, type Bundle } from '../compiler/bundle/schema.ts';
import { isS3Url, readBundleText } from './bundle-source.ts';
import * as sql from './db/sql.ts';
import { exec, one, type SqlClient } from './db/sql-client.ts';

export class BundleError extends Error {
  override name = 'BundleError';
}

/** Reads and validates a bundle (a file, or `s3://bucket/key`); the error says which one and which field. */
export async function readBundleFile(path: string): Promise<Bundle> {
  let text: string;
  try {
    text = await readBundleText(path);
  } catch (error) {
    // S3's answer (no such key, access denied) is the useful part; rebuilding locally would not help.
    if (isS3Url(path)) throw new BundleError(error instanceof Error ? error.message : String(error));
    throw new BundleError(`cannot read bundle "${path}": run \`npx herald build\` first, or pass --bundle / HERALD_BUNDLE`);
  }
  let bundle: Bundle;
  try {
    bundle = parseBundle(JSON.parse(text));
  } catch (error) {
    const detail = error instanceof Error ? error.message.slice(0, 500) : String(error);
    throw new BundleError(`"${path}" is not a valid Herald bundle (rebuild it with \`npx herald build\`): ${detail}`);
  }
  // Also when it goes live (BundleStore.activate); here too, so a refused file stops a start before anything runs.
  assertSafeEndpoints(bundle);
  return bundle;
}

/** Provider endpoints must be https, or plain http to loopback only (compiler/bundle/endpoints.ts). */
function assertSafeEndpoints(bundle: Bundle): void {
  const refused = refusedEndpoints(bundle.providers);
  if (!refused.length) return;
  throw new BundleError(
    `bundle ${bundle.version} is refused: ${refused.join('; ')}. Use an https:// apiUrl (plain http only to localhost, 127.0.0.1 or [::1]), then rebuild with \`npx herald build\``,
  );
}

export class BundleStore {
  private readonly cache = new Map<string, Bundle>();
  private liveVersion: string | null = null;

  get live(): Bundle | null {
    return this.liveVersion ? (this.cache.get(this.liveVersion) ?? null) : null;
  }

  /** Stores the bundle (once per version) and makes it the one new triggers start under. */
  async activate(client: SqlClient, bundle: Bundle): Promise<void> {
    // Here every bundle passes (a file, S3, a reload, one built in-process), before it is stored or goes live.
    assertSafeEndpoints(bundle);
    for (const statement of [sql.insertBundle(bundle.version, bundle), sql.markLive(bundle.version)]) {
      await exec(client, statement);
    }
    // A bundle built in this process (tests, `herald dev`) has not been through parseBundle: its maps get
    // null prototypes here too, so lookups by names from requests find only what the bundle holds.
    this.cache.set(bundle.version, withNullPrototypes(bundle));
    this.liveVersion = bundle.version;
  }

  /** The bundle a run is pinned to, from memory or from Postgres (another process may have loaded it). */
  async get(client: SqlClient, version: string): Promise<Bundle> {
    const cached = this.cache.get(version);
    if (cached) return cached;
    const row = await one<{ bundle: unknown }>(client, sql.bundleByVersion(version));
    if (!row) throw new BundleError(`bundle ${version} is not stored in this database`);
    const bundle = parseBundle(row.bundle);
    this.cache.set(version, bundle);
    return bundle;
  }
}
