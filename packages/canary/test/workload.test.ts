// The canary workload made from the stable one (pure), and the pod-share router's replica count.
import { describe, expect, test } from '@jest/globals';
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { UserError } from '@kubeline/runtime';
import { PodShareRouter } from '../src/router.js';
import {
  CANARY_OF,
  CANARY_RUN,
  CREATED_FOR,
  TRACK,
  canaryDeployment,
  canaryName,
  canarySelector,
  canaryService,
  chooseContainer,
} from '../src/workload.js';

/** A stable Deployment as Helm installs it and the API server returns it. */
const stable = (): V1Deployment => ({
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: {
    name: 'web',
    namespace: 'shop',
    uid: '0b6f5c8e-5d1c-4a53-9a39-1f1e7c3f6a11',
    resourceVersion: '48213',
    generation: 7,
    creationTimestamp: new Date('2026-11-02T09:00:00Z'),
    labels: {
      app: 'web',
      'app.kubernetes.io/name': 'web',
      'app.kubernetes.io/instance': 'shop',
      'app.kubernetes.io/managed-by': 'Helm',
      'helm.sh/chart': 'web-1.4.0',
    },
    annotations: {
      'deployment.kubernetes.io/revision': '7',
      'meta.helm.sh/release-name': 'shop',
      'meta.helm.sh/release-namespace': 'shop',
    },
  },
  spec: {
    replicas: 4,
    revisionHistoryLimit: 5,
    selector: { matchLabels: { app: 'web', 'app.kubernetes.io/instance': 'shop' } },
    strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: 0 } },
    template: {
      metadata: {
        labels: {
          app: 'web',
          'app.kubernetes.io/name': 'web',
          'app.kubernetes.io/instance': 'shop',
          'helm.sh/chart': 'web-1.4.0',
        },
        annotations: { 'checksum/config': 'abc123' },
      },
      spec: {
        containers: [
          {
            name: 'web',
            image: 'ghcr.io/acme/web:1.3.0',
            ports: [{ name: 'http', containerPort: 8080 }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http' } },
          },
          { name: 'log-shipper', image: 'docker.io/fluent/fluent-bit:3.1@sha256:' + 'a'.repeat(64) },
        ],
        serviceAccountName: 'web',
      },
    },
  },
  status: { replicas: 4, readyReplicas: 4, observedGeneration: 7 },
});

const NEW = 'ghcr.io/acme/web@sha256:' + 'b'.repeat(64);
const make = (separate: boolean, d = stable()) =>
  canaryDeployment(d, { container: 'web', image: NEW, run: 'gh-1234-1', separate });

