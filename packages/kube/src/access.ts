import type { Cluster } from './client.js';
import { KubeAccessError } from './errors.js';

export interface ResourceAttributes {
  resource: string;
  group: string;
  subresource?: string;
}

/** kubectl's spelling to the API's parts: `deployments.apps/scale` → deployments, apps, scale. */
export function parseResource(spelling: string): ResourceAttributes {
  const [head = '', subresource] = spelling.split('/', 2);
  const dot = head.indexOf('.');
  return dot < 0
    ? { resource: head, group: '', subresource }
    : { resource: head.slice(0, dot), group: head.slice(dot + 1), subresource };
}

export interface AccessAnswer {
  allowed: boolean;
  /** The authorizer's explanation, when it gave one. */
  reason?: string;
}

/** `kubectl auth can-i <verb> <resource> -n <namespace>` by SelfSubjectAccessReview. */
export async function canI(
  cluster: Cluster,
  verb: string,
  resource: string,
  namespace?: string,
  name?: string,
): Promise<AccessAnswer> {
  const review = await cluster.authorization.createSelfSubjectAccessReview({
    body: {
      apiVersion: 'authorization.k8s.io/v1',
      kind: 'SelfSubjectAccessReview',
      spec: { resourceAttributes: { verb, ...parseResource(resource), namespace, name } },
    },
  });
  return { allowed: review.status?.allowed === true, reason: review.status?.reason || undefined };
}

/** The user name the API server sees (SelfSubjectReview), else the kubeconfig's user entry. */
export async function whoAmI(cluster: Cluster): Promise<string> {
  try {
    const review = await cluster.authentication.createSelfSubjectReview({
      body: { apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' },
    });
    return review.status?.userInfo?.username || cluster.user;
  } catch {
    return cluster.user; // API servers before 1.28 have no SelfSubjectReview
  }
}

/**
 * Checks every permission a step needs before it starts, so a missing one is named up front
 * instead of surfacing half-way through a deploy.
 */
export async function requireAccess(
  cluster: Cluster,
  namespace: string,
  needs: readonly (readonly [verb: string, resource: string])[],
): Promise<void> {
  const answers = await Promise.all(needs.map(([verb, res]) => canI(cluster, verb, res, namespace)));
  const missing = needs.filter((_, i) => !answers[i]!.allowed).map(([verb, res]) => `${verb} ${res}`);
  if (!missing.length) return;
  const user = await whoAmI(cluster);
  throw new KubeAccessError(`forbidden: ${user} cannot ${missing.join(', ')} in namespace ${namespace}`, 403);
}
