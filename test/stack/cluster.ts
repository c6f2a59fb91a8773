// The stack speaks to its own cluster through @kubernetes/client-node with the admin kubeconfig.
import {
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { kubeconfigs } from './kubernetes.js';

export function adminConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigs.admin);
  return config;
}

/** Server-side apply: creates or converges each object, in order. */
export async function applyObjects(objects: KubernetesObject[], config = adminConfig()): Promise<void> {
  const client = KubernetesObjectApi.makeApiClient(config);
  for (const object of objects) {
    await client.patch(object, undefined, undefined, 'kubeline-stack', true, PatchStrategy.ServerSideApply);
  }
}
