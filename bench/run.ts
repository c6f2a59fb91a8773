// npm run bench: kubeline's overhead against the raw tool or bare node, side by side in one run.
import { coldStart } from './cold-start.js';

const runs = Number(process.env.BENCH_RUNS ?? 11);
console.log(
  `kubeline benchmarks (${runs} interleaved runs each; medians; machine load shifts absolute times, compare ratios)\n`,
);
console.log(coldStart(runs));
