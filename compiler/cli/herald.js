#!/usr/bin/env node
// The `herald` command. Herald's own TypeScript runs through Node's type stripping (erasable syntax only, held
// by tsconfig's erasableSyntaxOnly), so a clone needs no build step and no loader; a team's notifications
// files are evaluated in a child process with a loader of their own (compiler/load/evaluate.ts).
import module from 'node:module';

// Node's on-disk code cache (in the OS temp folder): a restarted process skips recompiling its modules.
module.enableCompileCache?.();

const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
