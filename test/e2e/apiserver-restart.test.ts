// Faults: the stack's real API server is stopped and started again while kubeline waits on a
// rollout, as a control-plane upgrade or crash does. The wait must ride it out (the watch is
// re-established) and its verdict must still be right: a rollout that completes after the restart
// completes, one whose pods crash-loop is failed fast. Then helm-deploy end to end through it.
import fs from 'node:fs';
import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import {
  connect,
  prepareKubeconfig,
  waitForRollout,
  type Cluster,
  type PreparedKubeconfig,
} from '@kubeline/kube';
import { restartApiserver, restartControllers } from './harness/faults.js';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { loadStackEnv } from './harness/stack-env.js';
import { isRolledOut, waitForDeployment } from './harness/watch.js';
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
  // Each test lives through its own restart's aftermath: the controllers' informers back off for up
  // to a minute and a rollout waits on them. The next test, and the files after this one, start on a
  // cluster caught up again (a Deployment created too early sat over a minute unrolled).
  afterEach(restartControllers, 60_000);
  afterAll(async () => {
    kubeconfig.cleanup();
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const name = `apirestart-settle-${Date.now()}`;
    await core.createNamespace({ body: { metadata: { name } } });
    try {
      await apps().createNamespacedDeployment({ namespace: name, body: deployment('settle', {}) });
      await waitForDeployment(adminKubeConfig(), name, 'settle', 'rolled out', isRolledOut, 180_000);
    } finally {
      await core.deleteNamespace({ name }).catch(() => undefined);
    }
  }, 200_000);

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

  it('a deploy that cannot renew its lock while the API server is away stops, and the next run recovers', async () => {
    const short = { KUBELINE_LOCK_LEASE_SECONDS: '9' }; // renewed every 3 s, lost after 6 s unrenewed
    const release = { release: 'fenced', chart: WEB_CHART, namespace: ns.name };
    succeeded(await deploy(4, release, short));
    const running = deploy(
      4,
      { ...release, set: 'failReadiness=true', timeout: '60s', 'fail-fast': 'false' },
      short,
    );
    await new Promise((r) => setTimeout(r, 4_000));
    await restartApiserver(12_000);
    const r = await running;
    expect(r.code).toBe(1);
    const errors = r.stderr.split('\n').filter((l) => l.startsWith('error:'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(
      /^error: helm-deploy: lost the deploy lock of release fenced \(not renewed for \S+: .*\); stopped before anything after helm upgrade$/,
    );
    // helm was killed, not let fail: it wrote nothing after the lock was lost
    expect((await history(4, 'fenced', ns.name)).at(-1)?.status).toBe('pending-upgrade');

    // the next run waits out the lease, takes it over and recovers the pending release at once
    const next = await deploy(4, release, short);
    succeeded(next);
    expect(next.stderr).toMatch(/took over the deploy lock of release fenced from \S+/);
    expect(next.stderr).toMatch(/has been pending-upgrade .* rolling back to revision 1 before deploying/);
    expect((await history(4, 'fenced', ns.name)).at(-1)?.status).toBe('deployed');
  });

  it('helm-deploy’s watch rides out a restart while helm waits, and still explains the failure', async () => {
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
