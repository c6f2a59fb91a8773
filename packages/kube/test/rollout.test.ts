// waitForRollout and waitFor over a scripted watch: list, watch, resume, re-list on 410, timeout,
// cancellation. Against the real API server: test/e2e/kube.test.ts.
import type http from 'node:http';
import {
  connect,
  prepareKubeconfig,
  waitFor,
  waitForRollout,
  type Cluster,
  type PreparedKubeconfig,
} from '@kubeline/kube';
import { clearSecrets } from '@kubeline/runtime';
import { json, startFakeApiServer, watchStream, type FakeApiServer } from './fake-apiserver.js';

const PATH = '/apis/apps/v1/namespaces/shop/deployments';

function deployment(rv: number, status: Record<string, unknown>, generation = 2) {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', namespace: 'shop', generation, resourceVersion: String(rv) },
    spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: {} },
    status: { observedGeneration: generation, ...status },
  };
}
const progressing = (rv: number) => deployment(rv, { replicas: 2, updatedReplicas: 1, availableReplicas: 1 });
const complete = (rv: number) => deployment(rv, { replicas: 2, updatedReplicas: 2, availableReplicas: 2 });

let api: FakeApiServer;
let kubeconfig: PreparedKubeconfig;
let cluster: Cluster;
/** The next list answers, in order; the last one repeats. */
let lists: unknown[][];
/** One script per watch request, in order. */
let watches: ((send: ReturnType<typeof watchStream>, url: URL) => void)[];
let open: http.ServerResponse[];

beforeAll(async () => {
  process.env.KUBELINE_PLATFORM = 'cli';
  api = await startFakeApiServer();
  api.on('GET', PATH, (url, res) => {
    if (url.searchParams.get('watch') === 'true') {
      open.push(res);
      const script = watches.shift();
      const send = watchStream(res);
      if (script) script(send, url);
      return;
    }
    const items = lists.length > 1 ? lists.shift()! : lists[0]!;
    json(res, 200, {
      apiVersion: 'apps/v1',
      kind: 'DeploymentList',
      metadata: { resourceVersion: '10' },
      items,
    });
  });
  kubeconfig = prepareKubeconfig({ kubeconfig: api.kubeconfig });
  cluster = await connect(kubeconfig.path);
});

beforeEach(() => {
  api.requests.length = 0;
  open = [];
});

afterEach(() => {
  for (const res of open) res.end();
});

afterAll(async () => {
  kubeconfig.cleanup();
  await api.close();
  clearSecrets();
});

const watchRequests = () =>
  api.requests.filter((r) => r.startsWith(`GET ${PATH}?`) && r.includes('watch=true'));
const listRequests = () =>
  api.requests.filter((r) => r.startsWith(`GET ${PATH}?`) && !r.includes('watch=true'));

