// Waiting for cluster state by watch (not by polling): resolves with the first version of the
// object that satisfies the predicate, or fails at the deadline saying what it last saw.
import {
  Watch,
  type KubeConfig,
  type KubernetesObject,
  type V1Deployment,
  type V1DeploymentCondition,
} from '@kubernetes/client-node';

export interface WaitOptions {
  /** API list path, e.g. /apis/apps/v1/namespaces/ns/deployments */
  path: string;
  name: string;
  timeoutMs?: number;
  /** Said in the timeout message: what was awaited. */
  describe: string;
}

export function waitForObject<T extends KubernetesObject>(
  config: KubeConfig,
  options: WaitOptions,
  predicate: (object: T) => boolean,
): Promise<T> {
  const watch = new Watch(config);
  const timeoutMs = options.timeoutMs ?? 60_000;
  return new Promise<T>((resolve, reject) => {
    let last: T | undefined;
    let lastError: unknown;
    let request: AbortController | undefined;
    let settled = false;
    const finish = (error?: Error, object?: T) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      request?.abort();
      if (error) reject(error);
      else resolve(object!);
    };
    const timer = setTimeout(() => {
      const seen = last ? JSON.stringify((last as { status?: unknown }).status ?? last) : 'nothing';
      const why = lastError instanceof Error ? `; watch error: ${lastError.message}` : '';
      finish(
        new Error(
          `timed out after ${timeoutMs} ms waiting for ${options.describe}; last status: ${seen}${why}`,
        ),
      );
    }, timeoutMs);
    // A watch with no resourceVersion first replays the current object as ADDED, so a state
    // reached before the watch began is seen too; a watch closed by the server is reopened.
    const open = async () => {
      try {
        request = await watch.watch(
          options.path,
          { fieldSelector: `metadata.name=${options.name}` },
          (type, object: T) => {
            if (type === 'ERROR') return;
            last = object;
            if (type !== 'DELETED' && predicate(object)) finish(undefined, object);
          },
          (error) => {
            if (error) lastError = error;
            if (!settled) setTimeout(() => void open(), error ? 500 : 0);
          },
        );
      } catch (error) {
        lastError = error;
        if (!settled) setTimeout(() => void open(), 500);
      }
    };
    void open();
  });
}

export function deploymentCondition(
  deployment: V1Deployment,
  type: string,
): V1DeploymentCondition | undefined {
  return deployment.status?.conditions?.find((c) => c.type === type);
}

export function waitForDeployment(
  config: KubeConfig,
  namespace: string,
  name: string,
  describe: string,
  predicate: (deployment: V1Deployment) => boolean,
  timeoutMs?: number,
): Promise<V1Deployment> {
  return waitForObject<V1Deployment>(
    config,
    {
      path: `/apis/apps/v1/namespaces/${namespace}/deployments`,
      name,
      describe: `${namespace}/${name} ${describe}`,
      timeoutMs,
    },
    predicate,
  );
}

/** Available=True for the current generation with every replica updated and ready. */
export function isRolledOut(deployment: V1Deployment): boolean {
  const want = deployment.spec?.replicas ?? 1;
  const status = deployment.status;
  return (
    (status?.observedGeneration ?? 0) >= (deployment.metadata?.generation ?? 1) &&
    status?.updatedReplicas === want &&
    status?.readyReplicas === want &&
    status?.availableReplicas === want &&
    deploymentCondition(deployment, 'Available')?.status === 'True'
  );
}

export function hasProgressDeadlineExceeded(deployment: V1Deployment): boolean {
  const progressing = deploymentCondition(deployment, 'Progressing');
  return progressing?.status === 'False' && progressing.reason === 'ProgressDeadlineExceeded';
}