describe('canaryDeployment', () => {
  test('named <stable>-canary, in the same namespace, at 0 replicas', () => {
    const c = make(true);
    expect(c.apiVersion).toBe('apps/v1');
    expect(c.kind).toBe('Deployment');
    expect(c.metadata!.name).toBe('web-canary');
    expect(c.metadata!.namespace).toBe('shop');
    expect(c.spec!.replicas).toBe(0);
  });

  test('separate: every label value gets -canary (any Service selector of stable misses the pods), plus the track label', () => {
    const c = make(true);
    const selector = { app: 'web-canary', 'app.kubernetes.io/instance': 'shop-canary', [TRACK]: 'canary' };
    expect(c.spec!.selector).toEqual({ matchLabels: selector });
    expect(c.spec!.template.metadata!.labels).toEqual({
      app: 'web-canary',
      'app.kubernetes.io/name': 'web-canary',
      'app.kubernetes.io/instance': 'shop-canary',
      'helm.sh/chart': 'web-1.4.0-canary',
      [TRACK]: 'canary',
    });
    // The stable selector does not select the canary's pods.
    const podLabels = c.spec!.template.metadata!.labels!;
    const stableSelector = stable().spec!.selector.matchLabels!;
    expect(Object.entries(stableSelector).every(([k, v]) => podLabels[k] === v)).toBe(false);
    // The canary's own selector does.
    expect(Object.entries(selector).every(([k, v]) => podLabels[k] === v)).toBe(true);
  });

  test('not separate (pods router): stable labels kept, the track label added', () => {
    const c = make(false);
    expect(c.spec!.selector).toEqual({
      matchLabels: { app: 'web', 'app.kubernetes.io/instance': 'shop', [TRACK]: 'canary' },
    });
    expect(c.spec!.template.metadata!.labels).toEqual({
      ...stable().spec!.template.metadata!.labels,
      [TRACK]: 'canary',
    });
    // The stable Service's selector (the Deployment's) selects the canary's pods too.
    const podLabels = c.spec!.template.metadata!.labels!;
    expect(Object.entries(stable().spec!.selector.matchLabels!).every(([k, v]) => podLabels[k] === v)).toBe(
      true,
    );
  });

  test('only the chosen container runs the new image; the rest of the pod is stable', () => {
    const c = make(true);
    const [web, shipper] = c.spec!.template.spec!.containers;
    expect(web!.image).toBe(NEW);
    expect(web!.ports).toEqual([{ name: 'http', containerPort: 8080 }]);
    expect(web!.readinessProbe).toEqual({ httpGet: { path: '/healthz', port: 'http' } });
    expect(shipper).toEqual(stable().spec!.template.spec!.containers[1]);
    expect(c.spec!.template.spec!.serviceAccountName).toBe('web');
    expect(c.spec!.template.metadata!.annotations).toEqual({ 'checksum/config': 'abc123' });
    const other = canaryDeployment(stable(), {
      container: 'log-shipper',
      image: 'x/y:2',
      run: 'r',
      separate: true,
    });
    expect(other.spec!.template.spec!.containers.map((x) => x.image)).toEqual([
      'ghcr.io/acme/web:1.3.0',
      'x/y:2',
    ]);
  });

  test('the spec is copied (strategy, history), never the identity or status of stable', () => {
    const c = make(true);
    expect(c.spec!.strategy).toEqual(stable().spec!.strategy);
    expect(c.spec!.revisionHistoryLimit).toBe(5);
    expect(c.metadata!.uid).toBeUndefined();
    expect(c.metadata!.resourceVersion).toBeUndefined();
    expect(c.metadata!.generation).toBeUndefined();
    expect(c.metadata!.creationTimestamp).toBeUndefined();
    expect(c.status).toBeUndefined();
    expect(JSON.stringify(c)).not.toContain('48213');
    expect(JSON.stringify(c)).not.toContain('0b6f5c8e');
  });

  test('labelled as kubeline-managed canary of stable, annotated with the run; Helm ownership not claimed', () => {
    const c = make(true);
    expect(c.metadata!.labels).toEqual({
      app: 'web',
      'app.kubernetes.io/name': 'web',
      'app.kubernetes.io/instance': 'shop',
      'helm.sh/chart': 'web-1.4.0',
      'app.kubernetes.io/managed-by': 'kubeline',
      [CANARY_OF]: 'web',
    });
    expect(c.metadata!.annotations).toEqual({ [CANARY_OF]: 'web', [CANARY_RUN]: 'gh-1234-1' });
  });

  test('stable is not changed', () => {
    const d = stable();
    make(true, d);
    make(false, d);
    expect(d).toEqual(stable());
  });

  test('a long name or label value stays within 63 characters', () => {
    const long = 'w'.repeat(63);
    const d = stable();
    d.metadata!.name = long;
    d.spec!.selector.matchLabels = { app: long };
    d.spec!.template.metadata!.labels = { app: long };
    const c = make(true, d);
    expect(c.metadata!.name).toBe(`${'w'.repeat(56)}-canary`);
    expect(c.metadata!.name!.length).toBe(63);
    expect(c.spec!.selector.matchLabels!.app!.length).toBeLessThanOrEqual(63);
    expect(canaryName('web')).toBe('web-canary');
  });
});

describe('canarySelector', () => {
  test('the stable selector keys and the track label, with canary values', () => {
    expect(canarySelector(stable(), true)).toEqual({
      app: 'web-canary',
      'app.kubernetes.io/instance': 'shop-canary',
      [TRACK]: 'canary',
    });
    expect(canarySelector(stable(), false)).toEqual({
      app: 'web',
      'app.kubernetes.io/instance': 'shop',
      [TRACK]: 'canary',
    });
  });

  test('it is what the canary Deployment selects', () => {
    for (const separate of [true, false])
      expect(make(separate).spec!.selector.matchLabels).toEqual(canarySelector(stable(), separate));
  });
});

