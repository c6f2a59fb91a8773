// Making pods fail readiness on demand: kwok keeps Pods labelled kubeline.dev/fail-readiness=true
// Running but never Ready (test/stack/kwok-stages.ts), in both directions.
import { AppsV1Api, CoreV1Api, type KubeConfig, type V1PodTemplateSpec } from '@kubernetes/client-node';
import { failReadinessLabel } from '../../stack/kwok-stages.js';

export { failReadinessLabel };

/** The template, with its pods set to fail readiness. */
export function withFailingReadiness(template: V1PodTemplateSpec): V1PodTemplateSpec {
  return {
    ...template,
    metadata: {
      ...template.metadata,
      labels: { ...template.metadata?.labels, [failReadinessLabel]: 'true' },
    },
  };
}

/** Rolls the Deployment to a revision whose pods never become Ready (a broken release). */
export async function failDeploymentReadiness(
  config: KubeConfig,
  namespace: string,
  name: string,
): Promise<void> {
  const apps = config.makeApiClient(AppsV1Api);
  const deployment = await apps.readNamespacedDeployment({ name, namespace });
  deployment.spec!.template = withFailingReadiness(deployment.spec!.template);
  await apps.replaceNamespacedDeployment({ name, namespace, body: deployment });
}

/** Flips one live Pod's readiness (true = fails readiness from now on). */
export async function setPodReadinessFailing(
  config: KubeConfig,
  namespace: string,
  pod: string,
  failing: boolean,
): Promise<void> {
  const core = config.makeApiClient(CoreV1Api);
  const current = await core.readNamespacedPod({ name: pod, namespace });
  const labels = { ...current.metadata?.labels };
  if (failing) labels[failReadinessLabel] = 'true';
  else delete labels[failReadinessLabel];
  current.metadata = { ...current.metadata, labels };
  await core.replaceNamespacedPod({ name: pod, namespace, body: current });
}
