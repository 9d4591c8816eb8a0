/** The broadcasts tests' bundle, compiled from test/broadcasts/notifications/. */
import { fileURLToPath } from 'node:url';
import { sealBundle } from '../../compiler/bundle/canonical.ts';
import type { Bundle } from '../../compiler/bundle/schema.ts';
import { buildProject } from '../../compiler/build.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));

export async function broadcastsBundle(): Promise<Bundle> {
  const result = await buildProject('test/broadcasts/notifications', { cwd: root });
  if (!result.bundle) throw new Error(result.diagnostics.map((d) => `${d.file}:${d.line} ${d.message}`).join('\n'));
  return result.bundle;
}

/** The bundle with broadcast `slow`'s window closed for the next hours (runs started wait in it, cancellable). */
export function withClosedWindow(bundle: Bundle): Bundle {
  const { version: _v, formatVersion: _f, ...content } = bundle;
  const hour = new Date().getUTCHours();
  // Open only from two hours from now, for one hour: closed while the test runs.
  const start = ((hour + 2) % 24) * 60;
  const window = { days: [1, 2, 3, 4, 5, 6, 7], startMinute: start, endMinute: start + 60, timezone: 'UTC' };
  const slow = { ...content.broadcasts!.slow!, window };
  return sealBundle({ ...content, broadcasts: { ...content.broadcasts, slow } });
}
