/** `herald test [dir]` (to be built). */
export async function testCommand(_dir: string, _flags: { json?: boolean }): Promise<number> {
  process.stderr.write('herald test: not built yet\n');
  return 2;
}
