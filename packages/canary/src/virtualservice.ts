// Istio VirtualService weights (pure). The canary's share is the weight pair of the stable and
// canary destinations in every http route that sends traffic to the stable Service. Istio wants a
// route's destination weights to sum to 100, so stable = 100 − w and canary = w.
import { UserError } from '@kubeline/runtime';
import type { RouteServices } from './httproute.js';

export interface IstioDestination {
  host: string;
  subset?: string;
  port?: { number?: number };
  [k: string]: unknown;
}

export interface RouteDestination {
  destination: IstioDestination;
  weight?: number;
  [k: string]: unknown;
}

export interface IstioHTTPRoute {
  name?: string;
  route?: RouteDestination[];
  [k: string]: unknown;
}

export interface VirtualServiceLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: { hosts?: string[]; http?: IstioHTTPRoute[]; [k: string]: unknown };
}

/**
 * What follows the Service's name in `host` when it names Service `name` of `namespace`: '' for
 * the short name, `.ns`, `.ns.svc` or `.ns.svc.<cluster domain>`; undefined for any other host.
 */
export function hostSuffix(host: string, name: string, namespace: string): string | undefined {
  if (host === name) return '';
  if (!host.startsWith(`${name}.`)) return undefined;
  const rest = host.slice(name.length);
  const ns = `.${namespace}`;
  return rest === ns || rest === `${ns}.svc` || (rest.startsWith(`${ns}.svc.`) && rest.length > ns.length + 5)
    ? rest
    : undefined;
}

const names = (d: RouteDestination, service: string, namespace: string) =>
  hostSuffix(d.destination?.host ?? '', service, namespace) !== undefined;

const vsName = (vs: VirtualServiceLike) => `VirtualService ${vs.metadata?.namespace}/${vs.metadata?.name}`;

const routeLabel = (r: IstioHTTPRoute, i: number) => `http[${i}]${r.name ? ` (${r.name})` : ''}`;

/** The http routes kubeline weighs, with their index: those with a stable (or, broken, a canary) destination. */
function managedRoutes(vs: VirtualServiceLike, s: RouteServices): Array<[IstioHTTPRoute, number]> {
  const all = (vs.spec?.http ?? []).map((r, i) => [r, i] as [IstioHTTPRoute, number]);
  return all.filter(([r]) =>
    (r.route ?? []).some((d) => names(d, s.stable, s.namespace) || names(d, s.canary, s.namespace)),
  );
}

/** A route whose weights kubeline may set: only stable and canary destinations, one of each at most. */
function checkWeighable(vs: VirtualServiceLike, r: IstioHTTPRoute, i: number, s: RouteServices): void {
  const dests = r.route ?? [];
  const others = dests.filter((d) => !names(d, s.stable, s.namespace) && !names(d, s.canary, s.namespace));
  if (others.length)
    throw new UserError(
      `${vsName(vs)}: ${routeLabel(r, i)} splits Service ${s.stable} with ${others.map((d) => d.destination?.host).join(', ')}; kubeline weighs only http routes whose destinations are the stable and canary Services`,
    );
  const stables = dests.filter((d) => names(d, s.stable, s.namespace));
  if (stables.length > 1)
    throw new UserError(
      `${vsName(vs)}: ${routeLabel(r, i)} sends Service ${s.stable} to ${stables.length} destinations (subsets ${stables.map((d) => d.destination.subset ?? 'none').join(', ')}); kubeline weighs one stable destination against the canary`,
    );
}

/**
 * The VirtualService with the canary at `weight` percent. The canary destination takes the stable
 * one's port and host form (`web-canary.shop.svc.cluster.local` beside `web.shop.svc.cluster.local`)
 * but not its subset: subsets belong to a DestinationRule of the stable host.
 */
export function virtualServiceWithCanaryWeight(
  vs: VirtualServiceLike,
  s: RouteServices,
  weight: number,
): VirtualServiceLike {
  const copy = structuredClone(vs);
  const routes = managedRoutes(copy, s);
  if (!routes.length)
    throw new UserError(`${vsName(vs)} has no http route with a destination to Service ${s.stable}`);
  for (const [r, i] of routes) {
    checkWeighable(vs, r, i, s);
    const stable = r.route!.find((d) => names(d, s.stable, s.namespace));
    const canary = r.route!.find((d) => names(d, s.canary, s.namespace));
    const suffix = stable
      ? hostSuffix(stable.destination.host, s.stable, s.namespace)!
      : hostSuffix(canary!.destination.host, s.canary, s.namespace)!;
    const port = stable?.destination.port ?? canary?.destination.port;
    const at = port ? { port } : {};
    r.route = [
      {
        ...stable,
        destination: { ...stable?.destination, host: s.stable + suffix, ...at },
        weight: 100 - weight,
      },
      { ...canary, destination: { host: s.canary + suffix, ...at }, weight },
    ];
  }
  return copy;
}

/**
 * All traffic to stable and the canary's destinations gone. A stable destination that went missing
 * is added back (on `stablePort`); it takes 100 less what other destinations someone added meanwhile
 * have, so the weights still sum to 100.
 */
export function virtualServiceWithoutCanary(
  vs: VirtualServiceLike,
  s: RouteServices,
  stablePort?: number,
): VirtualServiceLike {
  const copy = structuredClone(vs);
  for (const [r] of managedRoutes(copy, s)) {
    const canary = r.route!.find((d) => names(d, s.canary, s.namespace));
    const kept = r.route!.filter((d) => !names(d, s.canary, s.namespace));
    let stable = kept.find((d) => names(d, s.stable, s.namespace));
    if (!stable) {
      const suffix = hostSuffix(canary!.destination.host, s.canary, s.namespace)!;
      const port = stablePort !== undefined ? { port: { number: stablePort } } : {};
      stable = { destination: { host: s.stable + suffix, ...port } };
      kept.unshift(stable);
    }
    const others = kept.filter((d) => d !== stable).reduce((sum, d) => sum + (d.weight ?? 0), 0);
    stable.weight = Math.max(0, 100 - others);
    r.route = kept;
  }
  return copy;
}

/** A destination's weight as Istio reads it: a lone destination takes everything. */
const weightIn = (r: IstioHTTPRoute, d: RouteDestination) =>
  d.weight ?? ((r.route ?? []).length === 1 ? 100 : 0);

/** The canary's share as the VirtualService says it (undefined: no route of ours); routes must agree. */
export function virtualServiceCanaryWeight(vs: VirtualServiceLike, s: RouteServices): number | undefined {
  const shares = managedRoutes(vs, s).map(([r]) => {
    let stable = 0;
    let canary = 0;
    for (const d of r.route ?? []) {
      if (names(d, s.stable, s.namespace)) stable += weightIn(r, d);
      else if (names(d, s.canary, s.namespace)) canary += weightIn(r, d);
    }
    return stable + canary === 0 ? 0 : Math.round((canary / (stable + canary)) * 1000) / 10;
  });
  if (!shares.length) return undefined;
  return shares.every((x) => x === shares[0]) ? shares[0] : Number.NaN;
}
