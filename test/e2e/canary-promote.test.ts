// canary-promote end to end: real traffic through the stack's Traefik (Gateway API HTTPRoute
// weights) to real processes behind the stable and canary Services, analysed by the stack's
// Prometheus from Traefik's own metrics; the workloads on kwok.
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from '@jest/globals';
import { AppsV1Api, CoreV1Api } from '@kubernetes/client-node';
import {
  contractOf,
  env,
  failedOneLine,
  fakeDigest,
  readDeployment,
  runAction,
  succeeded,
} from './helm-deploy.harness.js';
import { getThroughGateway, startTraffic, type TrafficRecord } from './harness/gateway.js';
import { adminKubeConfig, podQuota, useTestNamespace } from './harness/kube.js';
import { isRolledOut, waitForDeployment } from './harness/watch.js';
import {
  canaryInputs,
  canaryState,
  canaryWeight,
  deploymentExists,
  promote,
  readMeasurements,
  repository,
  routeRefs,
  routeRules,
  spawnPromote,
  stableScene,
  waitForWeight,
  type Scene,
} from './canary.harness.js';

const image = (d: Awaited<ReturnType<typeof readDeployment>>) => d.spec?.template.spec?.containers[0]?.image;
const share = (records: TrafficRecord[], from: number, to: number) => {
  const inside = records.filter((r) => r.at >= from && r.at < to && r.status === 200);
  return inside.length ? inside.filter((r) => r.version === 'v2').length / inside.length : Number.NaN;
};
/** The last 20 requests all reached stable: what a test waits for after a run put traffic back. */
const lastAllStable = (sorted: TrafficRecord[]): boolean =>
  sorted.length >= 20 && sorted.slice(-20).every((x) => x.version === 'v1');
const failures = (records: TrafficRecord[], version?: string) =>
  records.filter((r) => (version === undefined || r.version === version) && r.status !== 200);

