// N build → scan → sign → deploy pipelines at once on the stack, each app into its own namespace,
// against one pipeline alone: wall time, per-step times under load and the apiserver requests they
// cost. Every step is a real bundle run as its own process with its own temp dir and HOME, as a
// separate CI job would be; artifacts (image-json, scan report) pass between steps as files. The
// runners share one tool cache, warmed by a first pipeline that is not measured. Requests are counted
// twice: exactly, per pipeline, by a proxy its helm-deploy talks through
// (test/support/apiserver-counter.ts), and for the whole apiserver from apiserver_request_total,
// where other users of the stack count too.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadStackEnv, stackTool, type StackEnv } from '../test/e2e/harness/stack-env.js';
import { NODE, ROOT } from '../test/support/processes.js';
import {
  RequestCounter,
  servingCert,
  type Requests,
  type ServingCert,
} from '../test/support/apiserver-counter.js';
import { median, percentile } from './measure.js';

const STEPS = ['build-image', 'trivy-scan', 'cosign-sign', 'helm-deploy'] as const;
type StepName = (typeof STEPS)[number];

const CHART = path.join(ROOT, 'test/fixtures/charts/web');
const RELEASE = 'web';
const KEY_PASSWORD = 'bench-pipelines';
/** Past this a step is stopped (SIGTERM, then SIGKILL after the grace) and its pipeline fails. */
const STEP_TIMEOUT_MS = 10 * 60_000;
const KILL_GRACE_MS = 15_000;
/** The window over which the stack's background request rate is measured before the runs. */
const BACKGROUND_MS = 15_000;
const TOP_REQUESTS = 10;
// Anything a step sends past loopback goes to a dead proxy and fails.
const LOOPBACK_ONLY = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a process in its own process group, bounded by `timeoutMs`; never rejects on exit codes. */
function runBounded(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
  cwd = ROOT,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    const kill = (signal: NodeJS.Signals) => {
      try {
        process.kill(-child.pid!, signal); // the bundle and the tools it started
      } catch {
        // already gone
      }
    };
    const timer = setTimeout(() => {
      timedOut = true;
      kill('SIGTERM');
      setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS).unref();
    }, timeoutMs);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, timedOut, stdout, stderr, ms: Date.now() - started });
    });
  });
}

async function must(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = ROOT) {
  const r = await runBounded(cmd, args, { ...process.env, ...env }, 120_000, cwd);
  if (r.code !== 0)
    throw new Error(`${path.basename(cmd)} ${args.join(' ')} failed (${why(r)}): ${r.stderr.slice(-800)}`);
  return r.stdout;
}

const why = (r: Ran) =>
  r.timedOut ? `timed out after ${(r.ms / 1000).toFixed(0)} s` : `exit ${r.code ?? r.signal}`;

/** A pipeline's app: a static busybox FROM scratch with a file of its own, so every digest differs. */
function appContext(dir: string, marker: string): string {
  const ctx = path.join(dir, 'app');
  fs.mkdirSync(ctx);
  fs.copyFileSync('/bin/busybox', path.join(ctx, 'busybox')); // Debian busybox-static
  fs.writeFileSync(path.join(ctx, 'marker'), `${marker}\n`);
  fs.writeFileSync(
    path.join(ctx, 'Dockerfile'),
    'FROM scratch\nCOPY busybox /bin/busybox\nCOPY marker /marker\nENTRYPOINT ["/bin/busybox"]\n',
  );
  return ctx;
}

class StepFailure extends Error {}

interface Pipeline {
  label: string;
  /** The bench run's id plus the label: the app's marker and its image tag. */
  marker: string;
  namespace: string;
  repository: string;
  dir: string;
}

interface PipelineRun {
  label: string;
  ms: number;
  steps: Record<StepName, number>;
  digest: string;
  /** What its steps asked of the apiserver, counted by its own proxy. */
  requests: Requests;
  namespaces: string[];
}

interface Shared {
  stack: StackEnv;
  /** The counting proxies' TLS certificate. */
  serving: ServingCert;
  toolCache: string;
  keys: string;
}

const inputs = (values: Record<string, string>) =>
  Object.fromEntries(Object.entries(values).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));

