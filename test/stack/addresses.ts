// Every 127.0.0.1 port of the stack, in one place.
export const host = '127.0.0.1';

export const ports = {
  etcdClient: 32379,
  etcdPeer: 32380,
  apiserver: 36443,
  controllerManager: 10257,
  scheduler: 10259,
  kwok: 10247,
  registry: 5000,
  authRegistry: 5443,
  prometheus: 9090,
  mirror: 8081,
  gateway: 8000,
  traefik: 9101,
  gitServer: 8082,
  sshServer: 2222,
  npmRegistry: 4873,
  // Flux: source-controller's artifact server, then metrics and health of each controller
  fluxStorage: 9790,
  sourceControllerMetrics: 9791,
  sourceControllerHealth: 9792,
  kustomizeControllerMetrics: 9793,
  kustomizeControllerHealth: 9794,
  helmControllerMetrics: 9795,
  helmControllerHealth: 9796,
} as const;

export const urls = {
  etcd: `http://${host}:${ports.etcdClient}`,
  apiserver: `https://${host}:${ports.apiserver}`,
  prometheus: `http://${host}:${ports.prometheus}`,
  mirror: `http://${host}:${ports.mirror}`,
  gateway: `http://${host}:${ports.gateway}`,
  traefik: `http://${host}:${ports.traefik}`,
  gitServer: `http://${host}:${ports.gitServer}`,
  npmRegistry: `http://${host}:${ports.npmRegistry}`,
  fluxStorage: `http://${host}:${ports.fluxStorage}`,
} as const;

export const registry = `${host}:${ports.registry}`;
export const authRegistry = `${host}:${ports.authRegistry}`;
