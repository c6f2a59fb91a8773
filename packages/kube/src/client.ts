import crypto from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';
import { InputError, UserError, envNumber, isTransientStatus, log, retry } from '@kubeline/runtime';
import { apiStatus, explainKubeError, networkError } from './errors.js';

export type ClientNode = typeof import('./client-node.js');
export type KubernetesObject = k8s.KubernetesObject;

let clientNode: Promise<ClientNode> | undefined;

/**
 * The only place client-node is loaded. It is large and ESM-only; an action that fails its input
 * checks, or never reaches the cluster, does not pay for it.
 */
export function loadClientNode(): Promise<ClientNode> {
  return (clientNode ??= import('./client-node.js'));
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';

export interface WatchHandle {
  abort(): void;
}

/** A small typed view of one cluster. Every call's error comes out as a one-line kubeline error. */
export interface Cluster {
  readonly server: string;
  readonly context: string;
  /** The kubeconfig user entry. */
  readonly user: string;
  /** The context's namespace, else `default`. */
  readonly namespace: string;
  readonly core: k8s.CoreV1Api;
  readonly apps: k8s.AppsV1Api;
  readonly authorization: k8s.AuthorizationV1Api;
  readonly authentication: k8s.AuthenticationV1Api;
  readonly rbac: k8s.RbacAuthorizationV1Api;
  readonly coordination: k8s.CoordinationV1Api;
  readonly events: k8s.EventsV1Api;
  /** Any kind by apiVersion and kind (create, read, patch, list, delete). */
  readonly objects: k8s.KubernetesObjectApi;
  /** The collection path of a kind (`/apis/apps/v1/namespaces/x/deployments`), found by discovery. */
  collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string>;
  /** One watch request; `done` is called once when it ends, with the reason if it failed. */
  watch(
    path: string,
    query: Record<string, string | number | boolean | undefined>,
    onEvent: (type: WatchEventType, object: KubernetesObject) => void,
    done: (err?: Error) => void,
  ): Promise<WatchHandle>;
  /** Explains an error from this cluster in one line (already done for the API objects above). */
  explain(err: unknown, action?: string): Error;
}

/** Reads are retried when the server is busy or the connection drops; a refused connection is not. */
function retryableRead(err: unknown): boolean {
  const status = apiStatus(err);
  if (status !== undefined) return isTransientStatus(status);
  const code = networkError(err)?.code ?? '';
  return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'UND_ERR_SOCKET'].includes(code);
}

// Log reads are left out: the kubelet behind them failing is not worth waiting out.
const retriedRead = (method: string) => /^(read|list|get)/.test(method) && !method.endsWith('Log');

/** Wraps every method of a client-node API object: reads retried, errors explained. */
function explained<T extends object>(api: T, explain: (err: unknown, action: string) => Error): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== 'function' || typeof prop !== 'string') return value;
      return (...args: unknown[]) => {
        const call = () => Promise.resolve(value.apply(target, args));
        const attempt = retriedRead(prop)
          ? retry(call, {
              retryable: retryableRead,
              onRetry: (err, n, ms) =>
                log.warning(`${prop}: ${explain(err, prop).message}; retry ${n} in ${Math.round(ms)}ms`),
            })
          : call();
        return attempt.catch((err: unknown) => {
          throw explain(err, prop);
        });
      };
    },
  });
}

/**
 * Every API request (watches aside, which have their own inactivity timeout) ends within this bound: an
 * API server that accepts the connection and never answers fails the step instead of hanging the job.
 */
export function requestTimeoutMs(env: NodeJS.ProcessEnv = process.env): number {
  return envNumber(
    'KUBELINE_KUBE_REQUEST_TIMEOUT_MS',
    60_000,
    { min: 100, max: 3_600_000, integer: true },
    env,
  );
}

/**
 * client-node lets every request through the kubeconfig's authentication hook, and fetch takes the
 * request context's signal: the one place a bound can be put on every call of every API object.
 */
function boundRequests(kc: k8s.KubeConfig, timeoutMs: number): void {
  const authenticate = kc.applySecurityAuthentication.bind(kc);
  kc.applySecurityAuthentication = async (context) => {
    await authenticate(context);
    context.setSignal(AbortSignal.timeout(timeoutMs));
  };
}

/**
 * connect, started once `toolsAtWork` settles or after `maxWaitMs`, whichever comes first. Loading
 * client-node holds the main thread for ~150 ms; a caller that first starts its tool's processes
 * (helm upgrade, lint) has them run on another core meanwhile instead of waiting behind the load.
 */
export function connectAfter(
  toolsAtWork: Promise<unknown>,
  kubeconfigPath: string,
  context?: string,
  maxWaitMs = 75,
): Promise<Cluster> {
  const started = toolsAtWork.then(
    () => undefined,
    () => undefined,
  );
  return Promise.race([started, sleep(maxWaitMs, undefined, { ref: false })]).then(() =>
    connect(kubeconfigPath, context),
  );
}

