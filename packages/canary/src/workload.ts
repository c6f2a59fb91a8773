// The canary workload (pure parts): a copy of the stable Deployment's spec running the new image,
// under its own name and labels so that neither the stable ReplicaSets nor the stable Service ever
// pick up its pods — unless the pods router wants exactly that.
import { UserError } from '@kubeline/runtime';
import type { V1Container, V1Deployment, V1Service } from '@kubernetes/client-node';

export const CANARY_OF = 'kubeline.dev/canary-of';
export const CANARY_RUN = 'kubeline.dev/canary-run';
export const TRACK = 'kubeline.dev/track';
/** On a Service kubeline made for the canary: removed when the canary ends. */
export const CREATED_FOR = 'kubeline.dev/created-for-canary';

export const canaryName = (stable: string) => `${stable.slice(0, 56)}-canary`;

/** The container to update: named, else the one running the same repository, else the only one. */
export function chooseContainer(d: V1Deployment, imageName: string, named: string): V1Container {
  const containers = d.spec?.template.spec?.containers ?? [];
  const id = `Deployment ${d.metadata?.namespace}/${d.metadata?.name}`;
  if (named) {
    const c = containers.find((x) => x.name === named);
    if (!c)
      throw new UserError(
        `input "container": ${id} has no container ${named} (it has ${containers.map((x) => x.name).join(', ')})`,
      );
    return c;
  }
  const repo = (image: string) => image.replace(/@.*$/, '').replace(/:[^/:]*$/, '');
  const same = containers.filter((c) => repo(c.image ?? '') === imageName);
  if (same.length === 1) return same[0]!;
  if (containers.length === 1) return containers[0]!;
  throw new UserError(
    `${id} has ${containers.length} containers and ${same.length ? 'several' : 'none'} run ${imageName}: set input "container" (one of ${containers.map((x) => x.name).join(', ')})`,
  );
}

/** A label value with `-canary`, still a valid value (≤ 63, starting alphanumeric). */
const canaryValue = (v: string) => (v ? `${v.slice(0, 56)}-canary` : 'canary');

/**
 * Pod labels of the canary. `separate`: every label value gets `-canary`, so no selector of
 * stable's — its ReplicaSets', its Service's, whatever labels that Service picks — matches the
 * canary's pods. Otherwise (pods router) the canary keeps stable's labels, so stable's Service
 * selects both, and adds a track label.
 */
export function canaryLabels(stable: V1Deployment, separate: boolean): Record<string, string> {
  const labels = { ...(stable.spec?.template.metadata?.labels ?? {}) };
  if (separate) for (const [k, v] of Object.entries(labels)) labels[k] = canaryValue(v);
  return { ...labels, [TRACK]: 'canary' };
}

export function canarySelector(stable: V1Deployment, separate: boolean): Record<string, string> {
  const labels = canaryLabels(stable, separate);
  const keys = [...Object.keys(stable.spec?.selector?.matchLabels ?? {}), TRACK];
  return Object.fromEntries(keys.map((k) => [k, labels[k]!]));
}

const without = (o: Record<string, string> | undefined, drop: (k: string) => boolean) =>
  Object.fromEntries(Object.entries(o ?? {}).filter(([k]) => !drop(k)));

/** The canary Deployment: stable's spec, the new image in one container, 0 replicas to start. */
export function canaryDeployment(
  stable: V1Deployment,
  o: { container: string; image: string; run: string; separate: boolean },
): V1Deployment {
  const name = stable.metadata!.name!;
  const template = structuredClone(stable.spec!.template);
  const labels = canaryLabels(stable, o.separate);
  template.metadata = { ...template.metadata, labels };
  for (const c of template.spec?.containers ?? []) if (c.name === o.container) c.image = o.image;
  const meta = stable.metadata!;
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {
      name: canaryName(name),
      namespace: meta.namespace,
      labels: {
        ...without(meta.labels, (k) => k === 'app.kubernetes.io/managed-by'),
        'app.kubernetes.io/managed-by': 'kubeline',
        [CANARY_OF]: name,
      },
      annotations: { [CANARY_OF]: name, [CANARY_RUN]: o.run },
    },
    spec: {
      ...structuredClone(stable.spec!),
      replicas: 0,
      selector: { matchLabels: canarySelector(stable, o.separate) },
      template,
    },
  };
}

/** A Service for the canary: stable's ports, selecting the canary's pods. */
export function canaryService(
  stableService: V1Service,
  name: string,
  selector: Record<string, string>,
  stable: string,
): V1Service {
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: {
      name,
      namespace: stableService.metadata?.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'kubeline', [CANARY_OF]: stable },
      annotations: { [CREATED_FOR]: stable },
    },
    spec: {
      type: 'ClusterIP',
      selector,
      ports: (stableService.spec?.ports ?? []).map((p) => ({
        name: p.name,
        port: p.port,
        targetPort: p.targetPort,
        protocol: p.protocol,
        appProtocol: p.appProtocol,
      })),
    },
  };
}
