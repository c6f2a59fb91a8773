// npm run bench: kubeline's overhead against the raw tool or bare node, side by side in one run.
// Sections that need the local stack start it first (npm run stack:up), as the e2e tests do.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { ROOT } from '../scripts/actions.js';
import { buildImageOverhead } from './build-image.js';
import { canary } from './canary.js';
import { coldStart } from './cold-start.js';
import { failFast } from './fail-fast.js';
import { gitops } from './gitops.js';
import { helmDeploy } from './helm-deploy.js';
import { pipelines } from './pipelines.js';
import { trivyScanOverhead } from './trivy-scan.js';

const runs = Number(process.env.BENCH_RUNS ?? 11);
const only = process.argv.slice(2);
const sections: Array<[string, () => string | Promise<string>]> = [
  ['cold-start', () => coldStart(runs)],
  ['trivy-scan', () => trivyScanOverhead(Math.max(7, runs))],
  ['build-image', () => buildImageOverhead(Math.max(5, Math.round(runs / 2)))],
  ['helm-deploy', () => helmDeploy(Math.max(5, Math.round(runs / 2)))],
  ['fail-fast', () => failFast()],
  ['canary', () => canary()],
  ['gitops', () => gitops(5)],
  ['pipelines', () => pipelines(Number(process.env.BENCH_PIPELINES ?? 20))],
];

console.log(
  `kubeline benchmarks (interleaved runs; medians; machine load shifts absolute times, compare ratios)\n`,
);
if (!only.length || only.some((o) => o !== 'cold-start')) {
  const up = spawnSync(
    process.execPath,
    [path.join(ROOT, 'node_modules/tsx/dist/cli.mjs'), 'test/stack/cli.ts', 'up'],
    {
      cwd: ROOT,
      stdio: ['ignore', 'ignore', 'inherit'],
    },
  );
  if (up.status !== 0) throw new Error('stack:up failed');
}
for (const [name, section] of sections) {
  if (only.length && !only.includes(name)) continue;
  console.log(`${await section()}\n`);
}
