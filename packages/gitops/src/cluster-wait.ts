// wait-for: the reconcilers report the commit applied, then what they manage rolls out. Only read
// access is needed (and checked up front, before anything is committed): in pull-based delivery CI
// holds no write credentials.
import { KubelineError, jobSignal, onCancel, throwIfCancelled } from '@kubeline/runtime';
import { connect, prepareKubeconfig, requireAccess, type Cluster } from '@kubeline/kube';
import type { Checkout } from './git.js';
import {
  awaitReconcile,
  awaitWorkloads,
  reconcileFailure,
  type ReconcileOutcome,
  type RolloutOutcome,
} from './reconcile.js';
import type { ReconcilerRef } from './reconcile-status.js';

const RESOURCES: Record<ReconcilerRef['type'], string> = {
  kustomization: 'kustomizations.kustomize.toolkit.fluxcd.io',
  helmrelease: 'helmreleases.helm.toolkit.fluxcd.io',
  application: 'applications.argoproj.io',
};

export interface ClusterWait {
  reconciled: ReconcileOutcome[];
  rollouts: RolloutOutcome[];
  /** From the push to every reconciler reporting it applied, and to every workload ready. */
  appliedMs?: number;
  healthyMs?: number;
  /** The revisions the reconcilers applied (the commit, or a later one containing it). */
  appliedRevisions: string[];
  failure?: Error;
}

export interface Reader {
  cluster: Cluster;
  /** The kubeconfig file written for content given inline (removed by cleanup and the post step). */
  kubeconfigPath: string;
  cleanup: () => void;
}

async function checkReadAccess(cluster: Cluster, refs: ReconcilerRef[]): Promise<void> {
  await Promise.all(
    refs.map((r) =>
      requireAccess(cluster, r.namespace, [
        ['get', RESOURCES[r.type]],
        ['list', RESOURCES[r.type]],
        ['watch', RESOURCES[r.type]],
      ]),
    ),
  );
}

/** Connects with the (read-only) kubeconfig and checks it can read every reconciler. */
export async function connectReader(
  kubeconfig: { kubeconfig: string; context: string },
  refs: ReconcilerRef[],
  remember: (kubeconfigPath: string) => void,
): Promise<Reader> {
  const kube = prepareKubeconfig({ ...kubeconfig, namespace: '' });
  remember(kube.path);
  // a cancelled job removes the written kubeconfig even if the step cannot unwind in time
  const dispose = onCancel(() => kube.cleanup());
  const cleanup = () => {
    dispose();
    kube.cleanup();
  };
  try {
    const cluster = await connect(kube.path, kube.context);
    await checkReadAccess(cluster, refs);
    return { cluster, kubeconfigPath: kube.path, cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}

export interface ClusterWaitRequest {
  reader: Reader;
  checkout: Checkout;
  refs: ReconcilerRef[];
  commit: string;
  digest: string;
  timeoutMs: number;
  progress: (line: string) => void;
}

export async function awaitCluster(r: ClusterWaitRequest): Promise<ClusterWait> {
  const pushed = Date.now();
  const w = {
    cluster: r.reader.cluster,
    checkout: r.checkout,
    deadline: pushed + r.timeoutMs,
    progress: r.progress,
    // a cancel ends the waits at once (and the step with the cancel's exit code)
    signal: jobSignal,
  };
  const reconciled = await awaitReconcile(w, r.refs, r.commit, r.digest);
  throwIfCancelled();
  const missed = reconciled.find((o) => o.state !== 'applied');
  if (missed)
    return { reconciled, rollouts: [], appliedRevisions: [], failure: reconcileFailure(missed, r.commit) };
  const appliedMs = Date.now() - pushed;
  const appliedRevisions = reconciled.map((o) => o.revision ?? '');
  const rollouts = await awaitWorkloads(
    w,
    reconciled.flatMap((o) => o.workloads),
  );
  throwIfCancelled();
  const failed = rollouts.filter((x) => !x.ok);
  const healthyMs = Date.now() - pushed;
  if (failed.length === 0) return { reconciled, rollouts, appliedMs, healthyMs, appliedRevisions };
  const lines = failed.map((f) => `${f.kind} ${f.namespace}/${f.name} ${f.message}`);
  return {
    reconciled,
    rollouts,
    appliedMs,
    appliedRevisions,
    failure: new KubelineError(
      `${r.commit.slice(0, 12)} was applied but did not roll out: ${lines.join('; ')}`,
    ),
  };
}
