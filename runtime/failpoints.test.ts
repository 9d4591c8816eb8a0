/** HERALD_FAILPOINTS: inert unless set, and a wrong value stops the process with a clear message. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect, it } from 'vitest';

const run = promisify(execFile);
const module = fileURLToPath(new URL('./failpoints.ts', import.meta.url));

/** Imports the module in a fresh process (it reads the variable once, at import) and calls `script`. */
function withFailpoints(value: string, script: string) {
  const code = `const { failpoint } = await import(${JSON.stringify(module)}); ${script}`;
  return run(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { env: { ...process.env, HERALD_FAILPOINTS: value } });
}

it('does nothing when unset', async () => {
  const { stdout } = await withFailpoints('', "failpoint('send.after-provider'); console.log('alive');");
  expect(stdout.trim()).toBe('alive');
});

it('kills the process with SIGKILL at the Nth pass of an armed point', async () => {
  const error = await withFailpoints(
    'send.after-provider=@2',
    "failpoint('send.after-provider'); console.log('first'); failpoint('send.after-provider'); console.log('second');",
  ).catch((e: unknown) => e);
  expect(error).toMatchObject({ signal: 'SIGKILL', stdout: 'first\n' });
});

it('refuses an unknown point, naming the known ones', async () => {
  const error = await withFailpoints('send.sometime', '').catch((e: unknown) => e as { stderr: string });
  expect((error as { stderr: string }).stderr).toMatch(
    /unknown failpoint "send.sometime" \(known: send.before-provider, send.after-provider, job.after-commit, fanout.before-commit, fanout.after-commit\)/,
  );
});