/** One step as one CI job: a fresh temp dir and HOME, the runners' shared tool cache. */
async function runStep(
  s: Shared,
  p: Pipeline,
  step: StepName,
  values: Record<string, string>,
): Promise<{ outputs: Record<string, string>; ms: number }> {
  const job = fs.mkdtempSync(path.join(p.dir, `${step}-`));
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: job,
    RUNNER_TEMP: job,
    RUNNER_TOOL_CACHE: s.toolCache,
    TUF_ROOT: path.join(job, 'tuf'),
    KUBELINE_PLATFORM: 'cli',
    KUBELINE_TOOLS_MIRROR: s.stack.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: s.stack.TOOLS_MANIFEST,
    ...LOOPBACK_ONLY,
    ...inputs(values),
  };
  const bundle = path.join(ROOT, 'actions', step, 'dist', 'index.js');
  const r = await runBounded(NODE, [bundle], env, STEP_TIMEOUT_MS);
  const log = path.join(p.dir, `${step}.log`);
  fs.writeFileSync(log, `--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}\n`);
  if (r.code !== 0) {
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    const detail = errors.length ? errors.join(' | ') : r.stderr.trim().split('\n').slice(-5).join(' | ');
    throw new StepFailure(
      `${p.label} ${step} failed after ${(r.ms / 1000).toFixed(1)} s (${why(r)}): ${detail} [log: ${log}]`,
    );
  }
  try {
    return { outputs: JSON.parse(r.stdout) as Record<string, string>, ms: r.ms };
  } catch {
    throw new StepFailure(`${p.label} ${step} printed no outputs as JSON [log: ${log}]`);
  }
}

const expectEqual = (p: Pipeline, what: string, got: string | undefined, want: string) => {
  if (got !== want) throw new StepFailure(`${p.label}: ${what} is ${got ?? 'missing'}, expected ${want}`);
};

function parsed<T>(p: Pipeline, step: { outputs: Record<string, string> }, output: string): T {
  try {
    return JSON.parse(step.outputs[output] ?? '') as T;
  } catch {
    throw new StepFailure(`${p.label}: output ${output} is not JSON: ${step.outputs[output]}`);
  }
}

/** build → scan → sign → deploy; each step checks it handled this pipeline's digest and no other. */
async function runPipeline(s: Shared, p: Pipeline): Promise<PipelineRun> {
  const counter = await RequestCounter.start(s.stack.KUBECONFIG, s.serving, p.dir);
  try {
    return await counted(s, p, counter);
  } finally {
    await counter.close();
  }
}

async function counted(s: Shared, p: Pipeline, counter: RequestCounter): Promise<PipelineRun> {
  const started = Date.now();
  const workspace = path.join(p.dir, 'workspace');
  fs.mkdirSync(workspace);
  const imageJson = path.join(workspace, 'image.json');

  const build = await runStep(s, p, 'build-image', {
    context: appContext(p.dir, p.marker),
    tags: `${p.repository}:${p.marker}`,
    'buildkit-host': s.stack.BUILDKIT_HOST,
  });
  fs.writeFileSync(imageJson, build.outputs['image-json'] ?? '');
  const digest = build.outputs.digest ?? '';
  expectEqual(
    p,
    'build-image image-json digest',
    parsed<{ digest?: string }>(p, build, 'image-json').digest,
    digest,
  );

  const scan = await runStep(s, p, 'trivy-scan', {
    image: imageJson,
    formats: 'json',
    'output-dir': path.join(workspace, 'scan'),
    'db-repository': s.stack.TRIVY_DB_REPOSITORY,
  });
  expectEqual(p, 'trivy-scan image-digest', scan.outputs['image-digest'], digest);

  const sign = await runStep(s, p, 'cosign-sign', {
    image: imageJson,
    key: path.join(s.keys, 'cosign.key'),
    password: KEY_PASSWORD,
    'transparency-log': 'false',
  });
  expectEqual(p, 'cosign-sign signed-digests[0]', parsed<string[]>(p, sign, 'signed-digests')[0], digest);

  const deploy = await runStep(s, p, 'helm-deploy', {
    release: RELEASE,
    chart: CHART,
    namespace: p.namespace,
    image: imageJson,
    'require-signature': 'true',
    'signature-key': path.join(s.keys, 'cosign.pub'),
    'signature-transparency-log': 'false',
    'require-scan': scan.outputs['json-report'] ?? '',
    kubeconfig: counter.kubeconfig,
  });
  if (counter.tally.failures.length)
    throw new StepFailure(
      `${p.label} helm-deploy: requests the proxy could not pass on: ${counter.tally.failures.join('; ')}`,
    );
  expectEqual(p, 'helm-deploy image-digest', deploy.outputs['image-digest'], digest);

  return {
    label: p.label,
    ms: Date.now() - started,
    digest,
    requests: { ...counter.tally.counts },
    namespaces: [...counter.tally.namespaces],
    steps: {
      'build-image': build.ms,
      'trivy-scan': scan.ms,
      'cosign-sign': sign.ms,
      'helm-deploy': deploy.ms,
    },
  };
}

