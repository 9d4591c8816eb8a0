/**
 * `herald start` and `herald dev`: run the runtime in the foreground, say where to look, and stop cleanly
 * on SIGINT/SIGTERM (in-flight jobs drain first).
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { heraldBin } from '../compiler/installation.ts';
import { watch } from 'chokidar';
import type { Bundle } from '../compiler/bundle/schema.ts';
import { BundleError } from './bundles.ts';
import { ConfigError, type RuntimeConfig } from './config.ts';
import { createLogger } from './log.ts';
import { parentGone } from './parent-watch.ts';
import { startRuntime, type Runtime } from './server.ts';

/** JSON lines when piped (a log collector), one readable line per entry on a terminal. */
const logger = () => createLogger({ pretty: Boolean(process.stdout.isTTY) });

/** Where the keys came from, by name only: `HERALD_API_KEY`, or `HERALD_API_KEY + 2 of HERALD_API_KEYS`. */
function keySources(config: RuntimeConfig): string {
  const listed = config.apiKeys.filter((k) => k.name !== 'default').length;
  const single = config.apiKeys.some((k) => k.name === 'default');
  return [single ? 'HERALD_API_KEY' : null, listed ? `${listed} of HERALD_API_KEYS` : null].filter(Boolean).join(' + ');
}

/**
 * Curls that try the bundle's fullest event-triggered workflow (the most steps; the first of equals): a user,
 * its trigger event with the event's first example, and the user's messages.
 */
function tryIt(url: string, auth: string, shownKey: string, bundle: Bundle | null): string[] {
  const candidates = Object.values(bundle?.workflows ?? {}).filter((w) => w.trigger.type === 'event');
  const workflow = candidates.reduce<(typeof candidates)[number] | undefined>((best, w) => (!best || w.steps.length > best.steps.length ? w : best), undefined);
  if (workflow?.trigger.type !== 'event') return [];
  const event = workflow.trigger.event;
  const example = bundle?.events[event]?.examples[0] ?? {};
  const body = JSON.stringify({ event, userId: 'ada', properties: example }).replaceAll("'", "'\\''");
  return [
    `Try the ${workflow.id} flow:`,
    `  curl -X PUT ${url}/v1/users/ada ${auth} -d '{"email":"ada@example.com","phone_number":"+15555550100"}'`,
    `  curl -X POST ${url}/v1/events ${auth} -d '${body}'`,
    `  curl ${url}/v1/users/ada/messages -H "Authorization: Bearer ${shownKey}"`,
  ];
}

function banner(runtime: Runtime, bundle: Bundle | null) {
  const { url, apiKey, config } = runtime;
  // A key set by the operator is a secret: never print it; the development default is meant to be seen.
  const shownKey = config.apiKeyIsDefault ? apiKey : '$HERALD_API_KEY';
  const auth = `-H "Authorization: Bearer ${shownKey}" -H 'content-type: application/json'`;
  const lines = [
    '',
    'Herald is running',
    `  API        ${url}  (health: ${url}/readyz, metrics: ${config.metricsPort !== null ? `port ${config.metricsPort}` : `${url}/metrics with a read key`})`,
    `  API key    ${config.apiKeyIsDefault ? `${apiKey}  (a development key: set HERALD_API_KEY in production)` : `from ${keySources(config)} (not shown)`}`,
    `  Database   ${runtime.embedded ? `embedded PostgreSQL, data in ${config.dataDir}/ (set DATABASE_URL to use your own)` : config.databaseDirectUrl ? 'DATABASE_URL, a transaction pooler (sessions on DATABASE_DIRECT_URL)' : 'DATABASE_URL'}`,
    ...(bundle ? [`  Bundle     ${bundle.version.slice(0, 19)}… — workflows: ${Object.keys(bundle.workflows).join(', ')}`] : []),
    '  Providers',
    ...runtime.providerLines.map((l) => `    ${l}`),
    '',
    ...tryIt(url, auth, shownKey, bundle),
    'Sandbox deliveries are printed below as they happen.',
    '',
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/**
 * Resolves with the first SIGINT/SIGTERM. Listening starts before the runtime does, so a signal that arrives
 * while it is still starting is not lost to Node's default (exit at once, no drain): the runtime finishes
 * starting, then drains.
 */
function nextSignal(): Promise<string> {
  return new Promise((resolve) => {
    const onSignal = (signal: string) => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      resolve(signal);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
}

async function drainOn(signal: Promise<string>, stop: () => Promise<void>): Promise<number> {
  process.stdout.write(`\n${await signal}: draining in-flight jobs…\n`);
  try {
    await stop();
    return 0;
  } catch (error) {
    process.stderr.write(`herald: stopping failed: ${String(error)}\n`);
    return 1;
  }
}

export async function runStart(options: { bundlePath: string }): Promise<number> {
  const signal = nextSignal();
  let runtime: Runtime;
  try {
    runtime = await startRuntime({ bundlePath: options.bundlePath, log: logger() });
  } catch (error) {
    process.stderr.write(`herald: ${error instanceof Error ? error.message : String(error)}\n`);
    return error instanceof BundleError || error instanceof ConfigError ? 2 : 1;
  }
  banner(runtime, runtime.deps.bundles.live);
  return drainOn(signal, () => runtime.stop());
}

/** Builds in a child process, so every build sees the files as they are now. */
function build(dir: string, out: string): Promise<boolean> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [heraldBin, 'build', dir, '--out', out], { stdio: 'inherit' });
    child.on('exit', (code) => resolve(code === 0));
  });
}

export async function runDev(options: { dir: string; out: string }): Promise<number> {
  // Under `npm start` a SIGTERM to npm never reaches us (see parent-watch.ts): an orphaned dev runtime stops too.
  const signal = Promise.race([nextSignal(), parentGone().gone]);
  process.stdout.write(`herald dev: building ${options.dir}/…\n`);
  const ok = await build(options.dir, options.out);
  if (!ok && !existsSync(options.out)) {
    process.stderr.write('herald dev: fix the problems above; the runtime starts once the notifications build.\n');
  }
  let runtime: Runtime | null = null;
  const start = async () => {
    runtime = await startRuntime({ bundlePath: options.out, log: logger(), development: true });
    banner(runtime, runtime.deps.bundles.live);
  };
  try {
    if (ok || existsSync(options.out)) await start();
  } catch (error) {
    // As in `herald start`: what went wrong and how to fix it, not a stack trace.
    process.stderr.write(`herald dev: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }

  let timer: NodeJS.Timeout | null = null;
  let building = false;
  const watcher = watch(options.dir, { ignoreInitial: true });
  watcher.on('all', () => {
    if (timer) clearTimeout(timer);
    timer = setTimeout(async () => {
      if (building) return;
      building = true;
      process.stdout.write('herald dev: change detected, rebuilding…\n');
      try {
        if (await build(options.dir, options.out)) {
          if (runtime) {
            const bundle = await runtime.loadBundle(options.out);
            process.stdout.write(`herald dev: reloaded ${bundle.version.slice(0, 19)}… (runs in flight keep their version)\n`);
          } else await start();
        }
      } catch (error) {
        process.stderr.write(`herald dev: ${error instanceof Error ? error.message : String(error)}\n`);
      } finally {
        building = false;
      }
    }, 250);
  });
  return drainOn(signal, async () => {
    await watcher.close();
    if (runtime) await (runtime as Runtime).stop();
  });
}