describe('canary-promote through a Gateway API HTTPRoute', () => {
  const ns = useTestNamespace('canary');
  let scene: Scene | undefined;
  afterEach(async () => {
    await scene?.stop();
    scene = undefined;
  });

  test('promotes through every step; the observed split follows each weight read back; nothing fails on the switch', async () => {
    scene = await stableScene(ns.name);
    const traffic = startTraffic(scene.host, { rps: 50, maxSeconds: 120 });
    const r = await promote(canaryInputs(scene, { steps: '10,50,100', interval: '8s' }));
    const records = await traffic.stop();
    succeeded(r);
    expect(r.outputs).toMatchObject({
      result: 'promoted',
      weight: '100',
      'steps-completed': '3',
      'stable-image': scene.canaryImage,
    });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(scene.canaryImage);
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
    expect((await routeRefs(ns.name)).map((x) => x.name)).toEqual(['web']);
    const { holder, state } = await canaryState(ns.name);
    expect(holder).toBeUndefined();
    expect(state.phase).toBe('promoted');

    const m = readMeasurements(r.outputs.measurements!);
    const steps = m.timeline.filter((e) => e.event.startsWith('step '));
    expect(steps.map((e) => e.weight)).toEqual([10, 50, 100]);
    // Traefik applies a weight within ~1–3 s of the write: each step is compared from 3 s in.
    steps.forEach((step) => {
      const end = m.timeline[m.timeline.indexOf(step) + 1]!.at;
      const observed = share(records, step.at + 3000, end);
      expect(Math.abs(observed * 100 - step.weight)).toBeLessThan(8);
    });
    expect(m.measurements.filter((x) => x.final).map((x) => x.outcome)).toEqual([
      'Successful',
      'Successful',
      'Successful',
    ]);
    const start = records[0]?.at ?? 0;
    expect(failures(records).map((x) => ({ ...x, at: x.at - start }))).toEqual([]);
    expect(r.summary).toContain('```mermaid');
    expect(r.summary).toMatch(/\| 2 \| 50% \|.*Successful/);
  });

  test('stable that cannot become ready with the canary image gets its old image back: aborted, all traffic on stable', async () => {
    scene = await stableScene(ns.name);
    const kube = adminKubeConfig();
    // Room for stable's 2 pods and the canary's 2, not for the surge pod of stable's own rollout: at
    // promotion the new ReplicaSet is refused (FailedCreate) while the canary, run from the same
    // template, passed. The fail-fast verdict (FailedCreate) or the Deployment's progress deadline,
    // whichever comes first, then fails the rollout.
    await podQuota(ns.name, 4, 2);
    await kube.makeApiClient(AppsV1Api).patchNamespacedDeployment({
      name: 'web',
      namespace: ns.name,
      body: [{ op: 'add', path: '/spec/progressDeadlineSeconds', value: 8 }],
    });
    const traffic = startTraffic(scene.host, { rps: 40, maxSeconds: 120 });
    const r = await promote(canaryInputs(scene, { steps: '50,100', interval: '5s' }));
    await traffic.settle(lastAllStable, 15_000); // the router's propagation after the run's end
    const records = await traffic.stop();

    const line = failedOneLine(r);
    console.log(`stable refused by the quota at promotion → ${line}`);
    expect(line).toMatch(
      /^error: canary-promote: canary of Deployment web aborted: promotion failed: stable Deployment web did not become ready with the canary's image: (?:ProgressDeadlineExceeded: )?FailedCreate: .*exceeded quota: pods.*; it runs its old image again; all traffic is on stable$/,
    );
    expect(r.outputs).toMatchObject({
      result: 'aborted',
      weight: '0',
      'steps-completed': '2',
      'stable-image': scene.stableImage,
    });
    expect(r.outputs.reason).toMatch(
      /^promotion failed: stable Deployment web did not become ready with the canary's image: .*exceeded quota.*; it runs its old image again$/,
    );
    expect(r.summary).toContain('Why Deployment web failed');
    const web = await readDeployment(ns.name, 'web');
    expect(image(web)).toBe(scene.stableImage);
    expect(isRolledOut(web)).toBe(true);
    expect(await canaryWeight(ns.name)).toBe(0);
    expect((await routeRefs(ns.name)).map((x) => x.name)).toEqual(['web']);
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
    const { holder, state } = await canaryState(ns.name);
    expect(holder).toBeUndefined();
    expect(state).toMatchObject({ phase: 'aborted', weight: 0, stableImage: scene.stableImage });
    expect(readMeasurements(r.outputs.measurements!).timeline.at(-1)!.event).toBe('aborted');
    // The canary served everything at 100% while stable failed; then stable again, and no request failed.
    expect(records.slice(-20).map((x) => x.version)).toEqual(Array(20).fill('v1'));
    expect(failures(records)).toEqual([]);
  });

  test('an error spike at 25% aborts early: all traffic on stable within seconds, stable never fails', async () => {
    scene = await stableScene(ns.name);
    const traffic = startTraffic(scene.host, { rps: 50, maxSeconds: 120 });
    const run = promote(canaryInputs(scene, { steps: '10,25,50,100', interval: '20s' }));
    await waitForWeight(ns.name, 25);
    await scene.canary.setBehaviour({ errorRate: 1 });
    const spikeAt = Date.now();
    const r = await run;
    const records = await traffic.stop();
    const line = failedOneLine(r);
    expect(line).toMatch(
      /canary of Deployment web aborted: step 2 at 25%: early abort: .* success-rate 99% allows/,
    );
    expect(line).toContain('all traffic is on stable');
    expect(r.outputs).toMatchObject({
      result: 'aborted',
      weight: '0',
      'steps-completed': '1',
      'stable-image': scene.stableImage,
    });
    expect(await canaryWeight(ns.name)).toBe(0);
    expect((await routeRefs(ns.name)).map((x) => x.name)).toEqual(['web']);
    expect(image(await readDeployment(ns.name, 'web'))).toBe(scene.stableImage);
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
    const lastCanary = Math.max(...records.filter((x) => x.version === 'v2').map((x) => x.at));
    const abortLatency = lastCanary - spikeAt;
    console.log(`abort latency (spike → last canary response): ${abortLatency} ms`);
    expect(abortLatency).toBeLessThan(5_000);
    expect(failures(records, 'v1')).toEqual([]);
    expect(records.filter((x) => x.status === 0)).toEqual([]);
  });

  test('a latency regression fails the step at the end of its interval and aborts', async () => {
    scene = await stableScene(ns.name);
    await scene.canary.setBehaviour({ latencyMs: 700 });
    const traffic = startTraffic(scene.host, { rps: 40, maxSeconds: 90 });
    const r = await promote(canaryInputs(scene, { steps: '20,100', interval: '8s' }));
    await traffic.stop();
    expect(failedOneLine(r)).toMatch(/step 1 at 20%: latency-p99-ms \d+ > 500/);
    expect(r.outputs.result).toBe('aborted');
    expect(await canaryWeight(ns.name)).toBe(0);
  });

  test('no traffic is no data: inconclusive aborts by default, on-no-data: pass promotes', async () => {
    scene = await stableScene(ns.name);
    const r = await promote(canaryInputs(scene, { steps: '50,100', interval: '5s' }));
    expect(failedOneLine(r)).toMatch(
      /inconclusive: step 1 at 50%: 0 canary requests, fewer than min-requests 5/,
    );
    expect(r.outputs.result).toBe('inconclusive');
    expect(await canaryWeight(ns.name)).toBe(0);
    const passed = await promote(
      canaryInputs(scene, { steps: '50,100', interval: '5s', 'on-no-data': 'pass' }),
    );
    succeeded(passed);
    expect(passed.outputs.result).toBe('promoted');
  });

  test('Prometheus unreachable: each sample is an Error, retried until error-limit, then aborted as error', async () => {
    scene = await stableScene(ns.name);
    const r = await promote(
      canaryInputs(scene, {
        steps: '30,100',
        interval: '5s',
        'prometheus-url': 'http://127.0.0.1:9',
        'error-limit': '2',
      }),
    );
    expect(failedOneLine(r)).toMatch(
      /canary of Deployment web error: step 1 at 30%: 3 measurements in a row could not be taken \(error-limit 2\): Prometheus http:\/\/127.0.0.1:9 could not be queried/,
    );
    expect(r.outputs.result).toBe('error');
    expect(await canaryWeight(ns.name)).toBe(0);
  });

  test('SIGTERM mid-step: traffic back on stable and the canary removed within the grace; the lease says aborted', async () => {
    scene = await stableScene(ns.name);
    const run = spawnPromote(canaryInputs(scene, { steps: '20,100', interval: '60s' }));
    await waitForWeight(ns.name, 20);
    const t0 = Date.now();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(Date.now() - t0).toBeLessThan(6_000);
    expect(run.stderr()).toContain('error: canary-promote: cancelled by SIGTERM');
    expect(await canaryWeight(ns.name)).toBe(0);
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
    const { holder, state } = await canaryState(ns.name);
    expect(holder).toBeUndefined();
    expect(state).toMatchObject({ phase: 'aborted', weight: 0 });
  });

  test('a second run while one is live is refused naming the holder; after SIGKILL the next run reverts (or resumes)', async () => {
    scene = await stableScene(ns.name);
    const first = spawnPromote(canaryInputs(scene, { steps: '20,60,100', interval: '60s' }));
    await waitForWeight(ns.name, 20);
    const second = await promote(canaryInputs(scene, { steps: '50,100', interval: '5s' }));
    expect(failedOneLine(second)).toMatch(
      /a canary of Deployment web is already running: held by .* \(phase progressing, step 1, weight 20%/,
    );
    first.child.kill('SIGKILL');
    await first.exited;
    expect(await canaryWeight(ns.name)).toBe(20); // a killed run changes nothing on its way out

    const traffic = startTraffic(scene.host, { rps: 30, maxSeconds: 90 });
    const resumed = await promote(
      canaryInputs(scene, { steps: '20,60,100', interval: '5s', 'on-stale': 'resume' }),
    );
    await traffic.stop();
    succeeded(resumed);
    expect(resumed.stderr).toMatch(/took over the canary lease of web from .*: not renewed/);
    expect(resumed.stderr).toMatch(/resuming the canary of web left by .* at step 1, weight 20%/);
    expect(resumed.outputs).toMatchObject({ result: 'promoted', 'steps-completed': '3' });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(scene.canaryImage);
  });

  test('after SIGKILL, on-stale revert puts traffic on stable before its own canary; a route broken meanwhile still lands on stable', async () => {
    scene = await stableScene(ns.name);
    const first = spawnPromote(canaryInputs(scene, { steps: '40,100', interval: '60s' }));
    await waitForWeight(ns.name, 40);
    first.child.kill('SIGKILL');
    await first.exited;
    // Someone "fixes" the route by hand: only the canary left in it.
    const { CustomObjectsApi } = await import('@kubernetes/client-node');
    const { adminKubeConfig } = await import('./harness/kube.js');
    const api = adminKubeConfig().makeApiClient(CustomObjectsApi);
    const route = (await api.getNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: ns.name,
      plural: 'httproutes',
      name: 'web',
    })) as {
      spec: { rules: Array<{ backendRefs: Array<{ name: string; port?: number; weight?: number }> }> };
    };
    route.spec.rules[0]!.backendRefs = [{ name: 'web-canary', port: scene.canary.port, weight: 1 }];
    await api.replaceNamespacedCustomObject({
      group: 'gateway.networking.k8s.io',
      version: 'v1',
      namespace: ns.name,
      plural: 'httproutes',
      name: 'web',
      body: route,
    });
    await scene.canary.setBehaviour({ errorRate: 1 });
    const traffic = startTraffic(scene.host, { rps: 40, maxSeconds: 90 });
    const r = await promote(
      canaryInputs(scene, { steps: '40,100', interval: '30s', 'canary-service': 'web-canary' }),
    );
    await traffic.settle(lastAllStable, 15_000); // the router's propagation after the run's end
    const records = await traffic.stop();
    expect(r.stderr).toMatch(
      /reverting the canary of web left by .* \(stopped renewing at step 1, weight 40%\)/,
    );
    expect(failedOneLine(r)).toMatch(/aborted: step 1 at 40%: early abort/);
    const refs = await routeRefs(ns.name);
    expect(refs.map((x) => x.name)).toEqual(['web']);
    expect(refs[0]!.weight).toBeGreaterThan(0);
    expect(records.slice(-20).map((x) => x.version)).toEqual(Array(20).fill('v1'));
  });

  test('rollback during a live canary ends it first: traffic on stable, canary removed, the canary run stands down', async () => {
    scene = await stableScene(ns.name);
    const kube = adminKubeConfig();
    const current = `${repository}@${fakeDigest()}`;
    await kube.makeApiClient(AppsV1Api).patchNamespacedDeployment({
      name: 'web',
      namespace: ns.name,
      body: [{ op: 'replace', path: '/spec/template/spec/containers/0/image', value: current }],
    });
    await waitForDeployment(kube, ns.name, 'web', 'rolled out', isRolledOut);
    const run = spawnPromote(canaryInputs(scene, { steps: '30,100', interval: '60s' }));
    await waitForWeight(ns.name, 30);
    const rb = await runAction('rollback', {
      release: 'web',
      kind: 'deployment',
      namespace: ns.name,
      kubeconfig: env.KUBECONFIG,
    });
    succeeded(rb);
    expect(rb.stderr).toMatch(
      /ended the canary of Deployment web \(held by .*\) at 30%: all traffic on stable, canary removed/,
    );
    expect(await canaryWeight(ns.name)).toBe(0);
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
    expect(image(await readDeployment(ns.name, 'web'))).toBe(scene.stableImage);
    expect(await run.exited).toBe(1);
    expect(run.stderr()).toMatch(/lost the canary lease kubeline-canary-web: another run took it over/);
    expect(await canaryWeight(ns.name)).toBe(0);
  });

  test('webhooks: pre-rollout, rollout per step, confirm-promotion polled until yes, post-rollout; a rollout no aborts and calls rollback', async () => {
    scene = await stableScene(ns.name);
    const calls: Array<{ phase: string; weight?: number; result?: string; auth?: string }> = [];
    let confirmNos = 2;
    let rolloutSays = 200;
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (d: Buffer) => (body += d.toString()));
      req.on('end', () => {
        const b = JSON.parse(body) as { phase: string; weight?: number; result?: string };
        calls.push({ phase: b.phase, weight: b.weight, result: b.result, auth: req.headers.authorization });
        const status =
          b.phase === 'confirm-promotion' && confirmNos-- > 0
            ? 503
            : b.phase === 'rollout'
              ? rolloutSays
              : 200;
        res.writeHead(status).end(status === 200 ? 'ok' : 'not yet');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const url = `http://hook:s3cret-hook@127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
    const webhooks = ['pre-rollout', 'rollout', 'confirm-promotion', 'post-rollout', 'rollback']
      .map((type) => `- {name: ${type}, type: ${type}, url: "${url}", timeout: 20s}`)
      .join('\n');
    try {
      const traffic = startTraffic(scene.host, { rps: 40, maxSeconds: 90 });
      const r = await promote(canaryInputs(scene, { steps: '50,100', interval: '5s', webhooks }));
      succeeded(r);
      expect(calls.map((c) => c.phase)).toEqual([
        'pre-rollout',
        'rollout',
        'rollout',
        'confirm-promotion',
        'confirm-promotion',
        'confirm-promotion',
        'post-rollout',
      ]);
      expect(calls.filter((c) => c.phase === 'rollout').map((c) => c.weight)).toEqual([50, 100]);
      expect(calls.at(-1)!.result).toBe('promoted');
      expect(
        calls.every((c) => c.auth === `Basic ${Buffer.from('hook:s3cret-hook').toString('base64')}`),
      ).toBe(true);

      calls.length = 0;
      rolloutSays = 500;
      scene.canaryImage = `${repository}@${fakeDigest()}`;
      const no = await promote(canaryInputs(scene, { steps: '50,100', interval: '5s', webhooks }));
      await traffic.stop();
      const line = failedOneLine(no);
      expect(line).toMatch(
        /aborted: step 1 at 50%: rollout webhook rollout \(http:\/\/127.0.0.1:\d+\/hook\) said no: HTTP 500: not yet/,
      );
      expect(no.stderr + no.stdout + no.summary).not.toContain('s3cret-hook');
      expect(calls.map((c) => c.phase)).toEqual(['pre-rollout', 'rollout', 'rollback', 'post-rollout']);
      expect(calls.at(-1)!.result).toBe('aborted');
      expect(await canaryWeight(ns.name)).toBe(0);
    } finally {
      server.close();
    }
  });

  test('on-inconclusive: wait-approval holds the canary at its weight; the next run with the image approves and goes on', async () => {
    scene = await stableScene(ns.name);
    const first = await promote(
      canaryInputs(scene, { steps: '30,100', interval: '5s', 'on-inconclusive': 'wait-approval' }),
    );
    succeeded(first);
    expect(first.outputs).toMatchObject({ result: 'inconclusive', weight: '30', 'steps-completed': '0' });
    expect(first.stderr).toMatch(/held at 30% for approval: step 1 at 30%: 0 canary requests/);
    expect(await canaryWeight(ns.name)).toBe(30);
    const { holder, state } = await canaryState(ns.name);
    expect(holder).toBeUndefined();
    expect(state).toMatchObject({ phase: 'paused', weight: 30, image: scene.canaryImage });

    const approved = await promote(
      canaryInputs(scene, { steps: '30,100', interval: '5s', 'on-no-data': 'pass' }),
    );
    succeeded(approved);
    expect(approved.stderr).toMatch(
      /resuming the canary of web left by .* \(paused for approval at step 1, weight 30%\)/,
    );
    expect(approved.outputs).toMatchObject({ result: 'promoted', 'steps-completed': '2' });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(scene.canaryImage);
  });

  test('canary pods crash-looping abort the step at once, without waiting for metrics', async () => {
    scene = await stableScene(ns.name);
    const run = spawnPromote(canaryInputs(scene, { steps: '20,100', interval: '60s' }));
    await waitForWeight(ns.name, 20);
    // kwok's crashloop stage takes live pods by label, as a kubelet would report a crashing container.
    const core = adminKubeConfig().makeApiClient(CoreV1Api);
    const pods = await core.listNamespacedPod({
      namespace: ns.name,
      labelSelector: 'kubeline.dev/track=canary',
    });
    expect(pods.items.length).toBeGreaterThan(0);
    const t0 = Date.now();
    for (const p of pods.items)
      await core.patchNamespacedPod({
        name: p.metadata!.name!,
        namespace: ns.name,
        body: [{ op: 'add', path: '/metadata/labels/kubeline.dev~1fail-as', value: 'crashloop' }],
      });
    expect(await run.exited).toBe(1);
    const took = Date.now() - t0;
    console.log(`crash-looping canary → aborted in ${took} ms (interval 60 s)`);
    expect(took).toBeLessThan(30_000);
    expect(run.stderr()).toMatch(
      /error: canary-promote: canary of Deployment web aborted: canary pods fail: CrashLoopBackOff/,
    );
    expect(await canaryWeight(ns.name)).toBe(0);
    expect(await deploymentExists(ns.name, 'web-canary')).toBe(false);
  });

  test('blue-green: green at full size, one switch read back, blue kept for the window; a failure switches back at once', async () => {
    scene = await stableScene(ns.name);
    const traffic = startTraffic(scene.host, { rps: 40, maxSeconds: 90 });
    const r = await promote(canaryInputs(scene, { mode: 'blue-green', 'rollback-window': '6s' }));
    succeeded(r);
    expect(r.outputs).toMatchObject({
      result: 'promoted',
      'steps-completed': '1',
      'stable-image': scene.canaryImage,
    });
    const m = readMeasurements(r.outputs.measurements!);
    const switched = m.timeline.find((e) => e.event === 'step 1')!;
    expect(switched.weight).toBe(100);
    expect(r.summary).toMatch(/blue-green: one switch, rollback window 6\.0s/);

    // A second release whose green fails once it takes the traffic: back to blue in one write.
    scene.canaryImage = `${repository}@${fakeDigest()}`;
    const run = promote(canaryInputs(scene, { mode: 'blue-green', 'rollback-window': '30s' }));
    await waitForWeight(ns.name, 100);
    await scene.canary.setBehaviour({ errorRate: 1 });
    const failedAt = Date.now();
    const back = await run;
    await traffic.settle(lastAllStable, 15_000); // the router's propagation after the run's end
    const records = await traffic.stop();
    expect(failedOneLine(back)).toMatch(/aborted: step 1 at 100%: early abort/);
    expect(await canaryWeight(ns.name)).toBe(0);
    const lastGreen = Math.max(...records.filter((x) => x.version === 'v2').map((x) => x.at));
    console.log(`blue-green: green failing → last green response ${lastGreen - failedAt} ms`);
    expect(lastGreen - failedAt).toBeLessThan(8_000);
    expect(records.slice(-20).map((x) => x.version)).toEqual(Array(20).fill('v1'));
    expect(failures(records, 'v1')).toEqual([]);
  });

  test('a relative metric compares the canary with stable: a p99 far above stable aborts', async () => {
    scene = await stableScene(ns.name);
    await scene.canary.setBehaviour({ latencyMs: 200 });
    const traffic = startTraffic(scene.host, { rps: 40, maxSeconds: 60 });
    const service = 'service=~"httproute-.*-svc-{{namespace}}-{{target-service}}-[0-9]+@kubernetesgateway"';
    const metrics = `- name: p99-vs-stable
  query: histogram_quantile(0.99, sum(rate(traefik_service_request_duration_seconds_bucket{${service}}[{{interval}}])) by (le))
  relative: true
  max: 3`;
    const r = await promote(
      canaryInputs(scene, { steps: '50,100', interval: '8s', 'latency-p99-max': 'off', metrics }),
    );
    await traffic.stop();
    expect(failedOneLine(r)).toMatch(/aborted: step 1 at 50%: p99-vs-stable \d+(\.\d+)? > 3/);
    expect(await canaryWeight(ns.name)).toBe(0);
  });

  test('A/B: a matching header or cookie always reaches the canary, other requests follow the weights', async () => {
    scene = await stableScene(ns.name);
    const traffic = startTraffic(scene.host, { rps: 30, maxSeconds: 90 });
    const matched = startTraffic(scene.host, { rps: 10, maxSeconds: 90, headers: { 'x-canary': 'always' } });
    const run = promote(
      canaryInputs(scene, {
        steps: '0,100',
        interval: '8s',
        'match-headers': 'x-canary=always',
        'match-cookies': 'canary=always',
      }),
    );
    const deadline = Date.now() + 60_000;
    while ((await routeRules(ns.name)).length < 2) {
      if (Date.now() > deadline) throw new Error('the A/B rule never appeared');
      await new Promise((r) => setTimeout(r, 200));
    }
    // the router's propagation: until a matched request reaches the canary (bounded)
    const applied = Date.now() + 15_000;
    while ((await getThroughGateway(scene.host, 5_000, { 'x-canary': 'always' })).version !== 'v2') {
      if (Date.now() > applied) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    const byHeader = await Promise.all(
      Array.from({ length: 10 }, () => getThroughGateway(scene!.host, 5_000, { 'x-canary': 'always' })),
    );
    const byCookie = await Promise.all(
      Array.from({ length: 10 }, () =>
        getThroughGateway(scene!.host, 5_000, { cookie: 'a=b; canary=always; c=d' }),
      ),
    );
    const plain = await Promise.all(
      Array.from({ length: 10 }, () => getThroughGateway(scene!.host, 5_000, { cookie: 'canary=never' })),
    );
    expect(byHeader.map((r) => r.version)).toEqual(Array(10).fill('v2'));
    expect(byCookie.map((r) => r.version)).toEqual(Array(10).fill('v2'));
    expect(plain.map((r) => r.version)).toEqual(Array(10).fill('v1')); // weight 0: only matched requests
    const r = await run;
    await traffic.stop();
    await matched.stop();
    succeeded(r);
    expect(r.outputs).toMatchObject({ result: 'promoted', 'steps-completed': '2' });
    expect(await routeRules(ns.name)).toHaveLength(1); // the A/B rule left with the canary
  });
});

describe('canary-promote access', () => {
  test('a least-privilege kubeconfig is refused up front, every missing verb named (one rules review, access reviews for the rest)', async () => {
    const r = await runAction('canary-promote', {
      deployment: 'web',
      namespace: env.LIMITED_NAMESPACE,
      kubeconfig: env.KUBECONFIG_LIMITED,
      image: contractOf(repository, fakeDigest()),
      'prometheus-url': env.PROMETHEUS_URL,
    });
    const user = `system:serviceaccount:${env.LIMITED_NAMESPACE}:kubeline-deployer`;
    // Its Role grants Deployments (and their scale), Pods, Services, Events and Leases: only the route is missing.
    expect(failedOneLine(r)).toBe(
      `error: canary-promote: forbidden: ${user} cannot get httproutes.gateway.networking.k8s.io, update httproutes.gateway.networking.k8s.io, watch httproutes.gateway.networking.k8s.io in namespace ${env.LIMITED_NAMESPACE}`,
    );
    expect(await deploymentExists(env.LIMITED_NAMESPACE, 'web-canary')).toBe(false);
  });
});
