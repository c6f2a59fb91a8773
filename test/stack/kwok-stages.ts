// kwok Stage resources (adapted from sigs.k8s.io/kwok kustomize/stage: node-initialize,
// node-heartbeat-with-lease, pod fast stages). Changed: pod-ready skips Pods labelled
// <failLabel>=true, and pod-unready keeps those Running with Ready=False, both ways, so a test
// can stall a rollout or flip live Pods by labelling them; pods labelled kubeline.dev/fail-as fail as
// the kubelet reports it (below). IPs are assigned once: a Pod
// flipping between the two stages keeps its address.

/** Pods carrying this label (value "true") stay Running but never become Ready. */
export const failReadinessLabel = 'kubeline.dev/fail-readiness';

/**
 * Pods carrying this label fail the way the kubelet reports it, for the fail-fast verdict:
 * `crashloop` (CrashLoopBackOff, restart 1 then 2 seconds later 2), `oom` (OOMKilled, restarted
 * once), `imagepull` (ImagePullBackOff, not found) or `config` (CreateContainerConfigError).
 * Unschedulable needs no stage: a nodeSelector no node has gets it from the real scheduler.
 */
export const failAsLabel = 'kubeline.dev/fail-as';
export type FailAs = 'crashloop' | 'oom' | 'imagepull' | 'config';

const NO_RESTARTS = `
        restartCount: 0`;
const BACKOFF_1 = 'back-off 10s restarting failed container';
const BACKOFF_2 = 'back-off 20s restarting failed container';

/** Every container in one state; `extra` adds fields per container (restartCount, lastState). */
const containersWaiting = (reason: string, message: string, extra: string) => `
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        started: false${extra}
        state:
          waiting:
            reason: ${reason}
            message: ${message}
      {{ end }}`;

/** A pod's conditions, all changed now: [type, true?, reason]. */
const conditions = (list: [string, boolean, string?][]) => `
      {{ $now := Now }}
      conditions:${list
        .map(
          ([type, ok, reason]) => `
      - lastTransitionTime: {{ $now | Quote }}
        status: "${ok ? 'True' : 'False'}"
        type: ${type}${reason ? `\n        reason: ${reason}` : ''}`,
        )
        .join('')}`;

const unreadyConditions = conditions([
  ['PodScheduled', true],
  ['Initialized', true],
  ['Ready', false, 'ContainersNotReady'],
  ['ContainersReady', false, 'ContainersNotReady'],
]);

const crashed = (restarts: number, reason: string, exitCode: number) => `
        restartCount: ${restarts}
        lastState:
          terminated:
            exitCode: ${exitCode}
            reason: ${reason}
            startedAt: {{ Now | Quote }}
            finishedAt: {{ Now | Quote }}`;

interface FaultStage {
  name: string;
  failAs: FailAs;
  status: string;
  /** Only pods whose first container's waiting message is one of these (a step of a sequence). */
  afterMessage?: string;
  delayMs?: number;
  event?: { reason: string; message: string };
}

const faultStages: FaultStage[] = [
  {
    name: 'pod-crashloop-1',
    failAs: 'crashloop',
    status: `${unreadyConditions}${containersWaiting('CrashLoopBackOff', BACKOFF_1, crashed(1, 'Error', 1))}
      phase: Running`,
    event: { reason: 'BackOff', message: 'Back-off restarting failed container' },
  },
  {
    name: 'pod-crashloop-2',
    failAs: 'crashloop',
    afterMessage: BACKOFF_1,
    delayMs: 2_000,
    status: `${unreadyConditions}${containersWaiting('CrashLoopBackOff', BACKOFF_2, crashed(2, 'Error', 1))}
      phase: Running`,
  },
  {
    name: 'pod-oom',
    failAs: 'oom',
    status: `${unreadyConditions}${containersWaiting('CrashLoopBackOff', BACKOFF_1, crashed(1, 'OOMKilled', 137))}
      phase: Running`,
  },
  {
    name: 'pod-imagepull',
    failAs: 'imagepull',
    status: `${unreadyConditions}${containersWaiting('ImagePullBackOff', "'Back-off pulling image: manifest unknown: not found'", NO_RESTARTS)}
      phase: Pending`,
    event: { reason: 'Failed', message: 'Failed to pull image: manifest unknown: not found' },
  },
  {
    name: 'pod-config',
    failAs: 'config',
    status: `${unreadyConditions}${containersWaiting('CreateContainerConfigError', `'secret "kubeline-missing" not found'`, NO_RESTARTS)}
      phase: Pending`,
    event: { reason: 'Failed', message: 'Error: secret "kubeline-missing" not found' },
  },
];

function faultStage(f: FaultStage): string {
  const step = f.afterMessage
    ? `values: ['${f.afterMessage}']
      operator: In`
    : `values: ['${BACKOFF_1}', '${BACKOFF_2}']
      operator: NotIn`;
  return `---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: ${f.name}
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.metadata.labels["${failAsLabel}"]'
      operator: In
      values: ['${f.failAs}']
    - key: '.status.containerStatuses.[].state.waiting.message'
      ${step}
${
  f.failAs === 'crashloop' || f.failAs === 'oom'
    ? ''
    : `    - key: '.status.containerStatuses.[].state.waiting.reason'
      operator: DoesNotExist
`
}${
    f.delayMs
      ? `  delay:
    durationMilliseconds: ${f.delayMs}
`
      : ''
  }  next:
${
  f.event
    ? `    event: {type: Warning, reason: ${f.event.reason}, message: '${f.event.message}'}
`
    : ''
}    statusTemplate: |${f.status}
`;
}