describe('waitForRollout by watch', () => {
  it('reports each progress message once and completes when the watch shows the rollout done', async () => {
    lists = [[progressing(10)]];
    watches = [
      (send) => {
        send('MODIFIED', progressing(11)); // same message: not repeated
        setTimeout(() => send('MODIFIED', complete(12)), 20);
      },
    ];
    const messages: string[] = [];
    const result = await waitForRollout(cluster, 'Deployment', 'web', 'shop', {
      timeoutMs: 5000,
      onProgress: (m) => messages.push(m),
    });
    expect(result).toMatchObject({
      ok: true,
      outcome: 'complete',
      message: 'deployment "web" successfully rolled out',
    });
    expect(messages).toEqual([
      'waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated',
      'deployment "web" successfully rolled out',
    ]);
    expect(watchRequests()[0]).toContain('fieldSelector=metadata.name%3Dweb');
    expect(watchRequests()[0]).toContain('resourceVersion=10');
  });

  it('fails fast on ProgressDeadlineExceeded instead of waiting for the timeout', async () => {
    lists = [[progressing(10)]];
    const stuck = deployment(11, {
      updatedReplicas: 1,
      conditions: [
        { type: 'Progressing', status: 'False', reason: 'ProgressDeadlineExceeded', message: 'timed out' },
      ],
    });
    watches = [(send) => send('MODIFIED', stuck)];
    const started = Date.now();
    const result = await waitForRollout(cluster, 'Deployment', 'web', 'shop', {
      timeoutMs: 60_000,
      onProgress: () => {},
    });
    expect(result).toMatchObject({
      ok: false,
      outcome: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message: 'deployment "web" exceeded its progress deadline: timed out',
    });
    expect(Date.now() - started).toBeLessThan(5000);
    expect((result.object as { metadata: { resourceVersion: string } }).metadata.resourceVersion).toBe('11');
  });

  it('resumes a watch that ended cleanly from the last resourceVersion, without listing again', async () => {
    lists = [[progressing(10)]];
    watches = [
      (send) => {
        send('BOOKMARK', { kind: 'Deployment', apiVersion: 'apps/v1', metadata: { resourceVersion: '15' } });
        send();
      },
      (send) => send('MODIFIED', complete(16)),
    ];
    const result = await waitForRollout(cluster, 'Deployment', 'web', 'shop', {
      timeoutMs: 5000,
      onProgress: () => {},
    });
    expect(result.ok).toBe(true);
    expect(listRequests()).toHaveLength(1);
    expect(watchRequests()).toHaveLength(2);
    expect(watchRequests()[1]).toContain('resourceVersion=15');
  });

  it('lists again when the server says the resourceVersion expired (410)', async () => {
    lists = [[progressing(10)], [complete(30)]];
    watches = [
      (send) => {
        send('ERROR', { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 410, reason: 'Expired' });
        send();
      },
    ];
    const result = await waitForRollout(cluster, 'Deployment', 'web', 'shop', {
      timeoutMs: 5000,
      onProgress: () => {},
    });
    expect(result).toMatchObject({ ok: true, outcome: 'complete' });
    expect(listRequests()).toHaveLength(2);
  });

  it('times out with the last status message', async () => {
    lists = [[progressing(10)]];
    watches = [() => {}];
    const result = await waitForRollout(cluster, 'Deployment', 'web', 'shop', {
      timeoutMs: 300,
      onProgress: () => {},
    });
    expect(result).toMatchObject({
      ok: false,
      outcome: 'timeout',
      reason: 'Timeout',
      message:
        'timed out after 300ms waiting for deployment "web" rollout to finish: 1 out of 2 new replicas have been updated',
    });
  });

  it('stops when the signal aborts', async () => {
    lists = [[progressing(10)]];
    watches = [() => {}];
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const result = await waitForRollout(cluster, 'Deployment', 'web', 'shop', {
      timeoutMs: 60_000,
      signal: controller.signal,
      onProgress: () => {},
    });
    expect(result).toMatchObject({ ok: false, outcome: 'cancelled' });
  });

  it('fails when the Deployment does not exist or is deleted while waiting', async () => {
    lists = [[]];
    watches = [];
    const missing = await waitForRollout(cluster, 'Deployment', 'web', 'shop', {
      timeoutMs: 5000,
      onProgress: () => {},
    });
    expect(missing).toMatchObject({
      ok: false,
      reason: 'NotFound',
      message: 'Deployment web not found in namespace shop',
    });

    lists = [[progressing(10)]];
    watches = [(send) => send('DELETED', progressing(11))];
    const deleted = await waitForRollout(cluster, 'Deployment', 'web', 'shop', {
      timeoutMs: 5000,
      onProgress: () => {},
    });
    expect(deleted).toMatchObject({ ok: false, reason: 'NotFound' });
  });
});

describe('waitFor', () => {
  it('passes each version to the predicate until it accepts one', async () => {
    lists = [[deployment(10, {}, 1)]];
    watches = [
      (send) => {
        send('MODIFIED', deployment(11, {}, 2));
        send('MODIFIED', deployment(12, {}, 3));
      },
    ];
    const seen: number[] = [];
    const result = await waitFor<{ metadata?: { generation?: number } } & { apiVersion?: string }>(
      cluster,
      { apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', namespace: 'shop' },
      (obj) => {
        seen.push(obj?.metadata?.generation ?? -1);
        return obj?.metadata?.generation === 3;
      },
      { timeoutMs: 5000 },
    );
    expect(result.status).toBe('met');
    expect(seen).toEqual([1, 2, 3]);
  });
});
