// Real traffic for the canary tests: test apps listening on loopback ClusterIPs behind Services that
// the stack's Traefik routes to (Gateway API HTTPRoutes), and bounded request loops through it.
import { randomInt } from 'node:crypto';
import { request } from 'node:http';
import { CoreV1Api, CustomObjectsApi, type KubeConfig } from '@kubernetes/client-node';
import { startTestApp, type TestApp } from './app.js';
import { loadStackEnv } from './stack-env.js';

export interface RoutedApp extends TestApp {
  clusterIP: string;
  service: string;
}

const taken = new Set<string>();

/** A free address of the stack's loopback ServiceCIDR (127.96.0.0/24), not yet used by this process. */
function pickClusterIP(): string {
  for (;;) {
    const ip = `127.96.0.${randomInt(10, 251)}`;
    if (!taken.has(ip)) return ip;
  }
}

/**
 * A test app (x-app-version: `version`) on a loopback ClusterIP and the Service `service` that
 * carries it; Traefik dials the ClusterIP (`traefik.io/service.nativelb`), since the apiserver
 * refuses loopback endpoints. An address in use (another test's) is tried again elsewhere.
 */
export async function startRoutedApp(o: {
  kube: KubeConfig;
  namespace: string;
  service: string;
  version: string;
  port?: number;
  selector?: Record<string, string>;
}): Promise<RoutedApp> {
  const port = o.port ?? 8080;
  const core = o.kube.makeApiClient(CoreV1Api);
  for (let attempt = 1; ; attempt++) {
    const clusterIP = pickClusterIP();
    taken.add(clusterIP);
    let app: TestApp;
    try {
      app = await startTestApp({ host: clusterIP, port, version: o.version });
    } catch (e) {
      if (attempt < 10) continue; // the address is another process's
      throw e;
    }
    try {
      await core.createNamespacedService({
        namespace: o.namespace,
        body: {
          metadata: { name: o.service, annotations: { 'traefik.io/service.nativelb': 'true' } },
          spec: {
            type: 'ClusterIP',
            clusterIP,
            ports: [{ name: 'http', port, targetPort: port }],
            selector: o.selector ?? { app: o.service },
          },
        },
      });
    } catch (e) {
      await app.stop();
      if (attempt < 10 && /already allocated|provided IP/.test(String((e as Error).message))) continue;
      throw e;
    }
    return {
      ...app,
      clusterIP,
      service: o.service,
      async stop() {
        await app.stop();
        await deleteService(core, o.namespace, o.service);
        taken.delete(clusterIP);
      },
    };
  }
}

/** Frees the ClusterIP now rather than when the namespace finalizes; gone already is fine. */
async function deleteService(core: CoreV1Api, namespace: string, name: string): Promise<void> {
  try {
    await core.deleteNamespacedService({ namespace, name });
  } catch (e) {
    if ((e as { code?: number }).code !== 404) throw e;
  }
}

export interface Backend {
  service: string;
  port: number;
  weight?: number;
}

const routes = (kube: KubeConfig) => kube.makeApiClient(CustomObjectsApi);
const ROUTE = { group: 'gateway.networking.k8s.io', version: 'v1', plural: 'httproutes' };

/** An HTTPRoute on the stack's Gateway for `hostname`, one rule to the backends. */
export async function createRoute(
  kube: KubeConfig,
  namespace: string,
  name: string,
  hostname: string,
  backends: Backend[],
): Promise<void> {
  const env = loadStackEnv();
  await routes(kube).createNamespacedCustomObject({
    ...ROUTE,
    namespace,
    body: {
      apiVersion: 'gateway.networking.k8s.io/v1',
      kind: 'HTTPRoute',
      metadata: { name },
      spec: {
        parentRefs: [{ name: env.GATEWAY_NAME, namespace: env.GATEWAY_NAMESPACE, sectionName: 'web' }],
        hostnames: [hostname],
        rules: [
          {
            backendRefs: backends.map((b) => ({
              name: b.service,
              port: b.port,
              ...(b.weight !== undefined ? { weight: b.weight } : {}),
            })),
          },
        ],
      },
    },
  });
}

interface RouteStatus {
  metadata: { generation: number };
  status?: {
    parents?: Array<{ conditions?: Array<{ type: string; status: string; observedGeneration?: number }> }>;
  };
}

