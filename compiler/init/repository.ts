/**
 * Where `herald init` is adding Herald: the package that gets `notifications/` and the scripts, the repository
 * root that gets `.github/` (a workspace's root, else the git root), and the package manager the team uses
 * (npm, pnpm or yarn), so the workflow and the Dockerfile run the team's own commands.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { UsageError } from '../cli/exit.ts';

export type PackageManager = 'npm' | 'pnpm' | 'yarn';

export interface RepositoryLayout {
  /** The folder init was pointed at: its package.json gets the scripts. */
  packageDir: string;
  /** Where `.github/` goes: the workspace root, else the git root, else packageDir. */
  root: string;
  /** packageDir relative to root, with forward slashes; '' when they are the same folder. */
  packagePath: string;
  /** The package's name in its package.json (a workspace filter needs it); null when it has none yet. */
  packageName: string | null;
  /** True when packageDir is one package of an npm, pnpm or yarn workspace. */
  inWorkspace: boolean;
  manager: PackageManager;
}

type Manifest = Record<string, unknown>;

/** package.json as an object, null when absent; a file that is not a JSON object is a usage error. */
export function readManifest(dir: string): Manifest | null {
  const path = join(dir, 'package.json');
  if (!existsSync(path)) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UsageError(`${path} is not valid JSON (${error instanceof Error ? error.message : String(error)}): fix it, then run herald init again`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new UsageError(`${path} is not a JSON object: fix it, then run herald init again`);
  }
  return parsed as Manifest;
}

function declaresWorkspace(dir: string): boolean {
  if (existsSync(join(dir, 'pnpm-workspace.yaml'))) return true;
  try {
    const manifest = readManifest(dir);
    return manifest !== null && Object.hasOwn(manifest, 'workspaces');
  } catch {
    // A broken package.json above the package is not ours to judge: it is simply not a workspace root here.
    return false;
  }
}

/** The team's package manager: `packageManager` in package.json, else the lockfile at the root, else npm. */
function managerAt(root: string): PackageManager {
  const declared = readManifest(root)?.packageManager;
  if (typeof declared === 'string') {
    const name = declared.split('@')[0];
    if (name === 'pnpm' || name === 'yarn' || name === 'npm') return name;
  }
  if (existsSync(join(root, 'pnpm-lock.yaml')) || existsSync(join(root, 'pnpm-workspace.yaml'))) return 'pnpm';
  if (existsSync(join(root, 'yarn.lock')) || existsSync(join(root, '.yarnrc.yml'))) return 'yarn';
  return 'npm';
}

export function findLayout(packageDir: string): RepositoryLayout {
  let workspaceRoot: string | null = null;
  let gitRoot: string | null = null;
  for (let dir = packageDir; ; dir = dirname(dir)) {
    if (dir !== packageDir && !workspaceRoot && declaresWorkspace(dir)) workspaceRoot = dir;
    if (existsSync(join(dir, '.git'))) {
      gitRoot = dir;
      break;
    }
    if (dirname(dir) === dir) break;
  }
  // A workspace root above the package wins; the package itself may be the root of a workspace too.
  const root = workspaceRoot ?? gitRoot ?? packageDir;
  const name = readManifest(packageDir)?.name;
  return {
    packageDir,
    root,
    packagePath: relative(root, packageDir).split('\\').join('/'),
    packageName: typeof name === 'string' ? name : null,
    inWorkspace: workspaceRoot !== null,
    manager: managerAt(root),
  };
}
