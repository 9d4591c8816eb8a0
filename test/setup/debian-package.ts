/**
 * Debian packages that tests drive (chromium, pgbouncer). CI starts from a fresh Debian machine with nothing
 * installed by hand, so a package that is missing is installed from the apt registry when we are root (CI);
 * otherwise the error says how to install it.
 */
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { promisify } from 'node:util';

export interface DebianPackage {
  /** The package's name in apt. */
  name: string;
  /** A file the package installs: there means installed. */
  path: string;
  /** What the tests use it for, said when it is missing and cannot be installed here. */
  purpose: string;
}

const run = promisify(execFile);
// One install per package per worker; test files in other workers wait on apt's lock (DPkg::Lock::Timeout) rather than fail.
const installing = new Map<string, Promise<string>>();

/** The package's `path`, once the package is installed (installing it first when missing). */
export function ensureDebianPackage(pkg: DebianPackage): Promise<string> {
  if (existsSync(pkg.path)) return Promise.resolve(pkg.path);
  let pending = installing.get(pkg.name);
  if (!pending) {
    pending = install(pkg).finally(() => installing.delete(pkg.name));
    installing.set(pkg.name, pending);
  }
  return pending;
}

async function install(pkg: DebianPackage): Promise<string> {
  if (process.platform !== 'linux' || typeof process.getuid !== 'function' || process.getuid() !== 0) {
    throw new Error(
      `${pkg.name} is not installed (no ${pkg.path}). Install Debian's package first: ` +
        `\`sudo apt-get update && sudo apt-get install -y ${pkg.name}\` (${pkg.purpose}).`,
    );
  }
  // Non-interactive: a package that asks a question would hang the test run.
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const options = { env, maxBuffer: 64 * 1024 * 1024, timeout: 15 * 60_000 };
  try {
    const lock = ['-o', 'DPkg::Lock::Timeout=600'];
    await run('apt-get', [...lock, 'update'], options);
    await run('apt-get', [...lock, 'install', '-y', pkg.name], options);
  } catch (error) {
    const detail = error instanceof Error ? (error as Error & { stderr?: string }).stderr || error.message : String(error);
    throw new Error(`installing ${pkg.name} with apt-get failed: ${detail.trim().split('\n').slice(-5).join('\n')}`);
  }
  if (!existsSync(pkg.path)) throw new Error(`apt-get installed ${pkg.name}, but ${pkg.path} is not there`);
  return pkg.path;
}