/** apiserver_request_total from the apiserver's /metrics (admin credentials), summed per verb and resource. */
async function apiserverRequests(stack: StackEnv): Promise<Requests> {
  const text = await must(stackTool('kubectl'), [
    'get',
    '--raw',
    '/metrics',
    '--kubeconfig',
    stack.KUBECONFIG,
  ]);
  const counts: Requests = {};
  for (const line of text.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const l = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const what = l.resource
      ? `${l.resource}${l.subresource ? `/${l.subresource}` : ''}`
      : l.subresource || 'non-resource';
    const key = `${l.verb} ${what}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

const minus = (after: Requests, before: Requests): Requests =>
  Object.fromEntries(Object.entries(after).map(([k, v]) => [k, v - (before[k] ?? 0)] as const));
const total = (r: Requests) => Object.values(r).reduce((a, b) => a + b, 0);

/** What a window of `ms` cost the apiserver, less the background rate pro rata (floored at 0). */
function net(window: Requests, background: Requests, backgroundMs: number, ms: number): Requests {
  return Object.fromEntries(
    Object.entries(window).map(([k, v]) => [k, Math.max(0, v - ((background[k] ?? 0) * ms) / backgroundMs)]),
  );
}

interface Measured {
  ms: number;
  runs: PipelineRun[];
  requests: Requests;
}

/** Runs the pipelines at once between two reads of the apiserver's counters. */
async function measured(s: Shared, pipelines: Pipeline[]): Promise<Measured> {
  const before = await apiserverRequests(s.stack);
  const started = Date.now();
  const settled = await Promise.allSettled(pipelines.map((p) => runPipeline(s, p)));
  const ms = Date.now() - started;
  const requests = minus(await apiserverRequests(s.stack), before);
  const failures = settled.flatMap((r) =>
    r.status === 'rejected' ? [String((r.reason as Error).message)] : [],
  );
  if (failures.length)
    throw new Error(
      `${failures.length} of ${pipelines.length} pipelines failed:\n  ${failures.join('\n  ')}`,
    );
  const runs = settled.map((r) => (r as PromiseFulfilledResult<PipelineRun>).value);
  return { ms, runs, requests };
}

interface Kube {
  items?: unknown[];
  spec?: {
    holderIdentity?: string;
    template?: { spec?: { containers?: Array<{ image?: string }> } };
    replicas?: number;
  };
  status?: { readyReplicas?: number; updatedReplicas?: number };
  metadata?: { name?: string; labels?: Record<string, string> };
}

async function kubeJson(stack: StackEnv, args: string[]): Promise<Kube> {
  return JSON.parse(
    await must(stackTool('kubectl'), [...args, '-o', 'json', '--kubeconfig', stack.KUBECONFIG]),
  ) as Kube;
}

/** Each namespace runs its own pipeline's digest, rolled out, one deployed revision, the lock free. */
async function checkNoCrossTalk(s: Shared, pipelines: Pipeline[], runs: PipelineRun[]): Promise<string[]> {
  const problems: string[] = [];
  for (const [i, p] of pipelines.entries()) {
    const want = `${p.repository}@${runs[i]!.digest}`;
    const others = runs[i]!.namespaces.filter((ns) => ns !== p.namespace);
    if (others.length)
      problems.push(`${p.label}: its steps sent requests into namespaces ${others.join(', ')}`);
    const d = await kubeJson(s.stack, ['get', 'deployment', RELEASE, '-n', p.namespace]);
    const images = (d.spec?.template?.spec?.containers ?? []).map((c) => c.image);
    if (images.length !== 1 || images[0] !== want)
      problems.push(
        `${p.label}: deployment ${p.namespace}/${RELEASE} runs ${images.join(', ')}, expected ${want}`,
      );
    if (d.status?.readyReplicas !== d.spec?.replicas || d.status?.updatedReplicas !== d.spec?.replicas)
      problems.push(`${p.label}: deployment not rolled out: ${JSON.stringify(d.status)}`);
    const revisions = (
      await kubeJson(s.stack, ['get', 'secrets', '-n', p.namespace, '-l', `owner=helm,name=${RELEASE}`])
    ).items as Kube[];
    const statuses = revisions.map((r) => r.metadata?.labels?.status);
    if (statuses.length !== 1 || statuses[0] !== 'deployed')
      problems.push(`${p.label}: release revisions ${JSON.stringify(statuses)}, expected one deployed`);
    const leases = (await kubeJson(s.stack, ['get', 'leases', '-n', p.namespace])).items as Kube[];
    for (const lease of leases)
      if (lease.spec?.holderIdentity)
        problems.push(`${p.label}: lease ${lease.metadata?.name} still held by ${lease.spec.holderIdentity}`);
  }
  return problems;
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

function header(n: number, alone: Measured, load: Measured): string[] {
  const stepRows = [...STEPS, 'whole pipeline' as const].map((step) => {
    const of = (m: Measured) => m.runs.map((r) => (step === 'whole pipeline' ? r.ms : r.steps[step]));
    const xs = of(load);
    return `| ${step} | ${seconds(of(alone)[0]!)} | ${seconds(median(xs))} | ${seconds(percentile(xs, 95))} | ${seconds(Math.max(...xs))} |`;
  });
  return [
    `pipelines: build-image → trivy-scan → cosign-sign → helm-deploy (require-signature + require-scan, --wait on kwok), each step its own process, temp dir and HOME; ${n} distinct apps into ${n} namespaces at once, against one alone (after a warm-up pipeline that fills the shared tool cache).`,
    `| wall time | one alone | ${n} at once | ${n} × alone | at once / (${n} × alone) |`,
    '|---|---|---|---|---|',
    `| all pipelines | ${seconds(alone.ms)} | ${seconds(load.ms)} | ${seconds(n * alone.ms)} | ${(load.ms / (n * alone.ms)).toFixed(2)} |`,
    '',
    `| step | alone | median at ${n} | p95 at ${n} | max at ${n} |`,
    '|---|---|---|---|---|',
    ...stepRows,
  ];
}

/** The requests each pipeline's own steps sent, counted by its proxy: exact, whoever else uses the stack. */
function sentTable(n: number, alone: Measured, load: Measured): string[] {
  const one = alone.runs[0]!.requests;
  const of = (key?: string) => load.runs.map((r) => (key ? (r.requests[key] ?? 0) : total(r.requests)));
  const keys = [...new Set(load.runs.flatMap((r) => Object.keys(r.requests)))]
    .sort((a, b) => median(of(b)) - median(of(a)) || (one[b] ?? 0) - (one[a] ?? 0))
    .slice(0, TOP_REQUESTS);
  const row = (label: string, aloneCount: number, xs: number[]) =>
    `| ${label} | ${aloneCount} | ${median(xs)} | ${Math.min(...xs)}–${Math.max(...xs)} |`;
  return [
    `requests a pipeline's steps sent to the apiserver (helm-deploy talks through a counting proxy of its own):`,
    `| requests | one alone | median per pipeline at ${n} | range at ${n} |`,
    '|---|---|---|---|',
    row('total', total(one), of()),
    ...keys.map((k) => row(k, one[k] ?? 0, of(k))),
  ];
}

