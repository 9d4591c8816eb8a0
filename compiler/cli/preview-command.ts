/** `herald preview` (to be built). */
export async function previewCommand(_dir: string, _flags: { out: string; png?: boolean }): Promise<number> {
  process.stderr.write('herald preview: not built yet\n');
  return 2;
}
/** `herald replay` (to be built). */
export async function replayCommand(_flags: { events: string; bundle: string; base?: string; json?: boolean }): Promise<number> {
  process.stderr.write('herald replay: not built yet\n');
  return 2;
}
