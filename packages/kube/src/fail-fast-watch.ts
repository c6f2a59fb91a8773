// Watching a rolling-out workload's new pods for a certain failure (see fail-fast.ts). Only the
// new revision's pods are judged: an old pod failing is not this rollout's doing. One pod list per
// poll, narrowed by the revision's label, so a 1,000-replica workload costs the same requests.
// Pods the controller cannot create show on the Deployment the caller already watches; only then
// is the new ReplicaSet read, to judge its own ReplicaFailure and not an old revision's.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, KubernetesObject } from './client.js';
import {
  DEFAULT_FAIL_FAST,
  FaultEvidence,
  type FailFastPolicy,
  type ReplicaSetView,
  type Verdict,
} from './fail-fast.js';
import { podView, selectorString, type LabelSelector, type RawPod } from './pod-status.js';
import type { RolloutKind } from './rollout-status.js';

const POLL_MS = 2_000;

interface Workload extends KubernetesObject {
  metadata?: KubernetesObject['metadata'] & { generation?: number; annotations?: Record<string, string> };
  spec?: { selector?: LabelSelector };
  status?: {
    observedGeneration?: number;
    updateRevision?: string;
    conditions?: { type: string; status: string }[];
  };
}

/** The new revision: its pods' selector, and its ReplicaSet for a Deployment. */
interface Revision {
  selector: string;
  replicaSet?: string;
}

export interface FaultWatchOptions {
  policy?: FailFastPolicy;
  /** Says when the workload carries the spec being rolled out (not the previous one's). */
  accept?: (obj: KubernetesObject) => boolean;
  /** The workload as the caller's own watch last saw it; without it, pods that cannot be created are no verdict. */
  snapshot?: () => KubernetesObject | undefined;
}

export interface WorkloadTarget {
  kind: RolloutKind;
  name: string;
  namespace: string;
}

const REVISION = 'deployment.kubernetes.io/revision';

/** The new revision, once the controller has created it. */
async function newRevision(
  cluster: Cluster,
  w: WorkloadTarget,
  accept: (obj: KubernetesObject) => boolean,
): Promise<Revision | undefined> {
  const obj = await cluster.objects.read<Workload>({
    apiVersion: 'apps/v1',
    kind: w.kind,
    metadata: { name: w.name, namespace: w.namespace },
  });
  if (!accept(obj)) return undefined;
  const generation = obj.metadata?.generation ?? 0;
  if ((obj.status?.observedGeneration ?? 0) < generation) return undefined;
  const base = selectorString(obj.spec?.selector);
  if (w.kind === 'StatefulSet') {
    const rev = obj.status?.updateRevision;
    return rev ? { selector: `${base},controller-revision-hash=${rev}` } : undefined;
  }
  if (w.kind === 'DaemonSet') return { selector: `${base},pod-template-generation=${generation}` };
  const revision = obj.metadata?.annotations?.[REVISION];
  const sets = await cluster.apps.listNamespacedReplicaSet({ namespace: w.namespace, labelSelector: base });
  const current = sets.items.find(
    (rs) =>
      rs.metadata?.annotations?.[REVISION] === revision &&
      rs.metadata?.ownerReferences?.some((o) => o.uid === obj.metadata?.uid),
  );
  const hash = current?.metadata?.labels?.['pod-template-hash'];
  return hash
    ? { selector: `${base},pod-template-hash=${hash}`, replicaSet: current?.metadata?.name }
    : undefined;
}

const reportsReplicaFailure = (obj: KubernetesObject | undefined) =>
  (obj as Workload | undefined)?.status?.conditions?.some(
    (c) => c.type === 'ReplicaFailure' && c.status === 'True',
  ) ?? false;

async function readReplicaSet(cluster: Cluster, namespace: string, name: string): Promise<ReplicaSetView> {
  const rs = await cluster.apps.readNamespacedReplicaSet({ name, namespace });
  return { name, conditions: rs.status?.conditions ?? [] };
}

/** A node the cluster autoscaler is adding makes an unschedulable pod a wait, not a failure. */
async function scaleUpUnderway(cluster: Cluster, namespace: string, pod: string): Promise<boolean> {
  const events = await cluster.core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${pod},reason=TriggeredScaleUp`,
  });
  return events.items.length > 0;
}

async function observe(
  cluster: Cluster,
  w: WorkloadTarget,
  revision: Revision,
  evidence: FaultEvidence,
  snapshot: FaultWatchOptions['snapshot'],
): Promise<Verdict | undefined> {
  const pods = await cluster.core.listNamespacedPod({
    namespace: w.namespace,
    labelSelector: revision.selector,
  });
  const replicaSet =
    revision.replicaSet && reportsReplicaFailure(snapshot?.())
      ? await readReplicaSet(cluster, w.namespace, revision.replicaSet)
      : undefined;
  const verdict = evidence.observe(
    pods.items.map((p) => podView(p as RawPod)),
    Date.now(),
    replicaSet,
  );
  if (
    verdict?.fault.kind === 'unschedulable' &&
    verdict.fault.pod &&
    (await scaleUpUnderway(cluster, w.namespace, verdict.fault.pod))
  )
    return undefined;
  return verdict;
}

/**
 * Polls the workload's new pods until one fails for certain (the verdict) or `signal` aborts
 * (undefined). API errors are waited out: an apiserver restarting is not the rollout's verdict.
 */
export async function watchForFault(
  cluster: Cluster,
  w: WorkloadTarget,
  signal: AbortSignal,
  opts: FaultWatchOptions = {},
): Promise<Verdict | undefined> {
  const evidence = new FaultEvidence(opts.policy ?? DEFAULT_FAIL_FAST);
  const accept = opts.accept ?? (() => true);
  let revision: Revision | undefined;
  while (!signal.aborted) {
    try {
      revision ??= await newRevision(cluster, w, accept);
      const verdict = revision ? await observe(cluster, w, revision, evidence, opts.snapshot) : undefined;
      if (verdict) return verdict;
    } catch {
      // retried on the next poll; the rollout's own wait reports a cluster that stays away
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}
