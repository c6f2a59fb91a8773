// rollback end to end on the stack: Helm releases (Helm 3 and 4) to previous, a number and
// last-good; plain Deployments through their ReplicaSet history; and a revision that does not exist.
import { describe, expect, test } from '@jest/globals';
import { AppsV1Api } from '@kubernetes/client-node';
import {
  Helm,
  STORED_REVISIONS_READ,
  manifestOf,
  newestStoredRevision,
  storedManifest,
  storedRevisions,
} from '@kubeline/helm';
import { connect } from '@kubeline/kube';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { stackTool } from './harness/stack-env.js';
import { isRolledOut, waitForDeployment } from './harness/watch.js';
import {
  MAJORS,
  WEB_CHART,
  contractOf,
  deploy,
  env,
  failedOneLine,
  fakeDigest,
  helmCli,
  history,
  image,
  readDeployment,
  rollback,
  succeeded,
} from './helm-deploy.harness.js';

const repository = `${env.REGISTRY}/kubeline/web`;

describe.each(MAJORS)('Helm %i release', (major) => {
  const ns = useTestNamespace(`rb${major}`);

  test('to previous, to a number, to last-good; a missing revision changes nothing; a broken target is diagnosed', async () => {
    const [a, b, c] = [fakeDigest(), fakeDigest(), fakeDigest()];
    const at = (digest: string) => ({
      release: 'web',
      chart: WEB_CHART,
      namespace: ns.name,
      image: contractOf(repository, digest),
    });
    succeeded(await deploy(major, at(a))); // 1, ready
    succeeded(await deploy(major, at(b))); // 2, ready
    // 3: broken and not waited for, so never recorded as ready
    succeeded(
      await deploy(major, {
        ...at(c),
        set: 'failReadiness=true',
        wait: 'false',
        'rollback-on-failure': 'false',
      }),
    );

    const good = await rollback(major, { release: 'web', namespace: ns.name, to: 'last-good' });
    succeeded(good);
    expect(good.outputs).toMatchObject({
      'from-revision': '3',
      'to-revision': '2',
      revision: '4',
      'image-digest': b,
      status: 'deployed',
    });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${repository}@${b}`);
    expect(good.summary).toMatch(/Revision 3 → 2 \(the last revision helm-deploy saw ready/);
    expect(good.summary).toContain(`image ${c} → ${b}`);
    expect(good.summary).toMatch(/\| changed \| Deployment \| \S+\/web \| .*spec\.template/);

    const numbered = await rollback(major, { release: 'web', namespace: ns.name, to: '1', timeout: '60s' });
    succeeded(numbered);
    expect(numbered.outputs).toMatchObject({
      'from-revision': '4',
      'to-revision': '1',
      revision: '5',
      'image-digest': a,
    });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${repository}@${a}`);

    // 5 restored 1, so going "previous" skips 1 and lands on 4 (which runs b)
    const previous = await rollback(major, { release: 'web', namespace: ns.name });
    succeeded(previous);
    expect(previous.outputs).toMatchObject({
      'from-revision': '5',
      'to-revision': '4',
      revision: '6',
      'image-digest': b,
    });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${repository}@${b}`);

    const before = await history(major, 'web', ns.name);
    const missing = await rollback(major, { release: 'web', namespace: ns.name, to: '99' });
    expect(failedOneLine(missing)).toBe(
      'error: rollback: release web has no revision 99 (revisions: 1, 2, 3, 4, 5, 6); nothing was changed',
    );
    expect(await history(major, 'web', ns.name)).toEqual(before);

    const broken = await rollback(major, { release: 'web', namespace: ns.name, to: '3', timeout: '10s' });
    expect(failedOneLine(broken)).toMatch(
      /^error: rollback: rollback of release web to revision 3 failed: Deployment web: pods web-\S+( and \d+ more|, web-\S+)* never became Ready: readiness probe failing/,
    );
    expect(broken.outputs).toMatchObject({ status: 'failed' });
    expect(broken.summary).toContain('### Why Deployment web failed');
  });

  test('a stored manifest read from helm’s Secret is what helm get manifest prints; under another storage driver rollback asks helm', async () => {
    const [a, b] = [fakeDigest(), fakeDigest()];
    const at = (digest: string) => ({
      release: 'web',
      chart: WEB_CHART,
      namespace: ns.name,
      image: contractOf(repository, digest),
      wait: 'false',
    });
    succeeded(await deploy(major, at(a)));
    succeeded(await deploy(major, at(b)));
    const cluster = await connect(env.KUBECONFIG);
    for (const rev of [1, 2]) {
      const printed = await helmCli(major, [
        'get',
        'manifest',
        'web',
        '--revision',
        String(rev),
        '-n',
        ns.name,
      ]);
      const stored = await storedManifest(cluster, ns.name, 'web', rev);
      expect(stored).toContain(rev === 1 ? a : b);
      expect(stored?.trim()).toBe(printed.trim());
    }
    expect(await newestStoredRevision(cluster, ns.name, 'web')).toBe(2);
    expect(await storedManifest(cluster, ns.name, 'web', 9)).toBeUndefined();
    expect(await newestStoredRevision(cluster, ns.name, 'ghost')).toBe(0);
    // the history read from the Secrets is, row for row, what `helm history` prints: a rollback too
    await helmCli(major, ['rollback', 'web', '1', '-n', ns.name]);
    const history = JSON.parse(
      await helmCli(major, ['history', 'web', '-n', ns.name, '-o', 'json']),
    ) as unknown[];
    const stored = await storedRevisions(cluster, ns.name, 'web');
    expect(stored?.map((s) => s.entry)).toEqual(history);
    expect(stored?.map((s) => s.entry.description)).toEqual([
      expect.any(String),
      expect.any(String),
      'Rollback to 1',
    ]);
    expect(stored?.[2]?.manifest).toBe(stored?.[0]?.manifest);
    expect(await storedRevisions(cluster, ns.name, 'ghost')).toEqual([]);
    // past STORED_REVISIONS_READ records, helm reads them (copies of revision 1 stand in)
    const one = await cluster.core.readNamespacedSecret({
      name: 'sh.helm.release.v1.web.v1',
      namespace: ns.name,
    });
    const copy = (v: number) =>
      cluster.core.createNamespacedSecret({
        namespace: ns.name,
        body: {
          metadata: {
            name: `sh.helm.release.v1.many.v${v}`,
            labels: { ...one.metadata?.labels, name: 'many', version: String(v) },
          },
          type: one.type,
          data: one.data,
        },
      });
    await Promise.all(Array.from({ length: STORED_REVISIONS_READ }, (_, i) => copy(i + 1)));
    expect(await storedRevisions(cluster, ns.name, 'many')).toHaveLength(STORED_REVISIONS_READ);
    await copy(STORED_REVISIONS_READ + 1);
    expect(await storedRevisions(cluster, ns.name, 'many')).toBeUndefined();

    // HELM_DRIVER=configmap: no Secrets to read, so the revision and the digest come from helm
    const other = { ...at(a), release: 'web-cm' };
    const cm = { HELM_DRIVER: 'configmap' };
    succeeded(await deploy(major, other, cm));
    succeeded(await deploy(major, { ...other, image: contractOf(repository, b) }, cm));
    const r = await rollback(major, { release: 'web-cm', namespace: ns.name, wait: 'false' }, cm);
    succeeded(r);
    expect(r.outputs).toMatchObject({
      'from-revision': '2',
      'to-revision': '1',
      revision: '3',
      'image-digest': a,
    });
    expect(r.summary).toContain(`image ${b} → ${a}`);
    const previous = process.env.HELM_DRIVER;
    process.env.HELM_DRIVER = 'configmap';
    try {
      expect(await newestStoredRevision(cluster, ns.name, 'web')).toBeUndefined();
      expect(await storedRevisions(cluster, ns.name, 'web')).toBeUndefined();
      const t = { kubeconfig: env.KUBECONFIG, context: cluster.context, namespace: ns.name };
      const helm = new Helm(stackTool(major === 3 ? 'helm3' : 'helm4'), `${major}.0.0`);
      const viaHelm = await manifestOf(helm, cluster, t, 'web-cm', 3);
      expect(viaHelm).toContain(a);
    } finally {
      if (previous === undefined) delete process.env.HELM_DRIVER;
      else process.env.HELM_DRIVER = previous;
    }
  });

  test('without rights in the namespace: one line naming every missing permission, not the 403 of the lock', async () => {
    // the lock is taken while access is checked; the check's answer is the one reported
    const r = await rollback(major, {
      release: 'web',
      namespace: ns.name,
      kubeconfig: env.KUBECONFIG_LIMITED,
    });
    expect(failedOneLine(r)).toBe(
      `error: rollback: forbidden: system:serviceaccount:${env.LIMITED_NAMESPACE}:kubeline-deployer cannot get secrets, list secrets, update secrets, get configmaps, get leases.coordination.k8s.io, list leases.coordination.k8s.io, watch leases.coordination.k8s.io, create leases.coordination.k8s.io, update leases.coordination.k8s.io in namespace ${ns.name}`,
    );
  });

  test('an unknown release is one line', async () => {
    const r = await rollback(major, { release: 'ghost', namespace: ns.name });
    expect(failedOneLine(r)).toBe(
      'error: rollback: release ghost not found in this namespace: nothing to roll back',
    );
  });
});

describe('plain Deployment (kind: deployment)', () => {
  const ns = useTestNamespace('rbd');
  const apps = () => adminKubeConfig().makeApiClient(AppsV1Api);

  async function setImage(name: string, img: string): Promise<void> {
    // a JSON patch, not read-modify-replace: the controller updates the status in between
    await apps().patchNamespacedDeployment({
      name,
      namespace: ns.name,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: img }],
    });
    await waitForDeployment(adminKubeConfig(), ns.name, name, 'rolled out', isRolledOut, 30_000);
  }

  test('to previous and to a number, like kubectl rollout undo; a missing revision changes nothing', async () => {
    const labels = { app: 'plain' };
    await apps().createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'plain' },
        spec: {
          replicas: 2,
          selector: { matchLabels: labels },
          template: { metadata: { labels }, spec: { containers: [{ name: 'app', image: 'app:1' }] } },
        },
      },
    });
    await waitForDeployment(adminKubeConfig(), ns.name, 'plain', 'rolled out', isRolledOut, 30_000);
    await setImage('plain', 'app:2');
    const d3 = `sha256:${'3'.repeat(64)}`;
    await setImage('plain', `app@${d3}`);

    const prev = await rollback(4, { release: 'plain', namespace: ns.name, kind: 'deployment' });
    succeeded(prev);
    expect(prev.outputs).toMatchObject({
      'from-revision': '3',
      'to-revision': '2',
      revision: '4',
      status: 'deployed',
      'image-digest': '',
    });
    const now = await readDeployment(ns.name, 'plain');
    expect(image(now)).toBe('app:2');
    expect(now.spec?.template.metadata?.labels?.['pod-template-hash']).toBeUndefined();
    expect(now.status?.readyReplicas).toBe(2);

    const first = await rollback(4, { release: 'plain', namespace: ns.name, kind: 'deployment', to: '1' });
    succeeded(first);
    expect(image(await readDeployment(ns.name, 'plain'))).toBe('app:1');

    const missing = await rollback(4, { release: 'plain', namespace: ns.name, kind: 'deployment', to: '9' });
    expect(failedOneLine(missing)).toBe(
      'error: rollback: Deployment plain has no revision 9 (revisions kept: 3, 4, 5); nothing was changed',
    );
    expect(image(await readDeployment(ns.name, 'plain'))).toBe('app:1');
  });

  test('a rollback to a revision that crash-loops fails fast with the cause, not at its timeout', async () => {
    const crashing = { app: 'crashy', 'kubeline.dev/fail-as': 'crashloop' };
    await apps().createNamespacedDeployment({
      namespace: ns.name,
      body: {
        metadata: { name: 'crashy' },
        spec: {
          replicas: 1,
          selector: { matchLabels: { app: 'crashy' } },
          template: {
            metadata: { labels: crashing },
            spec: { containers: [{ name: 'app', image: 'app:1' }] },
          },
        },
      },
    });
    await waitForDeployment(
      adminKubeConfig(),
      ns.name,
      'crashy',
      'revision 1',
      (d) => (d.status?.observedGeneration ?? 0) >= 1,
      30_000,
    );
    // revision 2 is healthy: the fail-as label comes off
    await apps().patchNamespacedDeployment({
      name: 'crashy',
      namespace: ns.name,
      body: [{ op: 'remove', path: '/spec/template/metadata/labels/kubeline.dev~1fail-as' }],
    });
    await waitForDeployment(adminKubeConfig(), ns.name, 'crashy', 'rolled out', isRolledOut, 30_000);
    const started = Date.now();
    const r = await rollback(4, {
      release: 'crashy',
      namespace: ns.name,
      kind: 'deployment',
      timeout: '120s',
    });
    expect(failedOneLine(r)).toMatch(
      /^error: rollback: rollback of Deployment crashy to revision 1 failed fast: CrashLoopBackOff \(exit 1\): container app in pod crashy-\S+$/,
    );
    expect(Date.now() - started).toBeLessThan(40_000);
    expect(r.outputs).toMatchObject({ status: 'failed' });
  });

  test('last-good: the newest ReplicaSet helm-deploy saw ready', async () => {
    const [a, b] = [fakeDigest(), fakeDigest()];
    succeeded(
      await deploy(4, {
        release: 'marked',
        chart: WEB_CHART,
        namespace: ns.name,
        image: contractOf(repository, a),
      }),
    );
    succeeded(
      await deploy(4, {
        release: 'marked',
        chart: WEB_CHART,
        namespace: ns.name,
        image: contractOf(repository, b),
      }),
    );
    await setImage('marked', 'app:hotfix'); // changed by hand, never seen ready by helm-deploy
    const r = await rollback(4, {
      release: 'marked',
      namespace: ns.name,
      kind: 'deployment',
      to: 'last-good',
    });
    succeeded(r);
    expect(r.outputs).toMatchObject({ 'from-revision': '3', 'to-revision': '2', 'image-digest': b });
    expect(image(await readDeployment(ns.name, 'marked'))).toBe(`${repository}@${b}`);
  });
});
