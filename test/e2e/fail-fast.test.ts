// The fail-fast verdict end to end: kwok stages put the new pods in each state the kubelet reports
// for a release that can never become ready (test/stack/kwok-stages.ts), the real scheduler makes
// them Unschedulable, a ResourceQuota refuses them (FailedCreate); helm-deploy must stop helm's wait
// with the cause in one line long before helm's own timeout, and the release is rolled back. On
// Helm 3 and Helm 4.
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, test } from '@jest/globals';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import {
  adminKubeConfig,
  createNamespace,
  deleteNamespace,
  podQuota,
  useTestNamespace,
} from './harness/kube.js';
import {
  MAJORS,
  WEB_CHART,
  deploy,
  failedOneLine,
  history,
  nothingLeft,
  readDeployment,
  succeeded,
  type Major,
} from './helm-deploy.harness.js';

/** helm's own deadline: a verdict must come long before it. */
const TIMEOUT_S = 120;

const causes: [string, string, RegExp][] = [
  ['a crash loop', 'failAs=crashloop', /CrashLoopBackOff \(exit 1\): container web in pod web-\S+/],
  ['an OOM kill', 'failAs=oom', /CrashLoopBackOff \(OOMKilled, exit 137\): container web in pod web-\S+/],
  [
    'an image that cannot be pulled',
    'failAs=imagepull',
    /ImagePullBackOff: image \S+ not found \(pod web-\S+\)/,
  ],
  [
    'a missing Secret',
    'failAs=config',
    /CreateContainerConfigError: secret "kubeline-missing" not found \(container web in pod web-\S+\)/,
  ],
  [
    'no node that fits',
    'nodeSelector.kubeline\\.dev/pool=none',
    /node\(s\) didn't match Pod's node affinity\/selector: 0\/\d+ nodes available \(pod web-\S+ cannot be scheduled\)/,
  ],
  [
    'readiness failing past its probes budget',
    'failReadiness=true,readinessPeriodSeconds=1',
    /pods web-\S+ never became Ready: readiness probe failing/,
  ],
];

/** One cause on its own release: the deploy fails fast, names the cause, and rolls back. */
async function failsFast(major: Major, namespace: string, set: string, cause: RegExp): Promise<void> {
  const release = { release: 'web', chart: WEB_CHART, namespace };
  succeeded(await deploy(major, release));
  const before = (await history(major, 'web', namespace)).length;
  const started = Date.now();
  const r = await deploy(major, { ...release, set, timeout: `${TIMEOUT_S}s` });
  const elapsedS = (Date.now() - started) / 1000;

  const line = failedOneLine(r);
  expect(line).toMatch(/^error: helm-deploy: release web failed: Deployment web failed fast: /);
  expect(line).toMatch(cause);
  expect(line).toMatch(/; rolled back to revision \d+$/);
  // the verdict within 30 s of the first sign, and the whole run far inside helm's timeout
  const sign = /failing fast (\d+)s after the first sign, stopping helm's wait/.exec(r.stderr);
  expect(sign).not.toBeNull();
  expect(Number(sign![1])).toBeLessThanOrEqual(30);
  expect(elapsedS).toBeLessThan(TIMEOUT_S / 2);
  expect(r.outputs).toMatchObject({ status: 'failed' });
  expect(r.summary).toContain('### Why Deployment web failed');

  const after = await history(major, 'web', namespace);
  expect(after.slice(before).map((h) => h.status)).toEqual(['failed', 'deployed']);
  expect(after.at(-1)!.description).toMatch(/^Rollback to \d+/);
  const d = await readDeployment(namespace, 'web');
  expect(d.spec?.template.metadata?.labels?.['kubeline.dev/fail-as']).toBeUndefined();
  expect(d.spec?.template.spec?.nodeSelector).toBeUndefined();
  nothingLeft(r.temp);
}

describe.each(MAJORS)('Helm %i', (major) => {
  // Side by side, each in its own namespace: every cause sits out the same confirmation window, and
  // one after another they took ~90 s per major. A failure names its cause.
  test(`each cause fails the release fast, names the cause, and rolls back: ${causes.map(([name]) => name).join(', ')}`, async () => {
    const admin = adminKubeConfig();
    const namespaces = await Promise.all(causes.map(() => createNamespace(admin, `ff${major}`)));
    try {
      const results = await Promise.allSettled(
        causes.map(([, set, cause], i) => failsFast(major, namespaces[i]!, set, cause)),
      );
      const failed = results.flatMap((r, i) =>
        r.status === 'rejected' ? [`${causes[i]![0]}: ${String((r.reason as Error).message)}`] : [],
      );
      expect(failed).toEqual([]);
    } finally {
      await Promise.all(namespaces.map((n) => deleteNamespace(admin, n)));
    }
  });
});

