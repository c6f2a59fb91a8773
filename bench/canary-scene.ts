// The async half of the canary bench: bench/canary.ts runs this once per part (abort, promotion,
// scale) and reads the JSON it prints last. A scene is a stable Deployment `web` on kwok, test apps on
// loopback ClusterIPs behind Services `web` (v1) and `web-canary` (v2), HTTPRoute `web` on the
// stack's Gateway (real Traefik) and 50 rps through it; canary-promote's bundle and a raw kubectl
// script run against it, the apiserver's request counters read around each run and an idle window.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  AppsV1Api,
  CoreV1Api,
  CustomObjectsApi,
  KubeConfig,
  type V1Deployment,
} from '@kubernetes/client-node';
import {
  createRoute,
  getThroughGateway,
  startRoutedApp,
  startTraffic,
  waitForRouteAccepted,
  type RoutedApp,
  type TrafficRecord,
} from '../test/e2e/harness/gateway.js';
import { loadStackEnv } from '../test/e2e/harness/stack-env.js';
import { isRolledOut, waitForDeployment } from '../test/e2e/harness/watch.js';
import { NODE, ROOT, runProcess } from '../test/support/processes.js';

/** Requests counted by the apiserver, per `VERB resource[/subresource]` (a non-resource path as is). */
export type Requests = Record<string, number>;

/** A measured run: its wall time, the requests counted during it and during an idle window as long. */
export interface Counted {
  ms: number;
  /** The counted window: the run and its trailing work; the idle window is as long. */
  windowMs: number;
  requests: Requests;
  idle: Requests;
}

export interface AbortRun {
  result: string;
  /** spike → the first sample after it with errors > 0 (the sample's own start time) */
  toFirstFailing: number;
  /** that sample → the route read with no canary weight */
  failingToRouteZero: number;
  /** spike → the last response answered by the canary (v2) */
  toLastCanary: number;
  /** spike → the bundle exited */
  toExit: number;
}

export interface PromotionRun {
  kubeline: Counted & { result: string; failed: number };
  raw: Counted & { code: number; failed: number };
}

export interface ScaleRun {
  replicas: number;
  /** the stable Deployment created → all replicas available */
  availableMs: number;
  run: Counted & { result: string };
}

const stack = loadStackEnv();
const kubectl = join(stack.STACK_BIN, 'kubectl');
const kube = new KubeConfig();
kube.loadFromFile(stack.KUBECONFIG);
const core = kube.makeApiClient(CoreV1Api);
const repository = `${stack.REGISTRY}/kubeline/web`;
const RPS = 50;
/** Between a run's last counter read and its idle window: the cluster's trailing work is counted in neither. */
const SETTLE_MS = 5_000;

const newImage = () => `${repository}@sha256:${randomBytes(32).toString('hex')}`;
const log = (line: string) => process.stderr.write(`canary bench: ${line}\n`);

interface Scene {
  ns: string;
  host: string;
  stable: RoutedApp;
  canary: RoutedApp;
  availableMs: number;
  close(): Promise<void>;
}

const open = new Set<Scene>();

function stableDeployment(image: string, replicas: number): V1Deployment {
  return {
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image, ports: [{ name: 'http', containerPort: 8080 }] }] },
      },
    },
  };
}

/** Until `check` holds, every `everyMs`; gives up at `timeoutMs`, or as soon as `stop()` says so. */
async function until(
  what: string,
  check: () => Promise<boolean>,
  o: { timeoutMs: number; everyMs: number; stop?: () => boolean },
): Promise<number> {
  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return Date.now();
    if (o.stop?.()) throw new Error(`${what}: the run ended first`);
    await sleep(o.everyMs);
  }
  throw new Error(`${what}: not within ${o.timeoutMs} ms`);
}

async function deleteNamespace(ns: string): Promise<void> {
  await core.deleteNamespace({ name: ns }).catch(() => undefined);
  await until(
    `namespace ${ns} gone`,
    () =>
      core.readNamespace({ name: ns }).then(
        () => false,
        (e: { code?: number }) => e.code === 404,
      ),
    { timeoutMs: 600_000, everyMs: 2_000 },
  );
}

/** Traefik reports a route accepted just before it serves it: 20 answers in a row from stable. */
async function servedThroughGateway(host: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let ok = 0; ok < 20;) {
    if (Date.now() > deadline) throw new Error(`${host} is not served through the gateway`);
    const r = await getThroughGateway(host);
    ok = r.status === 200 && r.version === 'v1' ? ok + 1 : 0;
  }
}

