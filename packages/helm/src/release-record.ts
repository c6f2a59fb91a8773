// What "last good" means for rollback: the revisions helm-deploy saw become ready. Helm's own status
// cannot say it (a release deployed without waiting is `deployed` too), so kubeline records them
// itself: Helm revisions in a ConfigMap beside the release (any Helm storage driver), and the
// ReplicaSet of each Deployment that became ready, annotated (for `kind: deployment` rollbacks).
import type { Logger } from '@kubeline/runtime';
import { isConflict, unlessNotFound, selectorString, type Cluster } from '@kubeline/kube';

export const HEALTHY_ANNOTATION = 'kubeline.dev/healthy-at';
const KEEP = 20;

export interface HealthyRevision {
  revision: number;
  chart: string;
  at: string;
  imageDigest?: string;
  runUrl?: string;
}

export function recordName(release: string): string {
  return `kubeline-release-${release}`;
}

export async function readHealthy(
  cluster: Cluster,
  namespace: string,
  release: string,
): Promise<HealthyRevision[]> {
  const cm = await unlessNotFound(
    cluster.core.readNamespacedConfigMap({ name: recordName(release), namespace }),
  );
  return JSON.parse(cm?.data?.healthy ?? '[]') as HealthyRevision[];
}

/** Newest first, one entry per revision, at most KEEP. */
export function withHealthy(list: HealthyRevision[], entry: HealthyRevision): HealthyRevision[] {
  return [entry, ...list.filter((h) => h.revision !== entry.revision)]
    .sort((a, b) => b.revision - a.revision)
    .slice(0, KEEP);
}

/** The newest revision recorded healthy that helm still has (history-max prunes old ones). */
export function lastGood(
  healthy: HealthyRevision[],
  revisions: number[],
  except?: number,
): HealthyRevision | undefined {
  const present = new Set(revisions);
  return healthy.find((h) => present.has(h.revision) && h.revision !== except);
}

export async function recordHealthy(
  cluster: Cluster,
  namespace: string,
  release: string,
  entry: HealthyRevision,
): Promise<void> {
  const name = recordName(release);
  for (let attempt = 0; attempt < 3; attempt++) {
    const existing = await unlessNotFound(cluster.core.readNamespacedConfigMap({ name, namespace }));
    const healthy = withHealthy(JSON.parse(existing?.data?.healthy ?? '[]') as HealthyRevision[], entry);
    const data = { healthy: JSON.stringify(healthy) };
    try {
      if (existing)
        await cluster.core.replaceNamespacedConfigMap({ name, namespace, body: { ...existing, data } });
      else
        await cluster.core.createNamespacedConfigMap({
          namespace,
          body: { metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kubeline' } }, data },
        });
      return;
    } catch (e) {
      if (!isConflict(e)) throw e; // another writer in between: read again
    }
  }
}

/**
 * Annotates the ReplicaSet each Deployment now runs, so `kind: deployment` can find the last good one.
 * Deployments are done side by side, each listing only the ReplicaSets its selector matches.
 */
export async function markHealthyReplicaSets(
  cluster: Cluster,
  namespace: string,
  deployments: string[],
  log: Logger,
): Promise<void> {
  const at = new Date().toISOString();
  await Promise.all(
    deployments.map((name) =>
      markCurrentReplicaSet(cluster, namespace, name, at).catch((e: unknown) =>
        log.warning(`could not record Deployment ${name} as healthy: ${(e as Error).message}`),
      ),
    ),
  );
}

async function markCurrentReplicaSet(cluster: Cluster, namespace: string, name: string, at: string) {
  const d = await cluster.apps.readNamespacedDeployment({ name, namespace });
  const revision = d.metadata?.annotations?.['deployment.kubernetes.io/revision'];
  const labelSelector = selectorString(d.spec?.selector);
  // From the API server's cache first (resourceVersion 0): a consistent list waits for the cache to
  // catch up with etcd, ~70 ms right after a rollout's writes. The set has existed since the rollout
  // began; only when the cache lacks it is the list read again, consistently.
  const currentSet = async (resourceVersion?: string) => {
    const sets = await cluster.apps.listNamespacedReplicaSet({
      namespace,
      ...(labelSelector ? { labelSelector } : {}),
      ...(resourceVersion ? { resourceVersion } : {}),
    });
    return sets.items.find(
      (rs) =>
        rs.metadata?.ownerReferences?.some((o) => o.uid === d.metadata?.uid) &&
        rs.metadata?.annotations?.['deployment.kubernetes.io/revision'] === revision,
    );
  };
  const current = (await currentSet('0')) ?? (await currentSet());
  if (!current?.metadata?.name) return;
  await cluster.apps.patchNamespacedReplicaSet({
    name: current.metadata.name,
    namespace,
    body: [{ op: 'add', path: `/metadata/annotations/${HEALTHY_ANNOTATION.replace('/', '~1')}`, value: at }],
  });
}
