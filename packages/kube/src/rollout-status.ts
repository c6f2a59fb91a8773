// kubectl's rollout-status semantics (kubectl/pkg/polymorphichelpers/rollout_status.go), as pure
// functions of one object snapshot so they are tested without a cluster.

export type RolloutKind = 'Deployment' | 'StatefulSet' | 'DaemonSet';
export const ROLLOUT_KINDS: readonly RolloutKind[] = ['Deployment', 'StatefulSet', 'DaemonSet'];

export interface WorkloadCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

/** The fields the three workload kinds use; typed client-node objects and raw JSON both fit. */
export interface WorkloadSnapshot {
  metadata?: { name?: string; generation?: number };
  spec?: {
    replicas?: number;
    updateStrategy?: { type?: string; rollingUpdate?: { partition?: number } };
  };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    currentRevision?: string;
    updateRevision?: string;
    desiredNumberScheduled?: number;
    updatedNumberScheduled?: number;
    numberAvailable?: number;
    conditions?: WorkloadCondition[];
  };
}

export interface RolloutStatus {
  state: 'progressing' | 'complete' | 'failed';
  message: string;
  /** Why it failed: ProgressDeadlineExceeded, UnsupportedStrategy. */
  reason?: string;
}

const progressing = (message: string): RolloutStatus => ({ state: 'progressing', message });
const complete = (message: string): RolloutStatus => ({ state: 'complete', message });

export function rolloutStatus(kind: RolloutKind, obj: WorkloadSnapshot): RolloutStatus {
  if (kind === 'Deployment') return deploymentStatus(obj);
  if (kind === 'StatefulSet') return statefulSetStatus(obj);
  return daemonSetStatus(obj);
}

const observed = (obj: WorkloadSnapshot) =>
  (obj.metadata?.generation ?? 0) <= (obj.status?.observedGeneration ?? 0);

function deploymentStatus(obj: WorkloadSnapshot): RolloutStatus {
  const name = obj.metadata?.name ?? '';
  const s = obj.status ?? {};
  if (!observed(obj)) return progressing(`waiting for deployment "${name}" spec update to be observed`);
  const cond = s.conditions?.find((c) => c.type === 'Progressing');
  if (cond?.reason === 'ProgressDeadlineExceeded')
    return {
      state: 'failed',
      reason: 'ProgressDeadlineExceeded',
      message: `deployment "${name}" exceeded its progress deadline${cond.message ? `: ${cond.message}` : ''}`,
    };
  const want = obj.spec?.replicas;
  const updated = s.updatedReplicas ?? 0;
  if (want !== undefined && updated < want)
    return progressing(
      `waiting for deployment "${name}" rollout to finish: ${updated} out of ${want} new replicas have been updated`,
    );
  if ((s.replicas ?? 0) > updated)
    return progressing(
      `waiting for deployment "${name}" rollout to finish: ${(s.replicas ?? 0) - updated} old replicas are pending termination`,
    );
  if ((s.availableReplicas ?? 0) < updated)
    return progressing(
      `waiting for deployment "${name}" rollout to finish: ${s.availableReplicas ?? 0} of ${updated} updated replicas are available`,
    );
  return complete(`deployment "${name}" successfully rolled out`);
}

/** Like kubectl: only RollingUpdate workloads report rollout progress. */
function unsupportedStrategy(kind: string, name: string, type: string): RolloutStatus {
  return {
    state: 'failed',
    reason: 'UnsupportedStrategy',
    message: `rollout status is only available for the RollingUpdate strategy (${kind} "${name}" uses ${type})`,
  };
}

function statefulSetStatus(obj: WorkloadSnapshot): RolloutStatus {
  const name = obj.metadata?.name ?? '';
  const s = obj.status ?? {};
  const strategy = obj.spec?.updateStrategy;
  if (strategy?.type && strategy.type !== 'RollingUpdate')
    return unsupportedStrategy('statefulset', name, strategy.type);
  if (!s.observedGeneration || !observed(obj))
    return progressing(`waiting for statefulset "${name}" spec update to be observed`);
  const want = obj.spec?.replicas;
  if (want !== undefined && (s.readyReplicas ?? 0) < want)
    return progressing(
      `waiting for statefulset "${name}": ${want - (s.readyReplicas ?? 0)} pods to be ready`,
    );
  const partition = strategy?.rollingUpdate?.partition;
  // The API server defaults partition to 0, so this is the usual path, as in kubectl.
  if (partition !== undefined && partition !== null) {
    const what = partition > 0 ? 'partitioned roll out' : 'rolling update';
    if (want !== undefined && (s.updatedReplicas ?? 0) < want - partition)
      return progressing(
        `waiting for statefulset "${name}" ${what} to finish: ${s.updatedReplicas ?? 0} out of ${want - partition} new pods have been updated`,
      );
    return complete(
      `statefulset "${name}" ${what} complete: ${s.updatedReplicas ?? 0} new pods have been updated`,
    );
  }
  if (s.updateRevision !== s.currentRevision)
    return progressing(
      `waiting for statefulset "${name}" rolling update to complete ${s.updatedReplicas ?? 0} pods at revision ${s.updateRevision}`,
    );
  return complete(
    `statefulset "${name}" rolling update complete ${s.currentRevision ? `${s.readyReplicas ?? 0} pods at revision ${s.currentRevision}` : ''}`.trim(),
  );
}

function daemonSetStatus(obj: WorkloadSnapshot): RolloutStatus {
  const name = obj.metadata?.name ?? '';
  const s = obj.status ?? {};
  const strategy = obj.spec?.updateStrategy;
  if (strategy?.type && strategy.type !== 'RollingUpdate')
    return unsupportedStrategy('daemon set', name, strategy.type);
  if (!observed(obj)) return progressing(`waiting for daemon set "${name}" spec update to be observed`);
  const desired = s.desiredNumberScheduled ?? 0;
  if ((s.updatedNumberScheduled ?? 0) < desired)
    return progressing(
      `waiting for daemon set "${name}" rollout to finish: ${s.updatedNumberScheduled ?? 0} out of ${desired} new pods have been updated`,
    );
  if ((s.numberAvailable ?? 0) < desired)
    return progressing(
      `waiting for daemon set "${name}" rollout to finish: ${s.numberAvailable ?? 0} of ${desired} updated pods are available`,
    );
  return complete(`daemon set "${name}" successfully rolled out`);
}
