// Watching a rolling-out workload's new pods for a certain failure (see fail-fast.ts). Only the
// new revision's pods are judged: an old pod failing is not this rollout's doing. One pod list per
// poll, narrowed by the revision's label, so a 1,000-replica workload costs the same requests.
import { setTimeout as sleep } from 'node:timers/promises';
import type { Cluster, KubernetesObject } from './client.js';
import { DEFAULT_FAIL_FAST, FaultEvidence, type FailFastPolicy, type Verdict } from './fail-fast.js';
import { podView, selectorString, type LabelSelector, type RawPod } from './pod-status.js';
import type { RolloutKind } from './rollout-status.js';

const POLL_MS = 2_000;

interface Workload extends KubernetesObject {
  metadata?: KubernetesObject['metadata'] & { generation?: number; annotations?: Record<string, string> };
  spec?: { selector?: LabelSelector };
  status?: { observedGeneration?: number; updateRevision?: string };
}

export interface WorkloadTarget {
  kind: RolloutKind;
  name: string;
  namespace: string;
}

const REVISION = 'deployment.kubernetes.io/revision';

/** The new revision's pods as a label selector, once the controller has created that revision. */
async function revisionSelector(
  cluster: Cluster,
  w: WorkloadTarget,
  accept: (obj: KubernetesObject) => boolean,
): Promise<string | undefined> {
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
    return rev ? `${base},controller-revision-hash=${rev}` : undefined;
  }
  if (w.kind === 'DaemonSet') return `${base},pod-template-generation=${generation}`;
  const revision = obj.metadata?.annotations?.[REVISION];
  const sets = await cluster.apps.listNamespacedReplicaSet({ namespace: w.namespace, labelSelector: base });
  const current = sets.items.find(
    (rs) =>
      rs.metadata?.annotations?.[REVISION] === revision &&
      rs.metadata?.ownerReferences?.some((o) => o.uid === obj.metadata?.uid),
  );
  const hash = current?.metadata?.labels?.['pod-template-hash'];
  return hash ? `${base},pod-template-hash=${hash}` : undefined;
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
  selector: string,
  evidence: FaultEvidence,
): Promise<Verdict | undefined> {
  const pods = await cluster.core.listNamespacedPod({ namespace: w.namespace, labelSelector: selector });
  const verdict = evidence.observe(
    pods.items.map((p) => podView(p as RawPod)),
    Date.now(),
  );
  if (
    verdict?.fault.kind === 'unschedulable' &&
    (await scaleUpUnderway(cluster, w.namespace, verdict.fault.pod))
  )
    return undefined;
  return verdict;
}

/**
 * Polls the workload's new pods until one fails for certain (the verdict) or `signal` aborts
 * (undefined). API errors are waited out: an apiserver restarting is not the rollout's verdict.
 * `accept` says when the workload carries the spec being rolled out (not the previous one's).
 */
export async function watchForFault(
  cluster: Cluster,
  w: WorkloadTarget,
  signal: AbortSignal,
  policy: FailFastPolicy = DEFAULT_FAIL_FAST,
  accept: (obj: KubernetesObject) => boolean = () => true,
): Promise<Verdict | undefined> {
  const evidence = new FaultEvidence(policy);
  let selector: string | undefined;
  while (!signal.aborted) {
    try {
      selector ??= await revisionSelector(cluster, w, accept);
      const verdict = selector ? await observe(cluster, w, selector, evidence) : undefined;
      if (verdict) return verdict;
    } catch {
      // retried on the next poll; the rollout's own wait reports a cluster that stays away
    }
    await sleep(POLL_MS, undefined, { signal }).catch(() => undefined);
  }
  return undefined;
}