/** Until Traefik reports the route's current generation Accepted and its refs resolved. */
export async function waitForRouteAccepted(
  kube: KubeConfig,
  namespace: string,
  name: string,
  timeoutMs: number,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = 'no status';
  while (Date.now() < deadline) {
    const r = (await routes(kube).getNamespacedCustomObject({ ...ROUTE, namespace, name })) as RouteStatus;
    const conditions = r.status?.parents?.[0]?.conditions ?? [];
    const ok = (type: string) =>
      conditions.some(
        (c) => c.type === type && c.status === 'True' && (c.observedGeneration ?? 0) >= r.metadata.generation,
      );
    if (ok('Accepted') && ok('ResolvedRefs')) return;
    last = JSON.stringify(conditions);
    await new Promise((res) => setTimeout(res, 200));
  }
  throw new Error(`HTTPRoute ${namespace}/${name} not accepted within ${timeoutMs} ms: ${last}`);
}

export interface TrafficRecord {
  /** When the response ended (epoch ms). */
  at: number;
  version: string;
  /** HTTP status; 0 for a connection error or timeout. */
  status: number;
}

function gatewayUrl(): string {
  const url = loadStackEnv().GATEWAY_URL;
  if (!url) throw new Error('GATEWAY_URL is not set: the stack predates its Gateway (run npm run stack:up)');
  return url;
}

/** One GET of / through the Gateway with `hostname` as Host (fetch cannot set Host). */
export function getThroughGateway(
  hostname: string,
  timeoutMs = 5_000,
  headers: Record<string, string> = {},
): Promise<TrafficRecord> {
  const gateway = new URL(gatewayUrl());
  return new Promise((resolve) => {
    const req = request(
      {
        host: gateway.hostname,
        port: gateway.port,
        path: '/',
        headers: { ...headers, host: hostname },
        timeout: timeoutMs,
        agent: false,
      },
      (res) => {
        res.resume();
        res.on('end', () =>
          resolve({
            at: Date.now(),
            version: String(res.headers['x-app-version'] ?? ''),
            status: res.statusCode ?? 0,
          }),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', () => resolve({ at: Date.now(), version: '', status: 0 }));
    req.end();
  });
}

/** n requests, `concurrency` at a time: counts by version and by status. */
export async function sendRequests(hostname: string, n: number, o: { concurrency?: number } = {}) {
  const records: TrafficRecord[] = [];
  let next = 0;
  const worker = async () => {
    while (next < n) {
      next++;
      records.push(await getThroughGateway(hostname));
    }
  };
  await Promise.all(Array.from({ length: o.concurrency ?? 4 }, worker));
  const count = (key: (r: TrafficRecord) => string | number) =>
    records.reduce<Record<string, number>>((acc, r) => ((acc[key(r)] = (acc[key(r)] ?? 0) + 1), acc), {});
  return {
    byVersion: count((r) => r.version),
    byStatus: count((r) => r.status),
    errors: records.filter((r) => r.status === 0).length,
  };
}

/**
 * A background load of `rps` requests a second (each on its own, so a slow answer does not slow the
 * rate), stopping by itself after `maxSeconds`; `stop()` ends it and hands back every response.
 */
export function startTraffic(
  hostname: string,
  o: { rps: number; maxSeconds: number; headers?: Record<string, string> },
): {
  stop(): Promise<TrafficRecord[]>;
  settle(done: (sorted: TrafficRecord[]) => boolean, timeoutMs: number): Promise<void>;
} {
  const records: TrafficRecord[] = [];
  const pending = new Set<Promise<void>>();
  const timer = setInterval(() => {
    const p = getThroughGateway(hostname, 5_000, o.headers).then((r) => void records.push(r));
    pending.add(p);
    void p.finally(() => pending.delete(p));
  }, 1000 / o.rps);
  const limit = setTimeout(() => clearInterval(timer), o.maxSeconds * 1000);
  // A test that fails before stop() must not keep jest alive.
  timer.unref();
  limit.unref();
  return {
    async stop() {
      clearInterval(timer);
      clearTimeout(limit);
      await Promise.all(pending);
      return records.sort((a, b) => a.at - b.at);
    },
    // The router applies a changed route on its own schedule: a test waits for the traffic it
    // expects, bounded, and its assertion then reads the same records.
    async settle(done, timeoutMs) {
      const end = Date.now() + timeoutMs;
      while (Date.now() < end && !done([...records].sort((a, b) => a.at - b.at))) {
        await new Promise((r) => setTimeout(r, 250));
      }
    },
  };
}
