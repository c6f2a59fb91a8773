// Pods a StatefulSet or DaemonSet controller cannot create (quota, LimitRange, admission). Unlike a
// ReplicaSet, neither has a ReplicaFailure condition: their FailedCreate Warning events stand in.
// Events outlive the attempt that raised them (an hour by default), so only those that are new or
// have recurred since the watch's first look count. That is judged by each event's own count, never
// by comparing our clock with the API server's.
import type { Cluster } from './client.js';

export interface WorkloadName {
  kind: string;
  name: string;
  namespace: string;
}

/** The fields of a core/v1 Event this module reads. */
export interface CreationEvent {
  metadata?: { uid?: string };
  count?: number;
  series?: { count?: number };
  message?: string;
  /** A Date from client-node, a string in a raw answer. */
  lastTimestamp?: Date | string;
  eventTime?: Date | string;
}

const timesSeen = (e: CreationEvent) => e.count ?? e.series?.count ?? 1;
/** The API server's own time of the event: only ever compared with another event's. */
const lastSeen = (e: CreationEvent) => new Date(e.lastTimestamp ?? e.eventTime ?? 0).getTime() || 0;

/**
 * The refusal alone, as a ReplicaSet's condition words it: without the event recorder's
 * "(combined from similar events):", the DaemonSet's "Error creating:", or the StatefulSet's
 * "create Pod web-0 in StatefulSet web failed error:".
 */
export function creationRefusalMessage(message: string): string {
  return message
    .replace(/^\(combined from similar events\):\s*/, '')
    .replace(/^Error creating:\s*/, '')
    .replace(/^create Pod \S+ in StatefulSet \S+ failed error:\s*/, '');
}

/** The message of the newest event that is new, or seen more often than in `baseline` (uid → count). */
export function newRefusal(
  baseline: ReadonlyMap<string, number>,
  events: CreationEvent[],
): string | undefined {
  const fresh = events.filter((e) => {
    const before = baseline.get(e.metadata?.uid ?? '');
    return before === undefined || timesSeen(e) > before;
  });
  const newest = fresh.sort((a, b) => lastSeen(a) - lastSeen(b)).at(-1)?.message;
  return newest === undefined ? undefined : creationRefusalMessage(newest);
}

/** A workload's FailedCreate Warning events, measured against the first look at them. */
export class CreationEvents {
  private baseline: Map<string, number> | undefined;

  constructor(
    private readonly cluster: Cluster,
    private readonly target: WorkloadName,
  ) {}

  private async list(): Promise<CreationEvent[]> {
    const { kind, name, namespace } = this.target;
    const events = await this.cluster.core.listNamespacedEvent({
      namespace,
      fieldSelector: `involvedObject.kind=${kind},involvedObject.name=${name},reason=FailedCreate,type=Warning`,
    });
    return events.items;
  }

  /** The first look; a failed read is retried on the next call, and until then nothing counts. */
  async takeBaseline(): Promise<void> {
    if (this.baseline) return;
    try {
      const events = await this.list();
      this.baseline = new Map(events.map((e) => [e.metadata?.uid ?? '', timesSeen(e)]));
    } catch {
      // no baseline yet: refusal() answers nothing until one is taken
    }
  }

  /** The newest refusal since the baseline; undefined without one, or when the events are unreadable. */
  async refusal(): Promise<string | undefined> {
    if (!this.baseline) return undefined;
    try {
      return newRefusal(this.baseline, await this.list());
    } catch {
      return undefined;
    }
  }
}
