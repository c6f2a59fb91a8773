// Istio VirtualService weights, as pure edits of the object a cluster returns.
import { describe, expect, test } from '@jest/globals';
import { UserError } from '@kubeline/runtime';
import {
  hostSuffix,
  virtualServiceCanaryWeight,
  virtualServiceWithCanaryWeight,
  virtualServiceWithoutCanary,
  type IstioHTTPRoute,
  type RouteDestination,
  type VirtualServiceLike,
} from '../src/virtualservice.js';

const s = { namespace: 'shop', stable: 'web', canary: 'web-canary' };

const vs = (...http: IstioHTTPRoute[]): VirtualServiceLike => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: 'web', namespace: 'shop', generation: 3, resourceVersion: '911' },
  spec: { hosts: ['shop.example.com'], gateways: ['edge'], http },
});
const http = (...route: RouteDestination[]): IstioHTTPRoute => ({
  match: [{ uri: { prefix: '/' } }],
  route,
});
const to = (host: string, extra: Partial<RouteDestination> = {}, port?: number): RouteDestination => ({
  destination: { host, ...(port !== undefined ? { port: { number: port } } : {}) },
  ...extra,
});
const routeOf = (v: VirtualServiceLike, i = 0) => v.spec!.http![i]!.route;

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

describe('hostSuffix', () => {
  test('the short name and the namespace-qualified forms name the Service', () => {
    expect(hostSuffix('web', 'web', 'shop')).toBe('');
    expect(hostSuffix('web.shop', 'web', 'shop')).toBe('.shop');
    expect(hostSuffix('web.shop.svc', 'web', 'shop')).toBe('.shop.svc');
    expect(hostSuffix('web.shop.svc.cluster.local', 'web', 'shop')).toBe('.shop.svc.cluster.local');
    expect(hostSuffix('web.shop.svc.corp.example', 'web', 'shop')).toBe('.shop.svc.corp.example');
  });

  test('another namespace, another Service or an external host does not', () => {
    expect(hostSuffix('web.staging.svc.cluster.local', 'web', 'shop')).toBeUndefined();
    expect(hostSuffix('web-canary', 'web', 'shop')).toBeUndefined();
    expect(hostSuffix('web.shop.example.com', 'web', 'shop')).toBeUndefined();
    expect(hostSuffix('web.shop.svc.', 'web', 'shop')).toBeUndefined();
    expect(hostSuffix('web.shopping', 'web', 'shop')).toBeUndefined();
  });
});