function report(n: number, alone: Measured, load: Measured, background: Requests, sectionMs: number): string {
  const aloneNet = net(alone.requests, background, BACKGROUND_MS, alone.ms);
  const loadNet = net(load.requests, background, BACKGROUND_MS, load.ms);
  const perPipeline = (r: Requests) => total(r) / n;
  const top = Object.entries(loadNet)
    .sort((a, b) => b[1] - a[1])
    .slice(0, TOP_REQUESTS)
    .map(([k, v]) => `| ${k} | ${Math.round(aloneNet[k] ?? 0)} | ${(v / n).toFixed(1)} |`);
  const bgRate = (total(background) / BACKGROUND_MS) * 1000;
  return [
    ...header(n, alone, load),
    '',
    ...sentTable(n, alone, load),
    '',
    `apiserver_request_total, whole apiserver: also the controllers' and kwok's work the deploys cause, and every other user of the stack (background ${bgRate.toFixed(1)} req/s measured over ${BACKGROUND_MS / 1000} s before the runs, subtracted pro rata per verb/resource):`,
    `| requests | one alone | per pipeline at ${n} |`,
    '|---|---|---|',
    `| total, raw | ${Math.round(total(alone.requests))} | ${perPipeline(load.requests).toFixed(1)} |`,
    `| total, less background | ${Math.round(total(aloneNet))} | ${perPipeline(loadNet).toFixed(1)} |`,
    ...top,
    '',
    `checks: all ${n + 2} pipelines (warm-up, alone, ${n} at once) succeeded; each namespace's Deployment runs its own pipeline's digest, rolled out, one deployed revision, no lease held; each pipeline's requests went to its own namespace only. Section took ${seconds(sectionMs)}.`,
  ].join('\n');
}

