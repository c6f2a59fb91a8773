// What a GitOps controller's status says about one commit, as pure functions: Flux Kustomization
// and HelmRelease (kustomize.toolkit.fluxcd.io, helm.toolkit.fluxcd.io), Argo CD Application.
import { UserError } from '@kubeline/runtime';
import type { KubernetesObject } from '@kubeline/kube';

export const RECONCILERS = {
  kustomization: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', kind: 'Kustomization' },
  helmrelease: { apiVersion: 'helm.toolkit.fluxcd.io/v2', kind: 'HelmRelease' },
  application: { apiVersion: 'argoproj.io/v1alpha1', kind: 'Application' },
} as const;
export type ReconcilerType = keyof typeof RECONCILERS;

export interface ReconcilerRef {
  type: ReconcilerType;
  namespace: string;
  name: string;
}

const NAME = /^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$/;

/** `kustomization/flux-system/apps`, `helmrelease/apps/web`, `application/argocd/web`. */
export function parseReconciler(item: string): ReconcilerRef {
  const [type, namespace, name, ...rest] = item.trim().split('/');
  const t = type?.toLowerCase();
  if (
    !t ||
    !(t in RECONCILERS) ||
    !namespace ||
    !name ||
    rest.length > 0 ||
    !NAME.test(namespace) ||
    !NAME.test(name)
  )
    throw new UserError(
      `wait-for "${item}" is not kind/namespace/name with kind one of ${Object.keys(RECONCILERS).join(', ')} (e.g. kustomization/flux-system/apps)`,
    );
  return { type: t as ReconcilerType, namespace, name };
}

export type ReconcileState =
  | { state: 'pending'; message: string }
  | { state: 'applied'; revision: string; message: string }
  | { state: 'failed'; revision: string; message: string };

