// gitops-promote on the stack (real Git server, real Flux controllers, kwok pods) against the same
// promotion by hand: how long from start to healthy, split into Git, controller and rollout. The
// scene needs async code (watches), so it runs bench/gitops-scene.ts in a tsx child that prints its
// measurements as JSON; this side only formats them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from '../test/stack/env-file.js';
import { paths } from '../test/stack/paths.js';
import { ROOT, TSX } from '../test/support/processes.js';
import type { GitopsRun, Split } from './gitops-scene.js';
import { median } from './measure.js';

/** The GitRepository's poll interval, as in test/e2e/gitops-promote.test.ts. */
const GIT_INTERVAL = '2s';

const seconds = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const each = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(2)).join(' / ');
const PARTS: Array<[keyof Split, string]> = [
  ['totalMs', 'total: start → reported healthy'],
  ['gitMs', 'Git: start → push landed (clone, edit, commit, push)'],
  ['controllerMs', 'controller: push → Kustomization lastAppliedRevision is the commit'],
  ['rolloutMs', 'rollout: applied → reported healthy (Deployment rolled out)'],
];
/** The parts whose kubeline/raw ratio is printed. */
const RATIOS = new Set<keyof Split>(['totalMs', 'gitMs']);

function table(runs: GitopsRun[]): string {
  const kl = runs.map((r) => r.kubeline);
  const raw = runs.map((r) => r.raw);
  const m = (xs: Split[], k: keyof Split) => median(xs.map((x) => x[k]));
  const rows = PARTS.map(([k, label]) => {
    const ratio = RATIOS.has(k) ? `${(m(kl, k) / m(raw, k)).toFixed(2)}×` : '';
    return `| ${label} | ${seconds(m(kl, k))} | ${seconds(m(raw, k))} | ${ratio} | ${each(kl.map((x) => x[k]))} | ${each(raw.map((x) => x[k]))} |`;
  });
  return [
    `gitops: gitops-promote (bundle, read-only kubeconfig, wait-for the Kustomization) against the same promotion by hand (git clone --depth 1, sed, commit, push; kubectl wait on lastAppliedRevision, kubectl rollout status), a new made-up digest each run; ${runs.length} runs each, interleaved after one warm-up pair, each started at a random phase of the GitRepository's poll; medians. Both are timed by the same observer: the push is the line each prints after it, applied is this bench's watch on the Kustomization.`,
    '| part | kubeline | raw | kubeline / raw | kubeline runs (s) | raw runs (s) |',
    '|---|---|---|---|---|---|',
    ...rows,
    '',
    `The controller share is dominated by the GitRepository's ${GIT_INTERVAL} poll interval (source-controller notices the push on its next poll, 0–${GIT_INTERVAL} later), the same for both: it is not kubeline's to shorten without a webhook receiver.`,
    `gitops-promote's own summary, per run: commit and push ${kl.map((x) => x.summaryGit).join(' / ')}; push → healthy ${kl.map((x) => x.summaryHealthy).join(' / ')}.`,
  ].join('\n');
}

export function gitops(runs = 5): string {
  if (!fs.existsSync(paths.env)) return 'gitops — skipped: the stack is not up (npm run stack:up)';
  if (!parseEnv(fs.readFileSync(paths.env, 'utf8')).GIT_SERVER_URL)
    return 'gitops — skipped: the stack predates its Git server and Flux (npm run stack:up)';
  const r = spawnSync(
    process.execPath,
    [TSX, path.join(ROOT, 'bench/gitops-scene.ts'), String(runs), GIT_INTERVAL],
    {
      cwd: ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 6 * 60_000,
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  const last = r.stdout?.trim().split('\n').at(-1);
  if (r.status !== 0 || !last)
    return `gitops — did not finish: ${r.error?.message ?? `exit ${r.status ?? r.signal}`} (its stderr is above)`;
  return table(JSON.parse(last) as GitopsRun[]);
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(gitops());
