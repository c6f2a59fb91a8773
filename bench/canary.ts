// canary-promote on the stack against a raw kubectl script: how fast an error spike is back on
// stable, how close a promotion comes to its schedule's floor, and what each costs the apiserver.
// The scenes need async code (test apps, traffic), so each part runs bench/canary-scene.ts in a tsx
// child that prints its measurements as JSON; this side only formats them.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseEnv } from '../test/stack/env-file.js';
import { paths } from '../test/stack/paths.js';
import { ROOT, TSX } from '../test/support/processes.js';
import type { AbortRun, Counted, PromotionRun, Requests, ScaleRun } from './canary-scene.js';
import { median } from './measure.js';

/** The resources a canary touches; each column sums every verb and subresource of one. */
const RESOURCES = ['httproutes', 'deployments', 'replicasets', 'leases', 'pods'];

/** What a canary driver asks of the apiserver (kwok and the controllers send the rest of the pod work). */
const DRIVER_REQUESTS = [
  'POST selfsubjectaccessreviews',
  'GET httproutes',
  'PUT httproutes',
  'WATCH httproutes',
  'GET leases',
  'PUT leases',
  'GET deployments',
  'PATCH deployments',
  'PATCH deployments/scale',
  'WATCH deployments',
  'LIST replicasets',
  'LIST pods',
  'WATCH pods',
];

/** The promotion's schedule: 3 steps of 5 s, the least any driver of it can take. */
const PROMOTION_FLOOR_MS = 15_000;

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const each = (xs: number[]) => xs.map((x) => (x / 1000).toFixed(1)).join(' / ');
const count = (n: number) => String(Math.round(n));

function runPart<T>(part: string, timeoutMs: number): T | string {
  const r = spawnSync(process.execPath, [TSX, path.join(ROOT, 'bench/canary-scene.ts'), part], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: timeoutMs,
    maxBuffer: 16 * 1024 * 1024,
  });
  const last = r.stdout?.trim().split('\n').at(-1);
  if (r.status !== 0 || !last)
    return `${part} — did not finish: ${r.error?.message ?? `exit ${r.status ?? r.signal}`} (its stderr is above)`;
  return JSON.parse(last) as T;
}

/** Per key, the run's requests less the idle window's. */
function net(c: Counted): Requests {
  const out: Requests = { ...c.requests };
  for (const [k, v] of Object.entries(c.idle)) out[k] = (out[k] ?? 0) - v;
  return out;
}

const total = (r: Requests) => Object.values(r).reduce((a, b) => a + b, 0);
const ofResource = (r: Requests, resource: string) =>
  Object.entries(r)
    .filter(([k]) => k.split(' ')[1]!.split('/')[0] === resource)
    .reduce((a, [, v]) => a + v, 0);
const medianOf = (cs: Counted[], f: (r: Requests) => number) => median(cs.map((c) => f(net(c))));

function abortTable(runs: AbortRun[]): string {
  const row = (what: string, xs: number[]) => `| ${what} | ${seconds(median(xs))} | ${each(xs)} s |`;
  return [
    'abort: steps 10,25,50,100, interval 20s, sample-every 1s, 50 rps through Traefik; the canary answers 500 to every request from the moment the route reads 25 %',
    '| from → to | median | runs |',
    '|---|---|---|',
    row(
      'spike → first failing measurement (sample start, errors > 0)',
      runs.map((r) => r.toFirstFailing),
    ),
    row(
      'first failing measurement → route read with 0 % canary',
      runs.map((r) => r.failingToRouteZero),
    ),
    row(
      'spike → last canary (v2) response',
      runs.map((r) => r.toLastCanary),
    ),
    row(
      `spike → canary-promote exited (${runs.map((r) => r.result).join(', ')})`,
      runs.map((r) => r.toExit),
    ),
  ].join('\n');
}

/**
 * Another user of the stack during a window (the e2e suite, another bench): a namespace created, or
 * an access review where no kubeline run sends one. This bench creates neither while counting.
 */
function disturbed(c: Counted, sendsReviews: boolean): boolean {
  const reviews = (r: Requests) => r['POST selfsubjectaccessreviews'] ?? 0;
  const namespaces = (r: Requests) => r['POST namespaces'] ?? 0;
  return (
    namespaces(c.requests) + namespaces(c.idle) + reviews(c.idle) > 0 ||
    (!sendsReviews && reviews(c.requests) > 0)
  );
}

