// Rolling back a plain Deployment the way `kubectl rollout undo` does: each ReplicaSet it owns keeps
// the pod template of one revision; the Deployment's template is replaced by the chosen one, and the
// controller rolls out (reusing that ReplicaSet) as a new revision.
import { UserError } from '@kubeline/runtime';
import { pinnedDigest } from '@kubeline/image';
import { HEALTHY_ANNOTATION } from '@kubeline/helm';
import type { Target } from './inputs.js';

export const REVISION_ANNOTATION = 'deployment.kubernetes.io/revision';

// Annotations that describe the ReplicaSet itself, not the revision: never copied back (as kubectl).
const SKIPPED = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION_ANNOTATION,
  'deployment.kubernetes.io/revision-history',
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
  HEALTHY_ANNOTATION,
]);

interface Meta {
  name?: string;
  uid?: string;
  annotations?: Record<string, string>;
  labels?: Record<string, string>;
  ownerReferences?: Array<{ uid: string }>;
}
interface Template {
  metadata?: Meta;
  spec?: { containers?: Array<{ image?: string }> };
}
export interface DeploymentLike {
  metadata?: Meta;
  spec?: { paused?: boolean; template?: Template };
}
export interface ReplicaSetLike {
  metadata?: Meta;
  spec?: { template?: Template };
}

export const revisionOf = (o: { metadata?: Meta } | undefined) =>
  Number(o?.metadata?.annotations?.[REVISION_ANNOTATION] ?? 0);

export interface ReplicaSetChoice {
  from: number;
  to: number;
  replicaSet: ReplicaSetLike;
  reason: string;
}

export function chooseReplicaSet(
  name: string,
  deployment: DeploymentLike,
  sets: ReplicaSetLike[],
  target: Target,
): ReplicaSetChoice {
  const owned = sets
    .filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === deployment.metadata?.uid))
    .sort((a, b) => revisionOf(b) - revisionOf(a));
  const from = revisionOf(deployment);
  const list = owned.map(revisionOf).reverse().join(', ') || 'none';
  let replicaSet: ReplicaSetLike | undefined;
  let reason: string;
  if (target.kind === 'revision') {
    replicaSet = owned.find((rs) => revisionOf(rs) === target.revision);
    if (!replicaSet)
      throw new UserError(
        `Deployment ${name} has no revision ${target.revision} (revisions kept: ${list}); nothing was changed`,
      );
    reason = `revision ${target.revision} as asked`;
  } else if (target.kind === 'previous') {
    replicaSet = owned.find((rs) => revisionOf(rs) < from);
    if (!replicaSet)
      throw new UserError(
        `Deployment ${name} has no revision before ${from} (revisions kept: ${list}); nothing was changed`,
      );
    reason = 'the previous revision';
  } else {
    replicaSet = owned.find(
      (rs) => revisionOf(rs) !== from && rs.metadata?.annotations?.[HEALTHY_ANNOTATION],
    );
    if (!replicaSet)
      throw new UserError(
        `Deployment ${name} has no revision recorded as ready by helm-deploy other than ${from}; nothing was changed`,
      );
    reason = `the last revision helm-deploy saw ready (${replicaSet.metadata!.annotations![HEALTHY_ANNOTATION]})`;
  }
  if (deployment.spec?.paused)
    throw new UserError(`Deployment ${name} is paused: resume it before rolling back; nothing was changed`);
  return { from, to: revisionOf(replicaSet), replicaSet, reason };
}

/** The JSON patch that restores the ReplicaSet's template and its revision's annotations. */
export function undoPatch(deployment: DeploymentLike, rs: ReplicaSetLike): object[] {
  const template = structuredClone(rs.spec?.template ?? {});
  // The hash label belongs to the ReplicaSet; the controller puts it back.
  if (template.metadata?.labels) delete template.metadata.labels['pod-template-hash'];
  const annotations: Record<string, string> = {};
  for (const [k, v] of Object.entries(deployment.metadata?.annotations ?? {}))
    if (SKIPPED.has(k)) annotations[k] = v;
  for (const [k, v] of Object.entries(rs.metadata?.annotations ?? {}))
    if (!SKIPPED.has(k)) annotations[k] = v;
  return [
    { op: 'replace', path: '/spec/template', value: template },
    { op: 'replace', path: '/metadata/annotations', value: annotations },
  ];
}

export function templateDigest(t: Template | undefined): string | undefined {
  for (const c of t?.spec?.containers ?? []) {
    const d = pinnedDigest(c.image ?? '');
    if (d) return d;
  }
  return undefined;
}

export function templateImages(t: Template | undefined): string[] {
  return (t?.spec?.containers ?? []).map((c) => c.image ?? '');
}
