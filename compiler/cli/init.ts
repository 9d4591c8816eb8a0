/**
 * `herald init [dir] [--json]`: adds Herald to an existing repository (scaffold: compiler/init/scaffold.ts).
 * Never overwrites a file: what exists is skipped and said. Scripts are added to package.json beside the
 * existing ones (one of the same name is kept); a folder without package.json gets a minimal one.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { DOCKERFILE, NOTIFICATIONS, PULL_REQUEST_WORKFLOW, SCRIPTS } from '../init/scaffold.ts';
import { EXIT, UsageError } from './exit.ts';

export async function initCommand(dir: string, flags: { json?: boolean }): Promise<number> {
  const root = resolve(dir);
  if (!existsSync(root)) throw new UsageError(`${dir}: no such folder (herald init adds Herald to an existing repository)`);
  const written: string[] = [];
  const skipped: { path: string; why: string }[] = [];
  for (const file of [...NOTIFICATIONS, PULL_REQUEST_WORKFLOW, DOCKERFILE]) {
    const target = join(root, file.path);
    if (existsSync(target)) {
      skipped.push({ path: file.path, why: 'exists (left as it is)' });
      continue;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.text, { flag: 'wx' });
    written.push(file.path);
  }
  const packagePath = join(root, 'package.json');
  const manifest = existsSync(packagePath)
    ? (JSON.parse(readFileSync(packagePath, 'utf8')) as Record<string, unknown>)
    : { name: 'notifications', private: true, type: 'module' };
  const scripts = { ...((manifest.scripts as Record<string, string> | undefined) ?? {}) };
  const added = Object.keys(SCRIPTS).filter((name) => !Object.hasOwn(scripts, name));
  for (const name of Object.keys(SCRIPTS))
    if (Object.hasOwn(scripts, name) && scripts[name] !== SCRIPTS[name]) skipped.push({ path: `package.json scripts.${name}`, why: 'exists (left as it is)' });
  for (const name of added) scripts[name] = SCRIPTS[name]!;
  if (added.length || !existsSync(packagePath)) {
    writeFileSync(packagePath, `${JSON.stringify({ ...manifest, scripts }, null, 2)}\n`);
    written.push(`package.json (${added.length ? `scripts ${added.join(', ')}` : 'created'})`);
  }
  if (flags.json) process.stdout.write(`${JSON.stringify({ written, skipped }, null, 2)}\n`);
  else {
    for (const path of written) process.stdout.write(`wrote    ${path}\n`);
    for (const s of skipped) process.stdout.write(`skipped  ${s.path}: ${s.why}\n`);
    process.stdout.write('next: npm run notifications:check && npm run notifications:test, then npm run notifications:dev\n');
  }
  return EXIT.ok;
}
