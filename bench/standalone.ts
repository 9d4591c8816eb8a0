/** Runs one benchmark section on its own (`npx tsx bench/<section>.ts [--quick]`): its Postgres and fakes, JSON out. */
import type { Destinations } from './fakes.ts';

export type Section = (admin: string, destinations: Destinations, options: { quick: boolean }) => Promise<unknown>;

export async function runStandalone(section: Section): Promise<void> {
  const { benchPostgres, stopBenchPostgres } = await import('./setup.ts');
  const { startDestinations } = await import('./fakes.ts');
  const postgres = await benchPostgres();
  const destinations = await startDestinations();
  try {
    process.stdout.write(`${JSON.stringify(await section(postgres.admin, destinations, { quick: process.argv.includes('--quick') }), null, 2)}\n`);
  } finally {
    await destinations.close();
    await stopBenchPostgres();
  }
}