async function prepare(stack: StackEnv, root: string): Promise<Shared> {
  const keys = path.join(root, 'keys');
  fs.mkdirSync(keys);
  await must(
    stackTool('cosign'),
    ['generate-key-pair'],
    { ...LOOPBACK_ONLY, COSIGN_PASSWORD: KEY_PASSWORD, TUF_ROOT: path.join(root, 'tuf') },
    keys,
  );
  return { stack, serving: servingCert(keys), toolCache: path.join(root, 'tool-cache'), keys };
}

export async function pipelines(n: number): Promise<string> {
  const sectionStarted = Date.now();
  const stack = loadStackEnv();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bench-pipelines-'));
  const run = path
    .basename(root)
    .slice(-6)
    .toLowerCase()
    .replace(/[^a-z0-9]/g, 'x');
  const made = (label: string): Pipeline => {
    const dir = path.join(root, label);
    fs.mkdirSync(dir);
    return {
      label,
      marker: `${run}-${label}`,
      namespace: `bench-pl-${run}-${label}`,
      repository: `${stack.REGISTRY}/bench/pipelines-${label}`,
      dir,
    };
  };
  const warmup = made('warmup');
  const alone = made('alone');
  const load = Array.from({ length: n }, (_, i) => made(`p${String(i + 1).padStart(2, '0')}`));
  const all = [warmup, alone, ...load];
  const kubectl = stackTool('kubectl');
  const kube = ['--kubeconfig', stack.KUBECONFIG];
  let failed = true;
  try {
    const shared = await prepare(stack, root);
    await Promise.all(all.map((p) => must(kubectl, ['create', 'namespace', p.namespace, ...kube])));
    await measured(shared, [warmup]);
    const before = await apiserverRequests(stack);
    await new Promise((r) => setTimeout(r, BACKGROUND_MS));
    const background = minus(await apiserverRequests(stack), before);
    const one = await measured(shared, [alone]);
    const many = await measured(shared, load);
    const problems = await checkNoCrossTalk(shared, [alone, ...load], [...one.runs, ...many.runs]);
    if (problems.length) throw new Error(`cross-talk or leftovers:\n  ${problems.join('\n  ')}`);
    failed = false;
    return report(n, one, many, background, Date.now() - sectionStarted);
  } finally {
    // deleting the namespace removes the release (its revision secrets), the pods and the lease
    const r = await runBounded(
      kubectl,
      ['delete', 'namespace', ...all.map((p) => p.namespace), '--ignore-not-found', '--wait=false', ...kube],
      process.env,
      120_000,
    );
    if (r.code !== 0) console.error(`pipelines: could not delete the namespaces: ${r.stderr}`);
    if (failed) console.error(`pipelines: logs of every step kept in ${root}`);
    else fs.rmSync(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log(await pipelines(Number(process.env.BENCH_PIPELINES ?? 20)));
