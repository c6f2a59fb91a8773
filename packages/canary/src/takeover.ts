// Rollback's fast path for a Deployment under a canary: the canary's lease is taken (fenced, so a
// live canary run learns it lost it and changes nothing more), traffic goes back to stable and the
// canary is removed — before the stable Deployment itself is rolled back.
import { KubelineError } from '@kubeline/runtime';
import { holderIdentity, microTime, readLease, takeLease, withLeaseSpec, type Cluster } from '@kubeline/kube';
import type { V1Lease } from '@kubernetes/client-node';
import { revertCanary } from './canary.js';
import { STATE_ANNOTATION, isFinished, leaseNameOf, stateOf, type CanaryState } from './state.js';

const PREFIX = 'kubeline-canary-';

/** Deployments in the namespace with an unfinished canary, by one list of kubeline's leases. */
export async function unfinishedCanaries(cluster: Cluster, namespace: string): Promise<Map<string, V1Lease>> {
  const leases = await cluster.coordination.listNamespacedLease({
    namespace,
    labelSelector: 'app.kubernetes.io/managed-by=kubeline',
  });
  const open = new Map<string, V1Lease>();
  for (const l of leases.items) {
    const name = l.metadata?.name ?? '';
    if (name.startsWith(PREFIX) && !isFinished(stateOf(l)?.phase)) open.set(name.slice(PREFIX.length), l);
  }
  return open;
}

/**
 * Ends the canary of `deployment` if one is unfinished: returns what was done, in one line, or
 * undefined when there was none. Problems after the traffic reset are returned, not thrown.
 */
export async function abortCanaryOf(
  cluster: Cluster,
  namespace: string,
  deployment: string,
  lease: V1Lease,
  o: { reason: string; log: (line: string) => void },
): Promise<{ line: string; problems: string[] } | undefined> {
  const taken = await takeFrom(cluster, lease);
  if (!taken) return undefined; // it finished meanwhile: nothing to end
  const state = stateOf(taken)!;
  const t = { cluster, namespace, deployment, log: o.log };
  const problems = await revertCanary(t, state, o.reason);
  const ended: CanaryState = {
    ...state,
    phase: 'aborted',
    weight: 0,
    reason: o.reason,
    updatedAt: new Date().toISOString(),
  };
  await cluster.coordination
    .replaceNamespacedLease({
      name: leaseNameOf(deployment),
      namespace,
      body: {
        ...withLeaseSpec(taken, { holderIdentity: undefined, renewTime: microTime() }),
        metadata: {
          ...taken.metadata,
          annotations: { ...taken.metadata?.annotations, [STATE_ANNOTATION]: JSON.stringify(ended) },
        },
      },
    })
    .catch((e: unknown) => problems.push(`could not record the canary as aborted: ${(e as Error).message}`));
  const held = state.holder ? ` (held by ${state.holder})` : '';
  return {
    line: `ended the canary of Deployment ${deployment}${held} at ${state.weight}%: all traffic on stable, canary removed`,
    problems,
  };
}

/** Takes the lease from whoever holds it; a heartbeat in between is read again, not lost. */
async function takeFrom(cluster: Cluster, first: V1Lease): Promise<V1Lease | undefined> {
  const { name, namespace } = first.metadata as { name: string; namespace: string };
  let lease: V1Lease | undefined = first;
  for (let attempt = 1; lease && !isFinished(stateOf(lease)?.phase); attempt++) {
    const taken = await takeLease(cluster, lease, holderIdentity(), lease.spec?.leaseDurationSeconds ?? 30);
    if (taken) return taken;
    if (attempt >= 5)
      throw new KubelineError(`could not take the canary lease ${namespace}/${name}: it kept changing`);
    lease = await readLease(cluster, namespace, name);
  }
  return undefined;
}
