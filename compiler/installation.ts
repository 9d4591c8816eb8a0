/**
 * Which form of Herald is running, and where it is installed. In this repository Herald runs its own
 * TypeScript (Node's type stripping); installed from the package it runs the compiled JavaScript under
 * `dist/herald/` (Node does not strip types inside node_modules). The few places that name a file of Herald
 * at run time (a child process's entry, the `herald` bin, the package root) ask here.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** True in this repository (this file is `compiler/installation.ts`), false in the package (`dist/herald/compiler/installation.js`). */
export const runsFromSource = import.meta.url.endsWith('.ts');

/** The folder holding Herald's package.json. */
export const heraldRoot = fileURLToPath(new URL(runsFromSource ? '..' : '../../..', import.meta.url));

/** The `herald` command (package.json's bin): a launcher that runs the source or the compiled CLI. */
export const heraldBin = join(heraldRoot, 'compiler', 'cli', 'herald.js');

/**
 * The export condition under which `herald`, `herald/testing`, … resolve to this repository's TypeScript
 * rather than the package's compiled files (package.json's exports). Set for the processes and type checks
 * that evaluate notifications here; never needed, and never set, where the package is installed.
 */
export const SOURCE_CONDITION = 'herald-source';

/** The conditions to resolve `herald` with, as a Node flag (empty in the package). */
const sourceConditionFlags: string[] = runsFromSource ? [`--conditions=${SOURCE_CONDITION}`] : [];

/** A module of Herald beside `base` (an import.meta.url), in the running form: `./child.ts` here, `./child.js` in the package. */
export function heraldModule(name: string, base: string): string {
  return fileURLToPath(new URL(`./${name}.${runsFromSource ? 'ts' : 'js'}`, base));
}

/**
 * How a child process that imports a team's TypeScript (notifications, scenarios) starts: tsx's loader (an
 * optional dependency of the package: the runtime image leaves it out), and `herald` resolved to this form.
 */
export function userCodeExecArgv(): string[] {
  return ['--import', import.meta.resolve('tsx'), ...sourceConditionFlags];
}
