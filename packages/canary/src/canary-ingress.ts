// ingress-nginx canary Ingress (pure). ingress-nginx pairs an Ingress marked `canary` with the
// primary Ingress of the same host and path, and sends it `canary-weight` of `canary-weight-total`
// of that traffic. kubeline makes that second Ingress from the primary, never changing the primary.
import { UserError } from '@kubeline/runtime';
import type { V1Ingress, V1IngressRule } from '@kubernetes/client-node';
import type { RouteServices } from './httproute.js';
import { CANARY_OF } from './workload.js';

export const NGINX_CANARY = 'nginx.ingress.kubernetes.io/canary';
export const NGINX_CANARY_WEIGHT = 'nginx.ingress.kubernetes.io/canary-weight';
export const NGINX_CANARY_WEIGHT_TOTAL = 'nginx.ingress.kubernetes.io/canary-weight-total';

export const canaryIngressName = (route: string) => `${route}-canary`;

const ingressName = (i: V1Ingress) => `Ingress ${i.metadata?.namespace}/${i.metadata?.name}`;

/** The canary Ingress kubeline made for primary `route` (its label says so). */
export const isCanaryIngressOf = (i: V1Ingress, route: string) => i.metadata?.labels?.[CANARY_OF] === route;

/**
 * The annotations the copy keeps: the legacy class annotation picks the controller, and nginx's own
 * annotations a canary honours (affinity, load-balance) come along. Nothing else, so no tool that
 * tracks the primary (Helm, Argo CD) takes the copy for its own.
 */
function keptAnnotations(primary: V1Ingress): Record<string, string> {
  return Object.fromEntries(
    Object.entries(primary.metadata?.annotations ?? {}).filter(
      ([k]) =>
        k === 'kubernetes.io/ingress.class' ||
        (k.startsWith('nginx.ingress.kubernetes.io/') && !k.startsWith(NGINX_CANARY)),
    ),
  );
}

/** The primary's rules reduced to the paths that reach the stable Service, pointed at the canary's. */
function canaryRules(primary: V1Ingress, s: RouteServices): V1IngressRule[] {
  return (primary.spec?.rules ?? []).flatMap((rule) => {
    const paths = (rule.http?.paths ?? [])
      .filter((p) => p.backend.service?.name === s.stable)
      .map((p) => ({ ...p, backend: { service: { ...p.backend.service!, name: s.canary } } }));
    return paths.length ? [{ ...rule, http: { paths } }] : [];
  });
}

/** The canary Ingress at `weight` percent: the primary's hosts, TLS and stable paths, to the canary Service. */
export function canaryIngress(primary: V1Ingress, s: RouteServices, weight: number): V1Ingress {
  const route = primary.metadata!.name!;
  if (primary.metadata?.annotations?.[NGINX_CANARY] === 'true')
    throw new UserError(
      `${ingressName(primary)} is itself a canary Ingress; name the primary Ingress of the host in input "route"`,
    );
  const rules = canaryRules(primary, s);
  if (!rules.length)
    throw new UserError(`${ingressName(primary)} has no path with a backend to Service ${s.stable}`);
  return {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: {
      name: canaryIngressName(route),
      namespace: primary.metadata?.namespace,
      labels: { 'app.kubernetes.io/managed-by': 'kubeline', [CANARY_OF]: route },
      annotations: {
        ...keptAnnotations(primary),
        [NGINX_CANARY]: 'true',
        [NGINX_CANARY_WEIGHT]: String(weight),
        [NGINX_CANARY_WEIGHT_TOTAL]: '100',
      },
    },
    spec: {
      ...(primary.spec?.ingressClassName ? { ingressClassName: primary.spec.ingressClassName } : {}),
      ...(primary.spec?.tls ? { tls: structuredClone(primary.spec.tls) } : {}),
      rules: structuredClone(rules),
    },
  };
}

/**
 * The canary's share as ingress-nginx reads the Ingress: 0 when there is none, NaN when it is not
 * marked canary (then it is a second primary) or its weight is not a number.
 */
export function canaryIngressWeight(canary: V1Ingress | undefined): number {
  if (!canary) return 0;
  const a = canary.metadata?.annotations ?? {};
  if (a[NGINX_CANARY] !== 'true') return Number.NaN;
  const weight = Number(a[NGINX_CANARY_WEIGHT] ?? '0');
  const total = Number(a[NGINX_CANARY_WEIGHT_TOTAL] ?? '100');
  if (!Number.isInteger(weight) || !Number.isInteger(total) || weight < 0 || total <= 0) return Number.NaN;
  return Math.round((Math.min(weight, total) / total) * 1000) / 10;
}
