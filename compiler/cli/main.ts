/**
 * The `herald` CLI: verbs, flags and exit codes (0 ok, 1 a problem in the user's files, 2 bad usage).
 * commander parses; each verb lives in its own module of this folder, named after it (check.ts, build.ts,
 * test.ts, diff.ts, graph.ts, preview.ts, replay.ts, migrate.ts, doctor.ts, init.ts), except `start` and `dev`, which belong to the runtime
 * (runtime/cli.ts). Shared: exit.ts (exit codes, UsageError) and output.ts (diagnostics).
 */
import { Command, CommanderError } from 'commander';
// Verbs load their modules on demand: `herald start` (restarted often) never loads the compiler.
import { EXIT, UsageError } from './exit.ts';

function program(setExit: (code: number) => void): Command {
  const cli = new Command('herald')
    .description('Notifications as code: check, build and run notification workflows.')
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });

  cli
    .command('init')
    .description('add Herald to an existing repository: notifications/, package.json scripts, the pull-request workflow, a Dockerfile')
    .argument('[dir]', 'the repository', '.')
    .option('--infra', 'also write infra/: a Pulumi program that deploys them with herald/infra')
    .option('--json', 'list what was written and skipped')
    .action(async (dir: string, flags: { json?: boolean; infra?: boolean }) => {
      const { initCommand } = await import('./init.ts');
      setExit(await initCommand(dir, flags));
    });

  cli
    .command('check')
    .description('type-check and validate the notifications folder; report every problem')
    .argument('[dir]', 'folder of notifications', 'notifications')
    .option('--json', 'print machine-readable diagnostics')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const { checkCommand } = await import('./check.ts');
      setExit(await checkCommand(dir, flags));
    });

  cli
    .command('build')
    .description('check, then write the versioned bundle the runtime executes')
    .argument('[dir]', 'folder of notifications', 'notifications')
    .option('--out <file>', 'where to write the bundle', 'dist/bundle.json')
    .option('--json', 'print machine-readable diagnostics')
    .action(async (dir: string, flags: { out: string; json?: boolean }) => {
      const { buildCommand } = await import('./build.ts');
      setExit(await buildCommand(dir, flags));
    });

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
    .command('migrate')
    .description('apply the database migrations this release brings (DATABASE_URL); --dry-run says what it would do')
    .option('--dry-run', 'print the pending migrations and their SQL; change nothing')
    .option('--json', 'print machine-readable results')
    .action(async (flags: { dryRun?: boolean; json?: boolean }) => {
      const { migrateCommand } = await import('./migrate.ts');
      setExit(await migrateCommand(flags));
    });

  cli
    .command('doctor')
    .description("check a deployment's configuration against reality: database, migrations, secrets, providers, webhooks, public URL")
    .option('--bundle <file>', 'the bundle to check (default: $HERALD_BUNDLE or dist/bundle.json)')
    .option('--json', 'print machine-readable results')
    .action(async (flags: { bundle?: string; json?: boolean }) => {
      const { doctorCommand } = await import('./doctor.ts');
      setExit(await doctorCommand(flags));
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

  cli
    .command('test')
    .description('run the scenario tests (*.scenario.ts) in virtual time: no database, no network')
    .argument('[dir]', 'folder of notifications', 'notifications')
    .option('--json', 'print machine-readable results')
    .action(async (dir: string, flags: { json?: boolean }) => {
      const { testCommand } = await import('./test.ts');
      setExit(await testCommand(dir, flags));
    });

  cli
    .command('diff')
    .description('what a change to notifications/ changes for users: Markdown for a pull request')
    .argument('[base]', 'the bundle (or git ref) before')
    .argument('[head]', 'the bundle (or git ref) after (default: the working tree)')
    .option('--base <ref>', 'a git ref to compile as the base (e.g. origin/main)')
    .option('--json', 'print machine-readable changes')
    .option('--fail-on-breaking', 'exit 1 when a change is breaking')
    .option('--reach', "add each added or changed audience's size, counted on DATABASE_READ_URL")
    .action(async (base: string | undefined, head: string | undefined, flags: { base?: string; json?: boolean; failOnBreaking?: boolean; reach?: boolean }) => {
      const { diffCommand } = await import('./diff.ts');
      setExit(await diffCommand(base, head, flags));
    });

  cli
    .command('audiences')
    .description('who is in an audience: `herald audiences preview ID`')
    .command('preview')
    .description("an audience's size and a sample of its members (emails masked), from DATABASE_READ_URL or DATABASE_URL")
    .argument('<id>', 'the audience id')
    .option('--dir <dir>', 'folder of notifications', 'notifications')
    .option('--bundle <file>', 'read a compiled bundle instead of compiling the folder')
    .option('--sample <n>', 'how many members to show', '10')
    .option('--json', 'print machine-readable results')
    .action(async (id: string, flags: { dir: string; bundle?: string; sample: string; json?: boolean }) => {
      const { audiencesPreviewCommand } = await import('./audiences.ts');
      setExit(await audiencesPreviewCommand(id, flags));
    });

  cli
    .command('graph')
    .description('a workflow, or a broadcast, as a diagram')
    .argument('<workflow>', 'the workflow id, or a broadcast id')
    .option('--format <format>', 'mermaid or svg', 'mermaid')
    .option('--dir <dir>', 'folder of notifications', 'notifications')
    .option('--bundle <file>', 'read a compiled bundle instead of compiling the folder')
    .option('--out <file>', 'write to a file instead of stdout')
    .action(async (workflow: string, flags: { format: string; dir: string; bundle?: string; out?: string }) => {
      const { graphCommand } = await import('./graph.ts');
      setExit(await graphCommand(workflow, flags));
    });

  cli
    .command('preview')
    .description('render every template on every channel and locale with its event examples, as HTML')
    .argument('[dir]', 'folder of notifications', 'notifications')
    .option('--out <dir>', 'where to write the preview', 'dist/preview')
    .option('--png', 'also take screenshots with headless Chromium')
    .action(async (dir: string, flags: { out: string; png?: boolean }) => {
      const { previewCommand } = await import('./preview.ts');
      setExit(await previewCommand(dir, flags));
    });

  cli
    .command('replay')
    .description('run recorded events through the new (and old) bundle and report what would change')
    .requiredOption('--events <file>', 'NDJSON export from a runtime (GET /v1/events/export)')
    .requiredOption('--bundle <file>', 'the new bundle')
    .option('--base <file>', 'the bundle to compare with')
    .option('--json', 'print machine-readable results')
    .action(async (flags: { events: string; bundle: string; base?: string; json?: boolean }) => {
      const { replayCommand } = await import('./replay.ts');
      setExit(await replayCommand(flags));
    });

  return cli;
}

/**
 * The compiler's tools for a team's TypeScript (ts-morph, tsx) are optional dependencies: the runtime image
 * leaves them out. A verb that needs one says so, not a stack. (The embedded database, optional too, says so
 * itself: runtime/db/embedded.ts.)
 */
function missingOptionalTool(error: unknown): string | null {
  if (!(error instanceof Error) || (error as { code?: unknown }).code !== 'ERR_MODULE_NOT_FOUND') return null;
  const tool = ['ts-morph', 'tsx'].find((name) => error.message.includes(`'${name}'`));
  if (!tool) return null;
  return `${tool} is not installed here: this install left out Herald's optional dependencies (the runtime image does, on purpose). Install them (npm install --include=optional) to run this command`;
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
    const missing = missingOptionalTool(error);
    if (missing) {
      process.stderr.write(`herald: ${missing}\n`);
      return EXIT.usage;
    }
    process.stderr.write(`herald: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    return EXIT.problems;
  }
}
