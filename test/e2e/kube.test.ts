// @kubeline/kube against the real stack: kubeconfig handling, rollout waits by watch, diagnostics
// of a rollout whose pods never become Ready (kwok keeps labelled pods unready), RBAC refusals
// through the namespace-scoped kubeconfig, and an unreachable or untrusted API server.
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import type { AddressInfo } from 'node:net';
import { parse, stringify } from 'yaml';
import type { V1Deployment } from '@kubernetes/client-node';
import {
  ClusterUnreachableError,
  KubeAccessError,
  canI,
  collectDiagnostics,
  connect,
  diagnose,
  prepareKubeconfig,
  renderDiagnostics,
  requireAccess,
  waitFor,
  waitForRollout,
  watchForFault,
  type Cluster,
  type PreparedKubeconfig,
} from '@kubeline/kube';
import { Summary, mask } from '@kubeline/runtime';
import { failDeploymentReadiness, withFailingReadiness } from './harness/readiness.js';
import { adminKubeConfig, podQuota, useTestNamespace } from './harness/kube.js';
import { loadStackEnv } from './harness/stack-env.js';
import { RequestCounter, servingCert } from '../support/apiserver-counter.js';

const limitedUser = 'system:serviceaccount:kubeline-limited:kubeline-deployer';

function webDeployment(
  name: string,
  opts: { replicas?: number; failReadiness?: boolean; deadline?: number } = {},
): V1Deployment {
  const template = {
    metadata: { labels: { app: name } },
    spec: {
      containers: [
        {
          name: 'app',
          image: 'registry.local/kubeline/web:1.0.0',
          readinessProbe: { httpGet: { path: '/ready', port: 8080 }, periodSeconds: 1 },
        },
      ],
    },
  };
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name },
    spec: {
      replicas: opts.replicas ?? 2,
      progressDeadlineSeconds: opts.deadline ?? 600,
      selector: { matchLabels: { app: name } },
      template: opts.failReadiness ? withFailingReadiness(template) : template,
    },
  };
}

/** A StatefulSet of `replicas` web pods, labelled `labels` (the selector takes `app` only). */
function webStatefulSet(name: string, replicas: number, labels: Record<string, string> = { app: name }) {
  const template = webDeployment(name).spec!.template;
  return {
    metadata: { name },
    spec: {
      replicas,
      serviceName: name,
      selector: { matchLabels: { app: name } },
      template: { ...template, metadata: { labels } },
    },
  };
}

const quiet = { onProgress: () => {} };

