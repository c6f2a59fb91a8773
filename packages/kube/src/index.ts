// The one way kubeline talks to a cluster. Only client.ts loads @kubernetes/client-node, lazily.
export {
  prepareKubeconfig,
  removeWrittenKubeconfig,
  isKubeconfigContent,
  parseKubeconfig,
  kubeconfigSecrets,
  selectContext,
  mergeKubeconfigs,
  type KubeconfigDoc,
  type KubeconfigRequest,
  type PreparedKubeconfig,
  type SelectedContext,
} from './kubeconfig.js';
export {
  connect,
  connectAfter,
  loadClientNode,
  type Cluster,
  type ClientNode,
  type KubernetesObject,
  type WatchEventType,
  type WatchHandle,
} from './client.js';
export {
  KubeApiError,
  KubeAccessError,
  ClusterUnreachableError,
  apiStatus,
  isNotFound,
  isConflict,
  unlessNotFound,
  parseForbidden,
  explainForbidden,
  explainKubeError,
  type ForbiddenRequest,
  type ErrorContext,
} from './errors.js';
export { canI, whoAmI, requireAccess, parseResource, type AccessAnswer } from './access.js';
export { ruleGrants, rulesGrant, type ResourceRequest, type ResourceRule } from './access-rules.js';
export {
  rolloutStatus,
  ROLLOUT_KINDS,
  type RolloutKind,
  type RolloutStatus,
  type WorkloadSnapshot,
  type WorkloadCondition,
} from './rollout-status.js';
export { waitFor, type ObjectRef, type WaitOptions, type WaitResult } from './wait.js';
export { waitForRollout, type RolloutOptions, type RolloutResult } from './rollout.js';
export {
  podView,
  isFailingPod,
  summarizeEvents,
  selectorString,
  type PodView,
  type ContainerView,
  type EventView,
  type Condition,
  type LabelSelector,
} from './pod-status.js';
export {
  collectDiagnostics,
  type Diagnostics,
  type DiagnosticsTarget,
  type DiagnosticsOptions,
  type LogTail,
} from './diagnostics.js';
export { diagnose, schedulingCause } from './diagnose.js';
export { renderDiagnostics } from './diagnostics-summary.js';
export {
  DEPLOY_ID_ANNOTATION,
  workloadsOf,
  diagnosticsMargin,
  watchRollouts,
  type ResourceRef,
  type WorkloadRef,
  type WorkloadOutcome,
  type WatchOptions,
} from './rollout-watch.js';
export {
  DEFAULT_FAIL_FAST,
  FaultEvidence,
  creationFault,
  refusalFault,
  faultSubject,
  podFaults,
  type FailFastPolicy,
  type FaultKind,
  type PodFault,
  type ReplicaSetView,
  type Verdict,
} from './fail-fast.js';
export { watchForFault, type FaultWatchOptions } from './fail-fast-watch.js';
export {
  LeaseObserver,
  createLease,
  holderIdentity,
  readLease,
  takeLease,
  leaseRecord,
  microTime,
  withLeaseSpec,
  type LeaseRecord,
} from './lease.js';
