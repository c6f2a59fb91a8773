// Waiting for the cluster's GitOps controller to apply a commit, then for what it applied to roll
// out — with a read-only view of the cluster: kubeline never writes to it in pull-based delivery.
import { UserError, formatDuration } from '@kubeline/runtime';
import {
  collectDiagnostics,
  diagnose,
  waitFor,
  waitForRollout,
  type Cluster,
  type Diagnostics,
  type KubernetesObject,
} from '@kubeline/kube';
import type { Checkout } from './git.js';
import {
  RECONCILERS,
  applicationWorkloads,
  inventoryWorkloads,
  revisionSha,
  stateOf,
  type Expectation,
  type ReconcileState,
  type ReconcilerRef,
  type WorkloadId,
} from './reconcile-status.js';

export interface ReconcileOutcome {
  ref: ReconcilerRef;
  state: 'applied' | 'failed' | 'timeout' | 'cancelled';
  revision?: string;
  message: string;
  /** When the controller reported it, ms since the wait started. */
  atMs: number;
  workloads: WorkloadId[];
}

export interface WaitContext {
  cluster: Cluster;
  checkout: Checkout;
  deadline: number;
  signal?: AbortSignal;
  progress: (line: string) => void;
}

const refName = (r: ReconcilerRef) => `${RECONCILERS[r.type].kind} ${r.namespace}/${r.name}`;

/** Decides whether a revision the controller reports is the commit's or a later one's. */
async function classify(w: WaitContext, e: Expectation & { later: Set<string> }, sha: string): Promise<void> {
  if (sha === e.commit || e.later.has(sha) || e.older.has(sha)) return;
  // A later commit carries ours when ours is in its history; fetch enough of it to tell.
  await w.checkout.fetchCommit(sha, 200);
  const contains = await w.checkout.isAncestor(e.commit, sha).catch(() => false);
  (contains ? e.later : e.older).add(sha);
}

async function awaitOne(
  w: WaitContext,
  ref: ReconcilerRef,
  e: Expectation & { later: Set<string> },
): Promise<ReconcileOutcome> {
  const started = Date.now();
  const { apiVersion, kind } = RECONCILERS[ref.type];
  // (asserted, not annotated: the predicate below reassigns it, which narrowing cannot see)
  let last = { state: 'pending', message: 'waiting' } as ReconcileState;
  for (;;) {
    const remaining = w.deadline - Date.now();
    const r = await waitFor(
      w.cluster,
      { apiVersion, kind, name: ref.name, namespace: ref.namespace },
      (obj) => {
        const s = stateOf[ref.type](obj as never, e);
        if (s.message !== last.message && s.state === 'pending') w.progress(`${refName(ref)}: ${s.message}`);
        last = s;
        return s.state !== 'pending';
      },
      { timeoutMs: Math.max(1, remaining), ...(w.signal ? { signal: w.signal } : {}) },
    );
    const atMs = Date.now() - started;
    if (r.status !== 'met') return { ref, state: r.status, message: last.message, atMs, workloads: [] };
    const s = last as Exclude<ReconcileState, { state: 'pending' }>;
    const sha = ref.type === 'helmrelease' ? undefined : revisionSha(s.revision);
    if (sha && sha !== e.commit && !e.later.has(sha)) {
      await classify(w, e, sha);
      if (e.older.has(sha)) continue; // still an earlier commit: keep waiting
    }
    return {
      ref,
      state: s.state,
      revision: s.revision,
      message: s.message,
      atMs,
      workloads: await workloadsOf(w.cluster, ref, r.object),
    };
  }
}

async function workloadsOf(
  cluster: Cluster,
  ref: ReconcilerRef,
  obj: KubernetesObject | undefined,
): Promise<WorkloadId[]> {
  if (!obj) return [];
  if (ref.type === 'kustomization') return inventoryWorkloads(obj);
  if (ref.type === 'application') return applicationWorkloads(obj, ref.namespace);
  // helm-controller labels what it installs with the HelmRelease's name and namespace.
  const ns = (obj as { spec?: { targetNamespace?: string } }).spec?.targetNamespace || ref.namespace;
  const labelSelector = `helm.toolkit.fluxcd.io/name=${ref.name},helm.toolkit.fluxcd.io/namespace=${ref.namespace}`;
  const [d, s, ds] = await Promise.all([
    cluster.apps.listNamespacedDeployment({ namespace: ns, labelSelector }),
    cluster.apps.listNamespacedStatefulSet({ namespace: ns, labelSelector }),
    cluster.apps.listNamespacedDaemonSet({ namespace: ns, labelSelector }),
  ]);
  const ids = (kind: WorkloadId['kind'], items: KubernetesObject[]) =>
    items.map((i) => ({ kind, namespace: ns, name: i.metadata!.name! }));
  return [...ids('Deployment', d.items), ...ids('StatefulSet', s.items), ...ids('DaemonSet', ds.items)];
}

/** Every named reconciler applies the commit (or one after it), in parallel. */
export async function awaitReconcile(
  w: WaitContext,
  refs: ReconcilerRef[],
  commit: string,
  digest: string,
): Promise<ReconcileOutcome[]> {
  const e = { commit, digest, older: new Set<string>(), later: new Set<string>() };
  return Promise.all(refs.map((ref) => awaitOne(w, ref, e)));
}

export interface RolloutOutcome extends WorkloadId {
  ok: boolean;
  message: string;
  durationMs: number;
  diagnostics?: Diagnostics;
}

/** The same rollout verdict as a push deploy: complete, or failed (fast) with its diagnostics. */
export async function awaitWorkloads(w: WaitContext, workloads: WorkloadId[]): Promise<RolloutOutcome[]> {
  return Promise.all(
    workloads.map(async (wl) => {
      const r = await waitForRollout(w.cluster, wl.kind, wl.name, wl.namespace, {
        timeoutMs: Math.max(1, w.deadline - Date.now()),
        onProgress: (m) => w.progress(`${wl.kind} ${wl.namespace}/${wl.name}: ${m}`),
        ...(w.signal ? { signal: w.signal } : {}),
      });
      if (r.ok) return { ...wl, ok: true, message: r.message, durationMs: r.durationMs };
      const diagnostics = await collectDiagnostics(w.cluster, wl.namespace, {
        owner: { kind: wl.kind, name: wl.name },
      });
      const why =
        r.reason === 'FailFast' ? 'failed fast' : `${r.outcome} after ${formatDuration(r.durationMs)}`;
      return {
        ...wl,
        ok: false,
        message: `${why}: ${diagnose(diagnostics)}`,
        durationMs: r.durationMs,
        diagnostics,
      };
    }),
  );
}

/** One line for a reconciler that did not apply the commit. */
export function reconcileFailure(o: ReconcileOutcome, commit: string): UserError {
  const what = `${refName(o.ref)} did not apply ${commit.slice(0, 12)}`;
  if (o.state === 'failed') return new UserError(`${what}: ${o.message}`);
  return new UserError(`${what} before the timeout (${o.state}): last status: ${o.message}`);
}
