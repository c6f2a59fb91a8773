// Helm as kubeline drives it, shared by helm-deploy, rollback and canary-promote.
export {
  Helm,
  helmMajor,
  targetArgs,
  goDuration,
  waitArgs,
  chartArgs,
  repoAddArgs,
  HELM_COMMAND_TIMEOUT_MS,
  upgradeCommand,
  rollbackCommand,
  isPending,
  deployedRevision,
  helmErrorLine,
  type HelmMajor,
  type HelmTarget,
  type ChartArgs,
  type UpgradeOptions,
  type HelmCommand,
  type ReleaseStatus,
  type HistoryEntry,
} from './cli.js';
export {
  HEALTHY_ANNOTATION,
  recordName,
  readHealthy,
  withHealthy,
  lastGood,
  recordHealthy,
  markHealthyReplicaSets,
  type HealthyRevision,
} from './release-record.js';
export {
  ReleaseLock,
  LockLostError,
  LOCK_NEEDS,
  leaseSeconds,
  lockName,
  type PreviousHolder,
} from './release-lock.js';
export { pendingDecision, recoverPending, type PendingDecision } from './pending-release.js';
export {
  parseManifest,
  changedFields,
  diffManifests,
  countChanges,
  type Change,
  type ResourceChange,
} from './manifest-diff.js';
export { ANNOTATION_PREFIX, releaseAnnotations } from './release-metadata.js';
export {
  releasesInSecrets,
  storageSecretName,
  decodeStoredRelease,
  historyEntryOf,
  storedRevisions,
  STORED_REVISIONS_READ,
  readRelease,
  releaseHistory,
  storedManifest,
  manifestOf,
  newestStoredRevision,
  type ReleaseRead,
  type StoredRevision,
} from './release-storage.js';
