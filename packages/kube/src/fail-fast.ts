// The fail-fast verdict (helm #7429, #11116): `helm --wait` sits out its whole timeout on a pod that
// can never become ready, or on pods the controller cannot even create. Pure: from the new
// revision's pods, its ReplicaSet's conditions and the time, which of them are certain failures. States that can still clear by themselves (a registry blip, a Secret another
// controller is about to create, a node the autoscaler is adding) must persist for a short
// confirmation window first; the rest are a verdict when seen.
import {
  CONTAINER_SETUP_REASONS,
  IMAGE_PULL_REASONS,
  type ContainerView,
  type Condition,
  type PodView,
} from './pod-status.js';

export interface FailFastPolicy {
  /** A crash-looping container is a verdict once it has restarted this many times. */
  crashRestarts: number;
  /** How long a state that can still clear must persist before it is a verdict. */
  confirmMs: number;
}

export const DEFAULT_FAIL_FAST: FailFastPolicy = { crashRestarts: 2, confirmMs: 10_000 };

export type FaultKind =
  | 'image-pull'
  | 'container-config'
  | 'crash-loop'
  | 'oom-killed'
  | 'unschedulable'
  | 'readiness'
  | 'failed-create';

export interface PodFault {
  kind: FaultKind;
  /** The failing pod; none when the controller could not create the pods at all. */
  pod?: string;
  /** The ReplicaSet refused its pods (quota, LimitRange, admission) for a `failed-create`. */
  replicaSet?: string;
  /** `StatefulSet db` or `DaemonSet agent`: the workload whose controller was refused its pods. */
  workload?: string;
  container?: string;
  /** One line: the reason and what the pod says about it. */
  detail: string;
}

/** Faults that can clear by themselves, so they must persist for `confirmMs`. */
const NEEDS_CONFIRMATION: ReadonlySet<FaultKind> = new Set([
  'image-pull',
  'container-config',
  'unschedulable',
  // a quota raised, or room freed by another rollout, lets the controller's next try through
  'failed-create',
]);

/** Where a fault was seen, for a log line: `pod web-1`, `ReplicaSet web-5d4b9` or `StatefulSet db`. */
export const faultSubject = (f: PodFault) =>
  f.pod ? `pod ${f.pod}` : (f.workload ?? `ReplicaSet ${f.replicaSet ?? '?'}`);

const ms = (iso: string | undefined) => (iso ? new Date(iso).getTime() : undefined);

function containerFault(
  pod: PodView,
  c: ContainerView,
  now: number,
  p: FailFastPolicy,
): PodFault | undefined {
  const at = { pod: pod.name, container: c.name };
  if (c.state === 'waiting' && IMAGE_PULL_REASONS.has(c.reason ?? ''))
    return { ...at, kind: 'image-pull', detail: `${c.reason}: ${c.message ?? c.image}` };
  if (c.state === 'waiting' && CONTAINER_SETUP_REASONS.has(c.reason ?? ''))
    return { ...at, kind: 'container-config', detail: `${c.reason}: ${c.message ?? 'no detail'}` };
  if (c.ready) return undefined;
  const ended = c.state === 'terminated' ? { reason: c.reason, exitCode: c.exitCode } : c.lastTermination;
  if (ended?.reason === 'OOMKilled' && c.restarts >= 1)
    return {
      ...at,
      kind: 'oom-killed',
      detail: `OOMKilled (exit ${ended.exitCode ?? 137}), ${c.restarts} restarts`,
    };
  if (c.restarts >= p.crashRestarts && ended && ended.exitCode !== 0)
    return {
      ...at,
      kind: 'crash-loop',
      detail: `CrashLoopBackOff: exit ${ended.exitCode ?? '?'}${ended.reason && ended.reason !== 'Error' ? ` (${ended.reason})` : ''}, ${c.restarts} restarts`,
    };
  return readinessFault(pod, c, now);
}

/** Running but unready for longer than its probes allow: they have had every chance to pass. */
function readinessFault(pod: PodView, c: ContainerView, now: number): PodFault | undefined {
  if (c.init || pod.phase !== 'Running' || c.state !== 'running' || c.readinessBudgetMs === undefined)
    return undefined;
  const started = ms(c.startedAt);
  if (started === undefined) return undefined;
  const readySince = ms(pod.failingConditions.find((x) => x.type === 'Ready')?.since) ?? started;
  const unreadyFor = now - Math.max(started, readySince);
  if (unreadyFor <= c.readinessBudgetMs) return undefined;
  return {
    kind: 'readiness',
    pod: pod.name,
    container: c.name,
    detail: `readiness probe failing for ${Math.round(unreadyFor / 1000)}s, past its budget of ${Math.round(c.readinessBudgetMs / 1000)}s`,
  };
}

