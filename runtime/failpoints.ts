/**
 * Failpoints: named places where the fault suite (test/faults) kills the process the way `kill -9` does,
 * to prove what a crash at that exact moment costs. Inert unless HERALD_FAILPOINTS names them; never set it
 * in production.
 *
 *   HERALD_FAILPOINTS="send.after-provider=0.05"   SIGKILL at 5 % of the passes through that point
 *   HERALD_FAILPOINTS="job.after-commit=@3"         SIGKILL at the third pass
 *
 * Points: `send.before-provider` (a message rendered, no provider called yet), `send.after-provider` (the
 * provider accepted it; nothing recorded yet), `job.after-commit` (the job's turn committed; pg-boss not yet
 * told it is done), `fanout.before-commit` (a fan-out page's runs inserted and its cursor moved, not committed),
 * `fanout.after-commit` (the page committed; pg-boss not yet told).
 */
export const FAILPOINTS = ['send.before-provider', 'send.after-provider', 'job.after-commit', 'fanout.before-commit', 'fanout.after-commit'] as const;
export type FailpointName = (typeof FAILPOINTS)[number];

type Trigger = { probability: number } | { nth: number };

function parse(spec: string | undefined): Map<string, Trigger> {
  const points = new Map<string, Trigger>();
  for (const part of (spec ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)) {
    const [name, arg = '1'] = part.split('=');
    if (!(FAILPOINTS as readonly string[]).includes(name!)) {
      throw new Error(`HERALD_FAILPOINTS: unknown failpoint "${name}" (known: ${FAILPOINTS.join(', ')})`);
    }
    const trigger = arg.startsWith('@') ? { nth: Number(arg.slice(1)) } : { probability: Number(arg) };
    if (Object.values(trigger).some((n) => !Number.isFinite(n) || n < 0)) throw new Error(`HERALD_FAILPOINTS: "${part}" wants name=probability or name=@N`);
    points.set(name!, trigger);
  }
  return points;
}

const armed = parse(process.env.HERALD_FAILPOINTS);
const passes = new Map<string, number>();

/** Kills this process with SIGKILL when the failpoint is armed and its trigger fires. */
export function failpoint(name: FailpointName): void {
  if (armed.size === 0) return;
  const trigger = armed.get(name);
  if (!trigger) return;
  const pass = (passes.get(name) ?? 0) + 1;
  passes.set(name, pass);
  const fire = 'nth' in trigger ? pass === trigger.nth : Math.random() < trigger.probability;
  if (fire) process.kill(process.pid, 'SIGKILL');
}
