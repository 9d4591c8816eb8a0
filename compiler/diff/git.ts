/**
 * Reading a folder as it is at a git ref, without touching the working tree, the index or the list of
 * worktrees: `git ls-tree` names the files, one `git cat-file --batch` reads them all, and they are written
 * into a folder of the caller's choosing. (`git worktree add` would register a worktree that a crashed run
 * leaves behind, and `git archive` needs tar to unpack.)
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { UsageError } from '../cli/exit.ts';

function git(args: string[], cwd: string, input?: string): Buffer {
  return execFileSync('git', args, { cwd, input, maxBuffer: 1024 * 1024 * 1024, stdio: ['pipe', 'pipe', 'pipe'] });
}

function stderrOf(error: unknown): string {
  const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
  return stderr || (error instanceof Error ? error.message : String(error));
}

export function repositoryRoot(cwd: string): string {
  try {
    return git(['rev-parse', '--show-toplevel'], cwd).toString().trim();
  } catch (error) {
    throw new UsageError(`cannot read git refs here: ${stderrOf(error)}; pass bundle files instead (herald diff base.json head.json)`);
  }
}

/** The commit a ref names, or a usage error that says what CI checkouts usually lack. */
export function resolveCommit(ref: string, cwd: string): string {
  try {
    return git(['rev-parse', '--verify', '--quiet', '--end-of-options', `${ref}^{commit}`], cwd)
      .toString()
      .trim();
  } catch {
    throw new UsageError(`"${ref}" is not a commit in this repository; in CI, fetch it first (e.g. git fetch --depth=1 origin main:refs/remotes/origin/main)`);
  }
}

interface Entry {
  mode: string;
  oid: string;
  path: string;
}

function listTree(commit: string, folder: string, root: string): Entry[] {
  // Literal pathspecs: a folder name is a path, never a glob.
  const out = git(['--literal-pathspecs', 'ls-tree', '-r', '-z', '--full-tree', commit, '--', folder], root).toString();
  return (
    out
      .split('\0')
      .filter(Boolean)
      .map((line) => {
        const tab = line.indexOf('\t');
        const [mode = '', type = '', oid = ''] = line.slice(0, tab).split(' ');
        return { mode, type, oid, path: line.slice(tab + 1) };
      })
      // Regular files only: symlinks (120000) and submodules (commits) have no content to compile.
      .filter((e) => e.type === 'blob' && (e.mode === '100644' || e.mode === '100755'))
  );
}

/** Blob contents in the order asked, from one `git cat-file --batch` process. */
function readBlobs(oids: string[], root: string): Buffer[] {
  if (!oids.length) return [];
  const out = git(['cat-file', '--batch'], root, `${oids.join('\n')}\n`);
  const blobs: Buffer[] = [];
  let at = 0;
  for (const oid of oids) {
    const newline = out.indexOf(10, at);
    const header = out.subarray(at, newline).toString();
    const [got, type, size] = header.split(' ');
    if (got !== oid || type !== 'blob' || size === undefined) throw new Error(`git cat-file: unexpected "${header}" for ${oid}`);
    const start = newline + 1;
    blobs.push(out.subarray(start, start + Number(size)));
    at = start + Number(size) + 1;
  }
  return blobs;
}

/**
 * Writes `dir` (a path relative to `cwd`) as it is at `ref` under `into`, at the same path relative to the
 * repository root. Returns the folder written, or null when the folder does not exist at that ref.
 */
export function exportFolder(ref: string, dir: string, cwd: string, into: string): string | null {
  const root = repositoryRoot(cwd);
  const folder = relative(root, resolve(cwd, dir)).split(sep).join('/');
  if (folder.startsWith('..')) throw new UsageError(`"${dir}" is outside the git repository at ${root}`);
  const commit = resolveCommit(ref, cwd);
  const entries = listTree(commit, folder || '.', root);
  if (!entries.length) return null;
  const blobs = readBlobs(
    entries.map((e) => e.oid),
    root,
  );
  entries.forEach((entry, i) => {
    const target = join(into, ...entry.path.split('/'));
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, blobs[i]!);
  });
  return join(into, ...(folder ? folder.split('/') : []));
}
