/**
 * `npm run bench [-- --quick]`: every benchmark, JSON on stdout and in bench/results.json.
 * Figures are reported next to a baseline measured in the same run where one applies.
 */
import { writeFileSync } from 'node:fs';
import { benchCompile } from './compile.ts';
import { benchDiff } from './diff.ts';
import { benchProviders } from './providers.ts';
import { benchSegment } from './segment.ts';
import { benchSimulate } from './simulate.ts';
import { benchRuntime } from './runtime.ts';

const quick = process.argv.includes('--quick');
const results: Record<string, unknown> = { when: new Date().toISOString(), quick, node: process.version };
process.stderr.write('bench: compiler…\n');
results.compiler = await benchCompile({ quick });
process.stderr.write('bench: diff…\n');
results.diff = await benchDiff({ quick });
process.stderr.write('bench: provider SDKs…\n');
results.providers = await benchProviders({ quick });
process.stderr.write('bench: runtime…\n');
results.runtime = await benchRuntime({ quick });
process.stderr.write('bench: simulator…\n');
results.simulator = await benchSimulate({ quick });
process.stderr.write('bench: segment…\n');
results.segment = await benchSegment({ quick });
const json = JSON.stringify(results, null, 2);
writeFileSync(new URL('./results.json', import.meta.url), `${json}\n`);
process.stdout.write(`${json}\n`);
