// The canary's workload and traffic on the cluster: create, scale, promote, revert. Each step is
// safe to repeat, so the post step, a later run or rollback can finish what a killed run began.
import { UserError, formatDuration } from '@kubeline/runtime';
import { isNotFound, unlessNotFound, waitForRollout, type Cluster, type RolloutResult } from '@kubeline/kube';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { IstioRouter, NginxCanaryRouter, SmiRouter } from './object-routers.js';
import { GatewayApiRouter, PodShareRouter, type TrafficRouter } from './router.js';
import type { CanaryState } from './state.js';
import { CREATED_FOR, canaryDeployment, canaryName, canarySelector, canaryService } from './workload.js';

export interface CanaryTarget {
  cluster: Cluster;
  namespace: string;
  deployment: string;
  log: (line: string) => void;
}

export async function readDeployment(t: CanaryTarget, name: string): Promise<V1Deployment | undefined> {
  return unlessNotFound(t.cluster.apps.readNamespacedDeployment({ name, namespace: t.namespace }));
}

async function readService(t: CanaryTarget, name: string): Promise<V1Service | undefined> {
  return unlessNotFound(t.cluster.core.readNamespacedService({ name, namespace: t.namespace }));
}

/** The stable Service and the port the route reaches it on. */
export async function stableService(t: CanaryTarget, name: string): Promise<V1Service> {
  const svc = await readService(t, name);
  if (!svc) throw new UserError(`input "service": Service ${t.namespace}/${name} does not exist`);
  return svc;
}

/** Creates (or replaces, from a stale run) the canary Deployment at 0 replicas. */
export async function ensureCanaryDeployment(
  t: CanaryTarget,
  stable: V1Deployment,
  o: { container: string; image: string; run: string; separate: boolean },
): Promise<void> {
  const body = canaryDeployment(stable, o);
  const name = body.metadata!.name!;
  const existing = await readDeployment(t, name);
  if (existing) {
    // A selector cannot change in place: an old canary is removed and made anew.
    await t.cluster.apps.deleteNamespacedDeployment({
      name,
      namespace: t.namespace,
      propagationPolicy: 'Background',
    });
    await waitGone(t, name);
  }
  await t.cluster.apps.createNamespacedDeployment({ namespace: t.namespace, body });
}

async function waitGone(t: CanaryTarget, name: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (!(await readDeployment(t, name))) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new UserError(`Deployment ${t.namespace}/${name} is still being deleted after 20s`);
}

/** The canary Service selects the canary's pods: made when missing (and marked so), else adopted. */
export async function ensureCanaryService(
  t: CanaryTarget,
  stableSvc: V1Service,
  name: string,
  stable: V1Deployment,
): Promise<{ created: boolean }> {
  const selector = canarySelector(stable, true);
  const existing = await readService(t, name);
  if (existing) {
    await t.cluster.core.patchNamespacedService({
      name,
      namespace: t.namespace,
      body: [{ op: 'replace', path: '/spec/selector', value: selector }],
    });
    return { created: Boolean(existing.metadata?.annotations?.[CREATED_FOR]) };
  }
  await t.cluster.core.createNamespacedService({
    namespace: t.namespace,
    body: canaryService(stableSvc, name, selector, t.deployment),
  });
  return { created: true };
}

/** client-node sends a patch as a JSON patch. */
const setReplicas = (t: CanaryTarget, name: string, replicas: number) =>
  t.cluster.apps.patchNamespacedDeploymentScale({
    name,
    namespace: t.namespace,
    body: [{ op: 'replace', path: '/spec/replicas', value: replicas }],
  });

/** Scales the canary and waits until that many replicas are ready (or fails fast on a pod fault). */
export async function scaleCanary(
  t: CanaryTarget,
  replicas: number,
  o: { timeoutMs: number; signal?: AbortSignal; restarts: number },
): Promise<RolloutResult> {
  const name = canaryName(t.deployment);
  await setReplicas(t, name, replicas);
  return waitForRollout(t.cluster, 'Deployment', name, t.namespace, {
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    onProgress: () => undefined,
    failFast: { crashRestarts: o.restarts, confirmMs: 10_000 },
  });
}

