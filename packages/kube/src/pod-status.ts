// Plain, printable views of Pods and Events, from client-node objects (dates as Date) or raw JSON
// (dates as strings) alike. Pure: tested without a cluster.

export interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  /** When the condition last changed (ISO). */
  since?: string;
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
  /** When the current run started (ISO), for a running container. */
  startedAt?: string;
  /**
   * How long this container may go unready before its probes have had every chance: startup
   * probe budget + initial delay + period × failure threshold, with the API's defaults.
   */
  readinessBudgetMs?: number;
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
  /** When the pod was created (ISO). */
  created?: string;
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

/** Waiting reasons of a container whose image cannot be had. */
export const IMAGE_PULL_REASONS: ReadonlySet<string> = new Set([
  'ErrImagePull',
  'ImagePullBackOff',
  'InvalidImageName',
  'ErrImageNeverPull',
]);
/** Waiting reasons of a container that cannot be created from its spec (a missing Secret key). */
export const CONTAINER_SETUP_REASONS: ReadonlySet<string> = new Set([
  'CreateContainerConfigError',
  'CreateContainerError',
  'RunContainerError',
]);

type Time = Date | string | undefined | null;
const iso = (t: Time): string | undefined => (t ? new Date(t).toISOString() : undefined);

interface RawProbe {
  initialDelaySeconds?: number | null;
  periodSeconds?: number | null;
  failureThreshold?: number | null;
}
interface RawState {
  running?: { startedAt?: Time } | null;
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
  readinessProbe?: RawProbe | null;
  startupProbe?: RawProbe | null;
}
export interface RawPod {
  metadata?: {
    name?: string;
    creationTimestamp?: Time;
    deletionTimestamp?: Time;
    ownerReferences?: { kind?: string; name?: string; controller?: boolean }[];
  };
  spec?: { nodeName?: string; containers?: RawContainer[]; initContainers?: RawContainer[] };
  status?: {
    phase?: string;
    conditions?: (Omit<Condition, 'since'> & { lastTransitionTime?: Time })[];
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
    startedAt: iso(st?.running?.startedAt),
    readinessBudgetMs: spec.readinessProbe ? readinessBudget(spec) : undefined,
  };
}

// The API's probe defaults: no initial delay, every 10 s, 3 failures.
const probeBudget = (p: RawProbe) =>
  ((p.initialDelaySeconds ?? 0) + (p.periodSeconds ?? 10) * (p.failureThreshold ?? 3)) * 1000;

function readinessBudget(spec: RawContainer): number {
  return (spec.startupProbe ? probeBudget(spec.startupProbe) : 0) + probeBudget(spec.readinessProbe!);
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
  const conditions = (status.conditions ?? []).map(
    ({ type, status: s, reason, message, lastTransitionTime }) => ({
      type,
      status: s,
      reason: reason || undefined,
      message: message || undefined,
      since: iso(lastTransitionTime),
    }),
  );
  return {
    name: pod.metadata?.name ?? '',
    phase: status.phase ?? 'Unknown',
    ready: conditions.some((c) => c.type === 'Ready' && c.status === 'True'),
    node: pod.spec?.nodeName || undefined,
    failingConditions: conditions.filter((c) => c.status !== 'True'),
    containers,
    terminating: !!pod.metadata?.deletionTimestamp,
    owner: pod.metadata?.ownerReferences?.find((o) => o.controller)?.name,
    created: iso(pod.metadata?.creationTimestamp),
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
