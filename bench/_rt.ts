import { benchRuntime } from '/work/main/bench/runtime.ts';
console.log(JSON.stringify(await benchRuntime({ quick: process.argv.includes('--quick') }), null, 1));
process.exit(0);
