// Real Flux for the GitOps tests: source-controller, kustomize-controller and helm-controller (the
// versions Flux v2.9.5 ships, Go-built by gobin/build.sh) out of cluster against the stack's
// apiserver with the admin kubeconfig, their CRDs from each module's config/crd/bases. No leader
// election, no notification-controller (no events address), remote kustomize bases off, every
// listener on 127.0.0.1: kustomize- and helm-controller fetch artifacts from source-controller's
// artifact server over loopback.
import { mkdirSync, readdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiextensionsV1Api, loadAllYaml, type KubernetesObject } from '@kubernetes/client-node';
import { host, ports, urls } from './addresses.js';
import { gobin, gobinVersions, type GobinName } from './binaries.js';
import { adminConfig, applyObjects } from './cluster.js';
import { runCommand } from './command.js';
import type { Daemon, Step } from './component.js';
import { kubeconfigs } from './kubernetes.js';
import { paths } from './paths.js';
import { expectOk, httpGet } from './probes.js';
import { pollUntil } from './wait.js';

/** The controllers' RUNTIME_NAMESPACE; tests put their Flux objects in namespaces of their own. */
export const fluxNamespace = 'flux-system';
const controllers = ['source-controller', 'kustomize-controller', 'helm-controller'] as const;
type Controller = (typeof controllers)[number] & GobinName;
/** Each CRD carries the module it came from, so a stale install is seen (and re-applied). */
const moduleLabel = 'kubeline.dev/flux-module';

async function pinnedVersion(controller: Controller): Promise<string> {
  const version = (await gobinVersions()).get(controller);
  if (!version) throw new Error(`gobin/build.sh does not pin ${controller}`);
  return version;
}

/**
 * The controller module's directory in the Go module cache (downloaded once through the proxy).
 * One scratch module per controller: the three run at once, and a go.mod rewritten while another
 * `go` reads it reads as empty ("missing module declaration").
 */
async function moduleDir(controller: Controller, version: string): Promise<string> {
  const work = join(tmpdir(), `kubeline-flux-mod-${controller}`);
  mkdirSync(work, { recursive: true });
  writeFileSync(join(work, 'go.mod'), 'module kubeline.dev/stack/flux\n\ngo 1.26\n');
  const { stdout } = await runCommand(
    ['go', 'mod', 'download', '-json', `github.com/fluxcd/${controller}@${version}`],
    { cwd: work, timeoutMs: 5 * 60_000 },
  );
  return (JSON.parse(stdout) as { Dir: string }).Dir;
}

async function controllerCrds(controller: Controller): Promise<KubernetesObject[]> {
  const version = await pinnedVersion(controller);
  const dir = join(await moduleDir(controller, version), 'config', 'crd', 'bases');
  return (
    readdirSync(dir)
      .filter((f) => f.endsWith('.yaml'))
      // loadAllYaml gives client-node's typed model, which its serializer needs to keep fields such
      // as x-kubernetes-preserve-unknown-fields (HelmRelease's values): plain objects lose them
      .flatMap((f) => loadAllYaml(readFileSync(join(dir, f), 'utf8')) as KubernetesObject[])
      .filter((o) => o?.kind === 'CustomResourceDefinition')
      .map((crd) => ({
        ...crd,
        metadata: {
          ...crd.metadata,
          labels: { ...crd.metadata?.labels, [moduleLabel]: `${controller}.${version}` },
        },
      }))
  );
}

async function waitEstablished(names: string[]): Promise<void> {
  const api = adminConfig().makeApiClient(ApiextensionsV1Api);
  for (const name of names)
    await pollUntil(
      async () => {
        const crd = await api.readCustomResourceDefinition({ name });
        return crd.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True');
      },
      { timeoutMs: 60_000, intervalMs: 250 },
    );
}

/** How many Flux CRDs there are, once every one is Established and from the pinned module. */
async function establishedCrds(): Promise<number> {
  const expected = new Map<string, string>();
  for (const c of controllers) expected.set(c, `${c}.${await pinnedVersion(c)}`);
  const { items } = await adminConfig()
    .makeApiClient(ApiextensionsV1Api)
    .listCustomResourceDefinition({ labelSelector: moduleLabel });
  for (const [controller, label] of expected)
    if (!items.some((c) => c.metadata?.labels?.[moduleLabel] === label))
      throw new Error(`no CRD of ${label} (${controller})`);
  const pending = items.filter(
    (c) => !c.status?.conditions?.some((x) => x.type === 'Established' && x.status === 'True'),
  );
  if (pending.length > 0)
    throw new Error(`not Established: ${pending.map((c) => c.metadata?.name).join(', ')}`);
  const stale = items.filter(
    (c) => ![...expected.values()].includes(c.metadata?.labels?.[moduleLabel] ?? ''),
  );
  if (stale.length > 0)
    throw new Error(`from another version: ${stale.map((c) => c.metadata?.name).join(', ')}`);
  return items.length;
}