function promotionTables(runs: PromotionRun[]): string {
  const floor = PROMOTION_FLOOR_MS;
  const kl = runs.map((r) => r.kubeline);
  const raw = runs.map((r) => r.raw);
  const ms = (cs: Counted[]) => median(cs.map((c) => c.ms));
  const row = (name: string, cs: Array<Counted & { failed: number }>) =>
    [
      name,
      `${seconds(ms(cs))} (${each(cs.map((c) => c.ms))})`,
      `${(ms(cs) / floor).toFixed(2)}×`,
      cs.map((c) => c.failed).join(' / '),
      `${count(medianOf(cs, total))} (${cs.map((c) => count(total(net(c)))).join(' / ')})`,
      cs.map((c) => count(total(c.idle))).join(' / '),
      ...RESOURCES.map((res) => count(medianOf(cs, (r) => ofResource(r, res)))),
    ].join(' | ');
  const noisy = kl.filter((c) => disturbed(c, true)).length + raw.filter((c) => disturbed(c, false)).length;
  const ratio = (f: (cs: Counted[]) => number) => `${(f(kl) / f(raw)).toFixed(2)}×`;
  const main = [
    `promotion: steps 20,50,100, interval 5s, sample-every 1s (floor 3 × 5 s = ${seconds(floor)}), 50 rps; ${runs.length} runs each, interleaved, medians. Requests: apiserver_request_total summed over all series, from before the run until its trailing work is done (only stable's pods left), less an idle window as long right after: kwok, the controllers, Traefik and anyone else on the stack count in both. ${noisy} of ${runs.length * 2} windows overlapped another user of the stack.`,
    `| | wall time (runs) | / floor | non-200 responses | apiserver requests, run − idle (runs) | idle window (runs) | ${RESOURCES.join(' | ')} |`,
    `|---|---|---|---|---|---|${RESOURCES.map(() => '---|').join('')}`,
    `| ${row('kubeline canary-promote (canary Deployment, read-back, analysis, lease)', kl)} |`,
    `| ${row('raw kubectl: patch route × 3 + sleep 5 s, set image, rollout status, patch route', raw)} |`,
    `| kubeline / raw | ${ratio(ms)} | | | ${ratio((cs) => medianOf(cs, total))} | |${RESOURCES.map(() => ' |').join('')}`,
  ];
  const keys = [...new Set([...kl, ...raw].flatMap((c) => Object.keys(net(c))))];
  const verbs = keys
    .map((k) => ({
      k,
      kl: medianOf(kl, (r) => r[k] ?? 0),
      raw: medianOf(raw, (r) => r[k] ?? 0),
    }))
    .filter((x) => Math.abs(x.kl) >= 1 || Math.abs(x.raw) >= 1)
    .sort((a, b) => b.kl - a.kl || b.raw - a.raw);
  const byVerb = [
    'promotion: apiserver requests by verb and resource, run − idle (medians)',
    '| request | kubeline | raw kubectl |',
    '|---|---|---|',
    ...verbs.map((x) => `| ${x.k} | ${count(x.kl)} | ${count(x.raw)} |`),
  ];
  return [...main, '', ...byVerb].join('\n');
}

function scaleTable(runs: ScaleRun[]): string {
  const noisy = runs.filter((r) => disturbed(r.run, true)).length;
  return [
    `scale: canary-promote with analysis off, router gateway-api, steps 10,50,100, interval 5s, against a stable of 10 and of 1000 kwok replicas; one run each, requests counted as above (${noisy} of ${runs.length} windows overlapped another user of the stack). The canary scales with its weight and promotion rolls stable, so the cluster's controllers and kwok work per pod; canary-promote's own objects are the route and the lease.`,
    `| stable replicas | all available after | canary-promote run time | counted window | apiserver requests, run − idle | idle window | ${RESOURCES.join(' | ')} |`,
    `|---|---|---|---|---|---|${RESOURCES.map(() => '---|').join('')}`,
    ...runs.map(
      (r) =>
        [
          `| ${r.replicas}`,
          seconds(r.availableMs),
          seconds(r.run.ms),
          seconds(r.run.windowMs),
          count(total(net(r.run))),
          count(total(r.run.idle)),
          ...RESOURCES.map((res) => count(ofResource(net(r.run), res))),
        ].join(' | ') + ' |',
    ),
    '',
    'scale: the requests canary-promote sends (a controller may send some of them too), run − idle',
    `| request | ${runs.map((r) => `${r.replicas} replicas`).join(' | ')} |`,
    `|---|${runs.map(() => '---|').join('')}`,
    ...DRIVER_REQUESTS.map((k) => `| ${k} | ${runs.map((r) => count(net(r.run)[k] ?? 0)).join(' | ')} |`),
  ].join('\n');
}

export function canary(): string {
  if (!fs.existsSync(paths.env)) return 'canary — skipped: the stack is not up (npm run stack:up)';
  if (!parseEnv(fs.readFileSync(paths.env, 'utf8')).GATEWAY_URL)
    return 'canary — skipped: the stack predates its Gateway (npm run stack:up)';
  const abort = runPart<AbortRun[]>('abort', 15 * 60_000);
  const promotion = runPart<PromotionRun[]>('promotion', 20 * 60_000);
  const scale = runPart<ScaleRun[]>('scale', 40 * 60_000);
  return [
    'canary: canary-promote on the stack (workloads on kwok, real Traefik Gateway API routing, Prometheus 1 s scrape) against a raw kubectl script',
    typeof abort === 'string' ? abort : abortTable(abort),
    typeof promotion === 'string' ? promotion : promotionTables(promotion),
    typeof scale === 'string' ? scale : scaleTable(scale),
  ].join('\n\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(canary());
