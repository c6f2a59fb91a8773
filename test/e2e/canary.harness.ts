// What the canary-promote e2e tests share: a stable Deployment on kwok with real processes behind
// its Service and the canary's (loopback ClusterIPs, through the stack's Traefik), the action's
// bundle run to its end or spawned to be signalled, and reads of the route and the state Lease.
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from '@jest/globals';
import { AppsV1Api, CoordinationV1Api, CustomObjectsApi, type V1Deployment } from '@kubernetes/client-node';
import { repoRoot } from '../stack/paths.js';
import { NODE, runProcess, spawnBundle, type Ran } from '../support/processes.js';
import {
  createRoute,
  getThroughGateway,
  startRoutedApp,
  waitForRouteAccepted,
  type RoutedApp,
} from './harness/gateway.js';
import { adminKubeConfig } from './harness/kube.js';
import { freshNamespaces } from './harness/user-app.js';
import { isRolledOut, waitForDeployment } from './harness/watch.js';
import { contractOf, env, fakeDigest, runAction, tmp, type ActionRun } from './helm-deploy.harness.js';

export const repository = `${env.REGISTRY}/kubeline/web`;
export const hostOf = (ns: string) => `${ns}.canary.test`;

export interface Scene {
  ns: string;
  host: string;
  stableImage: string;
  canaryImage: string;
  stable: RoutedApp;
  canary: RoutedApp;
  stop(): Promise<void>;
}

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

/**
 * Stable `web` (v1) rolled out, a canary Service process (v2), and HTTPRoute `web` on stable alone;
 * `readyTimeoutMs` bounds the wait for stable's replicas (a thousand on kwok take longer than two).
 */
export async function stableScene(ns: string, replicas = 2, readyTimeoutMs = 60_000): Promise<Scene> {
  const kube = adminKubeConfig();
  const stableImage = `${repository}@${fakeDigest()}`;
  await kube
    .makeApiClient(AppsV1Api)
    .createNamespacedDeployment({ namespace: ns, body: stableDeployment(stableImage, replicas) });
  await waitForDeployment(kube, ns, 'web', 'rolled out', isRolledOut, readyTimeoutMs);
  const stable = await startRoutedApp({ kube, namespace: ns, service: 'web', version: 'v1' });
  const canary = await startRoutedApp({
    kube,
    namespace: ns,
    service: 'web-canary',
    version: 'v2',
    selector: { app: 'web-canary' },
  });
  await createRoute(kube, ns, 'web', hostOf(ns), [{ service: 'web', port: stable.port }]);
  await waitForRouteAccepted(kube, ns, 'web', 30_000);
  await servedThroughGateway(hostOf(ns));
  return {
    ns,
    host: hostOf(ns),
    stableImage,
    canaryImage: `${repository}@${fakeDigest()}`,
    stable,
    canary,
    async stop() {
      await Promise.all([stable.stop(), canary.stop()]);
    },
  };
}

/**
 * The production scene the canary examples expect, for the tests of a describe block: namespace `ns`
 * afresh (what an earlier run left is deleted) with the stable `web` and its HTTPRoute.
 */
export function useExampleScene(ns: string): { readonly scene: Scene } {
  const current = {} as { scene: Scene };
  beforeAll(async () => {
    await freshNamespaces([ns]);
    current.scene = await stableScene(ns);
  }, 180_000);
  afterAll(async () => {
    await current.scene?.stop();
  });
  return current;
}

/** Traefik reports a route accepted before its router serves it: wait for 20 answers in a row from stable. */
async function servedThroughGateway(host: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (let ok = 0; ok < 20;) {
    if (Date.now() > deadline) throw new Error(`${host} is not served through the gateway`);
    const r = await getThroughGateway(host);
    ok = r.status === 200 && r.version === 'v1' ? ok + 1 : 0;
  }
}

