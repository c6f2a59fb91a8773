// Watching a rolling-out workload's new pods for a certain failure (see fail-fast.ts). Only the
// new revision's pods are judged: an old pod failing is not this rollout's doing. One pod list per
// poll, narrowed by the revision's label, so a 1,000-replica workload costs the same requests.
// Pods a Deployment's controller cannot create show as its ReplicaFailure; only then is the new
// ReplicaSet read, to judge its own condition and not an old revision's. StatefulSets and DaemonSets
// have no such condition: while one is short of pods, its FailedCreate events stand in.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, KubernetesObject } from './client.js';
import { CreationEvents } from './creation-events.js';
import {
  DEFAULT_FAIL_FAST,
  FaultEvidence,
  creationFault,
  refusalFault,
  type FailFastPolicy,
  type PodFault,
  type ReplicaSetView,
  type Verdict,
} from './fail-fast.js';
import { podView, selectorString, type LabelSelector, type RawPod } from './pod-status.js';
import type { RolloutKind } from './rollout-status.js';

const POLL_MS = 2_000;

interface Workload extends KubernetesObject {
  metadata?: KubernetesObject['metadata'] & { generation?: number; annotations?: Record<string, string> };
  spec?: { selector?: LabelSelector; replicas?: number };
  status?: {
    observedGeneration?: number;
    updateRevision?: string;
    conditions?: { type: string; status: string }[];
    /** A StatefulSet's pods that exist. */
    replicas?: number;
    /** A DaemonSet's nodes that should run a pod, and those that do. */
    desiredNumberScheduled?: number;
    currentNumberScheduled?: number;
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
  /** The workload as the caller's own watch last saw it; without one, the workload is read each poll. */
  snapshot?: () => KubernetesObject | undefined;
}

export interface WorkloadTarget {
  kind: RolloutKind;
  name: string;
  namespace: string;
}

const REVISION = 'deployment.kubernetes.io/revision';

const readWorkload = (cluster: Cluster, w: WorkloadTarget) =>
  cluster.objects.read<Workload>({
    apiVersion: 'apps/v1',
    kind: w.kind,
    metadata: { name: w.name, namespace: w.namespace },
  });

/** The new revision, once the controller has created it. */
async function newRevision(
  cluster: Cluster,
  w: WorkloadTarget,
  obj: Workload,
  accept: (obj: KubernetesObject) => boolean,
): Promise<Revision | undefined> {
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

/** Fewer pods exist than the StatefulSet or DaemonSet wants: its controller may be refused some. */
function shortOfPods(kind: RolloutKind, obj: Workload | undefined): boolean {
  const s = obj?.status;
  if (kind === 'StatefulSet') return (s?.replicas ?? 0) < (obj?.spec?.replicas ?? 1);
  if (kind === 'DaemonSet') return (s?.currentNumberScheduled ?? 0) < (s?.desiredNumberScheduled ?? 0);
  return false;
}

/** Where the controller's refusal to create the new revision's pods shows, per kind. */
async function creationRefusal(
  cluster: Cluster,
  w: WorkloadTarget,
  revision: Revision,
  seen: Workload | undefined,
  events: CreationEvents | undefined,
): Promise<PodFault | undefined> {
  if (revision.replicaSet)
    return reportsReplicaFailure(seen)
      ? creationFault(await readReplicaSet(cluster, w.namespace, revision.replicaSet))
      : undefined;
  if (!events || !shortOfPods(w.kind, seen)) return undefined;
  const message = await events.refusal();
  return message === undefined ? undefined : refusalFault({ workload: `${w.kind} ${w.name}` }, message);
}

/** A node the cluster autoscaler is adding makes an unschedulable pod a wait, not a failure. */
async function scaleUpUnderway(cluster: Cluster, namespace: string, pod: string): Promise<boolean> {
  const events = await cluster.core.listNamespacedEvent({
    namespace,
    fieldSelector: `involvedObject.name=${pod},reason=TriggeredScaleUp`,
  });
  return events.items.length > 0;
}

/** One poll's view: the new revision, and the workload as last seen. */
interface Look {
  revision: Revision;
  seen: Workload | undefined;
}

async function observe(
  cluster: Cluster,
  w: WorkloadTarget,
  { revision, seen }: Look,
  evidence: FaultEvidence,
  events: CreationEvents | undefined,
): Promise<Verdict | undefined> {
  const [pods, refused] = await Promise.all([
    cluster.core.listNamespacedPod({ namespace: w.namespace, labelSelector: revision.selector }),
    creationRefusal(cluster, w, revision, seen, events),
  ]);
  const verdict = evidence.observe(
    pods.items.map((p) => podView(p as RawPod)),
    Date.now(),
    refused,
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
  const events = w.kind === 'Deployment' ? undefined : new CreationEvents(cluster, w);
  let revision: Revision | undefined;
  while (!signal.aborted) {
    try {
      await events?.takeBaseline();
      const read = !revision || !opts.snapshot ? await readWorkload(cluster, w) : undefined;
      revision ??= await newRevision(cluster, w, read!, accept);
      const seen = (opts.snapshot?.() as Workload | undefined) ?? read;
      const verdict = revision ? await observe(cluster, w, { revision, seen }, evidence, events) : undefined;
      if (verdict) return verdict;
    } catch {
      // retried on the next poll; the rollout's own wait reports a cluster that stays away
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}
