/**
 * `herald/infra`: Herald on AWS as one Pulumi component, for a team's own Pulumi program (the one `herald init
 * --infra` writes, or this repository's `index.ts`). Pulumi's packages are the program's own (optional peer
 * dependencies of the package): the runtime image never holds them.
 */
export { Herald } from './herald.ts';
export { PACKAGE_LAYOUT, readSettings, REPOSITORY_LAYOUT, type ConfigSource, type HeraldSettings, type ImageLayout } from './settings.ts';
