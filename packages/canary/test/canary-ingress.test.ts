// The ingress-nginx canary Ingress, made from the primary as a pure function.
import { describe, expect, test } from '@jest/globals';
import { UserError } from '@kubeline/runtime';
import type { V1Ingress } from '@kubernetes/client-node';
import {
  canaryIngress,
  canaryIngressName,
  canaryIngressWeight,
  isCanaryIngressOf,
} from '../src/canary-ingress.js';

const s = { namespace: 'shop', stable: 'web', canary: 'web-canary' };

const path = (service: string, port: { number?: number; name?: string }, p = '/') => ({
  path: p,
  pathType: 'Prefix',
  backend: { service: { name: service, port } },
});

const primary = (): V1Ingress => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'Ingress',
  metadata: {
    name: 'web',
    namespace: 'shop',
    resourceVersion: '500',
    uid: 'u-1',
    labels: { 'app.kubernetes.io/instance': 'shop', 'app.kubernetes.io/managed-by': 'Helm' },
    annotations: {
      'kubernetes.io/ingress.class': 'nginx',
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/canary-weight': '7',
      'meta.helm.sh/release-name': 'shop',
      'kubectl.kubernetes.io/last-applied-configuration': '{}',
    },
  },
  spec: {
    ingressClassName: 'nginx',
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
    rules: [
      {
        host: 'shop.example.com',
        http: { paths: [path('web', { number: 80 }), path('api', { number: 9090 }, '/api')] },
      },
      { host: 'admin.example.com', http: { paths: [path('admin', { number: 80 })] } },
      { host: 'www.example.com', http: { paths: [path('web', { name: 'http' }, '/shop')] } },
    ],
  },
});

describe('canaryIngress', () => {
  test("the primary's hosts, TLS and paths to stable, pointed at the canary Service on the same port", () => {
    const out = canaryIngress(primary(), s, 10);
    expect(out.metadata!.name).toBe('web-canary');
    expect(out.metadata!.namespace).toBe('shop');
    expect(out.spec).toEqual({
      ingressClassName: 'nginx',
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      rules: [
        { host: 'shop.example.com', http: { paths: [path('web-canary', { number: 80 })] } },
        { host: 'www.example.com', http: { paths: [path('web-canary', { name: 'http' }, '/shop')] } },
      ],
    });
  });

  test('marked canary with the weight out of 100; only the class and nginx annotations come along', () => {
    const out = canaryIngress(primary(), s, 25);
    expect(out.metadata!.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'nginx.ingress.kubernetes.io/affinity': 'cookie',
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '25',
      'nginx.ingress.kubernetes.io/canary-weight-total': '100',
    });
    // Labelled as kubeline's; none of the primary's labels, so Helm or Argo CD do not claim it.
    expect(out.metadata!.labels).toEqual({
      'app.kubernetes.io/managed-by': 'kubeline',
      'kubeline.dev/canary-of': 'web',
    });
    expect(isCanaryIngressOf(out, 'web')).toBe(true);
    expect(isCanaryIngressOf(out, 'shop')).toBe(false);
    expect(isCanaryIngressOf(primary(), 'web')).toBe(false);
  });

  test('the primary is not changed', () => {
    const p = primary();
    canaryIngress(p, s, 50);
    expect(p).toEqual(primary());
  });

  test('a primary without a path to stable is refused, naming it and the Service', () => {
    const p = primary();
    p.spec!.rules = [p.spec!.rules![1]!];
    expect(() => canaryIngress(p, s, 5)).toThrow(UserError);
    expect(() => canaryIngress(p, s, 5)).toThrow(
      'Ingress shop/web has no path with a backend to Service web',
    );
    expect(() => canaryIngress({ metadata: { name: 'web', namespace: 'shop' } }, s, 5)).toThrow(
      'has no path with a backend to Service web',
    );
  });

  test('a "primary" that is itself a canary Ingress is refused', () => {
    const p = primary();
    p.metadata!.annotations!['nginx.ingress.kubernetes.io/canary'] = 'true';
    expect(() => canaryIngress(p, s, 5)).toThrow(
      'Ingress shop/web is itself a canary Ingress; name the primary Ingress of the host in input "route"',
    );
  });

  test('the name is the route with -canary', () => {
    expect(canaryIngressName('web')).toBe('web-canary');
  });
});

describe('canaryIngressWeight', () => {
  test('what canaryIngress wrote reads back; none is 0', () => {
    for (const w of [0, 1, 10, 50, 100]) expect(canaryIngressWeight(canaryIngress(primary(), s, w))).toBe(w);
    expect(canaryIngressWeight(undefined)).toBe(0);
  });

  test('another total reads as a share; above the total is all of it', () => {
    const at = (annotations: Record<string, string>): V1Ingress => ({
      metadata: { annotations: { 'nginx.ingress.kubernetes.io/canary': 'true', ...annotations } },
    });
    expect(
      canaryIngressWeight(
        at({
          'nginx.ingress.kubernetes.io/canary-weight': '1',
          'nginx.ingress.kubernetes.io/canary-weight-total': '3',
        }),
      ),
    ).toBe(33.3);
    expect(canaryIngressWeight(at({ 'nginx.ingress.kubernetes.io/canary-weight': '300' }))).toBe(100);
    expect(canaryIngressWeight(at({}))).toBe(0);
  });

  test('mangled: not marked canary, or a weight that is not a whole number, reads NaN', () => {
    const c = canaryIngress(primary(), s, 10);
    c.metadata!.annotations!['nginx.ingress.kubernetes.io/canary'] = 'false';
    expect(canaryIngressWeight(c)).toBeNaN();
    const bad = canaryIngress(primary(), s, 10);
    bad.metadata!.annotations!['nginx.ingress.kubernetes.io/canary-weight'] = 'ten';
    expect(canaryIngressWeight(bad)).toBeNaN();
    bad.metadata!.annotations!['nginx.ingress.kubernetes.io/canary-weight'] = '-5';
    expect(canaryIngressWeight(bad)).toBeNaN();
  });
});
