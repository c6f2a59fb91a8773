import type { Cluster, KubernetesObject } from './client.js';
import {
  isFailingPod,
  podView,
  selectorString,
  summarizeEvents,
  type Condition,
  type EventView,
  type LabelSelector,
  type PodView,
  type RawEvent,
  type RawPod,
} from './pod-status.js';
import { rolloutStatus, type RolloutKind, type WorkloadSnapshot } from './rollout-status.js';

export interface LogTail {
  pod: string;
  container: string;
  /** The previous (crashed) run's log. */
  previous: boolean;
  lines: string[];
  error?: string;
}

export interface Diagnostics {
  namespace: string;
  workload?: { kind: RolloutKind; name: string; conditions: Condition[]; status: string };
  pods: PodView[];
  events: EventView[];
  logs: LogTail[];
  /** What could not be collected (e.g. no permission to read events); collection never throws. */
  problems: string[];
}

export type DiagnosticsTarget = { selector: string } | { owner: { kind: RolloutKind; name: string } };

export interface DiagnosticsOptions {
  /** Events kept after de-duplication (default 20). */
  events?: number;
  /** Lines per container log (default 30). */
  logLines?: number;
  /** Failing pods whose logs are read (default 3). */
  logPods?: number;
}

interface Owned extends KubernetesObject {
  metadata?: KubernetesObject['metadata'] & { annotations?: Record<string, string> };
  spec?: { selector?: LabelSelector };
}

const firstLine = (err: unknown) => String((err as Error)?.message ?? err).split('\n')[0];

/**
 * Gathers what explains a failing workload: its conditions, its pods' states, recent events about
 * any of them and the failing containers' log tails. Every piece is best effort: a missing
 * permission is noted in `problems`, never thrown.
 */
export async function collectDiagnostics(
  cluster: Cluster,
  namespace: string,
  target: DiagnosticsTarget,
  opts: DiagnosticsOptions = {},
): Promise<Diagnostics> {
  const d: Diagnostics = { namespace, pods: [], events: [], logs: [], problems: [] };
  const attempt = async <T>(what: string, fn: () => Promise<T>): Promise<T | undefined> => {
    try {
      return await fn();
    } catch (err) {
      d.problems.push(`${what}: ${firstLine(err)}`);
      return undefined;
    }
  };

  let selector = 'selector' in target ? target.selector : undefined;
  // uids of the workload and everything it owns, to pick its pods and events out of the namespace
  const related = new Set<string>();
  // the uids pods must be owned by; undefined when unknown, and then the selector alone decides
  let podOwners: Set<string> | undefined;
  if ('owner' in target) {
    const { kind, name } = target.owner;
    const workload = await attempt(`read ${kind} ${name}`, () =>
      cluster.objects.read<Owned>({ apiVersion: 'apps/v1', kind, metadata: { name, namespace } }),
    );
    if (workload) {
      const snapshot = workload as WorkloadSnapshot;
      d.workload = {
        kind,
        name,
        conditions: (snapshot.status?.conditions ?? []).map(({ type, status, reason, message }) => ({
          type,
          status,
          reason,
          message,
        })),
        status: rolloutStatus(kind, snapshot).message,
      };
      selector = selectorString(workload.spec?.selector);
      const uid = workload.metadata?.uid ?? '';
      related.add(uid);
      if (kind === 'Deployment') {
        const sets = await attempt('list ReplicaSets', () =>
          cluster.apps.listNamespacedReplicaSet({ namespace, labelSelector: selector }),
        );
        const owned = sets?.items.filter((rs) => rs.metadata?.ownerReferences?.some((o) => o.uid === uid));
        if (owned) podOwners = new Set(owned.map((rs) => rs.metadata?.uid ?? ''));
        for (const u of podOwners ?? []) related.add(u);
      } else podOwners = new Set([uid]);
    }
  }

  const pods =
    selector === undefined
      ? undefined
      : await attempt('list pods', () =>
          cluster.core.listNamespacedPod({ namespace, labelSelector: selector }),
        );
  const ownedPods = (pods?.items ?? []).filter(
    (p) => !podOwners || p.metadata?.ownerReferences?.some((o) => podOwners.has(o.uid)),
  );
  for (const p of ownedPods) if (p.metadata?.uid) related.add(p.metadata.uid);
  d.pods = ownedPods.map((p) => podView(p as RawPod));

  const events = await attempt('list events', () => cluster.core.listNamespacedEvent({ namespace }));
  d.events = summarizeEvents(
    (events?.items ?? []).filter((e) => related.has(e.involvedObject?.uid ?? '')) as RawEvent[],
    opts.events ?? 20,
  );

  d.logs = await logTails(cluster, namespace, d.pods, opts);
  return d;
}

async function logTails(
  cluster: Cluster,
  namespace: string,
  pods: PodView[],
  opts: DiagnosticsOptions,
): Promise<LogTail[]> {
  const tails: LogTail[] = [];
  for (const pod of pods.filter(isFailingPod).slice(0, opts.logPods ?? 3)) {
    for (const c of pod.containers.filter((c) => !c.ready && c.state !== 'unknown')) {
      // A container waiting to restart has no current log: its last run's log says why it died.
      const previous = c.state === 'waiting' && c.restarts > 0;
      if (c.state === 'waiting' && !previous) continue;
      try {
        const text = await cluster.core.readNamespacedPodLog({
          name: pod.name,
          namespace,
          container: c.name,
          tailLines: opts.logLines ?? 30,
          previous,
        });
        tails.push({ pod: pod.name, container: c.name, previous, lines: String(text).trimEnd().split('\n') });
      } catch (err) {
        tails.push({ pod: pod.name, container: c.name, previous, lines: [], error: firstLine(err) });
      }
    }
  }
  return tails;
}