async function startScene(prefix: string, replicas: number): Promise<Scene> {
  const ns = `${prefix}-${randomBytes(3).toString('hex')}`;
  const host = `${ns}.canary.test`;
  const apps: RoutedApp[] = [];
  const scene = {
    ns,
    host,
    availableMs: 0,
    async close() {
      open.delete(scene as Scene);
      await Promise.all(apps.map((a) => a.stop().catch(() => undefined)));
      await deleteNamespace(ns);
    },
  };
  await core.createNamespace({ body: { metadata: { name: ns, labels: { 'kubeline.dev/bench': 'true' } } } });
  open.add(scene as Scene);
  try {
    return await populate(scene, replicas, apps);
  } catch (e) {
    await scene.close();
    throw e;
  }
}

async function populate(
  scene: Omit<Scene, 'stable' | 'canary'>,
  replicas: number,
  apps: RoutedApp[],
): Promise<Scene> {
  const { ns, host } = scene;
  const started = Date.now();
  await kube
    .makeApiClient(AppsV1Api)
    .createNamespacedDeployment({ namespace: ns, body: stableDeployment(newImage(), replicas) });
  await waitForDeployment(kube, ns, 'web', 'rolled out', isRolledOut, 900_000);
  scene.availableMs = Date.now() - started;
  const stable = await startRoutedApp({ kube, namespace: ns, service: 'web', version: 'v1' });
  apps.push(stable);
  const canary = await startRoutedApp({
    kube,
    namespace: ns,
    service: 'web-canary',
    version: 'v2',
    selector: { app: 'web-canary' },
  });
  apps.push(canary);
  await createRoute(kube, ns, 'web', host, [{ service: 'web', port: stable.port }]);
  await waitForRouteAccepted(kube, ns, 'web', 30_000);
  await servedThroughGateway(host);
  return Object.assign(scene, { stable, canary });
}

/** The canary's weight in HTTPRoute web, 0 when it has no canary ref. */
async function canaryWeight(ns: string): Promise<number> {
  const route = (await kube.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    namespace: ns,
    plural: 'httproutes',
    name: 'web',
  })) as { spec: { rules: Array<{ backendRefs: Array<{ name: string; weight?: number }> }> } };
  return route.spec.rules[0]!.backendRefs.find((r) => r.name === 'web-canary')?.weight ?? 0;
}

interface Measurements {
  measurements: Array<{ at: number; errors?: number; final: boolean }>;
}

interface KubelineRun {
  code: number;
  stderr: string;
  outputs: Record<string, string>;
  measurements?: Measurements;
}