describe('fail-fast: false', () => {
  const ns = useTestNamespace('ffoff');

  test('waits out helm’s timeout as before, and a crash loop below the restart threshold is no verdict', async () => {
    const release = { release: 'web', chart: WEB_CHART, namespace: ns.name };
    succeeded(await deploy(4, release));
    const off = await deploy(4, {
      ...release,
      set: 'failAs=crashloop',
      timeout: '12s',
      'fail-fast': 'false',
    });
    expect(failedOneLine(off)).toMatch(
      /^error: helm-deploy: release web failed: Deployment web not ready after 12s: CrashLoopBackOff \(exit 1\)/,
    );
    expect(off.stderr).not.toContain('failing fast');
    // the stage stops at 2 restarts: a threshold of 3 never fires
    const high = await deploy(4, {
      ...release,
      set: 'failAs=crashloop',
      timeout: '12s',
      'fail-fast-restarts': '3',
    });
    expect(failedOneLine(high)).toMatch(/not ready after 12s: CrashLoopBackOff/);
    expect(high.stderr).not.toContain('failing fast');
  });

  test('a bad fail-fast-restarts is one line naming the input', async () => {
    const r = await deploy(4, {
      release: 'web',
      chart: WEB_CHART,
      namespace: ns.name,
      'fail-fast-restarts': '0',
    });
    expect(failedOneLine(r)).toBe(
      'error: helm-deploy: input "fail-fast-restarts": "0" is not valid; allowed: an integer ≥ 1 ≤ 1000',
    );
  });
});

/** When (test clock) a ReplicaSet of `namespace` first reports ReplicaFailure; polled until `stop`. */
async function firstRefusal(namespace: string, stop: AbortSignal): Promise<number | undefined> {
  const apps = adminKubeConfig().makeApiClient(AppsV1Api);
  while (!stop.aborted) {
    const sets = await apps.listNamespacedReplicaSet({ namespace });
    const refused = sets.items.some((rs) =>
      rs.status?.conditions?.some((c) => c.type === 'ReplicaFailure' && c.status === 'True'),
    );
    if (refused) return Date.now();
    await sleep(100);
  }
  return undefined;
}

describe.each(MAJORS)('Helm %i: pods that cannot be created', (major) => {
  const ns = useTestNamespace(`ffq${major}`);

  test('a ResourceQuota with no room for the new pods fails the release fast with FailedCreate, and rolls back', async () => {
    const release = { release: 'web', chart: WEB_CHART, namespace: ns.name };
    succeeded(await deploy(major, release));
    // room for the 2 running pods, none for the new revision's surge pod
    await podQuota(ns.name, 2);
    const before = (await history(major, 'web', ns.name)).length;
    const started = Date.now();
    const done = new AbortController();
    const refusal = firstRefusal(ns.name, done.signal);
    const r = await deploy(major, { ...release, set: 'message=quota', timeout: `${TIMEOUT_S}s` });
    done.abort();
    const elapsedS = (Date.now() - started) / 1000;
    const refusedAt = await refusal;

    const line = failedOneLine(r);
    expect(line).toMatch(
      /^error: helm-deploy: release web failed: Deployment web failed fast: FailedCreate: pods "web-\S+" is forbidden: exceeded quota: pods, requested: pods=1, used: pods=2, limited: pods=2; rolled back to revision \d+$/,
    );
    const sign = /FailedCreate: .* \(ReplicaSet web-\w+\); failing fast (\d+)s after the first sign/.exec(
      r.stderr,
    );
    expect(sign).not.toBeNull();
    expect(refusedAt).toBeDefined();
    console.log(
      `Helm ${major}: quota refusal → run ended ${((Date.now() - refusedAt!) / 1000).toFixed(1)} s (verdict ${sign![1]} s after kubeline's first sign; rollback included), whole run ${elapsedS.toFixed(1)} s`,
    );
    expect(Number(sign![1])).toBeLessThanOrEqual(15);
    expect(elapsedS).toBeLessThan(TIMEOUT_S / 2);
    expect(r.outputs).toMatchObject({ status: 'failed' });
    expect(r.summary).toContain('### Why Deployment web failed');
    expect(r.summary).toContain('ReplicaFailure');

    const after = await history(major, 'web', ns.name);
    expect(after.slice(before).map((h) => h.status)).toEqual(['failed', 'deployed']);
    expect(after.at(-1)!.description).toMatch(/^Rollback to \d+/);
    nothingLeft(r.temp);
  });
});

describe('a quota raised inside the confirmation window', () => {
  const ns = useTestNamespace('ffqraise');

  test('is no verdict: the controller creates the pods and the release succeeds', async () => {
    const release = { release: 'web', chart: WEB_CHART, namespace: ns.name };
    succeeded(await deploy(4, release));
    await podQuota(ns.name, 2);
    const done = new AbortController();
    const run = deploy(4, { ...release, set: 'message=raised', timeout: `${TIMEOUT_S}s` }).finally(() =>
      done.abort(),
    );
    const refusedAt = await firstRefusal(ns.name, done.signal);
    expect(refusedAt).toBeDefined();
    // well inside the 10 s window, and after the 2 s polls have seen the refusal
    await sleep(4_000);
    expect(await firstRefusal(ns.name, done.signal)).toBeDefined();
    await adminKubeConfig()
      .makeApiClient(CoreV1Api)
      .patchNamespacedResourceQuota({
        name: 'pods',
        namespace: ns.name,
        body: [{ op: 'replace', path: '/spec/hard/pods', value: '3' }],
      });
    console.log(`quota raised ${((Date.now() - refusedAt!) / 1000).toFixed(1)} s after the refusal`);
    const r = await run;
    succeeded(r);
    expect(r.stderr).not.toContain('failing fast');
    expect(r.outputs).toMatchObject({ status: 'deployed' });
    expect((await readDeployment(ns.name, 'web')).status?.conditions?.map((c) => c.type)).not.toContain(
      'ReplicaFailure',
    );
  });
});
