import type { Diagnostics } from './diagnostics.js';
import { creationRefusalMessage } from './creation-events.js';
import {
  CONTAINER_SETUP_REASONS as CONTAINER_SETUP,
  IMAGE_PULL_REASONS as IMAGE_PULL,
  isFailingPod,
  type ContainerView,
  type EventView,
  type PodView,
} from './pod-status.js';

const POD_SETUP_EVENTS = new Set(['FailedMount', 'FailedAttachVolume', 'FailedCreatePodSandBox']);

/** `web-1, web-2, web-3 and 2 more` */
function names(pods: PodView[]): string {
  const shown = pods
    .slice(0, 3)
    .map((p) => p.name)
    .join(', ');
  return pods.length > 3 ? `${shown} and ${pods.length - 3} more` : shown;
}

const eventsFor = (d: Diagnostics, pod: string) => d.events.filter((e) => e.object === `Pod/${pod}`);

function imagePullDetail(text: string): string {
  if (/not found|manifest unknown|does not exist/i.test(text)) return 'not found';
  if (/unauthorized|denied|forbidden|authentication required/i.test(text))
    return 'access denied (check imagePullSecrets)';
  if (/no such host|connection refused|i\/o timeout|dial tcp|x509|tls/i.test(text))
    return 'registry unreachable';
  return 'cannot be pulled';
}

/** `0/2 nodes are available: 2 Insufficient cpu. preemption: …` → `Insufficient cpu: 0/2 nodes available` */
export function schedulingCause(message: string): string {
  const m = /^(\d+)\/(\d+) nodes are available: (.*)$/s.exec(message.trim());
  if (!m) return message.trim();
  const reasons = m[3]!
    .replace(/\s*preemption:.*$/s, '')
    .replace(/[.,\s]+$/, '')
    .split(/(?:,|\.)\s+/)
    .map((r) => r.replace(/^\d+\s+/, ''))
    // the DRA plugin's note on every pod since 1.34: not a reason this pod fails to fit
    .filter((r) => r && r !== 'no new claims to deallocate');
  return `${reasons.join(', ')}: ${m[1]}/${m[2]} nodes available`;
}

function lastLogLine(d: Diagnostics, pod: string, container: string): string {
  const tail = d.logs.find((l) => l.pod === pod && l.container === container);
  const line = tail?.lines
    .filter((l) => l.trim())
    .at(-1)
    ?.trim();
  if (!line) return '';
  return `; last log line: ${line.length > 120 ? `${line.slice(0, 117)}...` : line}`;
}

type Finding = { pod: PodView; container: ContainerView };

function findContainer(pods: PodView[], test: (c: ContainerView) => boolean): Finding | undefined {
  for (const pod of pods) {
    const container = pod.containers.find(test);
    if (container) return { pod, container };
  }
  return undefined;
}

function containerCause(d: Diagnostics, pods: PodView[]): string | undefined {
  const pull = findContainer(pods, (c) => c.state === 'waiting' && IMAGE_PULL.has(c.reason ?? ''));
  if (pull) {
    const { pod, container: c } = pull;
    if (c.reason === 'InvalidImageName') return `InvalidImageName: ${c.message ?? c.image} (pod ${pod.name})`;
    const text = [c.message, ...eventsFor(d, pod.name).map((e) => e.message)].join('\n');
    return `${c.reason}: image ${c.image} ${imagePullDetail(text)} (pod ${pod.name})`;
  }
  const setup = findContainer(pods, (c) => CONTAINER_SETUP.has(c.reason ?? ''));
  if (setup)
    return `${setup.container.reason}: ${setup.container.message ?? 'no detail'} (container ${setup.container.name} in pod ${setup.pod.name})`;
  const crash = findContainer(
    pods,
    (c) => c.reason === 'CrashLoopBackOff' || c.lastTermination?.reason === 'OOMKilled',
  );
  if (crash) {
    const { pod, container: c } = crash;
    const end = c.lastTermination ?? {};
    const why = [
      end.reason && end.reason !== 'Error' ? end.reason : undefined,
      `exit ${end.exitCode ?? '?'}`,
    ];
    const what = c.reason === 'CrashLoopBackOff' ? 'CrashLoopBackOff' : 'restarting';
    return `${what} (${why.filter(Boolean).join(', ')}): container ${c.name} in pod ${pod.name}${lastLogLine(d, pod.name, c.name)}`;
  }
  const failed = findContainer(pods, (c) => c.state === 'terminated' && (c.exitCode ?? 0) !== 0);
  if (failed) {
    const { pod, container: c } = failed;
    return `container ${c.name} in pod ${pod.name} exited with code ${c.exitCode}${c.reason ? ` (${c.reason})` : ''}${lastLogLine(d, pod.name, c.name)}`;
  }
  return undefined;
}