function unschedulable(pod: PodView): PodFault | undefined {
  const cond = pod.failingConditions.find((c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable');
  if (!cond || pod.node) return undefined;
  return { kind: 'unschedulable', pod: pod.name, detail: `Unschedulable: ${cond.message ?? 'no node fits'}` };
}

/** Every fault each pod shows now, before any confirmation. */
export function podFaults(
  pods: PodView[],
  now: number,
  policy: FailFastPolicy = DEFAULT_FAIL_FAST,
): PodFault[] {
  const faults: PodFault[] = [];
  for (const pod of pods) {
    if (pod.terminating || pod.phase === 'Succeeded') continue;
    const fault =
      unschedulable(pod) ?? pod.containers.map((c) => containerFault(pod, c, now, policy)).find(Boolean);
    if (fault) faults.push(fault);
  }
  return faults;
}

/** The new revision's ReplicaSet as its controller reports it. */
export interface ReplicaSetView {
  name: string;
  conditions: Pick<Condition, 'type' | 'status' | 'reason' | 'message'>[];
}

/**
 * A refusal that stays until someone changes the namespace or the spec: quota, LimitRange, PodSecurity
 * and webhooks answer "forbidden" / "denied", a bad spec "is invalid". The API server itself being
 * away or busy (connection refused, timeouts, etcd errors) also fails a create, and clears by itself.
 */
const LASTING_REFUSAL = /forbidden|denied the request|is invalid/i;
/**
 * Forbidden, yet it clears by itself: the ServiceAccount admission refuses pods until the controller
 * manager has made a new namespace's `default` account — seconds, or longer while it reconnects to
 * a restarted API server. A named account that does not exist stays a verdict.
 */
const SETTLING_REFUSAL = /serviceaccount "default" not found/i;

/**
 * A controller's refusal to create pods, in one line, when it is one that lasts; `by` names who was
 * refused (a ReplicaSet, or a StatefulSet or DaemonSet, which have no ReplicaFailure condition).
 */
export function refusalFault(
  by: Pick<PodFault, 'replicaSet' | 'workload'>,
  message: string,
): PodFault | undefined {
  if (!LASTING_REFUSAL.test(message) || SETTLING_REFUSAL.test(message)) return undefined;
  const line =
    message
      .split('\n')
      .find((l) => l.trim())
      ?.trim() ?? 'no detail';
  return { kind: 'failed-create', ...by, detail: `FailedCreate: ${line}` };
}

/** The controller could not create the new revision's pods: its ReplicaFailure, in one line. */
export function creationFault(rs: ReplicaSetView): PodFault | undefined {
  const failure = rs.conditions.find(
    (c) => c.type === 'ReplicaFailure' && c.status === 'True' && c.reason === 'FailedCreate',
  );
  return failure && refusalFault({ replicaSet: rs.name }, failure.message ?? '');
}

export interface Verdict {
  fault: PodFault;
  /** When the fault was first seen (ms since the epoch). */
  firstSeen: number;
  at: number;
}

/**
 * Tracks faults across observations: a fault that needs confirming becomes the verdict once it has
 * been seen continuously for `confirmMs`; one that disappears starts over.
 */
export class FaultEvidence {
  private readonly seen = new Map<string, number>();

  constructor(private readonly policy: FailFastPolicy = DEFAULT_FAIL_FAST) {}

  /** `refused`: the controller's refusal to create the new revision's pods, when one was seen. */
  observe(pods: PodView[], now: number, refused?: PodFault): Verdict | undefined {
    const faults = [...(refused ? [refused] : []), ...podFaults(pods, now, this.policy)];
    const current = new Set<string>();
    let verdict: Verdict | undefined;
    for (const fault of faults) {
      const key = `${fault.pod ?? fault.replicaSet ?? fault.workload}\u0000${fault.kind}`;
      current.add(key);
      const firstSeen = this.seen.get(key) ?? now;
      this.seen.set(key, firstSeen);
      const confirmed = !NEEDS_CONFIRMATION.has(fault.kind) || now - firstSeen >= this.policy.confirmMs;
      if (confirmed && (!verdict || firstSeen < verdict.firstSeen)) verdict = { fault, firstSeen, at: now };
    }
    for (const key of this.seen.keys()) if (!current.has(key)) this.seen.delete(key);
    return verdict;
  }
}
