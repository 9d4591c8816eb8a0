/** `herald diff BASE HEAD` (to be built). */
export async function diffCommand(_base: string | undefined, _head: string | undefined, _flags: { base?: string; json?: boolean; failOnBreaking?: boolean }): Promise<number> {
  process.stderr.write('herald diff: not built yet\n');
  return 2;
}
/** `herald graph WORKFLOW` (to be built). */
export async function graphCommand(_workflow: string, _flags: { format: string; dir: string; bundle?: string; out?: string }): Promise<number> {
  process.stderr.write('herald graph: not built yet\n');
  return 2;
}