describe('canaryService', () => {
  const svc: V1Service = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: { name: 'web', namespace: 'shop', uid: 'u-1', resourceVersion: '99', labels: { app: 'web' } },
    spec: {
      type: 'NodePort',
      clusterIP: '10.96.12.7',
      clusterIPs: ['10.96.12.7'],
      selector: { app: 'web', 'app.kubernetes.io/instance': 'shop' },
      ports: [
        { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 },
        { name: 'grpc', port: 9090, targetPort: 9090, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
      ],
    },
  };

  test("stable's ports, the canary's selector, ClusterIP, annotated as created for the canary", () => {
    const selector = canarySelector(stable(), true);
    expect(canaryService(svc, 'web-canary', selector, 'web')).toEqual({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: {
        name: 'web-canary',
        namespace: 'shop',
        labels: { 'app.kubernetes.io/managed-by': 'kubeline', [CANARY_OF]: 'web' },
        annotations: { [CREATED_FOR]: 'web' },
      },
      spec: {
        type: 'ClusterIP',
        selector,
        ports: [
          { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', appProtocol: undefined },
          { name: 'grpc', port: 9090, targetPort: 9090, protocol: 'TCP', appProtocol: 'kubernetes.io/h2c' },
        ],
      },
    });
  });

  test('no cluster IP or node port of stable is carried over', () => {
    const out = JSON.stringify(canaryService(svc, 'web-canary', {}, 'web'));
    expect(out).not.toContain('10.96.12.7');
    expect(out).not.toContain('30080');
    expect(out).not.toContain('"99"');
  });
});

describe('chooseContainer', () => {
  test('by name', () => {
    expect(chooseContainer(stable(), 'ghcr.io/acme/web', 'log-shipper').name).toBe('log-shipper');
  });

  test('a name that is not there is refused, listing the containers', () => {
    let caught: unknown;
    try {
      chooseContainer(stable(), 'ghcr.io/acme/web', 'api');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toBe(
      'input "container": Deployment shop/web has no container api (it has web, log-shipper)',
    );
  });

  test('by repository: tag or digest ignored, a registry port is not a tag', () => {
    expect(chooseContainer(stable(), 'ghcr.io/acme/web', '').name).toBe('web');
    expect(chooseContainer(stable(), 'docker.io/fluent/fluent-bit', '').name).toBe('log-shipper');
    const d = stable();
    d.spec!.template.spec!.containers[0]!.image = 'registry.local:5000/acme/web';
    expect(chooseContainer(d, 'registry.local:5000/acme/web', '').name).toBe('web');
    d.spec!.template.spec!.containers[0]!.image = 'registry.local:5000/acme/web:2@sha256:' + 'c'.repeat(64);
    expect(chooseContainer(d, 'registry.local:5000/acme/web', '').name).toBe('web');
  });

  test('a single container is chosen whatever it runs', () => {
    const d = stable();
    d.spec!.template.spec!.containers = [{ name: 'app', image: 'nginx:1.27' }];
    expect(chooseContainer(d, 'ghcr.io/acme/web', '').name).toBe('app');
  });

  test('several containers, none running the image: refused, naming them', () => {
    expect(() => chooseContainer(stable(), 'ghcr.io/acme/api', '')).toThrow(
      'Deployment shop/web has 2 containers and none run ghcr.io/acme/api: set input "container" (one of web, log-shipper)',
    );
  });

  test('several containers running the image: refused as ambiguous', () => {
    const d = stable();
    d.spec!.template.spec!.containers[1]!.image = 'ghcr.io/acme/web:1.2.0';
    let caught: unknown;
    try {
      chooseContainer(d, 'ghcr.io/acme/web', '');
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UserError);
    expect((caught as Error).message).toBe(
      'Deployment shop/web has 2 containers and several run ghcr.io/acme/web: set input "container" (one of web, log-shipper)',
    );
  });
});

describe('PodShareRouter.replicasFor', () => {
  test('10 stable replicas', () => {
    expect([0, 5, 25, 50, 100].map((w) => PodShareRouter.replicasFor(10, w))).toEqual([0, 1, 4, 10, 10]);
  });

  test('never more than stable, never fewer than one for a positive weight', () => {
    for (const stableReplicas of [1, 2, 3, 7, 10, 50])
      for (let w = 1; w <= 100; w++) {
        const n = PodShareRouter.replicasFor(stableReplicas, w);
        expect(n).toBeGreaterThanOrEqual(1);
        expect(n).toBeLessThanOrEqual(stableReplicas);
        // At least the share asked for (capped at 50%).
        if (w < 50) expect(n / (n + stableReplicas)).toBeGreaterThanOrEqual(w / 100 - 1e-9);
      }
  });

  test('no stable replicas: no canary replicas', () => {
    expect(PodShareRouter.replicasFor(0, 25)).toBe(0);
  });

  test('setWeight reads back the share of ready replicas', async () => {
    const asked: number[] = [];
    const router = new PodShareRouter(10, async (n) => {
      asked.push(n);
      return n === 4 ? 3 : n;
    });
    await expect(router.setWeight(25)).resolves.toBe(23.1);
    await expect(router.setWeight(50)).resolves.toBe(50);
    await router.reset();
    expect(asked).toEqual([4, 10, 0]);
  });
});
