import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ClusterUnreachableError,
  KubeAccessError,
  KubeApiError,
  connect,
  isNotFound,
  prepareKubeconfig,
  unlessNotFound,
  type Cluster,
} from '@kubeline/kube';
import { TOKEN, json, status, useFakeCluster } from './fake-apiserver.js';

const fake = useFakeCluster();

const caught = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );

describe('connect', () => {
  it('describes the cluster from the kubeconfig', () => {
    expect({
      server: fake.cluster.server,
      context: fake.cluster.context,
      user: fake.cluster.user,
      ns: fake.cluster.namespace,
    }).toEqual({
      server: fake.api.url,
      context: 'fake',
      user: 'ci-deployer',
      ns: 'shop',
    });
  });

  it('names the context input and the contexts that exist', async () => {
    await expect(connect(fake.kubeconfig.path, 'prod')).rejects.toThrow(
      'input "context": "prod" is not valid; available contexts: fake',
    );
  });
});

describe('errors from the API server, in one line', () => {
  it('403: who cannot do what where, parsed from the RBAC message', async () => {
    fake.api.on('GET', '/api/v1/namespaces/kube-system/pods', (_u, res) =>
      status(
        res,
        403,
        'Forbidden',
        'pods is forbidden: User "system:serviceaccount:ci:deployer" cannot list resource "pods" in API group "" in the namespace "kube-system"',
      ),
    );
    const err = await caught(fake.cluster.core.listNamespacedPod({ namespace: 'kube-system' }));
    expect(err).toBeInstanceOf(KubeAccessError);
    expect(err!.message).toBe(
      'forbidden: system:serviceaccount:ci:deployer cannot list pods in namespace kube-system',
    );
    expect((err as KubeAccessError).forbidden).toEqual({
      user: 'system:serviceaccount:ci:deployer',
      verb: 'list',
      resource: 'pods',
      namespace: 'kube-system',
    });
  });

  it('401: the credentials were rejected, naming the server and kubeconfig user', async () => {
    const other = prepareKubeconfig({ kubeconfig: fake.api.kubeconfig.replace(TOKEN, 'expired-token-456') });
    try {
      const stale = await connect(other.path);
      const err = await caught(stale.core.listNamespacedPod({ namespace: 'shop' }));
      expect(err).toBeInstanceOf(KubeAccessError);
      expect(err!.message).toBe(
        `the Kubernetes API at ${fake.api.url} rejected the credentials of kubeconfig user "ci-deployer" (401 Unauthorized): the token or client certificate is invalid or expired`,
      );
    } finally {
      other.cleanup();
    }
  });

  it('404: the Status message, with the status kept for callers', async () => {
    fake.api.on('GET', '/apis/apps/v1/namespaces/shop/deployments/web', (_u, res) =>
      status(res, 404, 'NotFound', 'deployments.apps "web" not found'),
    );
    const err = await caught(fake.cluster.apps.readNamespacedDeployment({ name: 'web', namespace: 'shop' }));
    expect(err).toBeInstanceOf(KubeApiError);
    expect(err!.message).toBe('deployments.apps "web" not found');
    expect(isNotFound(err)).toBe(true);
  });

  it('unlessNotFound: a 404 is "there is none"; every other error still throws', async () => {
    const path = '/api/v1/namespaces/shop/configmaps/maybe';
    const read = () =>
      unlessNotFound(fake.cluster.core.readNamespacedConfigMap({ name: 'maybe', namespace: 'shop' }));
    fake.api.on('GET', path, (_u, res) => status(res, 404, 'NotFound', 'configmaps "maybe" not found'));
    await expect(read()).resolves.toBeUndefined();
    fake.api.on('GET', path, (_u, res) =>
      json(res, 200, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'maybe' }, data: { a: '1' } }),
    );
    expect((await read())?.data).toEqual({ a: '1' });
    fake.api.on('GET', path, (_u, res) =>
      status(
        res,
        403,
        'Forbidden',
        'configmaps "maybe" is forbidden: User "ci" cannot get resource "configmaps" in API group "" in the namespace "shop"',
      ),
    );
    await expect(read()).rejects.toThrow('forbidden: ci cannot get configmaps in namespace shop');
  });

  it('retries a read while the server is unavailable, then succeeds', async () => {
    let calls = 0;
    fake.api.on('GET', '/api/v1/namespaces/shop/configmaps/settings', (_u, res) => {
      if (++calls <= 2) return status(res, 503, 'ServiceUnavailable', 'etcd is restarting');
      json(res, 200, {
        apiVersion: 'v1',
        kind: 'ConfigMap',
        metadata: { name: 'settings' },
        data: { a: '1' },
      });
    });
    const cm = await fake.cluster.core.readNamespacedConfigMap({ name: 'settings', namespace: 'shop' });
    expect(cm.data).toEqual({ a: '1' });
    expect(calls).toBe(3);
  });

  it('does not retry a write', async () => {
    let calls = 0;
    fake.api.on('POST', '/api/v1/namespaces/shop/configmaps', (_u, res) => {
      calls++;
      status(res, 503, 'ServiceUnavailable', 'etcd is restarting');
    });
    const err = await caught(
      fake.cluster.core.createNamespacedConfigMap({ namespace: 'shop', body: { metadata: { name: 'x' } } }),
    );
    expect(err!.message).toBe('etcd is restarting');
    expect(calls).toBe(1);
  });
});

describe('an unreachable cluster', () => {
  async function withServer(server: string, fn: (c: Cluster) => Promise<void>): Promise<void> {
    const k = prepareKubeconfig({ kubeconfig: fake.api.kubeconfig.replace(fake.api.url, server) });
    try {
      await fn(await connect(k.path));
    } finally {
      k.cleanup();
    }
  }

  it('connection refused', async () => {
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    await withServer(`https://127.0.0.1:${port}`, async (c) => {
      const err = await caught(c.core.listNamespacedPod({ namespace: 'shop' }));
      expect(err).toBeInstanceOf(ClusterUnreachableError);
      expect(err!.message).toBe(
        `cannot reach the Kubernetes API at https://127.0.0.1:${port}: connection refused`,
      );
    });
  });

  it('unknown host', async () => {
    await withServer('https://kubeline-no-such-host.invalid:6443', async (c) => {
      const err = await caught(c.core.listNamespacedPod({ namespace: 'shop' }));
      expect(err).toBeInstanceOf(ClusterUnreachableError);
      expect(err!.message).toMatch(
        /^cannot reach the Kubernetes API at https:\/\/kubeline-no-such-host\.invalid:6443: (host kubeline-no-such-host\.invalid not found|DNS lookup of kubeline-no-such-host\.invalid failed \(temporary\))$/,
      );
    });
  });

  it('a TLS handshake with a plain HTTP server', async () => {
    await withServer(fake.api.url.replace('http:', 'https:'), async (c) => {
      const err = await caught(c.core.listNamespacedPod({ namespace: 'shop' }));
      expect(err).toBeInstanceOf(ClusterUnreachableError);
      expect(err!.message).toMatch(
        /^cannot reach the Kubernetes API at https:\/\/127\.0\.0\.1:\d+: TLS handshake failed \(/,
      );
    });
  });
});
