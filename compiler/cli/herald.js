#!/usr/bin/env node
// The `herald` command (package.json's bin). In this repository it runs Herald's own TypeScript through Node's
// type stripping (erasable syntax only, held by tsconfig's erasableSyntaxOnly), so a clone needs no build step
// and no loader. Installed from the package it runs the compiled JavaScript under dist/herald/ (Node does not
// strip types inside node_modules; `npm pack` builds it, see release/README.md). A team's notifications files
// are evaluated in a child process with a loader of their own (compiler/load/evaluate.ts).
import { existsSync } from 'node:fs';
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

const source = new URL('./main.ts', import.meta.url);
const entry = existsSync(source) ? source : new URL('../../dist/herald/compiler/cli/main.js', import.meta.url);
const { main } = await import(entry.href);
process.exitCode = await main(process.argv.slice(2));
