/**
 * The `herald` CLI: verbs, flags and exit codes (0 ok, 1 a problem in the user's files, 2 bad usage).
 * commander parses; each verb lives in its own module.
 */
import { Command, CommanderError } from 'commander';
import { UsageError } from '../build.ts';
import { buildCommand, checkCommand, EXIT } from './build-commands.ts';

function program(setExit: (code: number) => void): Command {
  const cli = new Command('herald')
    .description('Notifications as code: check, build and run notification workflows.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  cli
    .command('check')
    .description('type-check and validate the notifications folder; report every problem')
    .argument('[dir]', 'folder of notifications', 'notifications')
    .option('--json', 'print machine-readable diagnostics')
    .action(async (dir: string, flags: { json?: boolean }) => setExit(await checkCommand(dir, flags)));

  cli
    .command('build')
    .description('check, then write the versioned bundle the runtime executes')
    .argument('[dir]', 'folder of notifications', 'notifications')
    .option('--out <file>', 'where to write the bundle', 'dist/bundle.json')
    .option('--json', 'print machine-readable diagnostics')
    .action(async (dir: string, flags: { out: string; json?: boolean }) => setExit(await buildCommand(dir, flags)));

  cli
    .command('start')
    .description('run a compiled bundle on PostgreSQL (embedded when DATABASE_URL is unset)')
    .option('--bundle <file>', 'the bundle to run (default: $HERALD_BUNDLE or dist/bundle.json)')
    .action(async (flags: { bundle?: string }) => {
      // Loaded on demand: checking and building never pay for the runtime's dependencies.
      const { runStart } = await import('../../runtime/cli.ts');
      setExit(await runStart({ bundlePath: flags.bundle ?? process.env.HERALD_BUNDLE ?? 'dist/bundle.json' }));
    });

  cli
    .command('dev')
    .description('build notifications/, start the runtime, and rebuild and reload on every change')
    .argument('[dir]', 'folder of notifications', 'notifications')
    .option('--out <file>', 'where to write the bundle', 'dist/bundle.json')
    .action(async (dir: string, flags: { out: string }) => {
      const { runDev } = await import('../../runtime/cli.ts');
      setExit(await runDev({ dir, out: flags.out }));
    });

  return cli;
}

export async function main(argv: string[]): Promise<number> {
  let code: number = EXIT.ok;
  try {
    await program((c) => (code = c)).parseAsync(argv, { from: 'user' });
    return code;
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version are not errors.
      return error.code === 'commander.helpDisplayed' || error.code === 'commander.version' ? EXIT.ok : EXIT.usage;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`herald: ${error.message}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`herald: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.problems;
  }
}
