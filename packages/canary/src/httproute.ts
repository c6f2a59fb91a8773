// Gateway API HTTPRoute weights (pure). The canary's share is the weight pair of the stable and
// canary backendRefs in every rule that sends traffic to the stable Service. Gateway API weights
// are proportional and 0 means no traffic, so stable = 100 − w and canary = w.
import { UserError } from '@kubeline/runtime';

export interface BackendRef {
  group?: string;
  kind?: string;
  name: string;
  namespace?: string;
  port?: number;
  weight?: number;
  [k: string]: unknown;
}

export interface RouteRule {
  backendRefs?: BackendRef[];
  [k: string]: unknown;
}

export interface HTTPRouteLike {
  apiVersion?: string;
  kind?: string;
  metadata?: { name?: string; namespace?: string; generation?: number; resourceVersion?: string };
  spec?: { rules?: RouteRule[]; [k: string]: unknown };
  status?: {
    parents?: Array<{
      conditions?: Array<{
        type: string;
        status: string;
        observedGeneration?: number;
        reason?: string;
        message?: string;
      }>;
      parentRef?: { name?: string };
    }>;
  };
}

export interface RouteServices {
  namespace: string;
  stable: string;
  canary: string;
}

const isService = (ref: BackendRef, name: string, namespace: string) =>
  ref.name === name &&
  (ref.group ?? '') === '' &&
  (ref.kind ?? 'Service') === 'Service' &&
  (ref.namespace ?? namespace) === namespace;

const routeName = (r: HTTPRouteLike) => `HTTPRoute ${r.metadata?.namespace}/${r.metadata?.name}`;

/** A header the canary always gets (A/B): exact, or a regular expression (cookies). */
export interface AbMatch {
  header: string;
  type: 'Exact' | 'RegularExpression';
  value: string;
}

interface HeaderMatch {
  headers?: Array<{ name: string; value: string; type?: string }>;
  [k: string]: unknown;
}

/** kubeline's A/B rule: header matches, and the canary Service as its only backend. */
function isAbRule(rule: RouteRule, s: RouteServices): boolean {
  const refs = rule.backendRefs ?? [];
  const matches = (rule.matches ?? []) as HeaderMatch[];
  return (
    refs.length === 1 &&
    isService(refs[0]!, s.canary, s.namespace) &&
    matches.some((m) => (m.headers ?? []).length > 0)
  );
}

/** The rules kubeline weighs: those with a stable backendRef (or, broken, a canary one). */
function managedRules(route: HTTPRouteLike, s: RouteServices): RouteRule[] {
  return (route.spec?.rules ?? []).filter(
    (rule) =>
      !isAbRule(rule, s) &&
      (rule.backendRefs ?? []).some(
        (b) => isService(b, s.stable, s.namespace) || isService(b, s.canary, s.namespace),
      ),
  );
}

/**
 * The route with an A/B rule before each weighed rule: the same matches and filters, each match
 * also requiring one of `ab`, and the canary as its only backend. More header matches take
 * precedence in Gateway API, so matched requests reach the canary whatever the weights.
 */
export function withAbMatches(route: HTTPRouteLike, s: RouteServices, ab: AbMatch[]): HTTPRouteLike {
  const copy = structuredClone(route);
  const rules = (copy.spec?.rules ?? []).filter((r) => !isAbRule(r, s));
  if (!ab.length) return { ...copy, spec: { ...copy.spec, rules } };
  const out: RouteRule[] = [];
  for (const rule of rules) {
    if (managedRules({ spec: { rules: [rule] } }, s).length) out.push(abRuleFor(rule, s, ab));
    out.push(rule);
  }
  return { ...copy, spec: { ...copy.spec, rules: out } };
}

function abRuleFor(rule: RouteRule, s: RouteServices, ab: AbMatch[]): RouteRule {
  const base = (
    (rule.matches as HeaderMatch[] | undefined)?.length
      ? rule.matches
      : [{ path: { type: 'PathPrefix', value: '/' } }]
  ) as HeaderMatch[];
  const matches = base.flatMap((m) =>
    ab.map((a) => ({
      ...m,
      headers: [...(m.headers ?? []), { type: a.type, name: a.header, value: a.value }],
    })),
  );
  const stable = (rule.backendRefs ?? []).find((b) => isService(b, s.stable, s.namespace));
  const { backendRefs: _refs, ...rest } = rule;
  return {
    ...rest,
    matches,
    backendRefs: [
      { name: s.canary, ...(stable?.port !== undefined ? { port: stable.port } : {}), weight: 1 },
    ],
  };
}