/** canary-promote's committed bundle as the CLI runs it: INPUT_* in, outputs as JSON on stdout. */
async function kubeline(s: Scene, inputs: Record<string, string>): Promise<KubelineRun> {
  const temp = mkdtempSync(join(tmpdir(), 'kubeline-bench-canary-'));
  const image = newImage();
  const all: Record<string, string> = {
    deployment: 'web',
    namespace: s.ns,
    kubeconfig: stack.KUBECONFIG,
    image: JSON.stringify({
      name: repository,
      digest: image.split('@')[1],
      ref: image,
      tags: [],
      platforms: [],
      pushed: true,
      labels: {},
    }),
    ...inputs,
  };
  const env: NodeJS.ProcessEnv = {
    RUNNER_TEMP: temp,
    KUBELINE_PLATFORM: 'cli',
    KUBELINE_TOOLS_MIRROR: stack.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: stack.TOOLS_MANIFEST,
    // nothing but loopback answers
    HTTPS_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1,localhost',
    ...Object.fromEntries(Object.entries(all).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  try {
    const r = await runProcess(NODE, [join(ROOT, 'actions/canary-promote/dist/index.js')], env);
    let outputs: Record<string, string> = {};
    try {
      outputs = JSON.parse(r.stdout) as Record<string, string>;
    } catch {
      // no outputs: the caller reports the exit code and stderr
    }
    const measurements = outputs.measurements
      ? (JSON.parse(readFileSync(outputs.measurements, 'utf8')) as Measurements)
      : undefined;
    return { code: r.code, stderr: r.stderr, outputs, measurements };
  } finally {
    rmSync(temp, { recursive: true, force: true });
  }
}

const expectResult = (r: KubelineRun, result: string) => {
  if (r.outputs.result !== result)
    throw new Error(
      `canary-promote ended ${r.outputs.result ?? `with exit ${r.code}`}: ${r.stderr.slice(-800)}`,
    );
};

/** apiserver_request_total from the apiserver's /metrics, summed per verb and resource. */
async function apiserverRequests(): Promise<Requests> {
  const r = await runProcess(kubectl, ['get', '--raw', '/metrics', '--kubeconfig', stack.KUBECONFIG]);
  if (r.code !== 0) throw new Error(`kubectl get --raw /metrics: ${r.stderr}`);
  const counts: Requests = {};
  for (const line of r.stdout.split('\n')) {
    if (!line.startsWith('apiserver_request_total{')) continue;
    const l = Object.fromEntries([...line.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
    const what = l.resource ? `${l.resource}${l.subresource ? `/${l.subresource}` : ''}` : l.subresource;
    const key = `${l.verb} ${what}`;
    counts[key] = (counts[key] ?? 0) + Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return counts;
}

const minus = (after: Requests, before: Requests): Requests =>
  Object.fromEntries(
    Object.entries(after)
      .map(([k, v]) => [k, v - (before[k] ?? 0)] as const)
      .filter(([, v]) => v !== 0),
  );

/**
 * The namespace holds the stable's pods alone, none terminating: the rollout's trailing work (the
 * canary's or the old stable's pods deleted) belongs to it. Returns how many LISTs that took.
 */
async function quiet(ns: string, replicas: number): Promise<number> {
  let lists = 0;
  await until(
    `${ns}: only the stable's ${replicas} pods left`,
    async () => {
      lists++;
      const pods = (await core.listNamespacedPod({ namespace: ns })).items;
      return pods.length === replicas && pods.every((p) => !p.metadata?.deletionTimestamp);
    },
    { timeoutMs: 600_000, everyMs: 2_000 },
  );
  return lists;
}

/**
 * `work` and its trailing work (until the namespace is `quiet`) between two reads of the counters,
 * then an idle window as long, each after a settle; the bench's own reads are taken out.
 */
async function counted<T>(
  s: Scene,
  replicas: number,
  work: () => Promise<T>,
): Promise<{ value: T } & Counted> {
  const before = await apiserverRequests();
  const started = Date.now();
  const value = await work();
  const ms = Date.now() - started;
  const lists = await quiet(s.ns, replicas);
  const requests = minus(await apiserverRequests(), before);
  const windowMs = Date.now() - started;
  requests['LIST pods'] = (requests['LIST pods'] ?? 0) - lists;
  await sleep(SETTLE_MS);
  const idleBefore = await apiserverRequests();
  await sleep(windowMs);
  const idle = minus(await apiserverRequests(), idleBefore);
  await sleep(SETTLE_MS);
  for (const r of [requests, idle]) delete r['GET /metrics'];
  return { value, ms, windowMs, requests, idle };
}

const counts = ({ ms, windowMs, requests, idle }: Counted): Counted => ({ ms, windowMs, requests, idle });
const failedOf = (records: TrafficRecord[]) => records.filter((r) => r.status !== 200).length;

async function abortRun(i: number): Promise<AbortRun> {
  const s = await startScene('bench-canary-abort', 2);
  try {
    log(`abort ${i}: scene ${s.ns} up`);
    const traffic = startTraffic(s.host, { rps: RPS, maxSeconds: 150 });
    let ended = false;
    const run = kubeline(s, {
      'prometheus-url': stack.PROMETHEUS_URL,
      steps: '10,25,50,100',
      interval: '20s',
      'sample-every': '1s',
      'min-requests': '5',
    }).finally(() => (ended = true));
    try {
      const every = { timeoutMs: 120_000, everyMs: 100, stop: () => ended };
      await until('route at 25 %', async () => (await canaryWeight(s.ns)) === 25, every);
      await s.canary.setBehaviour({ errorRate: 1 });
      const spikeAt = Date.now();
      const zeroAt = await until('route at 0 %', async () => (await canaryWeight(s.ns)) === 0, {
        timeoutMs: 60_000,
        everyMs: 100,
      });
      const r = await run;
      const exitAt = Date.now();
      const records = await traffic.stop();
      expectResult(r, 'aborted');
      const failing = r.measurements!.measurements.find((m) => m.at >= spikeAt && (m.errors ?? 0) > 0);
      if (!failing) throw new Error('no measurement after the spike saw an error');
      const lastCanary = Math.max(...records.filter((x) => x.version === 'v2').map((x) => x.at));
      return {
        result: r.outputs.result!,
        toFirstFailing: failing.at - spikeAt,
        failingToRouteZero: zeroAt - failing.at,
        toLastCanary: lastCanary - spikeAt,
        toExit: exitAt - spikeAt,
      };
    } finally {
      await run.catch(() => undefined);
      await traffic.stop();
    }
  } finally {
    await s.close();
  }
}

const PROMOTION = { steps: [20, 50, 100], intervalS: 5 };

/**
 * The floor a script gets with no analysis and no safety: each weight patched into the route and
 * left for the interval, then stable takes the image and the canary ref goes. kubectl's discovery
 * cache starts empty, as on a fresh CI runner.
 */
const RAW_SCRIPT = `set -euo pipefail
k() { "$KUBECTL" --kubeconfig "$KUBECONFIG" --cache-dir "$CACHE" -n "$NS" "$@"; }
refs() { k patch httproute web --type=json -p "[{\\"op\\":\\"replace\\",\\"path\\":\\"/spec/rules/0/backendRefs\\",\\"value\\":[$1]}]" >/dev/null; }
for w in $WEIGHTS; do
  refs "{\\"name\\":\\"web\\",\\"port\\":$PORT,\\"weight\\":$((100 - w))},{\\"name\\":\\"web-canary\\",\\"port\\":$CANARY_PORT,\\"weight\\":$w}"
  sleep "$INTERVAL"
done
k set image deployment/web "web=$IMAGE" >/dev/null
k rollout status deployment/web --timeout=5m >/dev/null
refs "{\\"name\\":\\"web\\",\\"port\\":$PORT}"
`;

async function rawScript(s: Scene): Promise<number> {
  const cache = mkdtempSync(join(tmpdir(), 'kubeline-bench-kubectl-cache-'));
  try {
    const r = await runProcess('bash', ['-c', RAW_SCRIPT], {
      KUBECTL: kubectl,
      KUBECONFIG: stack.KUBECONFIG,
      CACHE: cache,
      NS: s.ns,
      PORT: String(s.stable.port),
      CANARY_PORT: String(s.canary.port),
      WEIGHTS: PROMOTION.steps.join(' '),
      INTERVAL: String(PROMOTION.intervalS),
      IMAGE: newImage(),
    });
    if (r.code !== 0) throw new Error(`the raw kubectl script exited ${r.code}: ${r.stderr.slice(-800)}`);
    return r.code;
  } finally {
    rmSync(cache, { recursive: true, force: true });
  }
}

/** A traffic load for the length of `work`: the responses that were not a 200. */
async function underTraffic<T>(s: Scene, work: () => Promise<T>): Promise<{ value: T; failed: number }> {
  const traffic = startTraffic(s.host, { rps: RPS, maxSeconds: 120 });
  try {
    const value = await work();
    return { value, failed: failedOf(await traffic.stop()) };
  } finally {
    await traffic.stop();
  }
}

async function promotionRuns(runs: number): Promise<PromotionRun[]> {
  const s = await startScene('bench-canary-promote', 2);
  const out: PromotionRun[] = [];
  try {
    for (let i = 1; i <= runs; i++) {
      log(`promotion ${i}/${runs}: kubeline`);
      const k = await counted(s, 2, () =>
        underTraffic(s, () =>
          kubeline(s, {
            'prometheus-url': stack.PROMETHEUS_URL,
            steps: PROMOTION.steps.join(','),
            interval: `${PROMOTION.intervalS}s`,
            'sample-every': '1s',
            'min-requests': '5',
          }),
        ),
      );
      expectResult(k.value.value, 'promoted');
      log(`promotion ${i}/${runs}: raw kubectl`);
      const raw = await counted(s, 2, () => underTraffic(s, () => rawScript(s)));
      out.push({
        kubeline: { ...counts(k), result: 'promoted', failed: k.value.failed },
        raw: { ...counts(raw), code: raw.value.value, failed: raw.value.failed },
      });
    }
  } finally {
    await s.close();
  }
  return out;
}

async function scaleRun(replicas: number): Promise<ScaleRun> {
  log(`scale: ${replicas} replicas`);
  const s = await startScene('bench-canary-scale', replicas);
  try {
    log(`scale: ${replicas} replicas available in ${s.availableMs} ms`);
    const k = await counted(s, replicas, () =>
      kubeline(s, {
        analysis: 'false',
        router: 'gateway-api',
        steps: '10,50,100',
        interval: '5s',
        'ready-timeout': '10m',
      }),
    );
    expectResult(k.value, 'promoted');
    return {
      replicas,
      availableMs: s.availableMs,
      run: { ...counts(k), result: 'promoted' },
    };
  } finally {
    await s.close();
  }
}

async function main(part: string | undefined): Promise<unknown> {
  if (part === 'abort') {
    const runs: AbortRun[] = [];
    for (let i = 1; i <= 3; i++) runs.push(await abortRun(i));
    return runs;
  }
  if (part === 'promotion') return promotionRuns(3);
  if (part === 'scale') return [await scaleRun(10), await scaleRun(1000)];
  throw new Error(`usage: canary-scene.ts abort|promotion|scale (got ${part})`);
}

// A bench killed by its timeout still stops its apps and removes its namespaces.
for (const signal of ['SIGTERM', 'SIGINT'] as const)
  process.once(signal, () => {
    void Promise.all([...open].map((s) => s.close().catch(() => undefined))).finally(() => process.exit(143));
  });

main(process.argv[2])
  .then(
    (result) => console.log(JSON.stringify(result)),
    (e: Error) => {
      console.error(`canary bench: ${e.message}`);
      process.exitCode = 1;
    },
  )
  // a watch or socket left open must not hold the bench
  .finally(() => setTimeout(() => process.exit(), 2_000).unref());
