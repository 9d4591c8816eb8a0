/**
 * `herald init [dir] [--infra] [--json]`: adds Herald to an existing repository (scaffold: compiler/init/scaffold.ts;
 * where things go and with which package manager: compiler/init/repository.ts). Never overwrites a file: what
 * exists is skipped and said. Scripts are added to package.json beside the existing ones (one of the same name
 * is kept); a folder without package.json gets a minimal one. In a workspace, `dir` is the package that holds
 * the notifications and the pull-request workflow goes to the workspace's root.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { findLayout, readManifest, type RepositoryLayout } from '../init/repository.ts';
import { dockerfile, INFRA_PACKAGES, infraProgram, NOTIFICATIONS, nextSteps, pullRequestWorkflow, SCRIPTS, type ScaffoldFile } from '../init/scaffold.ts';
import { EXIT, UsageError } from './exit.ts';

interface InitReport {
  written: string[];
  skipped: { path: string; why: string }[];
  /** Where the files went and which package manager's commands they use. */
  layout: { root: string; package: string; manager: RepositoryLayout['manager']; workspace: boolean };
  notes: string[];
}

/** Yarn's Plug'n'Play has no node_modules: Herald's child processes and the team's loader need one. */
function yarnWithoutNodeModules(layout: RepositoryLayout): boolean {
  if (layout.manager !== 'yarn') return false;
  const rc = join(layout.root, '.yarnrc.yml');
  return existsSync(rc) && !/^nodeLinker:\s*["']?node-modules/m.test(readFileSync(rc, 'utf8'));
}

export async function initCommand(dir: string, flags: { json?: boolean; infra?: boolean }): Promise<number> {
  const packageDir = resolve(dir);
  if (!existsSync(packageDir)) throw new UsageError(`${dir}: no such folder (herald init adds Herald to an existing repository)`);
  // Read (and refuse a broken package.json) before writing anything.
  const existing = readManifest(packageDir);
  const layout = findLayout(packageDir);
  const report: InitReport = {
    written: [],
    skipped: [],
    layout: { root: layout.root, package: layout.packagePath || '.', manager: layout.manager, workspace: layout.inWorkspace },
    notes: [],
  };

  const place = (base: string, file: ScaffoldFile, shownAs: string) => {
    const target = join(base, file.path);
    if (existsSync(target)) {
      report.skipped.push({ path: shownAs, why: 'exists (left as it is)' });
      return;
    }
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, file.text, { flag: 'wx' });
    report.written.push(shownAs);
  };
  const inPackage = (path: string) => (layout.packagePath ? `${layout.packagePath}/${path}` : path);
  for (const file of [...NOTIFICATIONS, dockerfile(layout), ...(flags.infra ? infraProgram(layout) : [])]) place(packageDir, file, file.path);
  const workflow = pullRequestWorkflow(layout);
  place(layout.root, workflow, layout.packagePath ? `${workflow.path} (at the repository root, ${layout.root})` : workflow.path);

  const manifest = existing ?? { name: 'notifications', private: true, type: 'module' };
  const scripts: Record<string, unknown> = { ...((manifest.scripts as Record<string, unknown> | undefined) ?? {}) };
  const added = Object.keys(SCRIPTS).filter((name) => !Object.hasOwn(scripts, name));
  for (const name of Object.keys(SCRIPTS))
    if (Object.hasOwn(scripts, name) && scripts[name] !== SCRIPTS[name])
      report.skipped.push({ path: `package.json scripts.${name}`, why: 'exists (left as it is)' });
  for (const name of added) scripts[name] = SCRIPTS[name]!;
  if (added.length || !existing) {
    writeFileSync(join(packageDir, 'package.json'), `${JSON.stringify({ ...manifest, scripts }, null, 2)}\n`);
    report.written.push(`${inPackage('package.json')} (${added.length ? `scripts ${added.join(', ')}` : 'created'})`);
  }

  if (yarnWithoutNodeModules(layout)) {
    report.notes.push("Herald runs from node_modules: add `nodeLinker: node-modules` to .yarnrc.yml (Yarn's Plug'n'Play is not supported), then yarn install");
  }
  if (flags.infra) report.notes.push(`the infra/ program needs Pulumi's packages beside Herald: add ${INFRA_PACKAGES.join(' ')} as dev dependencies`);
  report.notes.push(`next: ${nextSteps(layout)}`);

  if (flags.json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else {
    for (const path of report.written) process.stdout.write(`wrote    ${path}\n`);
    for (const s of report.skipped) process.stdout.write(`skipped  ${s.path}: ${s.why}\n`);
    for (const note of report.notes) process.stdout.write(`${note}\n`);
  }
  return EXIT.ok;
}