describe('virtualServiceWithCanaryWeight', () => {
  test('a route to stable on port 80 becomes stable 90 / canary 10, the canary on port 80', () => {
    const v = vs(http(to('web', {}, 80)));
    const out = virtualServiceWithCanaryWeight(v, s, 10);
    expect(routeOf(out)).toEqual([
      { destination: { host: 'web', port: { number: 80 } }, weight: 90 },
      { destination: { host: 'web-canary', port: { number: 80 } }, weight: 10 },
    ]);
    // The rest of the object and of the route is kept; the input is not changed.
    expect(out.metadata).toEqual(v.metadata);
    expect(out.spec!.gateways).toEqual(['edge']);
    expect(out.spec!.http![0]!.match).toEqual([{ uri: { prefix: '/' } }]);
    expect(routeOf(v)).toEqual([to('web', {}, 80)]);
  });

  test('the canary host takes the stable host form; the weights always sum to 100', () => {
    const v = vs(http(to('web.shop.svc.cluster.local')));
    for (const w of [0, 1, 50, 99, 100]) {
      const r = routeOf(virtualServiceWithCanaryWeight(v, s, w))!;
      expect(r.map((d) => d.destination.host)).toEqual([
        'web.shop.svc.cluster.local',
        'web-canary.shop.svc.cluster.local',
      ]);
      expect(r[0]!.weight! + r[1]!.weight!).toBe(100);
      expect(r[1]!.weight).toBe(w);
    }
  });

  test("applied again, still two destinations; stable's subset and headers are kept, not given to the canary", () => {
    const stable = to('web', { headers: { response: { set: { 'x-track': 'stable' } } } }, 8080);
    stable.destination.subset = 'v1';
    const once = virtualServiceWithCanaryWeight(vs(http(stable)), s, 5);
    const twice = virtualServiceWithCanaryWeight(once, s, 25);
    expect(routeOf(twice)).toEqual([
      { ...stable, destination: { ...stable.destination }, weight: 75 },
      { destination: { host: 'web-canary', port: { number: 8080 } }, weight: 25 },
    ]);
  });

  test('every route to stable is weighed; a route for another Service, or a delegate, is untouched', () => {
    const api = http(to('api', {}, 9090));
    const delegate: IstioHTTPRoute = { delegate: { name: 'docs' } };
    const v = vs(http(to('web', {}, 80)), api, delegate, http(to('web.shop', { weight: 100 }, 80)));
    const out = virtualServiceWithCanaryWeight(v, s, 20);
    expect(routeOf(out, 0)!.map((d) => d.weight)).toEqual([80, 20]);
    expect(out.spec!.http![1]).toEqual(api);
    expect(out.spec!.http![2]).toEqual(delegate);
    expect(routeOf(out, 3)).toEqual([
      { destination: { host: 'web.shop', port: { number: 80 } }, weight: 80 },
      { destination: { host: 'web-canary.shop', port: { number: 80 } }, weight: 20 },
    ]);
  });

  test('a route that splits stable with a third destination is refused, naming it', () => {
    const v = vs(http(to('api')), {
      ...http(to('web', { weight: 90 }), to('legacy.shop.svc.cluster.local', { weight: 10 })),
      name: 'main',
    });
    expect(userError(() => virtualServiceWithCanaryWeight(v, s, 5)).message).toBe(
      'VirtualService shop/web: http[1] (main) splits Service web with legacy.shop.svc.cluster.local; kubeline weighs only http routes whose destinations are the stable and canary Services',
    );
  });

  test('a same-named canary in another namespace is a third destination, not ours', () => {
    const v = vs(http(to('web', { weight: 90 }), to('web-canary.staging.svc.cluster.local', { weight: 10 })));
    expect(userError(() => virtualServiceWithCanaryWeight(v, s, 5)).message).toContain(
      'splits Service web with web-canary.staging.svc.cluster.local',
    );
  });

  test('stable split between two subsets is refused, naming them', () => {
    const v1 = to('web', { weight: 50 });
    v1.destination.subset = 'v1';
    const v2 = to('web', { weight: 50 });
    v2.destination.subset = 'v2';
    expect(userError(() => virtualServiceWithCanaryWeight(vs(http(v1, v2)), s, 5)).message).toBe(
      'VirtualService shop/web: http[0] sends Service web to 2 destinations (subsets v1, v2); kubeline weighs one stable destination against the canary',
    );
  });

  test('no route to stable is refused, naming the VirtualService and the Service', () => {
    const err = userError(() => virtualServiceWithCanaryWeight(vs(http(to('api'))), s, 5));
    expect(err.message).toBe('VirtualService shop/web has no http route with a destination to Service web');
    expect(() => virtualServiceWithCanaryWeight({ metadata: {} }, s, 5)).toThrow('has no http route');
    expect(() => virtualServiceWithCanaryWeight(vs(http(to('web.staging'))), s, 5)).toThrow(
      'has no http route',
    );
  });

  test('mangled: a route with only the canary left gets stable back, in the canary host form', () => {
    const v = vs(http(to('web-canary.shop.svc.cluster.local', { weight: 100 }, 80)));
    expect(routeOf(virtualServiceWithCanaryWeight(v, s, 5))).toEqual([
      { destination: { host: 'web.shop.svc.cluster.local', port: { number: 80 } }, weight: 95 },
      { destination: { host: 'web-canary.shop.svc.cluster.local', port: { number: 80 } }, weight: 5 },
    ]);
  });

  test('mangled: duplicate canary destinations collapse to one', () => {
    const v = vs(
      http(to('web', { weight: 40 }), to('web-canary', { weight: 30 }), to('web-canary', { weight: 30 })),
    );
    expect(routeOf(virtualServiceWithCanaryWeight(v, s, 10))).toEqual([
      { destination: { host: 'web' }, weight: 90 },
      { destination: { host: 'web-canary' }, weight: 10 },
    ]);
  });
});

