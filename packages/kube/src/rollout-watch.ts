// kubeline's own watch of the workloads helm is waiting for. Helm only says "timed out"; and once it
// rolls back, the failing pods are gone. So while helm waits, each workload of this deploy is
// watched, and one that fails — or is still not ready shortly before helm's deadline — has its
// conditions, pods, events and logs collected at that moment.
import type { Cluster, KubernetesObject } from './client.js';
import { collectDiagnostics, type Diagnostics } from './diagnostics.js';
import type { FailFastPolicy, Verdict } from './fail-fast.js';
import { watchForFault } from './fail-fast-watch.js';
import {
  ROLLOUT_KINDS,
  rolloutStatus,
  type RolloutKind,
  type RolloutStatus,
  type WorkloadSnapshot,
} from './rollout-status.js';
import { waitFor } from './wait.js';

/** Set on every resource of one run: a watch then knows it sees this run's spec, not the last one's. */
export const DEPLOY_ID_ANNOTATION = 'kubeline.dev/deploy-id';

export interface WorkloadRef {
  kind: RolloutKind;
  name: string;
  namespace: string;
}

export interface WorkloadOutcome extends WorkloadRef {
  state: 'complete' | 'failed' | 'timeout' | 'cancelled';
  message: string;
  diagnostics?: Diagnostics;
  /** Set when the fail-fast verdict ended the wait. */
  verdict?: Verdict;
}

export interface WatchOptions {
  /** The fail-fast policy; `false` waits for readiness or the deadline only. */
  failFast: FailFastPolicy | false;
  /** Called as soon as a workload has failed for certain, while the others are still watched. */
  onFailure?: (outcome: WorkloadOutcome) => void;
}

/** A resource as a manifest names it; the namespace may be left to the release's. */
export interface ResourceRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

/** The resources of a manifest that roll out (Deployments, StatefulSets, DaemonSets). */
export function workloadsOf(resources: ResourceRef[], namespace: string): WorkloadRef[] {
  return resources
    .filter((r) => r.apiVersion === 'apps/v1' && (ROLLOUT_KINDS as readonly string[]).includes(r.kind))
    .map((r) => ({ kind: r.kind as RolloutKind, name: r.name, namespace: r.namespace ?? namespace }));
}

/** How long before helm's deadline the diagnostics are taken: enough to read pods, events, logs. */
export function diagnosticsMargin(timeoutMs: number): number {
  return Math.min(10_000, Math.max(2_000, timeoutMs * 0.15));
}

async function watchOne(
  cluster: Cluster,
  w: WorkloadRef,
  deployId: string,
  timeoutMs: number,
  signal: AbortSignal,
  opts: WatchOptions,
): Promise<WorkloadOutcome> {
  let status: RolloutStatus = {
    state: 'progressing',
    message: `waiting for ${w.kind} ${w.name} to be updated`,
  };
  const settled = new AbortController();
  const both = AbortSignal.any([signal, settled.signal]);
  const ours = (obj: KubernetesObject | undefined) =>
    obj?.metadata?.annotations?.[DEPLOY_ID_ANNOTATION] === deployId;
  let seen: KubernetesObject | undefined;
  const faultWatch = opts.failFast
    ? watchForFault(cluster, w, both, { policy: opts.failFast, accept: ours, snapshot: () => seen }).then(
        (v) => {
          if (v) settled.abort();
          return v;
        },
      )
    : Promise.resolve(undefined);
  const result = await waitFor(
    cluster,
    { apiVersion: 'apps/v1', kind: w.kind, name: w.name, namespace: w.namespace },
    (obj) => {
      if (!ours(obj)) return false;
      seen = obj;
      status = rolloutStatus(w.kind, obj as WorkloadSnapshot);
      return status.state !== 'progressing';
    },
    { timeoutMs, signal: both },
  ).finally(() => settled.abort());
  const verdict = await faultWatch;
  if (!verdict && result.status === 'cancelled') return { ...w, state: 'cancelled', message: status.message };
  if (result.status === 'met' && status.state === 'complete')
    return { ...w, state: 'complete', message: status.message };
  const diagnostics = await collectDiagnostics(cluster, w.namespace, {
    owner: { kind: w.kind, name: w.name },
  });
  const outcome: WorkloadOutcome = {
    ...w,
    state: !verdict && result.status === 'timeout' ? 'timeout' : 'failed',
    message: verdict ? verdict.fault.detail : status.message,
    diagnostics,
    ...(verdict ? { verdict } : {}),
  };
  opts.onFailure?.(outcome);
  return outcome;
}

/** Watches every workload until it is ready, fails, or `timeoutMs` passes; aborted when helm ends. */
export async function watchRollouts(
  cluster: Cluster,
  workloads: WorkloadRef[],
  deployId: string,
  timeoutMs: number,
  signal: AbortSignal,
  opts: WatchOptions,
): Promise<WorkloadOutcome[]> {
  return Promise.all(
    workloads.map((w) =>
      watchOne(cluster, w, deployId, timeoutMs, signal, opts).catch((e: unknown): WorkloadOutcome => ({
        ...w,
        state: 'cancelled',
        message: `not watched: ${(e as Error).message}`,
      })),
    ),
  );
}
