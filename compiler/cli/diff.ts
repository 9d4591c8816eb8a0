/**
 * `herald diff BASE [HEAD]`: what a change to the notifications does for users, as Markdown for a pull
 * request (or JSON). The work is in compiler/diff; this module reads arguments, loads bundles and writes
 * output.
 */
import { diffBundles, emptyBundle } from '../diff/diff.ts';
import { renderMarkdown } from '../diff/markdown.ts';
import type { BundleDiff } from '../diff/model.ts';
import { addReach } from '../diff/reach.ts';
import type { Bundle } from '../bundle/schema.ts';
import { checkSource, classify, CompileFailed, loadSide, type LoadedSide, type SideSource } from '../diff/sides.ts';
import { EXIT, UsageError } from './exit.ts';
import { reportDiagnostics } from './output.ts';

/** The folder compiled for the working tree and looked up at git refs. */
const NOTIFICATIONS = 'notifications';

function sources(base: string | undefined, head: string | undefined, baseRef: string | undefined, cwd: string): [SideSource, SideSource] {
  // With --base, a lone argument is the head: `herald diff --base origin/main HEAD`.
  if (baseRef !== undefined && base !== undefined && head === undefined) [base, head] = [undefined, base];
  if (baseRef !== undefined && base !== undefined) {
    throw new UsageError(`give the base once: "${base}" or --base ${baseRef}, not both`);
  }
  // `herald diff` alone compares the working tree with the last commit, as `git diff` does.
  const baseSource: SideSource = baseRef !== undefined ? { kind: 'git', ref: baseRef, dir: NOTIFICATIONS } : classify(base ?? 'HEAD', cwd, NOTIFICATIONS);
  const headSource: SideSource = head === undefined ? { kind: 'worktree', dir: NOTIFICATIONS } : classify(head, cwd, NOTIFICATIONS);
  return [baseSource, headSource];
}

export async function diffCommand(
  base: string | undefined,
  head: string | undefined,
  flags: { base?: string; json?: boolean; failOnBreaking?: boolean; reach?: boolean },
  env: NodeJS.ProcessEnv = process.env,
): Promise<number> {
  const cwd = process.cwd();
  // Checked first: a missing database should fail in a second, not after compiling both sides.
  const readUrl = env.DATABASE_READ_URL?.trim();
  if (flags.reach && !readUrl) throw new UsageError('herald diff --reach needs DATABASE_READ_URL: a read replica whose users the audiences are counted on');
  const [baseSource, headSource] = sources(base, head, flags.base, cwd);
  for (const source of [baseSource, headSource]) checkSource(source, cwd);
  let loaded: [LoadedSide, LoadedSide];
  try {
    loaded = await Promise.all([loadSide(baseSource, cwd), loadSide(headSource, cwd)]);
  } catch (error) {
    if (!(error instanceof CompileFailed)) throw error;
    process.stderr.write(`herald diff: ${error.label} does not compile, so there is nothing to compare:\n\n`);
    reportDiagnostics(error.diagnostics, { json: false, annotations: false });
    return EXIT.problems;
  }
  const [before, after] = loaded;
  if (!before.bundle && !after.bundle) throw new UsageError(`neither ${before.label} nor ${after.label} has a ${NOTIFICATIONS} folder`);
  const baseBundle = before.bundle ?? emptyBundle(after.bundle!.settings);
  const headBundle = after.bundle ?? emptyBundle(baseBundle.settings);

  const diff = diffBundles(baseBundle, headBundle, { base: before.label, head: after.label });
  if (flags.reach && readUrl) await addAudienceReach(diff, baseBundle, headBundle, readUrl);
  const breaking = diff.flags.filter((f) => f.kind === 'breaking').length;
  const resubscribe = diff.flags.filter((f) => f.kind === 'resubscribe').length;
  // The security-relevant flags themselves, not a count: a CI step can ask for a review by their owner.
  const security = diff.flags.filter((f) => f.kind === 'security');
  process.stdout.write(flags.json ? `${JSON.stringify({ breaking, resubscribe, security, ...diff }, null, 2)}\n` : renderMarkdown(diff, headBundle));
  return flags.failOnBreaking && breaking > 0 ? EXIT.problems : EXIT.ok;
}

/** Both sides' conditions counted on the same database, at the same moment. */
async function addAudienceReach(diff: BundleDiff, base: Bundle, head: Bundle, url: string): Promise<void> {
  const { openDatabase } = await import('../../runtime/db/pool.ts');
  const { audienceCount } = await import('../../runtime/audiences/index.ts');
  const db = openDatabase(url, { max: 2 });
  const now = new Date();
  try {
    await addReach(diff, base, head, (condition) => audienceCount(db, condition, { now }));
  } finally {
    await db.close();
  }
}
