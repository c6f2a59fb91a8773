// SMI TrafficSplit weights (pure, split.smi-spec.io/v1alpha2). spec.service is the root Service
// clients address; spec.backends share its traffic by relative weight. The canary's share is the
// stable and canary backends' pair: stable = 100 − w, canary = w.
import { UserError } from '@kubeline/runtime';
import type { RouteServices } from './httproute.js';

export interface TrafficSplitBackend {
  service: string;
  weight?: number;
  [k: string]: unknown;
}

export interface TrafficSplitLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: { service?: string; backends?: TrafficSplitBackend[]; [k: string]: unknown };
}

const splitName = (ts: TrafficSplitLike) => `TrafficSplit ${ts.metadata?.namespace}/${ts.metadata?.name}`;

const isOurs = (b: TrafficSplitBackend, s: RouteServices) => b.service === s.stable || b.service === s.canary;

/**
 * The TrafficSplit with the canary at `weight` percent. A split with other backends is refused; one
 * left without a stable backend (edited, or emptied) gets it back.
 */
export function trafficSplitWithCanaryWeight(
  ts: TrafficSplitLike,
  s: RouteServices,
  weight: number,
): TrafficSplitLike {
  const backends = ts.spec?.backends ?? [];
  const others = backends.filter((b) => !isOurs(b, s));
  if (others.length)
    throw new UserError(
      `${splitName(ts)} splits traffic with ${others.map((b) => b.service).join(', ')}; kubeline weighs only a split whose backends are the stable and canary Services (${s.stable}, ${s.canary})`,
    );
  const stable = backends.find((b) => b.service === s.stable);
  const canary = backends.find((b) => b.service === s.canary);
  return {
    ...structuredClone(ts),
    spec: {
      ...structuredClone(ts.spec),
      backends: [
        { ...stable, service: s.stable, weight: 100 - weight },
        { ...canary, service: s.canary, weight },
      ],
    },
  };
}

/**
 * All traffic to stable: the canary backend gone, stable back if it went missing. Stable takes the
 * canary's weight beside backends someone added meanwhile, and all of it when alone.
 */
export function trafficSplitWithoutCanary(ts: TrafficSplitLike, s: RouteServices): TrafficSplitLike {
  const backends = structuredClone(ts.spec?.backends ?? []);
  const canary = backends.filter((b) => b.service === s.canary).reduce((sum, b) => sum + (b.weight ?? 0), 0);
  const kept = backends.filter((b) => b.service !== s.canary);
  let stable = kept.find((b) => b.service === s.stable);
  if (!stable) {
    stable = { service: s.stable, weight: 0 };
    kept.unshift(stable);
  }
  stable.weight = kept.length === 1 ? 100 : (stable.weight ?? 0) + canary;
  return { ...structuredClone(ts), spec: { ...structuredClone(ts.spec), backends: kept } };
}

/** The canary's share as the split says it (undefined: neither Service is a backend). */
export function trafficSplitCanaryWeight(ts: TrafficSplitLike, s: RouteServices): number | undefined {
  const backends = ts.spec?.backends ?? [];
  if (!backends.some((b) => isOurs(b, s))) return undefined;
  const sum = (name: string) =>
    backends.filter((b) => b.service === name).reduce((n, b) => n + (b.weight ?? 0), 0);
  const stable = sum(s.stable);
  const canary = sum(s.canary);
  return stable + canary === 0 ? 0 : Math.round((canary / (stable + canary)) * 1000) / 10;
}
