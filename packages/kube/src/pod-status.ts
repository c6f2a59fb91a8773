// Plain, printable views of Pods and Events, from client-node objects (dates as Date) or raw JSON
// (dates as strings) alike. Pure: tested without a cluster.

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
}

export interface ContainerView {
  name: string;
  image: string;
  init: boolean;
  ready: boolean;
  restarts: number;
  state: 'running' | 'waiting' | 'terminated' | 'unknown';
  reason?: string;
  message?: string;
  exitCode?: number;
  /** The previous run's end, which explains a CrashLoopBackOff. */
  lastTermination?: { reason?: string; exitCode?: number; message?: string };
  hasReadinessProbe: boolean;
}

export interface PodView {
  name: string;
  phase: string;
  ready: boolean;
  node?: string;
  /** Conditions that are not True (PodScheduled=False says why it is Pending). */
  failingConditions: Condition[];
  containers: ContainerView[];
  terminating: boolean;
  /** The owning ReplicaSet/StatefulSet/DaemonSet name. */
  owner?: string;
}

export interface EventView {
  type: string;
  reason: string;
  /** `Kind/name` of the object the event is about. */
  object: string;
  message: string;
  count: number;
  lastSeen?: string;
}

type Time = Date | string | undefined | null;
const iso = (t: Time): string | undefined => (t ? new Date(t).toISOString() : undefined);

interface RawState {
  running?: object | null;
  waiting?: { reason?: string; message?: string } | null;
  terminated?: { reason?: string; message?: string; exitCode?: number } | null;
}
interface RawContainerStatus {
  name: string;
  image?: string;
  ready?: boolean;
  restartCount?: number;
  state?: RawState;
  lastState?: RawState;
}
interface RawContainer {
  name: string;
  image?: string;
  readinessProbe?: object | null;
}
export interface RawPod {
  metadata?: {
    name?: string;
    deletionTimestamp?: Time;
    ownerReferences?: { kind?: string; name?: string; controller?: boolean }[];
  };
  spec?: { nodeName?: string; containers?: RawContainer[]; initContainers?: RawContainer[] };
  status?: {
    phase?: string;
    conditions?: Condition[];
    containerStatuses?: RawContainerStatus[];
    initContainerStatuses?: RawContainerStatus[];
  };
}

function containerView(
  spec: RawContainer,
  status: RawContainerStatus | undefined,
  init: boolean,
): ContainerView {
  const st = status?.state;
  const state = st?.running ? 'running' : st?.waiting ? 'waiting' : st?.terminated ? 'terminated' : 'unknown';
  const detail = st?.waiting ?? st?.terminated ?? undefined;
  const last = status?.lastState?.terminated;
  return {
    name: spec.name,
    image: status?.image || spec.image || '',
    init,
    ready: status?.ready === true,
    restarts: status?.restartCount ?? 0,
    state,
    reason: detail?.reason || undefined,
    message: detail?.message || undefined,
    exitCode: st?.terminated?.exitCode,
    lastTermination: last
      ? { reason: last.reason, exitCode: last.exitCode, message: last.message }
      : undefined,
    hasReadinessProbe: !!spec.readinessProbe,
  };
}

export function podView(pod: RawPod): PodView {
  const status = pod.status ?? {};
  const byName = (list: RawContainerStatus[] | undefined, name: string) => list?.find((c) => c.name === name);
  const containers = [
    ...(pod.spec?.initContainers ?? []).map((c) =>
      containerView(c, byName(status.initContainerStatuses, c.name), true),
    ),
    ...(pod.spec?.containers ?? []).map((c) =>
      containerView(c, byName(status.containerStatuses, c.name), false),
    ),
  ];
  const conditions = (status.conditions ?? []).map(({ type, status: s, reason, message }) => ({
    type,
    status: s,
    reason: reason || undefined,
    message: message || undefined,
  }));
  return {
    name: pod.metadata?.name ?? '',
    phase: status.phase ?? 'Unknown',
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    node: pod.spec?.nodeName || undefined,
    failingConditions: conditions.filter((c) => c.status !== 'True'),
    containers,
    terminating: !!pod.metadata?.deletionTimestamp,
    owner: pod.metadata?.ownerReferences?.find((o) => o.controller)?.name,
  };
}

/** A Pod that needs explaining: not Ready, or its containers are waiting, crashing or failed. */
export function isFailingPod(p: PodView): boolean {
  if (p.terminating || p.phase === 'Succeeded') return false;
  return (
    !p.ready ||
    p.containers.some((c) => c.state === 'waiting' || (c.state === 'terminated' && c.exitCode !== 0))
  );
}

export interface RawEvent {
  type?: string;
  reason?: string;
  message?: string;
  count?: number;
  series?: { count?: number; lastObservedTime?: Time } | null;
  involvedObject?: { kind?: string; name?: string; uid?: string };
  eventTime?: Time;
  lastTimestamp?: Time;
  firstTimestamp?: Time;
  metadata?: { creationTimestamp?: Time };
}

const eventTime = (e: RawEvent): Time =>
  e.series?.lastObservedTime ??
  e.lastTimestamp ??
  e.eventTime ??
  e.firstTimestamp ??
  e.metadata?.creationTimestamp;

/** Newest last, one line per (object, reason, message) with counts summed, the last `limit` kept. */
export function summarizeEvents(events: RawEvent[], limit: number): EventView[] {
  const merged = new Map<string, EventView>();
  const sorted = [...events].sort(
    (a, b) => new Date(eventTime(a) ?? 0).getTime() - new Date(eventTime(b) ?? 0).getTime(),
  );
  for (const e of sorted) {
    const object = `${e.involvedObject?.kind ?? ''}/${e.involvedObject?.name ?? ''}`;
    const message = (e.message ?? '').trim();
    const key = `${object}\u0000${e.reason}\u0000${message}`;
    const count = e.series?.count ?? e.count ?? 1;
    const prev = merged.get(key);
    merged.delete(key); // re-inserted, so the map stays ordered by latest occurrence
    merged.set(key, {
      type: e.type ?? 'Normal',
      reason: e.reason ?? '',
      object,
      message,
      count: (prev?.count ?? 0) + count,
      lastSeen: iso(eventTime(e)),
    });
  }
  return [...merged.values()].slice(-limit);
}

export interface LabelSelector {
  matchLabels?: Record<string, string> | null;
  matchExpressions?: { key: string; operator: string; values?: string[] | null }[] | null;
}

/** A workload's selector in the API's query syntax (`app=web,tier in (a,b),!legacy`). */
export function selectorString(sel: LabelSelector | undefined): string {
  const parts = Object.entries(sel?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`);
  for (const e of sel?.matchExpressions ?? []) {
    const values = (e.values ?? []).join(',');
    if (e.operator === 'In') parts.push(`${e.key} in (${values})`);
    else if (e.operator === 'NotIn') parts.push(`${e.key} notin (${values})`);
    else if (e.operator === 'Exists') parts.push(e.key);
    else if (e.operator === 'DoesNotExist') parts.push(`!${e.key}`);
  }
  return parts.join(',');
}
