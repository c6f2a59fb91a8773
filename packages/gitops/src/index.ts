export {
  parseRepository,
  defaultTokenUser,
  checkAuthFits,
  gitEnvironment,
  type GitRemote,
  type GitAuth,
  type GitScheme,
} from './git-remote.js';
export { Checkout, type Author, type PushOutcome } from './git.js';
export { promote, type Promotion, type PromotionResult } from './promote.js';
export {
  RECONCILERS,
  parseReconciler,
  revisionSha,
  kustomizationState,
  helmReleaseState,
  applicationState,
  inventoryWorkloads,
  applicationWorkloads,
  type ReconcilerRef,
  type ReconcilerType,
  type ReconcileState,
  type Expectation,
  type WorkloadId,
} from './reconcile-status.js';
export {
  awaitReconcile,
  awaitWorkloads,
  reconcileFailure,
  type ReconcileOutcome,
  type RolloutOutcome,
  type WaitContext,
} from './reconcile.js';
export {
  ForgeApiError,
  type AutoMergeMethod,
  type ChangeRequest,
  type ChangeRequestResult,
  type ChangeRequests,
} from './pull-request.js';
export { gitHubPullRequests, parseGitHubRepository, type GitHubPullRequestsOptions } from './github-pr.js';
export { gitLabMergeRequests, gitLabProjectId, type GitLabMergeRequestsOptions } from './gitlab-mr.js';
export { findRollbackTarget, promotionsIn, type Promoted, type RollbackTarget } from './history.js';
export { HEALTH_NOTES, noteHealthy, recordHealthy } from './health-record.js';
export {
  editFile,
  detectKind,
  type FileEdit,
  type FileKind,
  type Placement,
  type ValueChange,
} from './edit.js';
export { FILE_KINDS } from './placement.js';
export { resolveTargetFiles, type TargetFile } from './files.js';
export { MAX_FILE_BYTES } from './yaml-source.js';
export { gitAccess, placementOf, commitAuthor, type GitInputs, type PlacementInputs } from './git-inputs.js';
export {
  connectReader,
  awaitCluster,
  type ClusterWait,
  type ClusterWaitRequest,
  type Reader,
} from './cluster-wait.js';
