// The Istio, SMI and ingress-nginx routers against the stack's real kube-apiserver: their objects
// written, read back, raced by another client and mangled before a reset. Neither Istio, an SMI
// implementation nor ingress-nginx runs here, so this proves the API side only: no traffic flows
// through these objects (the Gateway API router is the one tested through a real proxy, Traefik).
import { beforeAll, describe, expect, test } from '@jest/globals';
import { ApiextensionsV1Api, type V1CustomResourceDefinition, type V1Ingress } from '@kubernetes/client-node';
import { connect, isConflict, type Cluster, type KubernetesObject } from '@kubeline/kube';
import {
  IstioRouter,
  NginxCanaryRouter,
  RouterError,
  SmiRouter,
  type TrafficSplitLike,
  type VirtualServiceLike,
} from '@kubeline/canary';
import { UserError } from '@kubeline/runtime';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { waitForObject } from './harness/watch.js';
import { loadStackEnv } from './harness/stack-env.js';

/** A namespaced CRD that keeps whatever it is given: enough to store the objects a router edits. */
function looseCrd(group: string, version: string, kind: string, plural: string): V1CustomResourceDefinition {
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${plural}.${group}`, labels: { 'kubeline.dev/e2e': 'true' } },
    spec: {
      group,
      scope: 'Namespaced',
      names: { kind, plural, singular: kind.toLowerCase(), listKind: `${kind}List` },
      versions: [
        {
          name: version,
          served: true,
          storage: true,
          schema: { openAPIV3Schema: { type: 'object', x_kubernetes_preserve_unknown_fields: true } },
        },
      ],
    },
  };
}

/** Creates the CRD unless the cluster has it (from an earlier run, or a real install), then waits for it. */
async function ensureCrd(crd: V1CustomResourceDefinition): Promise<void> {
  const config = adminKubeConfig();
  await config
    .makeApiClient(ApiextensionsV1Api)
    .createCustomResourceDefinition({ body: crd })
    .catch((e: unknown) => {
      if (!isConflict(e)) throw e;
    });
  await waitForObject<V1CustomResourceDefinition>(
    config,
    {
      path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions',
      name: crd.metadata!.name!,
      describe: `CRD ${crd.metadata!.name} Established`,
    },
    (c) => Boolean(c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True')),
  );
}

const services = (namespace: string) => ({ namespace, stable: 'web', canary: 'web-canary' });

type AnyObject = Parameters<Cluster['objects']['replace']>[0];

/** The cluster as a router sees it, its replace calls going through `replace`. */
function withReplace(cluster: Cluster, replace: (body: AnyObject) => Promise<unknown>): Cluster {
  const objects = Object.create(cluster.objects) as Cluster['objects'];
  objects.replace = replace as Cluster['objects']['replace'];
  return { ...cluster, objects };
}

/** The cluster as a router sees it, with `meanwhile` run once just before its first replace. */
function raced(cluster: Cluster, meanwhile: () => Promise<void>): Cluster {
  let done = false;
  return withReplace(cluster, async (body) => {
    if (!done) {
      done = true;
      await meanwhile();
    }
    return cluster.objects.replace(body);
  });
}

/** Another client reads the object, changes it and replaces it. */
async function otherWriter<T>(ref: KubernetesObject, change: (o: T) => void): Promise<void> {
  const other = await connect(loadStackEnv().KUBECONFIG);
  const o = (await other.objects.read(ref as Parameters<Cluster['objects']['read']>[0])) as T;
  change(o);
  await other.objects.replace(o as AnyObject);
}

const read = async <T>(cluster: Cluster, ref: KubernetesObject) =>
  (await cluster.objects.read(ref as Parameters<Cluster['objects']['read']>[0])) as T;

let cluster: Cluster;

beforeAll(async () => {
  cluster = await connect(loadStackEnv().KUBECONFIG);
});

describe('IstioRouter on a VirtualService', () => {
  const ns = useTestNamespace('istio-router');
  const ref = () => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name: 'web', namespace: ns.name },
  });
  const routeOf = (v: VirtualServiceLike) => v.spec!.http![0]!.route!;

  beforeAll(() => ensureCrd(looseCrd('networking.istio.io', 'v1', 'VirtualService', 'virtualservices')));

  async function createVirtualService(route: unknown[]): Promise<void> {
    const body = {
      ...ref(),
      spec: {
        hosts: ['shop.example.com'],
        gateways: ['edge'],
        http: [{ name: 'main', match: [{ uri: { prefix: '/' } }], route }],
      },
    };
    await cluster.objects.create(body);
  }

  test('setWeight 10 then 50 reads back from the object; reset leaves stable alone at 100', async () => {
    await createVirtualService([
      { destination: { host: 'web.' + ns.name + '.svc.cluster.local', port: { number: 80 } } },
    ]);
    const router = new IstioRouter(cluster, 'web', services(ns.name), 80, () => undefined);
    expect(router.describe).toBe(`VirtualService ${ns.name}/web`);
    expect(await router.setWeight(10)).toBe(10);
    const host = (svc: string) => `${svc}.${ns.name}.svc.cluster.local`;
    expect(routeOf(await read(cluster, ref()))).toEqual([
      { destination: { host: host('web'), port: { number: 80 } }, weight: 90 },
      { destination: { host: host('web-canary'), port: { number: 80 } }, weight: 10 },
    ]);
    expect(await router.setWeight(50)).toBe(50);
    expect(routeOf(await read(cluster, ref())).map((d) => d.weight)).toEqual([50, 50]);
    await router.reset();
    const after = await read<VirtualServiceLike>(cluster, ref());
    expect(routeOf(after)).toEqual([
      { destination: { host: host('web'), port: { number: 80 } }, weight: 100 },
    ]);
    expect(after.spec!.gateways).toEqual(['edge']);
  });

  test('another client replacing the VirtualService between read and write: re-read, its edit kept', async () => {
    await createVirtualService([{ destination: { host: 'web' } }]);
    const lines: string[] = [];
    const meanwhile = () =>
      otherWriter<VirtualServiceLike>(ref(), (v) => {
        v.spec!.hosts!.push('www.example.com');
      });
    const router = new IstioRouter(raced(cluster, meanwhile), 'web', services(ns.name), 80, (l) =>
      lines.push(l),
    );
    expect(await router.setWeight(10)).toBe(10);
    const v = await read<VirtualServiceLike>(cluster, ref());
    expect(v.spec!.hosts).toEqual(['shop.example.com', 'www.example.com']);
    expect(routeOf(v).map((d) => [d.destination.host, d.weight])).toEqual([
      ['web', 90],
      ['web-canary', 10],
    ]);
    expect(lines).toEqual([
      `VirtualService ${ns.name}/web changed while being updated; reading it again (attempt 2)`,
    ]);
  });

  test('a weight changed by another writer after the write is caught by the read back', async () => {
    await createVirtualService([{ destination: { host: 'web' } }]);
    // Right after the router's write, another writer sets 70/30: the read back must see it.
    let mine = false;
    const interfered = withReplace(cluster, async (body) => {
      const written = await cluster.objects.replace(body);
      if (!mine) {
        mine = true;
        await otherWriter<VirtualServiceLike>(ref(), (v) => {
          routeOf(v)[0]!.weight = 70;
          routeOf(v)[1]!.weight = 30;
        });
      }
      return written;
    });
    const router = new IstioRouter(interfered, 'web', services(ns.name), 80, () => undefined);
    const err = await router.setWeight(10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RouterError);
    expect((err as Error).message).toBe(
      `VirtualService ${ns.name}/web reads canary weight 30 after setting 10: another writer changed it`,
    );
  });

  test('mangled (stable removed, the canary at 100, a subset): reset puts stable back alone', async () => {
    await createVirtualService([{ destination: { host: 'web' } }]);
    const router = new IstioRouter(cluster, 'web', services(ns.name), 8080, () => undefined);
    await router.setWeight(25);
    await otherWriter<VirtualServiceLike>(ref(), (v) => {
      v.spec!.http![0]!.route = [{ destination: { host: 'web-canary', subset: 'v2' }, weight: 100 }];
    });
    await router.reset();
    expect(routeOf(await read(cluster, ref()))).toEqual([
      { destination: { host: 'web', port: { number: 8080 } }, weight: 100 },
    ]);
  });

  test('a route splitting stable with a third destination is refused and left as it was', async () => {
    const route = [
      { destination: { host: 'web' }, weight: 90 },
      { destination: { host: 'legacy' }, weight: 10 },
    ];
    await createVirtualService(route);
    const router = new IstioRouter(cluster, 'web', services(ns.name), 80, () => undefined);
    const err = await router.setWeight(10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toContain('http[0] (main) splits Service web with legacy');
    expect(routeOf(await read(cluster, ref()))).toEqual(route);
  });

  test('a missing VirtualService is a RouterError naming it', async () => {
    const router = new IstioRouter(cluster, 'absent', services(ns.name), 80, () => undefined);
    await expect(router.setWeight(10)).rejects.toThrow(
      `VirtualService ${ns.name}/absent does not exist (or the cluster does not serve networking.istio.io/v1)`,
    );
  });
});

describe('SmiRouter on a TrafficSplit', () => {
  const ns = useTestNamespace('smi-router');
  const ref = () => ({
    apiVersion: 'split.smi-spec.io/v1alpha2',
    kind: 'TrafficSplit',
    metadata: { name: 'web', namespace: ns.name },
  });
  const backendsOf = async () => (await read<TrafficSplitLike>(cluster, ref())).spec!.backends;

  beforeAll(() => ensureCrd(looseCrd('split.smi-spec.io', 'v1alpha2', 'TrafficSplit', 'trafficsplits')));

  const createSplit = (backends: unknown[]) =>
    cluster.objects.create({ ...ref(), spec: { service: 'web-apex', backends } });

  test('setWeight 10 then 50 reads back from the object; reset leaves stable alone', async () => {
    await createSplit([{ service: 'web', weight: 100 }]);
    const router = new SmiRouter(cluster, 'web', services(ns.name), () => undefined);
    expect(router.describe).toBe(`TrafficSplit ${ns.name}/web`);
    expect(await router.setWeight(10)).toBe(10);
    expect(await backendsOf()).toEqual([
      { service: 'web', weight: 90 },
      { service: 'web-canary', weight: 10 },
    ]);
    expect(await router.setWeight(50)).toBe(50);
    expect(await backendsOf()).toEqual([
      { service: 'web', weight: 50 },
      { service: 'web-canary', weight: 50 },
    ]);
    await router.reset();
    expect(await backendsOf()).toEqual([{ service: 'web', weight: 100 }]);
    expect((await read<TrafficSplitLike>(cluster, ref())).spec!.service).toBe('web-apex');
  });

  test('another client replacing the TrafficSplit between read and write: re-read, then written', async () => {
    await createSplit([{ service: 'web', weight: 100 }]);
    const lines: string[] = [];
    const meanwhile = () =>
      otherWriter<TrafficSplitLike>(ref(), (t) => {
        t.spec!.backends = [
          { service: 'web', weight: 1 },
          { service: 'web-canary', weight: 99 },
        ];
      });
    const router = new SmiRouter(raced(cluster, meanwhile), 'web', services(ns.name), (l) => lines.push(l));
    expect(await router.setWeight(50)).toBe(50);
    expect(await backendsOf()).toEqual([
      { service: 'web', weight: 50 },
      { service: 'web-canary', weight: 50 },
    ]);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('changed while being updated; reading it again (attempt 2)');
  });

  test('mangled (stable removed, canary at 100): reset puts stable back alone', async () => {
    await createSplit([{ service: 'web', weight: 100 }]);
    const router = new SmiRouter(cluster, 'web', services(ns.name), () => undefined);
    await router.setWeight(25);
    await otherWriter<TrafficSplitLike>(ref(), (t) => {
      t.spec!.backends = [{ service: 'web-canary', weight: 100 }];
    });
    await router.reset();
    expect(await backendsOf()).toEqual([{ service: 'web', weight: 100 }]);
  });
});

describe('NginxCanaryRouter: a canary Ingress beside the primary', () => {
  const ns = useTestNamespace('nginx-router');
  const ingress = (name: string) => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'Ingress',
    metadata: { name, namespace: ns.name },
  });
  const readIngress = (name: string) => read<V1Ingress>(cluster, ingress(name));
  const canaryGone = async () =>
    expect(await cluster.objects.read(ingress('web-canary')).catch((e: unknown) => e)).toMatchObject({
      status: 404,
    });

  const createPrimary = async (): Promise<V1Ingress> =>
    cluster.objects.create<V1Ingress>({
      ...ingress('web'),
      metadata: { ...ingress('web').metadata, annotations: { 'kubernetes.io/ingress.class': 'nginx' } },
      spec: {
        ingressClassName: 'nginx',
        tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
        rules: [
          {
            host: 'shop.example.com',
            http: {
              paths: [
                {
                  path: '/',
                  pathType: 'Prefix',
                  backend: { service: { name: 'web', port: { number: 80 } } },
                },
                {
                  path: '/api',
                  pathType: 'Prefix',
                  backend: { service: { name: 'api', port: { number: 80 } } },
                },
              ],
            },
          },
        ],
      },
    });

  test('setWeight creates the canary Ingress, then updates it; reset deletes it; the primary is untouched', async () => {
    const primary = await createPrimary();
    const router = new NginxCanaryRouter(cluster, 'web', services(ns.name), () => undefined);
    expect(router.describe).toBe(`canary Ingress ${ns.name}/web-canary`);
    expect(await router.setWeight(10)).toBe(10);
    const canary = await readIngress('web-canary');
    expect(canary.metadata!.annotations).toEqual({
      'kubernetes.io/ingress.class': 'nginx',
      'nginx.ingress.kubernetes.io/canary': 'true',
      'nginx.ingress.kubernetes.io/canary-weight': '10',
      'nginx.ingress.kubernetes.io/canary-weight-total': '100',
    });
    expect(canary.spec!.ingressClassName).toBe('nginx');
    expect(canary.spec!.tls).toEqual([{ hosts: ['shop.example.com'], secretName: 'shop-tls' }]);
    expect(canary.spec!.rules).toEqual([
      {
        host: 'shop.example.com',
        http: {
          paths: [
            {
              path: '/',
              pathType: 'Prefix',
              backend: { service: { name: 'web-canary', port: { number: 80 } } },
            },
          ],
        },
      },
    ]);
    expect(await router.setWeight(50)).toBe(50);
    expect(
      (await readIngress('web-canary')).metadata!.annotations!['nginx.ingress.kubernetes.io/canary-weight'],
    ).toBe('50');
    await router.reset();
    await canaryGone();
    // Never written: the same resourceVersion as created.
    expect((await readIngress('web')).metadata!.resourceVersion).toBe(primary.metadata!.resourceVersion);
    // A reset with nothing left to remove is fine.
    await router.reset();
  });

  test('another client replacing the canary Ingress between read and write: re-read, then written', async () => {
    await createPrimary();
    await new NginxCanaryRouter(cluster, 'web', services(ns.name), () => undefined).setWeight(10);
    const lines: string[] = [];
    const meanwhile = () =>
      otherWriter<V1Ingress>(ingress('web-canary'), (i) => {
        i.metadata!.annotations!['nginx.ingress.kubernetes.io/canary-weight'] = '99';
      });
    const router = new NginxCanaryRouter(raced(cluster, meanwhile), 'web', services(ns.name), (l) =>
      lines.push(l),
    );
    expect(await router.setWeight(50)).toBe(50);
    expect(
      (await readIngress('web-canary')).metadata!.annotations!['nginx.ingress.kubernetes.io/canary-weight'],
    ).toBe('50');
    expect(lines).toEqual([
      `canary Ingress ${ns.name}/web-canary changed while being updated; reading it again (attempt 2)`,
    ]);
  });

  test('mangled (no longer marked canary, weight 100): reset still deletes it', async () => {
    const primary = await createPrimary();
    const router = new NginxCanaryRouter(cluster, 'web', services(ns.name), () => undefined);
    await router.setWeight(25);
    await otherWriter<V1Ingress>(ingress('web-canary'), (i) => {
      i.metadata!.annotations = { 'nginx.ingress.kubernetes.io/canary-weight': '100' };
    });
    await router.reset();
    await canaryGone();
    expect((await readIngress('web')).metadata!.resourceVersion).toBe(primary.metadata!.resourceVersion);
  });

  test("someone else's Ingress by the canary's name is refused, and a reset leaves it", async () => {
    await createPrimary();
    await cluster.objects.create<V1Ingress>({
      ...ingress('web-canary'),
      spec: { defaultBackend: { service: { name: 'other', port: { number: 80 } } } },
    });
    const lines: string[] = [];
    const router = new NginxCanaryRouter(cluster, 'web', services(ns.name), (l) => lines.push(l));
    const err = await router.setWeight(10).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      `Ingress ${ns.name}/web-canary exists and is not kubeline's canary of Ingress web: rename or remove it`,
    );
    await router.reset();
    expect((await readIngress('web-canary')).spec!.defaultBackend!.service!.name).toBe('other');
    expect(lines).toEqual([
      `canary Ingress ${ns.name}/web-canary is not kubeline's (no label for Ingress web): left as it is`,
    ]);
  });

  test('a missing primary Ingress is a RouterError naming it', async () => {
    const router = new NginxCanaryRouter(cluster, 'web', services(ns.name), () => undefined);
    await expect(router.setWeight(10)).rejects.toThrow(`Ingress ${ns.name}/web does not exist`);
  });
});
