// Cluster access for tests: clients from the stack's kubeconfigs and a fresh namespace per test.
import { randomBytes } from 'node:crypto';
import { afterEach, beforeEach } from '@jest/globals';
import { CoreV1Api, type KubeConfig } from '@kubernetes/client-node';
import { adminKubeConfig } from './kube-config.js';

export { adminKubeConfig, limitedKubeConfig } from './kube-config.js';

export async function createNamespace(config: KubeConfig, prefix: string): Promise<string> {
  const name = `${prefix}-${randomBytes(3).toString('hex')}`;
  const core = config.makeApiClient(CoreV1Api);
  await core.createNamespace({
    body: { metadata: { name, labels: { 'kubeline.dev/e2e': 'true' } } },
  });
  await defaultServiceAccount(core, name);
  return name;
}

/**
 * Pods are refused until the controller manager makes the namespace's default ServiceAccount; after
 * an API server restart that took over 10 s. kubeline tolerates it; a test's own pods must not race it.
 */
async function defaultServiceAccount(core: CoreV1Api, namespace: string, timeoutMs = 60_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    try {
      await core.readNamespacedServiceAccount({ name: 'default', namespace });
      return;
    } catch (e) {
      if (Date.now() > end)
        throw new Error(`namespace ${namespace}: no default ServiceAccount after ${timeoutMs} ms`, {
          cause: e,
        });
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** Starts the deletion and returns: the namespace finalizes in the background. */
export async function deleteNamespace(config: KubeConfig, name: string): Promise<void> {
  await config.makeApiClient(CoreV1Api).deleteNamespace({ name });
}

/** A namespace created before and deleted after each test of the enclosing describe. */
export function useTestNamespace(prefix = 'e2e'): { readonly name: string } {
  const current = { name: '' };
  beforeEach(async () => {
    current.name = await createNamespace(adminKubeConfig(), prefix);
  });
  afterEach(async () => {
    if (current.name) await deleteNamespace(adminKubeConfig(), current.name);
    current.name = '';
  });
  return current;
}

/**
 * A ResourceQuota named `pods` with room for `pods`, once the quota controller has counted `counted`
 * pods in the namespace: until it has, the quota's admission refuses every pod.
 */
export async function podQuota(namespace: string, pods: number, counted = pods): Promise<void> {
  const core = adminKubeConfig().makeApiClient(CoreV1Api);
  await core.createNamespacedResourceQuota({
    namespace,
    body: { metadata: { name: 'pods' }, spec: { hard: { pods: String(pods) } } },
  });
  const deadline = Date.now() + 30_000;
  while (
    (await core.readNamespacedResourceQuota({ name: 'pods', namespace })).status?.used?.pods !==
    String(counted)
  ) {
    if (Date.now() > deadline) throw new Error(`ResourceQuota pods never counted ${counted} pods`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
