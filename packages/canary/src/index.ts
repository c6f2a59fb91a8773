// Progressive delivery without a controller: shared by canary-promote and rollback.
export {
  abRuleCount,
  canaryWeightOf,
  withAbMatches,
  type AbMatch,
  routeStatus,
  withCanaryWeight,
  withoutCanary,
  type BackendRef,
  type HTTPRouteLike,
  type RouteRule,
  type RouteServices,
} from './httproute.js';
export { GatewayApiRouter, PodShareRouter, RouterError, type TrafficRouter } from './router.js';
export { IstioRouter, NginxCanaryRouter, SmiRouter } from './object-routers.js';
export {
  hostSuffix,
  virtualServiceCanaryWeight,
  virtualServiceWithCanaryWeight,
  virtualServiceWithoutCanary,
  type IstioDestination,
  type IstioHTTPRoute,
  type RouteDestination,
  type VirtualServiceLike,
} from './virtualservice.js';
export {
  trafficSplitCanaryWeight,
  trafficSplitWithCanaryWeight,
  trafficSplitWithoutCanary,
  type TrafficSplitBackend,
  type TrafficSplitLike,
} from './trafficsplit.js';
export {
  NGINX_CANARY,
  NGINX_CANARY_WEIGHT,
  NGINX_CANARY_WEIGHT_TOTAL,
  canaryIngress,
  canaryIngressName,
  canaryIngressWeight,
  isCanaryIngressOf,
} from './canary-ingress.js';
export {
  CANARY_OF,
  CANARY_RUN,
  CREATED_FOR,
  TRACK,
  canaryDeployment,
  canaryLabels,
  canaryName,
  canarySelector,
  canaryService,
  chooseContainer,
} from './workload.js';
export {
  CanaryLease,
  LeaseLostError,
  STATE_ANNOTATION,
  isFinished,
  leaseNameOf,
  stateOf,
  type CanaryState,
  type Inherited,
  type Phase,
} from './state.js';
export {
  ensureCanaryDeployment,
  ensureCanaryService,
  promoteStable,
  readDeployment,
  removeCanary,
  revertCanary,
  routerFor,
  scaleCanary,
  stableService,
  type CanaryTarget,
} from './canary.js';
export { abortCanaryOf, unfinishedCanaries } from './takeover.js';
export {
  HOOK_TYPES,
  callWebhook,
  parseWebhooks,
  shownUrl,
  type HookAnswer,
  type HookPayload,
  type HookType,
  type Webhook,
} from './webhooks.js';
