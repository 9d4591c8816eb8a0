/**
 * `herald audiences preview ID [--dir notifications] [--bundle FILE] [--sample N] [--json]`: who is in an audience
 * today — its size and a few members (emails masked) — from the database at DATABASE_READ_URL (a replica: a count
 * may scan) or else DATABASE_URL. Exit 0 shown, 1 the notifications do not compile, 2 bad usage (no such
 * audience, no database).
 */
import { buildProject } from '../build.ts';
import type { Bundle } from '../bundle/schema.ts';
import { readBundleFile } from '../diff/sides.ts';
import { closest } from '../templates/closest.ts';
import { EXIT, UsageError } from './exit.ts';
import { outputOptions, reportDiagnostics } from './output.ts';

export interface AudiencePreviewFlags {
  dir: string;
  bundle?: string;
  sample: string;
  json?: boolean;
}

/** `ada@example.com` → `a**@example.com`: enough to recognise a test account, not to harvest addresses. */
export function maskEmail(email: string | null): string {
  if (!email) return '(no email)';
  const at = email.lastIndexOf('@');
  if (at <= 0) return '***';
  return `${email[0]}${'*'.repeat(Math.max(2, at - 1))}${email.slice(at)}`;
}

/** The database an audience is read from: the read replica when there is one. */
export function readDatabaseUrl(env: NodeJS.ProcessEnv): string | undefined {
  return env.DATABASE_READ_URL?.trim() || env.DATABASE_URL?.trim() || undefined;
}

async function bundleFor(flags: AudiencePreviewFlags): Promise<Bundle | null> {
  if (flags.bundle !== undefined) return readBundleFile(flags.bundle, process.cwd());
  const result = await buildProject(flags.dir);
  if (!result.bundle) reportDiagnostics(result.diagnostics, outputOptions({}));
  return result.bundle;
}

export async function audiencesPreviewCommand(id: string, flags: AudiencePreviewFlags, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const sampleSize = Number(flags.sample);
  if (!Number.isInteger(sampleSize) || sampleSize < 0 || sampleSize > 1000)
    throw new UsageError(`--sample must be a whole number from 0 to 1000 (got "${flags.sample}")`);
  const url = readDatabaseUrl(env);
  if (!url) throw new UsageError('herald audiences preview needs DATABASE_READ_URL or DATABASE_URL: the database whose users to count');
  const bundle = await bundleFor(flags);
  if (!bundle) return EXIT.problems;
  const audiences = bundle.audiences ?? {};
  const audience = Object.hasOwn(audiences, id) ? audiences[id] : undefined;
  if (!audience) {
    const ids = Object.keys(audiences).sort();
    const guess = closest(id, ids);
    throw new UsageError(`no audience "${id}"${guess ? `; did you mean "${guess}"?` : ''} (audiences: ${ids.join(', ') || 'none'})`);
  }
  const { openDatabase } = await import('../../runtime/db/pool.ts');
  const { audienceCount, audienceSample } = await import('../../runtime/audiences/index.ts');
  const db = openDatabase(url, { max: 2 });
  try {
    const now = new Date();
    const [count, sample] = await Promise.all([audienceCount(db, audience.condition, { now }), audienceSample(db, audience.condition, sampleSize, { now })]);
    const shown = sample.map((s) => ({ id: s.id, email: maskEmail(s.email) }));
    if (flags.json) {
      process.stdout.write(`${JSON.stringify({ audience: id, count, sample: shown, at: now.toISOString() }, null, 2)}\n`);
    } else {
      const lines = [`audience ${id}${audience.description ? ` — ${audience.description}` : ''}`, `${count.toLocaleString('en-US')} users`];
      if (shown.length) lines.push(`sample (first ${shown.length} by id):`, ...shown.map((s) => `  ${s.id}  ${s.email}`));
      process.stdout.write(`${lines.join('\n')}\n`);
    }
    return EXIT.ok;
  } finally {
    await db.close();
  }
}
