// Faults: the stack's real API server is stopped and started again while kubeline waits on a
// rollout, as a control-plane upgrade or crash does. The wait must ride it out (the watch is
// re-established) and its verdict must still be right: a rollout that completes after the restart
// completes, one whose pods crash-loop is failed fast. Then helm-deploy end to end through it.
import fs from 'node:fs';
import { AppsV1Api, type V1Deployment } from '@kubernetes/client-node';
import {
  connect,
  prepareKubeconfig,
  waitForRollout,
  type Cluster,
  type PreparedKubeconfig,
} from '@kubeline/kube';
import { restartApiserver } from './harness/faults.js';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { loadStackEnv } from './harness/stack-env.js';
import { WEB_CHART, deploy, history, succeeded } from './helm-deploy.harness.js';

const quiet = { onProgress: () => {} };
const DOWN_MS = 6_000;

function deployment(name: string, labels: Record<string, string>): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, ...labels } },
        // a long probe budget: readiness alone never makes a verdict within the test
        spec: {
          containers: [
            {
              name: 'app',
              image: 'app:1',
              readinessProbe: { exec: { command: ['true'] }, periodSeconds: 60 },
            },
          ],
        },
      },
    },
  };
}

describe('the API server restarting during a rollout wait', () => {
  const ns = useTestNamespace('apirestart');
  let kubeconfig: PreparedKubeconfig;
  let cluster: Cluster;
  const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);

  beforeAll(async () => {
    kubeconfig = prepareKubeconfig({ kubeconfig: fs.readFileSync(loadStackEnv().KUBECONFIG, 'utf8') });
    cluster = await connect(kubeconfig.path, kubeconfig.context);
  });
  afterAll(() => kubeconfig.cleanup());

  it('a rollout that completes after the restart is reported complete', async () => {
    await apps().createNamespacedDeployment({
      namespace: ns.name,
      body: deployment('steady', { 'kubeline.dev/fail-readiness': 'true' }),
    });
    const waiting = waitForRollout(cluster, 'Deployment', 'steady', ns.name, {
      timeoutMs: 120_000,
      ...quiet,
    });
    await new Promise((r) => setTimeout(r, 1_000));
    await restartApiserver(DOWN_MS);
    // after the restart the pods are fixed (a new revision that becomes Ready)
    await apps().patchNamespacedDeployment({
      name: 'steady',
      namespace: ns.name,
      body: [{ op: 'remove', path: '/spec/template/metadata/labels/kubeline.dev~1fail-readiness' }],
    });
    const result = await waiting;
    expect(result).toMatchObject({ ok: true, outcome: 'complete' });
    expect(result.durationMs).toBeGreaterThan(DOWN_MS);
  });

  it('a crash loop seen only after the restart is still failed fast', async () => {
    await apps().createNamespacedDeployment({
      namespace: ns.name,
      body: deployment('crashy', { 'kubeline.dev/fail-as': 'crashloop' }),
    });
    const waiting = waitForRollout(cluster, 'Deployment', 'crashy', ns.name, {
      timeoutMs: 120_000,
      ...quiet,
    });
    await restartApiserver(DOWN_MS);
    const result = await waiting;
    expect(result).toMatchObject({ ok: false, outcome: 'failed', reason: 'FailFast' });
    expect(result.verdict?.fault.kind).toBe('crash-loop');
  });

  it('helm-deploy rides out a restart while helm waits, and records the release healthy', async () => {
    succeeded(await deploy(4, { release: 'web', chart: WEB_CHART, namespace: ns.name }));
    // a rollout kept waiting by readiness until the restart is over
    const running = deploy(4, {
      release: 'web',
      chart: WEB_CHART,
      namespace: ns.name,
      set: 'failReadiness=true,message=restart',
      timeout: '40s',
      'fail-fast': 'false',
      'rollback-on-failure': 'false',
    });
    await new Promise((r) => setTimeout(r, 4_000));
    await restartApiserver(DOWN_MS);
    const r = await running;
    // pods never became ready: the verdict is helm's timeout, with the diagnostics, not a crash of the watch
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Deployment web not ready after 40s: pods web-\S+.* never became Ready/);
    expect(r.stderr).not.toMatch(/not watched:/);
    expect((await history(4, 'web', ns.name)).map((h) => h.status)).toEqual(['deployed', 'failed']);
  });
});
