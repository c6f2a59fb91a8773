// Gateway API HTTPRoute weights, as pure edits of the object a cluster returns.
import { describe, expect, test } from '@jest/globals';
import { UserError } from '@kubeline/runtime';
import {
  abRuleCount,
  canaryWeightOf,
  routeStatus,
  withAbMatches,
  withCanaryWeight,
  withoutCanary,
  type BackendRef,
  type HTTPRouteLike,
  type RouteRule,
} from '../src/httproute.js';

const s = { namespace: 'shop', stable: 'web', canary: 'web-canary' };

const route = (...rules: RouteRule[]): HTTPRouteLike => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'HTTPRoute',
  metadata: { name: 'web', namespace: 'shop', generation: 4, resourceVersion: '812' },
  spec: {
    parentRefs: [{ name: 'edge', namespace: 'gateway' }],
    hostnames: ['shop.example.com'],
    rules,
  },
});
const rule = (...backendRefs: BackendRef[]): RouteRule => ({
  matches: [{ path: { type: 'PathPrefix', value: '/' } }],
  backendRefs,
});
const refsOf = (r: HTTPRouteLike, i = 0) => r.spec!.rules![i]!.backendRefs;

/** The UserError `f` throws. */
function userError(f: () => unknown): UserError {
  let caught: unknown;
  try {
    f();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(UserError);
  return caught as UserError;
}

describe('withCanaryWeight', () => {
  test('a rule to stable on port 80 becomes stable 95 / canary 5, the canary on port 80', () => {
    const r = route(rule({ name: 'web', port: 80 }));
    const out = withCanaryWeight(r, s, 5);
    expect(refsOf(out)).toEqual([
      { name: 'web', port: 80, weight: 95 },
      { name: 'web-canary', port: 80, weight: 5 },
    ]);
    // The rest of the route and of the rule is kept; the input is not changed.
    expect(out.metadata).toEqual(r.metadata);
    expect(out.spec!.hostnames).toEqual(['shop.example.com']);
    expect(out.spec!.rules![0]!.matches).toEqual([{ path: { type: 'PathPrefix', value: '/' } }]);
    expect(refsOf(r)).toEqual([{ name: 'web', port: 80 }]);
  });

  test('applied again, the rule still has two refs, with the new weights', () => {
    const r = route(rule({ name: 'web', port: 80 }));
    const twice = withCanaryWeight(withCanaryWeight(r, s, 5), s, 25);
    expect(refsOf(twice)).toEqual([
      { name: 'web', port: 80, weight: 75 },
      { name: 'web-canary', port: 80, weight: 25 },
    ]);
    expect(refsOf(withCanaryWeight(twice, s, 100))).toEqual([
      { name: 'web', port: 80, weight: 0 },
      { name: 'web-canary', port: 80, weight: 100 },
    ]);
  });

  test("a ref's other fields (explicit kind, group, same namespace, filters) are kept", () => {
    const stable: BackendRef = {
      group: '',
      kind: 'Service',
      name: 'web',
      namespace: 'shop',
      port: 8080,
      filters: [{ type: 'RequestHeaderModifier' }],
    };
    expect(refsOf(withCanaryWeight(route(rule(stable)), s, 10))).toEqual([
      { ...stable, weight: 90 },
      { name: 'web-canary', port: 8080, weight: 10 },
    ]);
  });

  test('every rule with the stable Service is weighed; a rule for another Service is untouched', () => {
    const api = rule({ name: 'api', port: 9090 });
    const r = route(rule({ name: 'web', port: 80 }), api, rule({ name: 'web', port: 80, weight: 3 }));
    const out = withCanaryWeight(r, s, 20);
    expect(refsOf(out, 0)).toEqual([
      { name: 'web', port: 80, weight: 80 },
      { name: 'web-canary', port: 80, weight: 20 },
    ]);
    expect(out.spec!.rules![1]).toEqual(api);
    expect(refsOf(out, 2)).toEqual([
      { name: 'web', port: 80, weight: 80 },
      { name: 'web-canary', port: 80, weight: 20 },
    ]);
  });

  test('a rule that splits stable with a third backend is refused, naming it', () => {
    const r = route(rule({ name: 'web', port: 80, weight: 90 }, { name: 'legacy', port: 80, weight: 10 }));
    const err = userError(() => withCanaryWeight(r, s, 5));
    expect(err.message).toBe(
      'HTTPRoute shop/web: a rule splits Service web with legacy; kubeline weighs only rules whose backends are the stable and canary Services',
    );
  });

  test('a Service of the same name in another namespace is a third backend, not ours', () => {
    const r = route(rule({ name: 'web', port: 80 }, { name: 'web-canary', namespace: 'staging', port: 80 }));
    expect(userError(() => withCanaryWeight(r, s, 5)).message).toContain(
      'splits Service web with web-canary',
    );
  });

  test('a route without a stable backendRef is refused, naming the route and Service', () => {
    const err = userError(() => withCanaryWeight(route(rule({ name: 'api', port: 80 })), s, 5));
    expect(err.message).toBe('HTTPRoute shop/web has no rule with a backendRef to Service web');
    expect(() => withCanaryWeight(route(), s, 5)).toThrow('has no rule with a backendRef to Service web');
  });

  test('a stable Service in another namespace (or of another kind) is not ours', () => {
    const other = route(rule({ name: 'web', namespace: 'staging', port: 80 }));
    expect(() => withCanaryWeight(other, s, 5)).toThrow('has no rule with a backendRef to Service web');
    const imported = route(
      rule({ group: 'multicluster.x-k8s.io', kind: 'ServiceImport', name: 'web', port: 80 }),
    );
    expect(() => withCanaryWeight(imported, s, 5)).toThrow('has no rule with a backendRef to Service web');
  });

  test('a rule with only the canary (left broken) gets the stable ref back', () => {
    const r = route(rule({ name: 'web-canary', port: 80, weight: 1 }));
    expect(refsOf(withCanaryWeight(r, s, 5))).toEqual([
      { name: 'web', port: 80, weight: 95 },
      { name: 'web-canary', port: 80, weight: 5 },
    ]);
  });
});

describe('withoutCanary', () => {
  test('removes the canary refs and keeps stable', () => {
    const r = withCanaryWeight(route(rule({ name: 'web', port: 80 })), s, 25);
    expect(refsOf(withoutCanary(r, s))).toEqual([{ name: 'web', port: 80, weight: 75 }]);
    expect(canaryWeightOf(withoutCanary(r, s), s)).toBe(0);
  });

  test('stable at weight 0 (canary at 100) is lifted to 1 so it gets traffic', () => {
    const r = withCanaryWeight(route(rule({ name: 'web', port: 80 })), s, 100);
    expect(refsOf(withoutCanary(r, s))).toEqual([{ name: 'web', port: 80, weight: 1 }]);
  });

  test('a stable ref without a weight is given weight 1', () => {
    const r = route(rule({ name: 'web', port: 80 }, { name: 'web-canary', port: 80, weight: 10 }));
    expect(refsOf(withoutCanary(r, s))).toEqual([{ name: 'web', port: 80, weight: 1 }]);
  });

  test('a rule with only the canary ref gets stable back, on the stable port given', () => {
    const r = route(rule({ name: 'web-canary', port: 80, weight: 100 }));
    expect(refsOf(withoutCanary(r, s, 8080))).toEqual([{ name: 'web', port: 8080, weight: 1 }]);
    expect(refsOf(withoutCanary(r, s))).toEqual([{ name: 'web', weight: 1 }]);
  });

  test('rules for other Services and a same-named canary in another namespace are untouched', () => {
    const foreign: BackendRef = { name: 'web-canary', namespace: 'staging', port: 80 };
    const api = rule({ name: 'api', port: 9090 }, foreign);
    const r = route(
      rule({ name: 'web', port: 80, weight: 50 }, { name: 'web-canary', port: 80, weight: 50 }),
      api,
    );
    const out = withoutCanary(r, s);
    expect(refsOf(out, 0)).toEqual([{ name: 'web', port: 80, weight: 50 }]);
    expect(out.spec!.rules![1]).toEqual(api);
  });

  test('a route with no rule of ours is returned as it was', () => {
    const r = route(rule({ name: 'api', port: 80 }));
    expect(withoutCanary(r, s)).toEqual(r);
  });
});

describe('canaryWeightOf', () => {
  test('80/20 reads 20; the default weight of a ref is 1', () => {
    const r = route(
      rule({ name: 'web', port: 80, weight: 80 }, { name: 'web-canary', port: 80, weight: 20 }),
    );
    expect(canaryWeightOf(r, s)).toBe(20);
    expect(canaryWeightOf(route(rule({ name: 'web' }, { name: 'web-canary' })), s)).toBe(50);
    expect(
      canaryWeightOf(route(rule({ name: 'web', weight: 2 }, { name: 'web-canary', weight: 1 })), s),
    ).toBe(33.3);
  });

  test('what withCanaryWeight wrote reads back', () => {
    for (const w of [0, 1, 5, 33, 50, 99, 100])
      expect(canaryWeightOf(withCanaryWeight(route(rule({ name: 'web', port: 80 })), s, w), s)).toBe(w);
  });

  test('only stable, or both at weight 0, is 0', () => {
    expect(canaryWeightOf(route(rule({ name: 'web', port: 80 })), s)).toBe(0);
    expect(
      canaryWeightOf(route(rule({ name: 'web', weight: 0 }, { name: 'web-canary', weight: 0 })), s),
    ).toBe(0);
  });

  test('rules that disagree read NaN', () => {
    const r = route(
      rule({ name: 'web', weight: 80 }, { name: 'web-canary', weight: 20 }),
      rule({ name: 'web', weight: 95 }, { name: 'web-canary', weight: 5 }),
    );
    expect(canaryWeightOf(r, s)).toBeNaN();
  });

  test('rules that agree read their weight; other rules do not count', () => {
    const r = route(
      rule({ name: 'web', weight: 80 }, { name: 'web-canary', weight: 20 }),
      rule({ name: 'api', weight: 1 }),
      rule({ name: 'web', weight: 8 }, { name: 'web-canary', weight: 2 }),
    );
    expect(canaryWeightOf(r, s)).toBe(20);
  });

  test('no rule of ours reads undefined', () => {
    expect(canaryWeightOf(route(rule({ name: 'api' })), s)).toBeUndefined();
    expect(canaryWeightOf(route(rule({ name: 'web', namespace: 'staging' })), s)).toBeUndefined();
    expect(canaryWeightOf({}, s)).toBeUndefined();
  });
});

describe('routeStatus', () => {
  type Condition = {
    type: string;
    status: string;
    observedGeneration?: number;
    reason?: string;
    message?: string;
  };
  const withStatus = (generation: number, ...parents: Condition[][]): HTTPRouteLike => ({
    ...route(rule({ name: 'web' })),
    metadata: { name: 'web', namespace: 'shop', generation },
    status: { parents: parents.map((conditions) => ({ parentRef: { name: 'edge' }, conditions })) },
  });
  const accepted = (g: number): Condition[] => [
    { type: 'Accepted', status: 'True', observedGeneration: g, reason: 'Accepted' },
    { type: 'ResolvedRefs', status: 'True', observedGeneration: g, reason: 'ResolvedRefs' },
  ];

  test('no parents: unreported', () => {
    expect(routeStatus(route(rule({ name: 'web' })))).toEqual({ state: 'unreported' });
    expect(routeStatus({ ...route(), status: { parents: [] } })).toEqual({ state: 'unreported' });
  });

  test('conditions of an older generation: pending', () => {
    expect(routeStatus(withStatus(5, accepted(4)))).toEqual({ state: 'pending' });
    // One stale condition is enough.
    expect(routeStatus(withStatus(5, [accepted(5)[0]!, { ...accepted(4)[1]! }]))).toEqual({
      state: 'pending',
    });
    // A parent with no conditions yet.
    expect(routeStatus(withStatus(5, accepted(5), []))).toEqual({ state: 'pending' });
  });

  test('Accepted False on this generation: refused, with the reason and message', () => {
    const r = withStatus(5, [
      {
        type: 'Accepted',
        status: 'False',
        observedGeneration: 5,
        reason: 'NotAllowedByListeners',
        message: 'no listener',
      },
      { type: 'ResolvedRefs', status: 'True', observedGeneration: 5 },
    ]);
    expect(routeStatus(r)).toEqual({
      state: 'refused',
      why: 'Accepted=False (NotAllowedByListeners: no listener)',
    });
  });

  test('ResolvedRefs not True (the canary Service is missing): refused', () => {
    const r = withStatus(5, [
      { type: 'Accepted', status: 'True', observedGeneration: 5 },
      {
        type: 'ResolvedRefs',
        status: 'False',
        observedGeneration: 5,
        reason: 'BackendNotFound',
        message: 'service shop/web-canary not found',
      },
    ]);
    expect(routeStatus(r)).toEqual({
      state: 'refused',
      why: 'ResolvedRefs=False (BackendNotFound: service shop/web-canary not found)',
    });
  });

  test('a refusal by any parent counts', () => {
    const bad: Condition[] = [
      { type: 'Accepted', status: 'False', observedGeneration: 5, reason: 'NoMatchingParent' },
    ];
    expect(routeStatus(withStatus(5, accepted(5), bad)).state).toBe('refused');
  });

  test('all True on the current generation (or newer): accepted', () => {
    expect(routeStatus(withStatus(5, accepted(5)))).toEqual({ state: 'accepted' });
    expect(routeStatus(withStatus(5, accepted(5), accepted(6)))).toEqual({ state: 'accepted' });
    // Other condition types do not decide.
    const extra = [...accepted(5), { type: 'PartiallyInvalid', status: 'True', observedGeneration: 5 }];
    expect(routeStatus(withStatus(5, extra))).toEqual({ state: 'accepted' });
  });
});

describe('A/B rules', () => {
  const ab = [
    { header: 'x-canary', type: 'Exact' as const, value: 'always' },
    { header: 'Cookie', type: 'RegularExpression' as const, value: '(^|.*;\\s*)canary=always(;.*|$)' },
  ];
  const weighed = () =>
    route(
      {
        matches: [{ path: { type: 'PathPrefix', value: '/api' } }],
        filters: [{ type: 'RequestHeaderModifier' }],
        backendRefs: [{ name: 'web', port: 80 }],
      },
      {
        matches: [{ path: { type: 'PathPrefix', value: '/' } }],
        backendRefs: [{ name: 'static', port: 80 }],
      },
    );

  test('an A/B rule before each weighed rule: its matches and filters, each match also needing one header, the canary only', () => {
    const r = withAbMatches(withCanaryWeight(weighed(), s, 10), s, ab);
    const rules = r.spec!.rules!;
    expect(rules).toHaveLength(3);
    expect(rules[0]).toEqual({
      matches: [
        {
          path: { type: 'PathPrefix', value: '/api' },
          headers: [{ type: 'Exact', name: 'x-canary', value: 'always' }],
        },
        {
          path: { type: 'PathPrefix', value: '/api' },
          headers: [{ type: 'RegularExpression', name: 'Cookie', value: ab[1]!.value }],
        },
      ],
      filters: [{ type: 'RequestHeaderModifier' }],
      backendRefs: [{ name: 'web-canary', port: 80, weight: 1 }],
    });
    expect(refsOf(r, 1)).toEqual([
      { name: 'web', port: 80, weight: 90 },
      { name: 'web-canary', port: 80, weight: 10 },
    ]);
    expect(refsOf(r, 2)).toEqual([{ name: 'static', port: 80 }]);
    expect(abRuleCount(r, s)).toBe(1);
    // The A/B rule is not weighed: the route's canary weight is the weighed rule's.
    expect(canaryWeightOf(r, s)).toBe(10);
  });

  test('applied again (next step) there is still one A/B rule per weighed rule; weights move on', () => {
    const once = withAbMatches(withCanaryWeight(weighed(), s, 10), s, ab);
    const twice = withAbMatches(withCanaryWeight(once, s, 50), s, ab);
    expect(abRuleCount(twice, s)).toBe(1);
    expect(twice.spec!.rules).toHaveLength(3);
    expect(canaryWeightOf(twice, s)).toBe(50);
  });

  test('the reset removes the A/B rules with the canary refs', () => {
    const r = withoutCanary(withAbMatches(withCanaryWeight(weighed(), s, 10), s, ab), s, 80);
    expect(abRuleCount(r, s)).toBe(0);
    expect(r.spec!.rules).toHaveLength(2);
    expect(refsOf(r, 0)).toEqual([{ name: 'web', port: 80, weight: 90 }]);
  });

  test('a rule without matches gets the whole path under its A/B rule', () => {
    const r = withAbMatches(
      withCanaryWeight(route({ backendRefs: [{ name: 'web', port: 80 }] }), s, 0),
      s,
      ab.slice(0, 1),
    );
    expect(r.spec!.rules![0]!.matches).toEqual([
      {
        path: { type: 'PathPrefix', value: '/' },
        headers: [{ type: 'Exact', name: 'x-canary', value: 'always' }],
      },
    ]);
  });
});