/** What a commit looks like to the reconciler: its sha, and the digest its files now carry. */
export interface Expectation {
  commit: string;
  digest: string;
  /** Revisions (commit shas) already judged not to contain the commit. */
  older: Set<string>;
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

interface Status {
  observedGeneration?: number;
  conditions?: Condition[];
  lastAppliedRevision?: string;
  lastAttemptedRevision?: string;
  history?: Array<{ chartVersion?: string; status?: string }>;
  sync?: { status?: string; revision?: string; revisions?: string[] };
  health?: { status?: string; message?: string };
  operationState?: { phase?: string; message?: string; syncResult?: { revision?: string } };
}

type Reconciler = KubernetesObject & { status?: Status; spec?: { values?: unknown } };

/** The commit sha in a Flux revision (`main@sha1:<sha>`, `sha1:<sha>`, or a bare sha). */
export function revisionSha(revision: string | undefined): string | undefined {
  if (!revision) return undefined;
  const m = /(?:^|[@:])([0-9a-f]{40})$/.exec(revision) ?? /(?:^|[@:+])([0-9a-f]{12,40})$/.exec(revision);
  return m?.[1];
}

const ready = (s: Status | undefined) => s?.conditions?.find((c) => c.type === 'Ready');
const sameOrLater = (sha: string | undefined, e: Expectation) =>
  !!sha && (sha === e.commit || e.commit.startsWith(sha) ? true : !e.older.has(sha));

function current(obj: Reconciler): boolean {
  const gen = obj.metadata?.generation;
  return gen === undefined || obj.status?.observedGeneration === gen;
}

export function kustomizationState(obj: Reconciler | undefined, e: Expectation): ReconcileState {
  if (!obj) return { state: 'pending', message: 'the Kustomization does not exist (yet)' };
  const s = obj.status ?? {};
  const r = ready(s);
  const applied = revisionSha(s.lastAppliedRevision);
  if (r?.status === 'True' && current(obj) && sameOrLater(applied, e))
    return { state: 'applied', revision: applied!, message: r.message ?? 'applied' };
  const attempted = revisionSha(s.lastAttemptedRevision);
  if (r?.status === 'False' && current(obj) && sameOrLater(attempted, e) && r.reason !== 'Progressing')
    return {
      state: 'failed',
      revision: attempted!,
      message: `${r.reason ?? 'NotReady'}: ${r.message ?? ''}`,
    };
  return { state: 'pending', message: r?.message ?? `last applied ${s.lastAppliedRevision ?? 'nothing'}` };
}

/**
 * A HelmRelease carries the commit when its values hold the digest (the file edited was the
 * HelmRelease) or its chart version carries the commit (a chart from Git, reconcileStrategy Revision).
 */
export function helmReleaseState(obj: Reconciler | undefined, e: Expectation): ReconcileState {
  if (!obj) return { state: 'pending', message: 'the HelmRelease does not exist (yet)' };
  const s = obj.status ?? {};
  const r = ready(s);
  const short = e.commit.slice(0, 12);
  const ours =
    JSON.stringify(obj.spec?.values ?? {}).includes(e.digest) ||
    (s.lastAttemptedRevision ?? '').includes(short);
  if (!ours || !current(obj))
    return { state: 'pending', message: 'waiting for the HelmRelease to carry the commit' };
  const revision = s.lastAttemptedRevision ?? s.history?.[0]?.chartVersion ?? '';
  if (r?.status === 'True') return { state: 'applied', revision, message: r.message ?? 'released' };
  if (r?.status === 'False' && r.reason !== 'Progressing')
    return { state: 'failed', revision, message: `${r.reason ?? 'NotReady'}: ${r.message ?? ''}` };
  return { state: 'pending', message: r?.message ?? 'reconciling' };
}

export function applicationState(obj: Reconciler | undefined, e: Expectation): ReconcileState {
  if (!obj) return { state: 'pending', message: 'the Application does not exist (yet)' };
  const s = obj.status ?? {};
  const synced = s.sync?.revision ?? s.sync?.revisions?.[0];
  if (!sameOrLater(synced, e)) return { state: 'pending', message: `synced to ${synced ?? 'nothing'}` };
  const op = s.operationState;
  if (op && (op.phase === 'Failed' || op.phase === 'Error') && sameOrLater(op.syncResult?.revision, e))
    return { state: 'failed', revision: synced!, message: `sync ${op.phase}: ${op.message ?? ''}` };
  if (s.health?.status === 'Degraded')
    return { state: 'failed', revision: synced!, message: `Degraded: ${s.health.message ?? ''}` };
  if (s.sync?.status === 'Synced' && s.health?.status === 'Healthy')
    return { state: 'applied', revision: synced!, message: 'Synced and Healthy' };
  return { state: 'pending', message: `${s.sync?.status ?? 'Unknown'}, ${s.health?.status ?? 'Unknown'}` };
}

export const stateOf: Record<ReconcilerType, (o: Reconciler | undefined, e: Expectation) => ReconcileState> =
  {
    kustomization: kustomizationState,
    helmrelease: helmReleaseState,
    application: applicationState,
  };

export interface WorkloadId {
  kind: 'Deployment' | 'StatefulSet' | 'DaemonSet';
  namespace: string;
  name: string;
}

const ROLLING = new Set(['Deployment', 'StatefulSet', 'DaemonSet']);

/** Flux inventory ids are `<namespace>_<name>_<group>_<kind>`. */
export function inventoryWorkloads(obj: KubernetesObject): WorkloadId[] {
  const entries = (obj as { status?: { inventory?: { entries?: Array<{ id?: string }> } } }).status?.inventory
    ?.entries;
  return (entries ?? []).flatMap((en) => {
    const [namespace, name, group, kind] = (en.id ?? '').split('_');
    return group === 'apps' && kind && ROLLING.has(kind) && namespace && name
      ? [{ kind: kind as WorkloadId['kind'], namespace, name }]
      : [];
  });
}

/** Argo CD lists what an Application manages in status.resources. */
export function applicationWorkloads(obj: KubernetesObject, fallbackNs: string): WorkloadId[] {
  const resources =
    (obj as { status?: { resources?: Array<Record<string, string>> } }).status?.resources ?? [];
  return resources.flatMap((r) =>
    r.group === 'apps' && r.kind && ROLLING.has(r.kind) && r.name
      ? [{ kind: r.kind as WorkloadId['kind'], namespace: r.namespace || fallbackNs, name: r.name }]
      : [],
  );
}
