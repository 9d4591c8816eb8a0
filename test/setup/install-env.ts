/**
 * The environment of a process that stands for a fresh install (the runtime image, a team's repository): the
 * machine's own (its CA certificates and proxies reach the registry) without what npm and vitest set for this
 * run (npm_config_*, INIT_CWD, NODE_OPTIONS, VITEST*) or any database and Herald setting, with the Node 24
 * binary this repository pins first on PATH, as the image's base or a team's Node would be.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const PINNED_NODE_BIN = fileURLToPath(new URL('../../node_modules/node/bin', import.meta.url));

export function installEnv(vars: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(npm_|VITEST|NODE_OPTIONS$|DATABASE_URL$|HERALD_|INIT_CWD$)/i.test(name))),
    PATH: `${existsSync(PINNED_NODE_BIN) ? `${PINNED_NODE_BIN}:` : ''}${process.env.PATH ?? ''}`,
    ...vars,
  };
}