const podRunningStatus = (ready: boolean) => `${conditions([
  ['Initialized', true],
  ['Ready', ready, ready ? undefined : 'ContainersNotReady'],
  ['ContainersReady', ready],
])}
      {{ range .spec.readinessGates }}
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: {{ .conditionType | Quote }}
      {{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: ${ready}
        started: true
        restartCount: 0
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      initContainerStatuses:
      {{ range .spec.initContainers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: true
        restartCount: 0
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
      {{ end }}
      {{ if not .status.podIP }}
      {{ $hostIPs := NodeIPsWith .spec.nodeName }}
      {{ with $hostIPs }}
      hostIP: {{ index . 0 | Quote }}
      hostIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ $podIPs := PodIPsWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) }}
      {{ with $podIPs }}
      podIP: {{ index . 0 | Quote }}
      podIPs:
      {{ range . }}
      - ip: {{ . | Quote }}
      {{ end }}
      {{ end }}
      {{ end }}
      phase: Running
      {{ if not .status.startTime }}
      startTime: {{ $now | Quote }}
      {{ end }}`;

const nodeConditions = `
      {{ $now := Now }}
      {{ $lastTransitionTime := or .metadata.creationTimestamp $now }}
      conditions:
      {{ range NodeConditions }}
      - lastHeartbeatTime: {{ $now | Quote }}
        lastTransitionTime: {{ $lastTransitionTime | Quote }}
        message: {{ .message | Quote }}
        reason: {{ .reason | Quote }}
        status: {{ .status | Quote }}
        type: {{ .type | Quote }}
      {{ end }}`;

export function kwokStages(): string {
  const failLabel = failReadinessLabel;
  const label = `.metadata.labels["${failLabel}"]`;
  return `apiVersion: config.kwok.x-k8s.io/v1alpha1
kind: KwokConfiguration
options:
  podPlayStageParallelism: 4
  nodePlayStageParallelism: 2
  nodeLeaseParallelism: 2
  podsOnNodeSyncParallelism: 1
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-initialize
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ['True']
  next:
    statusTemplate: |${nodeConditions}
      addresses:
      {{ with NodeIP }}
      - address: {{ . | Quote }}
        type: InternalIP
      {{ end }}
      {{ with NodeName }}
      - address: {{ . | Quote }}
        type: Hostname
      {{ end }}
      allocatable:
        cpu: 1k
        memory: 1Ti
        pods: 1M
      capacity:
        cpu: 1k
        memory: 1Ti
        pods: 1M
      nodeInfo:
        architecture: amd64
        operatingSystem: linux
        kubeletVersion: {{ printf "kwok-%s" Version }}
        containerRuntimeVersion: {{ printf "kwok-%s" Version }}
        kernelVersion: {{ printf "kwok-%s" Version }}
        kubeProxyVersion: {{ printf "kwok-%s" Version }}
      phase: Running
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: node-heartbeat-with-lease
spec:
  resourceRef: {apiGroup: v1, kind: Node}
  selector:
    matchExpressions:
    - key: '.status.phase'
      operator: In
      values: ['Running']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: In
      values: ['True']
  delay:
    durationMilliseconds: 600000
    jitterDurationMilliseconds: 610000
  next:
    statusTemplate: |${nodeConditions}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-ready
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ['Pending', 'Running']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ['True']
    - key: '${label}'
      operator: NotIn
      values: ['true']
    - key: '.metadata.labels["${failAsLabel}"]'
      operator: DoesNotExist
  next:
    statusTemplate: |${podRunningStatus(true)}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-unready
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ['Pending', 'Running']
    - key: '.status.conditions.[] | select( .type == "Ready" ) | .status'
      operator: NotIn
      values: ['False']
    - key: '${label}'
      operator: In
      values: ['true']
    - key: '.metadata.labels["${failAsLabel}"]'
      operator: DoesNotExist
  next:
    event: {type: Warning, reason: Unhealthy, message: 'Readiness probe failed (${failLabel}=true)'}
    statusTemplate: |${podRunningStatus(false)}
${faultStages.map(faultStage).join('')}---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-complete
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: DoesNotExist
    - key: '.status.phase'
      operator: In
      values: ['Running']
    - key: '.metadata.ownerReferences.[].kind'
      operator: In
      values: ['Job']
  next:
    statusTemplate: |
      {{ $now := Now }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: false
        restartCount: 0
        started: false
        state:
          terminated:
            exitCode: 0
            finishedAt: {{ $now | Quote }}
            reason: Completed
            startedAt: {{ $now | Quote }}
      {{ end }}
      phase: Succeeded
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: pod-delete
spec:
  resourceRef: {apiGroup: v1, kind: Pod}
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: Exists
  next:
    delete: true
`;
}