describe('as cluster admin', () => {
  const ns = useTestNamespace('kube');
  let kubeconfig: PreparedKubeconfig;
  let cluster: Cluster;

  beforeAll(async () => {
    // Content, as a CI secret would pass it: written 0600, every credential masked.
    const content = fs.readFileSync(loadStackEnv().KUBECONFIG, 'utf8');
    kubeconfig = prepareKubeconfig({ kubeconfig: content });
    cluster = await connect(kubeconfig.path, kubeconfig.context);
  });

  afterAll(() => kubeconfig.cleanup());

  it('writes the kubeconfig content privately and masks the client key', () => {
    expect(fs.statSync(kubeconfig.path).mode & 0o777).toBe(0o600);
    const key = parse(fs.readFileSync(kubeconfig.path, 'utf8')).users[0].user['client-key-data'] as string;
    expect(mask(`key: ${key}`)).toBe('key: ***');
  });

  it('waitForRollout succeeds for a good Deployment', async () => {
    await cluster.apps.createNamespacedDeployment({ namespace: ns.name, body: webDeployment('web') });
    const messages: string[] = [];
    const result = await waitForRollout(cluster, 'Deployment', 'web', ns.name, {
      timeoutMs: 120_000,
      onProgress: (m) => messages.push(m),
    });
    expect(result).toMatchObject({
      ok: true,
      outcome: 'complete',
      message: 'deployment "web" successfully rolled out',
    });
    expect((result.object as V1Deployment).status?.availableReplicas).toBe(2);
    expect(messages.at(-1)).toBe('deployment "web" successfully rolled out');
  });

  it('fails fast with ProgressDeadlineExceeded when pods never become Ready, and names readiness', async () => {
    await cluster.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: webDeployment('broken', { failReadiness: true, deadline: 5 }),
    });
    const result = await waitForRollout(cluster, 'Deployment', 'broken', ns.name, {
      timeoutMs: 120_000,
      failFast: false, // the Deployment's own deadline is what this shows
      ...quiet,
    });
    expect(result).toMatchObject({ ok: false, outcome: 'failed', reason: 'ProgressDeadlineExceeded' });
    expect(result.durationMs).toBeLessThan(60_000);

    const d = await collectDiagnostics(cluster, ns.name, { owner: { kind: 'Deployment', name: 'broken' } });
    expect(d.pods).toHaveLength(2);
    expect(d.pods.every((p) => p.phase === 'Running' && !p.ready)).toBe(true);
    expect(d.events.some((e) => e.reason === 'Unhealthy' && e.object.startsWith('Pod/broken-'))).toBe(true);
    expect(d.problems).toEqual([]);
    const cause = diagnose(d);
    expect(cause).toMatch(
      /^ProgressDeadlineExceeded: pods broken-\S+, broken-\S+ never became Ready: readiness probe failing/,
    );

    const summary = renderDiagnostics(new Summary(), d).toString();
    expect(summary).toContain(`**Cause:** ${cause}`);
    expect(summary).toContain('| Progressing | False | ProgressDeadlineExceeded |');
    for (const p of d.pods) expect(summary).toContain(`| ${p.name} | Running | no |`);
  });

  it('after a broken update, diagnoses the new pods only while the old ones keep serving', async () => {
    await cluster.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: webDeployment('shop', { replicas: 1, deadline: 5 }),
    });
    expect(
      (await waitForRollout(cluster, 'Deployment', 'shop', ns.name, { timeoutMs: 120_000, ...quiet })).ok,
    ).toBe(true);
    const before = await cluster.core.listNamespacedPod({ namespace: ns.name, labelSelector: 'app=shop' });
    const oldPod = before.items[0]!.metadata!.name!;

    await failDeploymentReadiness(adminKubeConfig(), ns.name, 'shop');
    const result = await waitForRollout(cluster, 'Deployment', 'shop', ns.name, {
      timeoutMs: 120_000,
      failFast: false,
      ...quiet,
    });
    expect(result.reason).toBe('ProgressDeadlineExceeded');

    const d = await collectDiagnostics(cluster, ns.name, { owner: { kind: 'Deployment', name: 'shop' } });
    expect(d.pods.find((p) => p.name === oldPod)?.ready).toBe(true);
    const cause = diagnose(d);
    expect(cause).toMatch(
      /^ProgressDeadlineExceeded: pods shop-\S+ never became Ready: readiness probe failing/,
    );
    expect(cause).not.toContain(oldPod);
  });

  it('waitForRollout follows a StatefulSet to its update revision', async () => {
    await cluster.apps.createNamespacedStatefulSet({ namespace: ns.name, body: webStatefulSet('db', 2) });
    const result = await waitForRollout(cluster, 'StatefulSet', 'db', ns.name, {
      timeoutMs: 120_000,
      ...quiet,
    });
    expect(result).toMatchObject({ ok: true, outcome: 'complete' });
    expect(result.message).toBe('statefulset "db" rolling update complete: 2 new pods have been updated');
  });

  it('the fail-fast verdict ends a StatefulSet wait on its update revision’s crash-looping pod', async () => {
    await cluster.apps.createNamespacedStatefulSet({
      namespace: ns.name,
      body: webStatefulSet('crashdb', 1, { app: 'crashdb', 'kubeline.dev/fail-as': 'crashloop' }),
    });
    const result = await waitForRollout(cluster, 'StatefulSet', 'crashdb', ns.name, {
      timeoutMs: 120_000,
      ...quiet,
    });
    expect(result).toMatchObject({ ok: false, outcome: 'failed', reason: 'FailFast' });
    expect(result.message).toBe('CrashLoopBackOff: exit 1, 2 restarts');
    expect(result.verdict?.fault).toMatchObject({ kind: 'crash-loop', pod: 'crashdb-0', container: 'app' });
    expect(result.durationMs).toBeLessThan(30_000);
  });

  /** The verdict names the quota's refusal, within seconds rather than the rollout's timeout. */
  function expectQuotaVerdict(r: Awaited<ReturnType<typeof waitForRollout>>, workload: string): void {
    expect(r).toMatchObject({ ok: false, outcome: 'failed', reason: 'FailFast' });
    expect(r.message).toMatch(/^FailedCreate: pods "[^"]+" is forbidden: exceeded quota: pods/);
    expect(r.verdict?.fault).toMatchObject({ kind: 'failed-create', workload });
    expect(r.durationMs).toBeLessThan(60_000);
  }

  it('a Deployment scaled into a quota, with no caller watching it: the fault watch reads it and gives the verdict', async () => {
    await cluster.apps.createNamespacedDeployment({
      namespace: ns.name,
      body: webDeployment('web', { replicas: 1 }),
    });
    await waitForRollout(cluster, 'Deployment', 'web', ns.name, { timeoutMs: 120_000, ...quiet });
    await podQuota(ns.name, 1, 1);
    const web = await cluster.apps.readNamespacedDeployment({ name: 'web', namespace: ns.name });
    web.spec!.replicas = 3;
    await cluster.apps.replaceNamespacedDeployment({ name: 'web', namespace: ns.name, body: web });
    const verdict = await watchForFault(
      cluster,
      { kind: 'Deployment', name: 'web', namespace: ns.name },
      AbortSignal.timeout(60_000),
      { policy: { crashRestarts: 2, confirmMs: 2_000 } },
    );
    expect(verdict?.fault).toMatchObject({
      kind: 'failed-create',
      replicaSet: expect.stringMatching(/^web-/),
    });
    expect(verdict?.fault.detail).toMatch(
      /^FailedCreate: pods "web-[^"]+" is forbidden: exceeded quota: pods/,
    );
  });

  it('a StatefulSet refused a pod by a quota: its FailedCreate events are the verdict (it has no ReplicaFailure)', async () => {
    await podQuota(ns.name, 1, 0);
    await cluster.apps.createNamespacedStatefulSet({ namespace: ns.name, body: webStatefulSet('db', 2) });
    const result = await waitForRollout(cluster, 'StatefulSet', 'db', ns.name, {
      timeoutMs: 180_000,
      ...quiet,
    });
    expectQuotaVerdict(result, 'StatefulSet db');
    expect(result.message).toContain('pods "db-1" is forbidden');
  });

  it('a DaemonSet refused a pod by a quota: its FailedCreate events are the verdict', async () => {
    await podQuota(ns.name, 1, 0);
    const template = webDeployment('agent').spec!.template;
    await cluster.apps.createNamespacedDaemonSet({
      namespace: ns.name,
      body: {
        metadata: { name: 'agent' },
        spec: {
          selector: { matchLabels: { app: 'agent' } },
          template: {
            metadata: { labels: { app: 'agent' } },
            spec: { ...template.spec!, tolerations: [{ operator: 'Exists' }] },
          },
        },
      },
    });
    const result = await waitForRollout(cluster, 'DaemonSet', 'agent', ns.name, {
      timeoutMs: 180_000,
      ...quiet,
    });
    expectQuotaVerdict(result, 'DaemonSet agent');
  });

  it('waitFor sees a change made after it started, by watch', async () => {
    await cluster.core.createNamespacedConfigMap({
      namespace: ns.name,
      body: { metadata: { name: 'flag' }, data: {} },
    });
    let listed!: () => void;
    const firstLook = new Promise<void>((r) => (listed = r));
    const seen: (string | undefined)[] = [];
    const waiting = waitFor<{ data?: Record<string, string> } & { apiVersion?: string; kind?: string }>(
      cluster,
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'flag', namespace: ns.name },
      (cm) => {
        seen.push(cm?.data?.ready);
        listed();
        return cm?.data?.ready === 'yes';
      },
      { timeoutMs: 30_000 },
    );
    // Changed only once the wait has seen the old state: the change must arrive through the watch.
    await firstLook;
    await cluster.core.replaceNamespacedConfigMap({
      name: 'flag',
      namespace: ns.name,
      body: { metadata: { name: 'flag' }, data: { ready: 'yes' } },
    });
    const result = await waiting;
    expect(result.status).toBe('met');
    expect(seen).toEqual([undefined, 'yes']);
  });
});