export function canaryInputs(s: Scene, extra: Record<string, string> = {}): Record<string, string> {
  return {
    deployment: 'web',
    namespace: s.ns,
    kubeconfig: env.KUBECONFIG,
    image: contractOf(repository, s.canaryImage.split('@')[1]!),
    'prometheus-url': env.PROMETHEUS_URL,
    'sample-every': '1s',
    'min-requests': '5',
    'lease-duration': '6s',
    ...extra,
  };
}

export const promote = (inputs: Record<string, string>): Promise<ActionRun> =>
  runAction('canary-promote', inputs);

export interface Spawned {
  /** The environment it ran with: its post step runs with the same (state in RUNNER_TEMP). */
  env: NodeJS.ProcessEnv;
  child: ChildProcess;
  stderr(): string;
  stdout(): string;
  exited: Promise<number | null>;
}

/** The bundle in the background, to be signalled mid-step. */
export function spawnPromote(inputs: Record<string, string>): Spawned {
  const given: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: tmp('kubeline-canary-'),
    KUBELINE_PLATFORM: 'cli',
  };
  for (const [k, v] of Object.entries(inputs)) given[`INPUT_${k.toUpperCase()}`] = v;
  const run = spawnBundle('canary-promote', given);
  return { env: given, child: run.child, stderr: run.stderr, stdout: run.stdout, exited: run.exited };
}

/** The post step of a spawned run, as GitLab's after_script or GitHub's post: would run it. */
export function runPost(s: Spawned): Promise<Ran> {
  return runProcess(NODE, [join(repoRoot, 'actions', 'canary-promote', 'dist', 'index.js')], {
    ...s.env,
    KUBELINE_PHASE: 'post',
  });
}

interface RouteRef {
  name: string;
  weight?: number;
  port?: number;
}

export async function routeRefs(ns: string, name = 'web'): Promise<RouteRef[]> {
  const route = (await adminKubeConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    namespace: ns,
    plural: 'httproutes',
    name,
  })) as {
    spec: { rules: Array<{ backendRefs: RouteRef[] }> };
  };
  return route.spec.rules[0]!.backendRefs;
}

export async function routeRules(
  ns: string,
  name = 'web',
): Promise<Array<{ backendRefs: RouteRef[]; matches?: unknown[] }>> {
  const route = (await adminKubeConfig().makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
    group: 'gateway.networking.k8s.io',
    version: 'v1',
    namespace: ns,
    plural: 'httproutes',
    name,
  })) as {
    spec: { rules: Array<{ backendRefs: RouteRef[]; matches?: unknown[] }> };
  };
  return route.spec.rules;
}

/** The canary's weight in the route, 0 when it has no canary ref. */
export async function canaryWeight(ns: string): Promise<number> {
  const refs = await routeRefs(ns);
  return refs.find((r) => r.name === 'web-canary')?.weight ?? 0;
}

export async function waitForWeight(ns: string, weight: number, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if ((await canaryWeight(ns)) === weight) return Date.now();
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`the canary weight never reached ${weight} (it is ${await canaryWeight(ns)})`);
}

export async function canaryState(ns: string): Promise<{ holder?: string; state: Record<string, unknown> }> {
  const lease = await adminKubeConfig()
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: 'kubeline-canary-web', namespace: ns });
  return {
    holder: lease.spec?.holderIdentity,
    state: JSON.parse(lease.metadata?.annotations?.['kubeline.dev/canary-state'] ?? '{}') as Record<
      string,
      unknown
    >,
  };
}

export async function deploymentExists(ns: string, name: string): Promise<boolean> {
  try {
    await adminKubeConfig().makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace: ns });
    return true;
  } catch {
    return false;
  }
}

export interface Measurements {
  timeline: Array<{ at: number; weight: number; event: string }>;
  measurements: Array<{
    step: number;
    weight: number;
    final: boolean;
    outcome?: string;
    values: Record<string, number | null>;
  }>;
}

export const readMeasurements = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Measurements;