type DispatcherFactory = (cluster: k8s.Cluster | null, options: Record<string, unknown>) => unknown;

/**
 * client-node 2 builds a new undici Agent for every request, so every call paid a TCP and TLS
 * handshake with the API server (three for taking a lock). One Agent per distinct set of TLS
 * options keeps connections alive between calls; credentials that change (an exec plugin's new
 * client certificate) get a new one. The options are hashed, never kept beside the Agent.
 */
function reuseConnections(kc: k8s.KubeConfig): void {
  const target = kc as unknown as { createDispatcher?: DispatcherFactory };
  if (typeof target.createDispatcher !== 'function') return; // another client-node: left as it is
  const create = target.createDispatcher.bind(kc);
  const made = new Map<string, unknown>();
  target.createDispatcher = (cluster, options) => {
    const key = crypto
      .createHash('sha256')
      .update(JSON.stringify([cluster?.server, cluster?.proxyUrl, options]))
      .digest('hex');
    if (!made.has(key)) made.set(key, create(cluster, options));
    return made.get(key);
  };
}

/**
 * Connects to the cluster of a kubeconfig file (see prepareKubeconfig) and context. No request is
 * made here: the first call reports an unreachable cluster or rejected credentials.
 */
export async function connect(kubeconfigPath?: string, context?: string): Promise<Cluster> {
  const lib = await loadClientNode();
  const kc = new lib.KubeConfig();
  try {
    if (kubeconfigPath) kc.loadFromFile(kubeconfigPath);
    else kc.loadFromDefault();
  } catch (e) {
    // Only the first line: a YAML error's later lines quote the file, credentials included.
    const first = String((e as Error).message).split('\n')[0];
    throw new UserError(`cannot load kubeconfig${kubeconfigPath ? ` ${kubeconfigPath}` : ''}: ${first}`);
  }
  if (context) {
    if (!kc.getContextObject(context))
      throw new InputError(
        'context',
        context,
        `available contexts: ${kc
          .getContexts()
          .map((c) => c.name)
          .join(', ')}`,
      );
    kc.setCurrentContext(context);
  }
  const current = kc.getContextObject(kc.getCurrentContext());
  const server = kc.getCurrentCluster()?.server;
  if (!current || !server)
    throw new UserError(`kubeconfig context "${kc.getCurrentContext()}" has no cluster`);
  if (server.startsWith('http:') && !kc.getCurrentCluster()?.skipTLSVerify)
    throw new UserError(
      `kubeconfig cluster server ${server} is plain HTTP: use https, or set insecure-skip-tls-verify: true to accept it`,
    );
  const user = current.user;
  const timeoutMs = requestTimeoutMs();
  boundRequests(kc, timeoutMs);
  reuseConnections(kc);
  const explain = (err: unknown, action?: string) =>
    explainKubeError(err, { server, user, action, timeoutMs });

  class Objects extends lib.KubernetesObjectApi {
    static make(): Objects {
      const o = kc.makeApiClient(Objects);
      o.setDefaultNamespace(kc);
      return o;
    }
    collectionPath(apiVersion: string, kind: string, namespace?: string): Promise<string> {
      return this.specUriPath({ apiVersion, kind, metadata: { namespace } }, 'list');
    }
  }
  const objects = Objects.make();

  return {
    server,
    context: current.name,
    user,
    namespace: current.namespace || 'default',
    core: explained(kc.makeApiClient(lib.CoreV1Api), explain),
    apps: explained(kc.makeApiClient(lib.AppsV1Api), explain),
    authorization: explained(kc.makeApiClient(lib.AuthorizationV1Api), explain),
    authentication: explained(kc.makeApiClient(lib.AuthenticationV1Api), explain),
    rbac: explained(kc.makeApiClient(lib.RbacAuthorizationV1Api), explain),
    coordination: explained(kc.makeApiClient(lib.CoordinationV1Api), explain),
    events: explained(kc.makeApiClient(lib.EventsV1Api), explain),
    objects: explained<k8s.KubernetesObjectApi>(objects, explain),
    collectionPath: (apiVersion, kind, namespace) =>
      objects.collectionPath(apiVersion, kind, namespace).catch((err: unknown) => {
        throw explain(err, `discover ${apiVersion} ${kind}`);
      }),
    async watch(path, query, onEvent, done) {
      const controller = await new lib.Watch(kc).watch(
        path,
        query,
        (type: string, object: KubernetesObject) => onEvent(type as WatchEventType, object),
        (err: unknown) => done(err ? explain(err, `watch ${path}`) : undefined),
      );
      return { abort: () => controller.abort() };
    },
    explain,
  };
}
