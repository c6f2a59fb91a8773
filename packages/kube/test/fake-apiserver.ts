// A local HTTP fake of the Kubernetes API: just enough discovery, list and watch for client-node to
// talk to, with answers scripted per test. The real API server is exercised in test/e2e/kube.test.ts.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect, prepareKubeconfig, type Cluster, type PreparedKubeconfig } from '@kubeline/kube';
import { clearSecrets } from '@kubeline/runtime';

export type Handler = (url: URL, res: http.ServerResponse, req: http.IncomingMessage) => void;

export interface FakeApiServer {
  url: string;
  /** `METHOD /path?query` of every request, in arrival order. */
  requests: string[];
  /** Kubeconfig content pointing at the fake, with a bearer token. */
  kubeconfig: string;
  on(method: string, pathname: string, handler: Handler): void;
  close(): Promise<void>;
}

export const TOKEN = 'fake-apiserver-token-123';

export function json(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

export function status(res: http.ServerResponse, code: number, reason: string, message: string): void {
  json(res, code, {
    kind: 'Status',
    apiVersion: 'v1',
    metadata: {},
    status: 'Failure',
    message,
    reason,
    code,
  });
}

/** Starts a watch response; returns a function that sends one event (or ends the stream with no arg). */
export function watchStream(res: http.ServerResponse): (type?: string, object?: unknown) => void {
  res.writeHead(200, { 'content-type': 'application/json', 'transfer-encoding': 'chunked' });
  res.flushHeaders();
  return (type, object) => {
    if (type === undefined) res.end();
    else res.write(JSON.stringify({ type, object }) + '\n');
  };
}

const discovery: Record<string, unknown> = {
  '/apis/apps/v1': {
    kind: 'APIResourceList',
    apiVersion: 'v1',
    groupVersion: 'apps/v1',
    resources: ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].map((kind) => ({
      name: `${kind.toLowerCase()}s`,
      singularName: kind.toLowerCase(),
      namespaced: true,
      kind,
      verbs: ['get', 'list', 'watch'],
    })),
  },
};

export async function startFakeApiServer(): Promise<FakeApiServer> {
  const routes = new Map<string, Handler>();
  const requests: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    requests.push(`${req.method} ${url.pathname}${url.search}`);
    if (req.headers.authorization !== `Bearer ${TOKEN}`)
      return status(res, 401, 'Unauthorized', 'Unauthorized');
    const handler = routes.get(`${req.method} ${url.pathname}`);
    if (handler) return handler(url, res, req);
    if (req.method === 'GET' && discovery[url.pathname]) return json(res, 200, discovery[url.pathname]);
    status(res, 404, 'NotFound', `the server could not find the requested resource (${url.pathname})`);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url,
    requests,
    kubeconfig: `apiVersion: v1
kind: Config
clusters: [{name: fake, cluster: {server: "${url}", insecure-skip-tls-verify: true}}]
users: [{name: ci-deployer, user: {token: ${TOKEN}}}]
contexts: [{name: fake, context: {cluster: fake, user: ci-deployer, namespace: shop}}]
current-context: fake
`,
    on: (method, pathname, handler) => routes.set(`${method} ${pathname}`, handler),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

export interface FakeCluster {
  api: FakeApiServer;
  /** Connected to `api` with its kubeconfig, as an action would be. */
  cluster: Cluster;
  kubeconfig: PreparedKubeconfig;
}

/** A fake API server and a client-node Cluster on it for the enclosing block's tests, closed after them. */
export function useFakeCluster(): FakeCluster {
  const fake = {} as FakeCluster;
  beforeAll(async () => {
    process.env.KUBELINE_PLATFORM = 'cli';
    process.env.KUBELINE_RETRY_BASE_MS = '5';
    fake.api = await startFakeApiServer();
    fake.kubeconfig = prepareKubeconfig({ kubeconfig: fake.api.kubeconfig });
    fake.cluster = await connect(fake.kubeconfig.path, fake.kubeconfig.context);
  });
  afterAll(async () => {
    fake.kubeconfig.cleanup();
    await fake.api.close();
    clearSecrets();
  });
  return fake;
}
