// Clients from the stack's kubeconfigs, apart from kube.ts's Jest hooks so the bench can use them.
import { KubeConfig } from '@kubernetes/client-node';
import { loadStackEnv } from './stack-env.js';

export function adminKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(loadStackEnv().KUBECONFIG);
  return config;
}

export function limitedKubeConfig(): KubeConfig {
  const config = new KubeConfig();
  config.loadFromFile(loadStackEnv().KUBECONFIG_LIMITED);
  return config;
}
