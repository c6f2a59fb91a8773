import { rulesGrant, type ResourceAttributes, type ResourceRule } from './access-rules.js';
import type { Cluster } from './client.js';
import { KubeAccessError } from './errors.js';

export type { ResourceAttributes } from './access-rules.js';

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
 * What the namespace's rules grant, by one SelfSubjectRulesReview: undefined when they cannot be
 * the answer — a webhook (or node) authorizer leaves them incomplete, or the review itself failed.
 */
async function namespaceRules(cluster: Cluster, namespace: string): Promise<ResourceRule[] | undefined> {
  try {
    const review = await cluster.authorization.createSelfSubjectRulesReview({
      body: {
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectRulesReview',
        spec: { namespace },
      },
    });
    return review.status?.incomplete ? undefined : (review.status?.resourceRules ?? []);
  } catch {
    return undefined;
  }
}

/**
 * Checks every permission a step needs before it starts, so a missing one is named up front
 * instead of surfacing half-way through a deploy. One rules review answers them all; what it does
 * not grant is asked one by one (SelfSubjectAccessReview), the authorizers' own final word.
 */
export async function requireAccess(
  cluster: Cluster,
  namespace: string,
  needs: readonly (readonly [verb: string, resource: string])[],
): Promise<void> {
  const rules = await namespaceRules(cluster, namespace);
  const allowed = await Promise.all(
    needs.map(async ([verb, res]) =>
      rules && rulesGrant(rules, { verb, ...parseResource(res) })
        ? true
        : (await canI(cluster, verb, res, namespace)).allowed,
    ),
  );
  const missing = needs.filter((_, i) => !allowed[i]).map(([verb, res]) => `${verb} ${res}`);
  if (!missing.length) return;
  const user = await whoAmI(cluster);
  throw new KubeAccessError(`forbidden: ${user} cannot ${missing.join(', ')} in namespace ${namespace}`, 403);
}