describe('connections to the API server', () => {
  const ns = useTestNamespace('kubeconn');

  it('are kept alive between calls: eleven requests, at most two TLS handshakes', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-conn-'));
    const counter = await RequestCounter.start(loadStackEnv().KUBECONFIG, servingCert(dir), dir);
    try {
      const cluster = await connect(counter.kubeconfig);
      await cluster.core.createNamespacedConfigMap({
        namespace: ns.name,
        body: { metadata: { name: 'kept' }, data: { n: '0' } },
      });
      for (let n = 1; n <= 5; n++) {
        const cm = await cluster.core.readNamespacedConfigMap({ name: 'kept', namespace: ns.name });
        await cluster.core.replaceNamespacedConfigMap({
          name: 'kept',
          namespace: ns.name,
          body: { ...cm, data: { n: String(n) } },
        });
      }
      expect(counter.tally.counts).toMatchObject({
        'POST configmaps': 1,
        'GET configmaps': 5,
        'PUT configmaps': 5,
      });
      // undici may open a second while the first is being released; without reuse, 11 handshakes
      expect(counter.tally.connections).toBeLessThanOrEqual(2);
      expect(counter.tally.failures).toEqual([]);
    } finally {
      await counter.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('with the namespace-scoped kubeconfig', () => {
  let kubeconfig: PreparedKubeconfig;
  let cluster: Cluster;
  let namespace: string;

  beforeAll(async () => {
    const env = loadStackEnv();
    namespace = env.LIMITED_NAMESPACE!;
    kubeconfig = prepareKubeconfig({ kubeconfig: env.KUBECONFIG_LIMITED });
    cluster = await connect(kubeconfig.path, kubeconfig.context);
  });

  afterAll(() => kubeconfig.cleanup());

  it('takes the namespace from the context and masks the token', () => {
    expect(kubeconfig.namespace).toBe(namespace);
    const token = parse(fs.readFileSync(kubeconfig.path, 'utf8')).users[0].user.token as string;
    expect(mask(token)).toBe('***');
  });

  it('explains a forbidden call: user, verb, resource and namespace', async () => {
    const err = await cluster.core.listNamespacedPod({ namespace: 'kube-system' }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(KubeAccessError);
    expect((err as Error).message).toBe(
      `forbidden: ${limitedUser} cannot list pods in namespace kube-system`,
    );
  });

  it('a rollout wait in a namespace it cannot read fails with the explanation, not a timeout', async () => {
    const err = await waitForRollout(cluster, 'Deployment', 'coredns', 'kube-system', {
      timeoutMs: 30_000,
      ...quiet,
    }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(KubeAccessError);
    expect((err as Error).message).toBe(
      `forbidden: ${limitedUser} cannot list deployments.apps in namespace kube-system`,
    );
  });

  it('canI answers by SelfSubjectAccessReview, requireAccess by one SelfSubjectRulesReview (access reviews for the rest)', async () => {
    expect((await canI(cluster, 'create', 'deployments.apps', namespace)).allowed).toBe(true);
    expect((await canI(cluster, 'create', 'deployments.apps', 'kube-system')).allowed).toBe(false);
    await expect(
      requireAccess(cluster, namespace, [
        ['patch', 'deployments.apps'],
        ['get', 'pods/log'],
      ]),
    ).resolves.toBeUndefined();
    await expect(
      requireAccess(cluster, 'kube-system', [
        ['list', 'pods'],
        ['create', 'deployments.apps'],
        ['get', 'configmaps'],
      ]),
    ).rejects.toThrow(
      `forbidden: ${limitedUser} cannot list pods, create deployments.apps, get configmaps in namespace kube-system`,
    );
  });

  it('waits for a rollout in its own namespace (list and watch under a Role)', async () => {
    const name = `limited-${Date.now().toString(36)}`;
    await cluster.apps.createNamespacedDeployment({ namespace, body: webDeployment(name, { replicas: 1 }) });
    try {
      const result = await waitForRollout(cluster, 'Deployment', name, namespace, {
        timeoutMs: 120_000,
        ...quiet,
      });
      expect(result).toMatchObject({ ok: true, outcome: 'complete' });
    } finally {
      await cluster.apps.deleteNamespacedDeployment({ name, namespace });
    }
  });
});

describe('an API server that cannot be reached', () => {
  const adminContent = () => parse(fs.readFileSync(loadStackEnv().KUBECONFIG, 'utf8'));

  async function firstCall(config: object): Promise<Error> {
    const k = prepareKubeconfig({ kubeconfig: stringify(config) });
    try {
      const c = await connect(k.path);
      return await c.core.listNamespace().then(
        () => new Error('the call succeeded'),
        (e: Error) => e,
      );
    } finally {
      k.cleanup();
    }
  }

  it('a bad server address: connection refused, naming the server', async () => {
    const probe = http.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const config = adminContent();
    config.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
    const err = await firstCall(config);
    expect(err).toBeInstanceOf(ClusterUnreachableError);
    expect(err.message).toBe(
      `cannot reach the Kubernetes API at https://127.0.0.1:${port}: connection refused`,
    );
  });

  it('a server that completes TLS and never answers: the call ends at the request bound, in one line', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-blackhole-'));
    const held = new Set<tls.TLSSocket>();
    // the handshake completes; the request is read by no one and never answered
    const silent = tls.createServer(servingCert(dir), (socket) => held.add(socket));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const port = (silent.address() as AddressInfo).port;
    const saved = process.env.KUBELINE_KUBE_REQUEST_TIMEOUT_MS;
    process.env.KUBELINE_KUBE_REQUEST_TIMEOUT_MS = '1500';
    try {
      const config = adminContent();
      config.clusters[0].cluster.server = `https://127.0.0.1:${port}`;
      config.clusters[0].cluster['certificate-authority-data'] = fs
        .readFileSync(path.join(dir, 'proxy.crt'))
        .toString('base64');
      const started = Date.now();
      const err = await firstCall(config);
      expect(Date.now() - started).toBeLessThan(6_000); // the bound, not a hang
      expect(err).toBeInstanceOf(ClusterUnreachableError);
      expect(err.message).toBe(
        `cannot reach the Kubernetes API at https://127.0.0.1:${port}: no answer to listNamespace within 1.5s (KUBELINE_KUBE_REQUEST_TIMEOUT_MS)`,
      );
    } finally {
      if (saved === undefined) delete process.env.KUBELINE_KUBE_REQUEST_TIMEOUT_MS;
      else process.env.KUBELINE_KUBE_REQUEST_TIMEOUT_MS = saved;
      for (const socket of held) socket.destroy();
      silent.close();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a kubeconfig without the cluster CA: the certificate is not trusted', async () => {
    const config = adminContent();
    delete config.clusters[0].cluster['certificate-authority-data'];
    const err = await firstCall(config);
    expect(err).toBeInstanceOf(ClusterUnreachableError);
    expect(err.message).toMatch(
      /^cannot reach the Kubernetes API at https:\/\/\S+: its TLS certificate is not trusted \(.+\); check certificate-authority-data in the kubeconfig$/,
    );
  });
});