export function routerFor(
  t: CanaryTarget,
  s: CanaryState,
  stableReplicas: number,
  scale: (n: number) => Promise<number>,
): TrafficRouter {
  if (s.router === 'pods') return new PodShareRouter(stableReplicas, scale);
  const services = { namespace: t.namespace, stable: s.stableService, canary: s.canaryService! };
  if (s.router === 'istio') return new IstioRouter(t.cluster, s.route!, services, s.stablePort, t.log);
  if (s.router === 'smi') return new SmiRouter(t.cluster, s.route!, services, t.log);
  if (s.router === 'nginx') return new NginxCanaryRouter(t.cluster, s.route!, services, t.log);
  return new GatewayApiRouter(t.cluster, s.route!, services, s.stablePort, t.log, s.abMatches);
}

/**
 * All traffic back on stable first, then the canary removed. The stable Deployment is checked to
 * be fully available before the shift (a cold or shrunken stable would drop what it gets).
 * Failures of the later parts are reported, but never stop the traffic reset.
 */
export async function revertCanary(t: CanaryTarget, s: CanaryState, why: string): Promise<string[]> {
  const problems: string[] = [];
  const stable = await readDeployment(t, t.deployment);
  const want = stable?.spec?.replicas ?? 1;
  if (stable && (stable.status?.availableReplicas ?? 0) < want) {
    t.log(
      `stable Deployment ${t.deployment} has ${stable.status?.availableReplicas ?? 0} of ${want} replicas available: waiting before the shift`,
    );
    const r = await waitForRollout(t.cluster, 'Deployment', t.deployment, t.namespace, {
      timeoutMs: 60_000,
      onProgress: () => undefined,
      failFast: false,
    });
    if (!r.ok) problems.push(`stable was not fully available before the shift: ${r.message}`);
  }
  const router = routerFor(t, s, want, async (n) => {
    await setReplicas(t, canaryName(t.deployment), n).catch((e: unknown) => {
      if (!isNotFound(e)) throw e;
    });
    return n;
  });
  try {
    await router.reset();
    t.log(`all traffic is on stable (${router.describe}): ${why}`);
  } catch (e) {
    problems.push(`traffic reset on ${router.describe} failed: ${(e as Error).message}`);
  }
  problems.push(...(await removeCanary(t, s)));
  return problems;
}

/** Deletes the canary Deployment and the Service kubeline made for it; gone already is fine. */
export async function removeCanary(t: CanaryTarget, s: CanaryState): Promise<string[]> {
  const problems: string[] = [];
  const ignoreGone = (what: string) => (e: unknown) => {
    if (!isNotFound(e)) problems.push(`${what}: ${(e as Error).message}`);
  };
  await t.cluster.apps
    .deleteNamespacedDeployment({
      name: canaryName(t.deployment),
      namespace: t.namespace,
      propagationPolicy: 'Background',
    })
    .catch(ignoreGone(`deleting Deployment ${canaryName(t.deployment)}`));
  if (s.createdService && s.canaryService)
    await t.cluster.core
      .deleteNamespacedService({ name: s.canaryService, namespace: t.namespace })
      .catch(ignoreGone(`deleting Service ${s.canaryService}`));
  return problems;
}

/** Promotion: stable takes the canary's image and becomes ready with it; traffic then returns to it. */
export async function promoteStable(
  t: CanaryTarget,
  s: CanaryState,
  o: { timeoutMs: number; restarts: number; signal?: AbortSignal },
): Promise<RolloutResult> {
  const started = Date.now();
  const stable = await readDeployment(t, t.deployment);
  const i = (stable?.spec?.template.spec?.containers ?? []).findIndex((c) => c.name === s.container);
  if (i < 0)
    throw new UserError(`Deployment ${t.deployment} has no container ${s.container} any more: not promoted`);
  const path = `/spec/template/spec/containers/${i}`;
  await t.cluster.apps.patchNamespacedDeployment({
    name: t.deployment,
    namespace: t.namespace,
    // The test makes the patch fail rather than change another container if the list moved.
    body: [
      { op: 'test', path: `${path}/name`, value: s.container },
      { op: 'replace', path: `${path}/image`, value: s.image },
    ],
  });
  const r = await waitForRollout(t.cluster, 'Deployment', t.deployment, t.namespace, {
    timeoutMs: o.timeoutMs,
    signal: o.signal,
    onProgress: () => undefined,
    failFast: { crashRestarts: o.restarts, confirmMs: 10_000 },
  });
  t.log(
    `stable Deployment ${t.deployment} ${r.ok ? 'runs' : 'did not become ready with'} ${s.image} (${formatDuration(Date.now() - started)})`,
  );
  return r;
}
