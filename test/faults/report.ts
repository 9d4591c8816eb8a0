/**
 * Each fault case reports its figure: printed (so a CI log shows it) and written to
 * test/artifacts/faults/<case>.json, from which docs/reliability.md's table is filled in.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const dir = fileURLToPath(new URL('../artifacts/faults/', import.meta.url));

export function reportFigure(name: string, figure: Record<string, unknown>): void {
  mkdirSync(dir, { recursive: true });
  const record = { case: name, at: new Date().toISOString(), ...figure };
  writeFileSync(`${dir}${name}.json`, `${JSON.stringify(record, null, 2)}\n`);
  process.stdout.write(`fault figure ${name}: ${JSON.stringify(figure)}\n`);
}