describe('virtualServiceWithoutCanary', () => {
  test('removes the canary and gives stable 100', () => {
    const v = virtualServiceWithCanaryWeight(vs(http(to('web', {}, 80))), s, 25);
    const out = virtualServiceWithoutCanary(v, s);
    expect(routeOf(out)).toEqual([{ destination: { host: 'web', port: { number: 80 } }, weight: 100 }]);
    expect(virtualServiceCanaryWeight(out, s)).toBe(0);
  });

  test('mangled: canary at 100 and stable at 0 lands on stable 100', () => {
    const v = vs(http(to('web', { weight: 0 }), to('web-canary', { weight: 100 })));
    expect(routeOf(virtualServiceWithoutCanary(v, s))).toEqual([
      { destination: { host: 'web' }, weight: 100 },
    ]);
  });

  test('mangled: stable removed, canary alone: stable comes back on the stable port, in the canary host form', () => {
    const v = vs(http(to('web-canary.shop.svc.cluster.local', { weight: 100 }, 80)));
    expect(routeOf(virtualServiceWithoutCanary(v, s, 8080))).toEqual([
      { destination: { host: 'web.shop.svc.cluster.local', port: { number: 8080 } }, weight: 100 },
    ]);
    expect(routeOf(virtualServiceWithoutCanary(v, s))).toEqual([
      { destination: { host: 'web.shop.svc.cluster.local' }, weight: 100 },
    ]);
  });

  test('a destination someone added meanwhile is kept; stable takes the rest of 100', () => {
    const v = vs(
      http(to('web', { weight: 40 }), to('web-canary', { weight: 50 }), to('legacy', { weight: 10 })),
    );
    expect(routeOf(virtualServiceWithoutCanary(v, s))).toEqual([
      { destination: { host: 'web' }, weight: 90 },
      { destination: { host: 'legacy' }, weight: 10 },
    ]);
  });

  test('routes for other Services, and a VirtualService with none of ours, are untouched', () => {
    const api = http(to('api'), to('web-canary.staging'));
    const v = vs(http(to('web', { weight: 50 }), to('web-canary', { weight: 50 })), api);
    const out = virtualServiceWithoutCanary(v, s);
    expect(out.spec!.http![1]).toEqual(api);
    const none = vs(http(to('api')));
    expect(virtualServiceWithoutCanary(none, s)).toEqual(none);
    expect(virtualServiceWithoutCanary({}, s)).toEqual({});
  });
});

describe('virtualServiceCanaryWeight', () => {
  test('90/10 reads 10; a lone stable destination without a weight reads 0', () => {
    expect(
      virtualServiceCanaryWeight(vs(http(to('web', { weight: 90 }), to('web-canary', { weight: 10 }))), s),
    ).toBe(10);
    expect(virtualServiceCanaryWeight(vs(http(to('web'))), s)).toBe(0);
    // A lone canary destination takes everything.
    expect(virtualServiceCanaryWeight(vs(http(to('web-canary'))), s)).toBe(100);
  });

  test('what virtualServiceWithCanaryWeight wrote reads back', () => {
    for (const w of [0, 1, 5, 33, 50, 99, 100])
      expect(virtualServiceCanaryWeight(virtualServiceWithCanaryWeight(vs(http(to('web'))), s, w), s)).toBe(
        w,
      );
  });

  test('routes that disagree read NaN; no route of ours reads undefined', () => {
    const v = vs(
      http(to('web', { weight: 80 }), to('web-canary', { weight: 20 })),
      http(to('web', { weight: 95 }), to('web-canary', { weight: 5 })),
    );
    expect(virtualServiceCanaryWeight(v, s)).toBeNaN();
    expect(virtualServiceCanaryWeight(vs(http(to('api'))), s)).toBeUndefined();
    expect(virtualServiceCanaryWeight({}, s)).toBeUndefined();
  });
});