export const fluxCrds: Step = {
  kind: 'step',
  name: 'flux-crds',
  async ensure() {
    const crds = (await Promise.all(controllers.map(controllerCrds))).flat();
    await applyObjects([...crds, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: fluxNamespace } }]);
    await waitEstablished(crds.map((c) => c.metadata!.name!));
  },
  async health() {
    return `${await establishedCrds()} Flux CRDs Established (${controllers.join(', ')}), namespace ${fluxNamespace}`;
  },
};

/** Prometheus scrapes the controllers' metrics (gotk_reconcile_*; file_sd, written aside then renamed). */
function registerScrape(): void {
  mkdirSync(paths.promTargets, { recursive: true });
  const file = join(paths.promTargets, 'flux.json');
  const targets = [
    { port: ports.sourceControllerMetrics, component: 'source-controller' },
    { port: ports.kustomizeControllerMetrics, component: 'kustomize-controller' },
    { port: ports.helmControllerMetrics, component: 'helm-controller' },
  ].map((t) => ({ targets: [`${host}:${t.port}`], labels: { component: t.component } }));
  writeFileSync(`${file}.tmp`, JSON.stringify(targets));
  renameSync(`${file}.tmp`, file);
}

interface ControllerSpec {
  name: Controller;
  metricsPort: number;
  healthPort: number;
  /** Flags of this controller besides the common ones. */
  flags: string[];
  /** More ports it listens on. */
  extraPorts?: number[];
  /** Directories it needs to exist. */
  dirs?: string[];
  /** A further check once /readyz answers. */
  check?: () => Promise<string>;
}

function fluxController(spec: ControllerSpec): Daemon {
  const state = join(paths.flux, spec.name);
  return {
    kind: 'daemon',
    name: spec.name,
    ports: [spec.metricsPort, spec.healthPort, ...(spec.extraPorts ?? [])],
    startTimeoutMs: 60_000,
    async prepare() {
      // HOME and TMPDIR inside .stack: clones, chart builds and Helm's caches stay there
      for (const dir of ['home', 'tmp']) mkdirSync(join(state, dir), { recursive: true });
      for (const dir of spec.dirs ?? []) mkdirSync(dir, { recursive: true });
      registerScrape();
      return {
        argv: [
          await gobin(spec.name),
          `--metrics-addr=${host}:${spec.metricsPort}`,
          `--health-addr=${host}:${spec.healthPort}`,
          '--enable-leader-election=false',
          '--watch-all-namespaces=true',
          '--log-encoding=console',
          '--log-level=info',
          ...spec.flags,
        ],
        env: {
          PATH: process.env.PATH,
          HOME: join(state, 'home'),
          TMPDIR: join(state, 'tmp'),
          KUBECONFIG: kubeconfigs.admin,
          RUNTIME_NAMESPACE: fluxNamespace,
          // anything not on loopback (which Go never proxies) goes to a dead proxy and fails
          HTTP_PROXY: 'http://127.0.0.1:9',
          HTTPS_PROXY: 'http://127.0.0.1:9',
          NO_PROXY: '127.0.0.1,localhost',
        },
      };
    },
    async health() {
      await expectOk(`http://${host}:${spec.healthPort}/readyz`);
      await expectOk(`http://${host}:${spec.metricsPort}/metrics`);
      const extra = spec.check ? `, ${await spec.check()}` : '';
      return `${spec.name} ${await pinnedVersion(spec.name)} ready (health :${spec.healthPort}, metrics :${spec.metricsPort}${extra})`;
    },
  };
}

const storage = join(paths.flux, 'storage');

export const sourceController = fluxController({
  name: 'source-controller',
  metricsPort: ports.sourceControllerMetrics,
  healthPort: ports.sourceControllerHealth,
  extraPorts: [ports.fluxStorage],
  dirs: [storage],
  flags: [
    `--storage-path=${storage}`,
    `--storage-addr=${host}:${ports.fluxStorage}`,
    // the artifact URLs in GitRepository/HelmChart status: what the other controllers download
    `--storage-adv-addr=${host}:${ports.fluxStorage}`,
  ],
  async check() {
    // the artifact server answers (404 for a path that names no artifact)
    const res = await httpGet(`${urls.fluxStorage}/kubeline-probe`);
    if (res.status !== 404) throw new Error(`artifact server answered ${res.status} for a missing artifact`);
    return `artifacts ${urls.fluxStorage}`;
  },
});

export const kustomizeController = fluxController({
  name: 'kustomize-controller',
  metricsPort: ports.kustomizeControllerMetrics,
  healthPort: ports.kustomizeControllerHealth,
  // remote bases would fetch from outside loopback
  flags: ['--no-remote-bases=true', '--requeue-dependency=5s'],
});

export const helmController = fluxController({
  name: 'helm-controller',
  metricsPort: ports.helmControllerMetrics,
  healthPort: ports.helmControllerHealth,
  // stack:down allows 15 s before SIGKILL
  flags: ['--requeue-dependency=5s', '--graceful-shutdown-timeout=10s'],
});
