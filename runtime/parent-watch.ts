/**
 * `npm start` runs `herald dev` under npm and a shell: `npm → sh -c "node … dev" → node`. A SIGTERM to npm
 * reaches the shell, which dies without passing it on, and the runtime is left running, adopted by init
 * (or a subreaper), still holding its port and database. Signals cannot follow that chain, but the
 * orphaning itself is visible: the parent process id changes. The development runtime treats that as a
 * SIGTERM and drains. (`herald start` does not: a production process may be started detached on purpose.)
 */

/** How often the parent is looked at: short enough to feel immediate, cheap enough to be free. */
const CHECK_EVERY_MS = 500;

/** Resolves with a reason once this process's parent is no longer the one it started under. */
export function parentGone(): { gone: Promise<string>; stop(): void } {
  const parent = process.ppid;
  let timer: NodeJS.Timeout | undefined;
  const gone = new Promise<string>((resolve) => {
    timer = setInterval(() => {
      // process.ppid asks the OS each time it is read.
      if (process.ppid === parent) return;
      clearInterval(timer);
      resolve(`parent process ${parent} exited`);
    }, CHECK_EVERY_MS);
    // Never the reason the process stays alive.
    timer.unref();
  });
  return { gone, stop: () => clearInterval(timer) };
}
