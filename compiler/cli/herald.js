#!/usr/bin/env node
// The `herald` command. TypeScript runs through tsx's loader, so a clone needs no build step.
import module from 'node:module';
import { register } from 'tsx/esm/api';

// Node's on-disk code cache (in the OS temp folder): a restarted process skips recompiling its modules.
module.enableCompileCache?.();

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
