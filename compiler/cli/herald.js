#!/usr/bin/env node
// The `herald` command. Herald's own TypeScript runs through Node's type stripping (erasable syntax only, held
// by tsconfig's erasableSyntaxOnly), so a clone needs no build step and no loader; a team's notifications
// files are evaluated in a child process with a loader of their own (compiler/load/evaluate.ts).
import module from 'node:module';

// Type stripping is Node 24's (the pinned `node` devDependency, which npm scripts and npx use): say so plainly
// rather than fail on the first `.ts` file.
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  process.stderr.write(
    `herald: needs Node 24 or newer (this is Node ${process.versions.node}); run it through npx herald or an npm script, which use the project's pinned Node\n`,
  );
  process.exit(2);
}

// Node's on-disk code cache (in the OS temp folder): a restarted process skips recompiling its modules.
module.enableCompileCache?.();

const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