/** How many A/B rules the route has (read back after a write). */
export function abRuleCount(route: HTTPRouteLike, s: RouteServices): number {
  return (route.spec?.rules ?? []).filter((r) => isAbRule(r, s)).length;
}

/** The route with the canary at `weight` percent; refuses a rule that splits with other backends. */
export function withCanaryWeight(route: HTTPRouteLike, s: RouteServices, weight: number): HTTPRouteLike {
  const copy = structuredClone(route);
  const rules = managedRules(copy, s);
  if (!rules.length)
    throw new UserError(`${routeName(route)} has no rule with a backendRef to Service ${s.stable}`);
  for (const rule of rules) {
    const refs = rule.backendRefs!;
    const others = refs.filter(
      (b) => !isService(b, s.stable, s.namespace) && !isService(b, s.canary, s.namespace),
    );
    if (others.length)
      throw new UserError(
        `${routeName(route)}: a rule splits Service ${s.stable} with ${others.map((b) => b.name).join(', ')}; kubeline weighs only rules whose backends are the stable and canary Services`,
      );
    const stable = refs.find((b) => isService(b, s.stable, s.namespace));
    const canary = refs.find((b) => isService(b, s.canary, s.namespace));
    const port = stable?.port ?? canary?.port;
    rule.backendRefs = [
      { ...(stable ?? { name: s.stable }), ...(port !== undefined ? { port } : {}), weight: 100 - weight },
      { ...(canary ?? { name: s.canary }), ...(port !== undefined ? { port } : {}), weight },
    ];
  }
  return copy;
}

/** All traffic to stable and the canary's backendRefs gone: the route as it was before the canary. */
export function withoutCanary(route: HTTPRouteLike, s: RouteServices, stablePort?: number): HTTPRouteLike {
  const copy = withAbMatches(route, s, []);
  for (const rule of managedRules(copy, s)) {
    const refs = rule.backendRefs!.filter((b) => !isService(b, s.canary, s.namespace));
    const stable = refs.find((b) => isService(b, s.stable, s.namespace));
    if (stable) stable.weight = Math.max(1, stable.weight ?? 1);
    else refs.push({ name: s.stable, ...(stablePort !== undefined ? { port: stablePort } : {}), weight: 1 });
    rule.backendRefs = refs;
  }
  return copy;
}

/** The canary's share as the route says it (undefined: no managed rule); rules must agree. */
export function canaryWeightOf(route: HTTPRouteLike, s: RouteServices): number | undefined {
  const shares = managedRules(route, s).map((rule) => {
    let stable = 0;
    let canary = 0;
    for (const b of rule.backendRefs ?? []) {
      const w = b.weight ?? 1;
      if (isService(b, s.stable, s.namespace)) stable += w;
      else if (isService(b, s.canary, s.namespace)) canary += w;
    }
    return stable + canary === 0 ? 0 : Math.round((canary / (stable + canary)) * 1000) / 10;
  });
  if (!shares.length) return undefined;
  return shares.every((x) => x === shares[0]) ? shares[0] : Number.NaN;
}

/**
 * What the route's controller says of this generation: accepted, refused (with why), or not yet
 * (undefined). A route no controller reports on at all is `unreported`.
 */
export function routeStatus(route: HTTPRouteLike): {
  state: 'accepted' | 'refused' | 'pending' | 'unreported';
  why?: string;
} {
  const parents = route.status?.parents ?? [];
  if (!parents.length) return { state: 'unreported' };
  const generation = route.metadata?.generation ?? 0;
  for (const p of parents) {
    const conditions = p.conditions ?? [];
    const current = conditions.filter((c) => (c.observedGeneration ?? 0) >= generation);
    if (current.length < conditions.length || !conditions.length) return { state: 'pending' };
    const bad = current.find(
      (c) => (c.type === 'Accepted' || c.type === 'ResolvedRefs') && c.status !== 'True',
    );
    if (bad)
      return {
        state: 'refused',
        why: `${bad.type}=${bad.status} (${bad.reason ?? ''}: ${bad.message ?? ''})`,
      };
  }
  return { state: 'accepted' };
}
