// SMI TrafficSplit weights, as pure edits of the object a cluster returns.
import { describe, expect, test } from '@jest/globals';
import { UserError } from '@kubeline/runtime';
import {
  trafficSplitCanaryWeight,
  trafficSplitWithCanaryWeight,
  trafficSplitWithoutCanary,
  type TrafficSplitBackend,
  type TrafficSplitLike,
} from '../src/trafficsplit.js';

const s = { namespace: 'shop', stable: 'web', canary: 'web-canary' };

const split = (...backends: TrafficSplitBackend[]): TrafficSplitLike => ({
  apiVersion: 'split.smi-spec.io/v1alpha2',
  kind: 'TrafficSplit',
  metadata: { name: 'web', namespace: 'shop', resourceVersion: '77' },
  spec: { service: 'web-apex', backends, matches: [{ kind: 'HTTPRouteGroup', name: 'api' }] },
});
const backendsOf = (t: TrafficSplitLike) => t.spec!.backends;

describe('trafficSplitWithCanaryWeight', () => {
  test('stable alone becomes stable 90 / canary 10; the rest of the split is kept', () => {
    const t = split({ service: 'web', weight: 100 });
    const out = trafficSplitWithCanaryWeight(t, s, 10);
    expect(backendsOf(out)).toEqual([
      { service: 'web', weight: 90 },
      { service: 'web-canary', weight: 10 },
    ]);
    expect(out.metadata).toEqual(t.metadata);
    expect(out.spec!.service).toBe('web-apex');
    expect(out.spec!.matches).toEqual([{ kind: 'HTTPRouteGroup', name: 'api' }]);
    expect(backendsOf(t)).toEqual([{ service: 'web', weight: 100 }]);
  });

  test('applied again, still two backends with the new weights', () => {
    const once = trafficSplitWithCanaryWeight(split({ service: 'web', weight: 1 }), s, 5);
    expect(backendsOf(trafficSplitWithCanaryWeight(once, s, 100))).toEqual([
      { service: 'web', weight: 0 },
      { service: 'web-canary', weight: 100 },
    ]);
  });

  test('a split with another backend is refused, naming it', () => {
    const t = split({ service: 'web', weight: 90 }, { service: 'legacy', weight: 10 });
    let caught: unknown;
    try {
      trafficSplitWithCanaryWeight(t, s, 5);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toBe(
      'TrafficSplit shop/web splits traffic with legacy; kubeline weighs only a split whose backends are the stable and canary Services (web, web-canary)',
    );
    expect(() => trafficSplitWithCanaryWeight(split({ service: 'api', weight: 1 }), s, 5)).toThrow(
      'splits traffic with api',
    );
  });

  test('mangled: only the canary left, or no backends at all: stable comes back', () => {
    for (const t of [split({ service: 'web-canary', weight: 100 }), split(), { ...split(), spec: {} }])
      expect(backendsOf(trafficSplitWithCanaryWeight(t, s, 25))).toEqual([
        { service: 'web', weight: 75 },
        { service: 'web-canary', weight: 25 },
      ]);
  });
});

describe('trafficSplitWithoutCanary', () => {
  test('removes the canary and gives stable 100', () => {
    const t = trafficSplitWithCanaryWeight(split({ service: 'web', weight: 100 }), s, 50);
    const out = trafficSplitWithoutCanary(t, s);
    expect(backendsOf(out)).toEqual([{ service: 'web', weight: 100 }]);
    expect(trafficSplitCanaryWeight(out, s)).toBe(0);
    expect(out.spec!.service).toBe('web-apex');
  });

  test('mangled: stable at 0, removed, or the backends emptied: stable alone at 100', () => {
    for (const t of [
      split({ service: 'web', weight: 0 }, { service: 'web-canary', weight: 100 }),
      split({ service: 'web-canary', weight: 100 }),
      split(),
      {},
    ])
      expect(backendsOf(trafficSplitWithoutCanary(t, s))).toEqual([{ service: 'web', weight: 100 }]);
  });

  test("a backend someone added meanwhile is kept; stable takes the canary's weight", () => {
    const t = split(
      { service: 'web', weight: 60 },
      { service: 'web-canary', weight: 30 },
      { service: 'legacy', weight: 10 },
    );
    expect(backendsOf(trafficSplitWithoutCanary(t, s))).toEqual([
      { service: 'web', weight: 90 },
      { service: 'legacy', weight: 10 },
    ]);
  });
});

describe('trafficSplitCanaryWeight', () => {
  test('90/10 reads 10; relative weights read as shares', () => {
    expect(
      trafficSplitCanaryWeight(
        split({ service: 'web', weight: 90 }, { service: 'web-canary', weight: 10 }),
        s,
      ),
    ).toBe(10);
    expect(
      trafficSplitCanaryWeight(split({ service: 'web', weight: 2 }, { service: 'web-canary', weight: 1 }), s),
    ).toBe(33.3);
    expect(
      trafficSplitCanaryWeight(split({ service: 'web', weight: 0 }, { service: 'web-canary', weight: 0 }), s),
    ).toBe(0);
  });

  test('what trafficSplitWithCanaryWeight wrote reads back', () => {
    for (const w of [0, 1, 5, 33, 50, 99, 100])
      expect(trafficSplitCanaryWeight(trafficSplitWithCanaryWeight(split({ service: 'web' }), s, w), s)).toBe(
        w,
      );
  });

  test('neither Service a backend reads undefined', () => {
    expect(trafficSplitCanaryWeight(split({ service: 'api', weight: 1 }), s)).toBeUndefined();
    expect(trafficSplitCanaryWeight({}, s)).toBeUndefined();
  });
});
