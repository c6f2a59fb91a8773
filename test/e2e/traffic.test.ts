// Real traffic through the stack's Traefik: an HTTPRoute's weights split requests between two real
// processes behind loopback ClusterIPs, a weight change goes live within seconds, Traefik reports
// the route's status, and its own metrics reach the stack's Prometheus.
import { afterEach, describe, expect, test } from '@jest/globals';
import { CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import {
  createRoute,
  getThroughGateway,
  sendRequests,
  startRoutedApp,
  waitForRouteAccepted,
  type Backend,
  type RoutedApp,
} from './harness/gateway.js';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { queryPrometheus, waitForQueryValue } from './harness/prometheus.js';
import { pollUntil } from '../stack/wait.js';

const ROUTE = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };

interface RouteObject {
  metadata: { generation: number };
  status?: {
    parents?: Array<{
      controllerName: string;
      parentRef: { name: string; namespace?: string; sectionName?: string };
      conditions: Array<{ type: string; status: string; reason: string; observedGeneration?: number }>;
    }>;
  };
}

const readRoute = async (kube: KubeConfig, namespace: string, name: string) =>
  (await kube
    .makeApiClient(CustomObjectsApi)
    .getNamespacedCustomObject({ ...ROUTE, namespace, name })) as RouteObject;

/** Replaces the backends of the route's one rule (a JSON patch: the whole list, weights included). */
async function setBackends(kube: KubeConfig, namespace: string, name: string, backends: Backend[]) {
  await kube.makeApiClient(CustomObjectsApi).patchNamespacedCustomObject({
    ...ROUTE,
    namespace,
    name,
    body: [
      {
        op: 'replace',
        path: '/spec/rules/0/backendRefs',
        value: backends.map((b) => ({ name: b.service, port: b.port, weight: b.weight })),
      },
    ],
  });
}

/** Until Traefik serves the route: Accepted in its status comes before its config is live. */
async function waitForServing(hostname: string): Promise<void> {
  await pollUntil(async () => (await getThroughGateway(hostname, 2_000)).status === 200, {
    timeoutMs: 15_000,
    intervalMs: 100,
  });
}

/** ms from `since` to the first of `run` consecutive responses all from `version`. */
async function timeUntilOnly(hostname: string, version: string, since: number, run = 20): Promise<number> {
  const deadline = since + 15_000;
  let streak: number[] = [];
  while (Date.now() < deadline) {
    const r = await getThroughGateway(hostname, 2_000);
    streak = r.status === 200 && r.version === version ? [...streak, r.at] : [];
    if (streak.length === run) return streak[0]! - since;
  }
  throw new Error(`no ${run} consecutive ${version} responses within 15 s`);
}

describe('traffic through the stack Gateway (Traefik, Gateway API HTTPRoute)', () => {
  const ns = useTestNamespace('traffic');
  const apps: RoutedApp[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((a) => a.stop()));
  });

  /** app-v1 and app-v2 behind HTTPRoute `split` at 80/20, served. */
  async function splitScene() {
    const kube = adminKubeConfig();
    const host = `${ns.name}.traffic.test`;
    for (const version of ['v1', 'v2'])
      apps.push(await startRoutedApp({ kube, namespace: ns.name, service: `app-${version}`, version }));
    const [v1, v2] = apps as [RoutedApp, RoutedApp];
    const backends = (w1: number, w2: number): Backend[] => [
      { service: v1.service, port: v1.port, weight: w1 },
      { service: v2.service, port: v2.port, weight: w2 },
    ];
    await createRoute(kube, ns.name, 'split', host, backends(80, 20));
    await waitForRouteAccepted(kube, ns.name, 'split', 30_000);
    await waitForServing(host);
    return { kube, host, v1, v2, backends };
  }

  test('weights 80/20 split 1000 requests exactly (weighted round robin), none fails', async () => {
    const { host } = await splitScene();
    const r = await sendRequests(host, 1000);
    console.log(`80/20 split of 1000: ${JSON.stringify(r)}`);
    expect(r.errors).toBe(0);
    expect(r.byStatus).toEqual({ 200: 1000 });
    expect(Math.abs((r.byVersion.v1 ?? 0) - 800)).toBeLessThanOrEqual(20);
    expect(Math.abs((r.byVersion.v2 ?? 0) - 200)).toBeLessThanOrEqual(20);
  });

  test('a weight patch to 0/100 is live within 5 s; Traefik reports the new generation Accepted', async () => {
    const { kube, host, backends } = await splitScene();
    const before = await readRoute(kube, ns.name, 'split');
    const since = Date.now();
    await setBackends(kube, ns.name, 'split', backends(0, 100));
    const propagation = await timeUntilOnly(host, 'v2', since);
    console.log(`weight switch 80/20 → 0/100: 20 consecutive v2 responses from ${propagation} ms`);
    expect(propagation).toBeLessThan(5_000);

    await waitForRouteAccepted(kube, ns.name, 'split', 10_000);
    const accepted = Date.now() - since;
    const after = await readRoute(kube, ns.name, 'split');
    console.log(`route status ${accepted} ms after the patch: ${JSON.stringify(after.status)}`);
    expect(after.metadata.generation).toBe(before.metadata.generation + 1);
    const [parent] = after.status?.parents ?? [];
    expect(parent).toMatchObject({
      controllerName: 'traefik.io/gateway-controller',
      parentRef: { name: 'kubeline', namespace: 'kubeline-gateway', sectionName: 'web' },
    });
    for (const type of ['Accepted', 'ResolvedRefs'])
      expect(parent?.conditions).toContainEqual(
        expect.objectContaining({
          type,
          status: 'True',
          reason: type,
          observedGeneration: after.metadata.generation,
        }),
      );
  });

  test("Prometheus scrapes Traefik's per-service request counter and the stack's latency buckets", async () => {
    const { host } = await splitScene();
    const r = await sendRequests(host, 100);
    const v2 = r.byVersion.v2 ?? 0;
    expect(v2).toBeGreaterThan(0);
    const selector = `service=~".*-${ns.name}-app-v2-.*@kubernetesgateway"`;
    await waitForQueryValue(`sum(traefik_service_requests_total{${selector}})`, (v) => v === v2);

    const series = await queryPrometheus(`traefik_service_request_duration_seconds_bucket{${selector}}`);
    const services = [...new Set(series.map((s) => s.metric.service))];
    const le = (bound: string) => (bound === '+Inf' ? Infinity : Number(bound));
    const buckets = [...new Set(series.map((s) => s.metric.le!))].sort((a, b) => le(a) - le(b));
    console.log(`Traefik service label of app-v2: ${services.join(', ')}; buckets ${buckets.join(' ')}`);
    // Traefik 3.7 names a Gateway API backend after its route, Gateway, entrypoint, rule index, a hash
    // (per route; a weight patch keeps it), its Service and its index among the rule's backendRefs.
    const [service] = services;
    expect(services).toHaveLength(1);
    expect(service).toMatch(
      new RegExp(
        `^httproute-${ns.name}-split-gw-kubeline-gateway-kubeline-ep-web-0-[0-9a-f]{20}-svc-${ns.name}-app-v2-1@kubernetesgateway$`,
      ),
    );
    expect(buckets).toEqual([
      '0.005',
      '0.01',
      '0.025',
      '0.05',
      '0.1',
      '0.25',
      '0.5',
      '1',
      '2.5',
      '5',
      '+Inf',
    ]);
  });
});