function schedulingOrSetupCause(d: Diagnostics, pods: PodView[]): string | undefined {
  for (const pod of pods) {
    const unscheduled = pod.failingConditions.find(
      (c) => c.type === 'PodScheduled' && c.reason === 'Unschedulable',
    );
    const event = eventsFor(d, pod.name).findLast((e) => e.reason === 'FailedScheduling');
    const message = unscheduled?.message ?? event?.message;
    if (message && !pod.node) return `${schedulingCause(message)} (pod ${pod.name} cannot be scheduled)`;
  }
  for (const pod of pods.filter((p) => p.phase === 'Pending')) {
    const event = eventsFor(d, pod.name).findLast((e) => POD_SETUP_EVENTS.has(e.reason));
    if (event) return `${event.reason}: ${event.message} (pod ${pod.name})`;
  }
  return undefined;
}

function readinessCause(d: Diagnostics, pods: PodView[]): string | undefined {
  const unready = pods.filter((p) => p.phase === 'Running' && !p.ready);
  if (!unready.length) return undefined;
  const probeEvent = unready
    .flatMap((p) => eventsFor(d, p.name))
    .findLast((e: EventView) => e.reason === 'Unhealthy' && /readiness probe/i.test(e.message));
  const notReady = unready.flatMap((p) => p.containers.filter((c) => !c.init && !c.ready));
  let why: string;
  if (probeEvent) {
    const detail = probeEvent.message
      .replace(/^readiness probe failed:?\s*/i, '')
      .replace(/^\((.*)\)$/, '$1');
    why = `readiness probe failing${detail ? ` (${detail})` : ''}`;
  } else if (notReady.some((c) => c.hasReadinessProbe)) why = 'readiness probe failing';
  else if (notReady.length)
    why = `containers not ready: ${[...new Set(notReady.map((c) => c.name))].join(', ')}`;
  else
    why = unready[0]!.failingConditions.find((c) => c.type === 'Ready')?.message ?? 'readiness gates not met';
  return `pods ${names(unready)} never became Ready: ${why}`;
}

/** Pods failing for no reason above, e.g. Pending in ContainerCreating. */
function stuckCause(pods: PodView[]): string | undefined {
  if (!pods.length) return undefined;
  const reason = pods[0]!.containers.find((c) => c.reason)?.reason;
  return `pods ${names(pods)} ${pods[0]!.phase}${reason ? `: ${reason}` : ''}`;
}

/** An admission webhook may answer in several lines: the first one says what refused the pod. */
const firstLine = (text: string) =>
  text
    .split('\n')
    .find((l) => l.trim())
    ?.trim() ?? '';

/** `FailedCreate: pods "web-…" is forbidden: exceeded quota: …`, as the fail-fast verdict words it. */
function creationCause(d: Diagnostics): string | undefined {
  const failure = d.workload?.conditions.find((c) => c.type === 'ReplicaFailure' && c.status === 'True');
  if (failure)
    return `${failure.reason ?? 'FailedCreate'}: ${firstLine(failure.message ?? '') || 'cannot create pods'}`;
  const event = d.events.findLast((e) => e.reason === 'FailedCreate' && e.type === 'Warning');
  // A refusal the controller has since got past (pods created after it) is history, not the cause.
  const newestPod = Math.max(0, ...d.pods.map((p) => (p.created ? Date.parse(p.created) : 0)));
  if (!event || (event.lastSeen && Date.parse(event.lastSeen) < newestPod)) return undefined;
  return `FailedCreate: ${firstLine(creationRefusalMessage(event.message))}`;
}

/** Names the cause of a failed rollout in one line, most specific first. */
export function diagnose(d: Diagnostics): string {
  const failing = d.pods.filter(isFailingPod);
  const cause =
    creationCause(d) ??
    containerCause(d, failing) ??
    schedulingOrSetupCause(d, failing) ??
    readinessCause(d, failing) ??
    stuckCause(failing);
  const deadline = d.workload?.conditions.find(
    (c) => c.type === 'Progressing' && c.reason === 'ProgressDeadlineExceeded',
  );
  if (deadline)
    return `ProgressDeadlineExceeded: ${cause ?? deadline.message ?? `${d.workload!.kind} ${d.workload!.name} made no progress`}`;
  if (cause) return cause;
  if (d.workload && !d.pods.length && !d.problems.length)
    return `no pods exist for ${d.workload.kind} ${d.workload.name}`;
  if (d.problems.length) return `no cause found; could not collect everything: ${d.problems[0]}`;
  return d.workload ? `no failing pods found; ${d.workload.status}` : 'no failing pods found';
}
