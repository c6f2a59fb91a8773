// The e2e suite's external mode (KUBELINE_E2E_EXTERNAL=1) on a GitHub-hosted runner: a kind cluster with
// kwok nodes, the two registries, buildkitd and Prometheus as containers, kubeline's tools installed from
// upstream and a tool mirror, each made by the local stack's own modules (test/stack/*.ts) wherever they
// do not depend on Debian's services. See README.md beside this file.
//
//   tsx test/stack/external/up.ts cluster|services|tools|trivy-db|env|all
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CoreV1Api, type V1Node } from '@kubernetes/client-node';
import {
  assetUrl,
  downloadVerified,
  loadManifest,
  validateManifest,
  type Asset,
  type ToolsManifest,
} from '@kubeline/tools';
import { parse } from 'yaml';
import { requiredKeys } from '../../e2e/harness/stack-env.js';
import { authRegistry, host, ports } from '../addresses.js';
import { gobinVersions } from '../binaries.js';
import { sha256File } from '../checksum.js';
import { adminConfig } from '../cluster.js';
import { runCommand } from '../command.js';
import type { Daemon, Step } from '../component.js';
import { stackEnv } from '../env.js';
import { renderEnv } from '../env-file.js';
import { kubeconfigs } from '../kubernetes.js';
import { kwok, kwokNodes, nodeNames } from '../kwok.js';
import { limitedAccess } from '../limited-access.js';
import { manifestPath, mirrorFile, mirrorServer } from '../mirror.js';
import { cacheDir, logFile, paths, repoRoot, stackDir } from '../paths.js';
import { ensurePki, pki } from '../pki.js';
import { describeHolder, findPortHolder } from '../ports.js';
import { daemonExit, isDaemonRunning, logTail, startDaemon, stopDaemon } from '../processes.js';
import { prometheus } from '../prometheus.js';
import { authRegistryPassword, openRegistry, tlsAuthRegistry } from '../registries.js';
import { linkInto, stackTools, tools } from '../tools.js';
import { buildkitdToml } from '../docker.js';
import { trivyDb } from '../trivydb.js';
import { pollUntil } from '../wait.js';

const clusterName = process.env.KIND_CLUSTER_NAME || 'kubeline';
const controlPlane = `${clusterName}-control-plane`;
const here = join(repoRoot, 'test', 'stack', 'external');
const externalDir = join(stackDir, 'external');
/** KEY=value lines of the environment below, for a local `set -a; . .stack/external.env`. */
const envFile = join(stackDir, 'external.env');
/** The runner's own engine: kind runs on it, and the tests' docker CLI calls go to it. */
const dockerHost = process.env.DOCKER_HOST || 'unix:///var/run/docker.sock';
const buildkitPort = 1234;
const buildkitHost = `tcp://${host}:${buildkitPort}`;
const images = { registry: 'registry:2.8.3', prometheus: 'prom/prometheus:v3.5.0' };
/** ubuntu-latest's platform; the local mirror holds linux-x64 only as well. */
const platform = 'linux-x64';

const log = (line: string) => console.log(line);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** GitHub masks the value in every later log line of the job; nothing is printed anywhere else. */
function mask(value: string | undefined): void {
  if (value && process.env.GITHUB_ACTIONS === 'true') console.log(`::add-mask::${value}`);
}

/** A command whose output shows up as it runs (kind, Go builds). */
function runStreaming(argv: string[]): Promise<void> {
  const [file, ...args] = argv;
  return new Promise((resolve, reject) => {
    const child = spawn(file!, args, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('exit', (code, signal) =>
      code === 0 ? resolve() : reject(new Error(`${argv.join(' ')} failed (${code ?? signal})`)),
    );
  });
}

const docker = (...args: string[]) =>
  runCommand(['docker', ...args], {
    env: { ...process.env, DOCKER_HOST: dockerHost },
    timeoutMs: 10 * 60_000,
  });

async function step(unit: Step): Promise<void> {
  await unit.ensure();
  log(`${unit.name.padEnd(20)} ready    ${await pollUntil(() => unit.health(), { timeoutMs: 60_000 })}`);
}

function assertPortsFree(name: string, wanted: readonly number[]): void {
  for (const port of wanted) {
    const holder = findPortHolder(port);
    if (holder) throw new Error(`${name}: ${describeHolder(holder)}`);
  }
}

/** A host process of the stack (kwok, the mirror's httpd), started and recorded as stack:up does. */
async function ensureDaemon(daemon: Daemon): Promise<void> {
  if (isDaemonRunning(daemon.name)) {
    const detail = await daemon.health().catch(() => undefined);
    if (detail) return log(`${daemon.name.padEnd(20)} reused   ${detail}`);
    await stopDaemon(daemon.name); // ours: the PID file this script wrote
  }
  assertPortsFree(daemon.name, daemon.ports);
  await startDaemon({ name: daemon.name, ...(await daemon.prepare()) });
  try {
    const detail = await pollUntil(() => daemon.health(), {
      timeoutMs: daemon.startTimeoutMs,
      abortIf: () => {
        const exit = daemonExit(daemon.name);
        if (exit !== undefined) throw new Error(`exited (${exit}) while starting`);
      },
    });
    log(`${daemon.name.padEnd(20)} started  ${detail}`);
  } catch (error) {
    throw new Error(
      `${daemon.name}: ${message(error)}\n--- ${logFile(daemon.name)}:\n${logTail(daemon.name)}`,
      { cause: error },
    );
  }
}

interface Container {
  name: string;
  image: string;
  args: string[];
  ports: readonly number[];
  /** Mounted at the same path inside: the configs the stack's modules write name host paths. */
  mounts: Array<{ path: string; readOnly?: boolean }>;
  /** Root with every privilege; otherwise the runner's user: what it writes stays the runner's. */
  privileged?: boolean;
  health(): Promise<string>;
}

const runnerUser = () => `${process.getuid!()}:${process.getgid!()}`;

/** One container on the host network, replacing a previous run's container of that name (ours). */
async function runContainer(c: Container): Promise<void> {
  const name = `kubeline-${c.name}`;
  await docker('rm', '--force', name).catch(() => undefined);
  assertPortsFree(c.name, c.ports);
  await docker(
    'run',
    '--detach',
    '--name',
    name,
    '--network',
    'host',
    ...(c.privileged ? ['--privileged'] : ['--user', runnerUser()]),
    ...c.mounts.flatMap((m) => ['--volume', `${m.path}:${m.path}${m.readOnly ? ':ro' : ''}`]),
    c.image,
    ...c.args,
  );
  try {
    log(
      `${c.name.padEnd(20)} started  ${await pollUntil(() => c.health(), { timeoutMs: 60_000 })} (${c.image})`,
    );
  } catch (error) {
    const logs = await docker('logs', '--tail', '40', name).then(
      (r) => r.stdout + r.stderr,
      (e: unknown) => message(e),
    );
    throw new Error(`${c.name}: ${message(error)}\n--- docker logs ${name}:\n${logs}`, { cause: error });
  }
}

/** A daemon of the local stack whose argv is `<binary> ...args`, run from `image` with the same args. */
async function fromStackDaemon(
  daemon: Daemon,
  binary: string,
  image: string,
  mounts: Container['mounts'],
): Promise<Container> {
  const { argv } = await daemon.prepare(); // writes its config, as for the local stack
  if (argv[0] !== binary) throw new Error(`${daemon.name}: expected ${binary} in its argv, got ${argv[0]}`);
  return {
    name: daemon.name,
    image,
    args: argv.slice(1),
    ports: daemon.ports,
    mounts,
    health: () => daemon.health(),
  };
}

// ---- cluster: kind, the stack's CA, kwok and its nodes, the limited kubeconfig ----

/**
 * The cluster's CA becomes the stack's CA (.stack/pki/ca.*): pki.ts then signs the auth registry's
 * certificate with it, and limited-access.ts's kubeconfig (which names pki.ca.cert) trusts the cluster.
 * One CA for the cluster and the registry, as on the local stack.
 */
async function adoptClusterCa(): Promise<void> {
  const read = async (file: string) =>
    (await docker('exec', controlPlane, 'cat', `/etc/kubernetes/pki/${file}`)).stdout;
  const [cert, key] = [await read('ca.crt'), await read('ca.key')];
  const same = existsSync(pki.ca.cert) && readFileSync(pki.ca.cert, 'utf8') === cert;
  if (!same) rmSync(paths.pki, { recursive: true, force: true }); // certificates of another CA
  mkdirSync(paths.pki, { recursive: true, mode: 0o700 });
  if (!same) {
    writeFileSync(pki.ca.key, key, { mode: 0o600 });
    writeFileSync(pki.ca.cert, cert, { mode: 0o644 });
  }
  await ensurePki();
}

const blockingTaints = (node: V1Node) =>
  (node.spec?.taints ?? [])
    .filter((t) => t.effect === 'NoSchedule' || t.effect === 'NoExecute')
    .map((t) => t.key);

/** Test pods carry no tolerations and no node selector: only the kwok nodes may take them. */
async function workloadsLandOnKwokNodes(): Promise<string> {
  const nodes = (await adminConfig().makeApiClient(CoreV1Api).listNode()).items;
  for (const node of nodes) {
    const name = node.metadata?.name ?? '?';
    const taints = blockingTaints(node);
    if (nodeNames.includes(name) && (taints.length > 0 || node.spec?.unschedulable))
      throw new Error(`${name} does not take pods yet (${taints.join(', ') || 'unschedulable'})`);
    if (!nodeNames.includes(name) && taints.length === 0 && !node.spec?.unschedulable)
      throw new Error(`${name} is a real node that takes pods: test workloads could land on it`);
  }
  return `new pods go to ${nodeNames.join(', ')} only`;
}

async function cluster(): Promise<void> {
  await runStreaming([
    'bash',
    join(here, 'kind-up.sh'),
    clusterName,
    String(ports.apiserver),
    kubeconfigs.admin,
  ]);
  await adoptClusterCa();
  await runStreaming(['bash', paths.gobinScript, 'kwok']); // cached by version after the first build
  await ensureDaemon(kwok); // on this host, against kind, with kwok-stages.ts's stages
  await step(kwokNodes);
  log(
    `${'scheduling'.padEnd(20)} ready    ${await pollUntil(workloadsLandOnKwokNodes, { timeoutMs: 60_000 })}`,
  );
  await step(limitedAccess);
}

// ---- services: registries, buildkitd, Prometheus ----

function writeBuildkitdToml(): string {
  // Loopback TCP from a container (no socket ownership to arrange); otherwise the local stack's config.
  mkdirSync(externalDir, { recursive: true });
  const file = join(externalDir, 'buildkitd.toml');
  writeFileSync(file, buildkitdToml(buildkitHost));
  return file;
}

async function buildkitdHealth(): Promise<string> {
  const { stdout } = await docker(
    'exec',
    'kubeline-buildkitd',
    'buildctl',
    `--addr=${buildkitHost}`,
    'debug',
    'workers',
  );
  if (stdout.trim().split('\n').length < 2) throw new Error('no workers');
  return buildkitHost;
}

async function services(): Promise<void> {
  if (!existsSync(pki.registry.cert))
    throw new Error(`${pki.registry.cert} missing: run the cluster phase first`);
  mask(authRegistryPassword()); // before tlsAuthRegistry.prepare() passes it to htpasswd
  const data = { path: paths.registry };
  await runContainer(await fromStackDaemon(openRegistry, 'docker-registry', images.registry, [data]));
  await runContainer(
    await fromStackDaemon(tlsAuthRegistry, 'docker-registry', images.registry, [
      data,
      { path: paths.pki, readOnly: true },
    ]),
  );
  // the runner's dockerd (docker pull/push in tests) reads registry CAs from certs.d only
  await runCommand([
    'sudo',
    '-n',
    'install',
    '-D',
    '-m',
    '0644',
    pki.ca.cert,
    `/etc/docker/certs.d/${authRegistry}/ca.crt`,
  ]);

  const buildkitVersion = (await gobinVersions()).get('buildkitd'); // the version the local stack builds
  if (!buildkitVersion) throw new Error('gobin/versions.env names no buildkitd version');
  const config = writeBuildkitdToml();
  await runContainer({
    name: 'buildkitd',
    image: `moby/buildkit:${buildkitVersion}`,
    args: [`--config=${config}`],
    ports: [buildkitPort],
    mounts: [
      { path: externalDir, readOnly: true },
      { path: paths.pki, readOnly: true },
    ],
    privileged: true,
    health: buildkitdHealth,
  });

  await runContainer(
    await fromStackDaemon(prometheus, 'prometheus', images.prometheus, [{ path: paths.prometheus }]),
  );
}

// ---- tools: $STACK_BIN from upstream, and the mirror the actions under test install from ----

/**
 * tools.ts's names and versions (helm3, helm4, ...), each installed by `kubeline setup-tools` with the
 * bundled manifest from the upstream URLs: the real download and sha256 check users' runners go through.
 */
async function installFromUpstream(): Promise<void> {
  mkdirSync(paths.bin, { recursive: true });
  const runnerTemp = join(externalDir, 'setup-tools');
  mkdirSync(runnerTemp, { recursive: true });
  const env: NodeJS.ProcessEnv = {
    HOME: process.env.HOME,
    // not /usr/local/bin, where the runner image keeps a kubectl and a helm of its own: one at the
    // pinned version would be reused rather than downloaded
    PATH: '/usr/bin:/bin',
    KUBELINE_PLATFORM: 'cli', // outputs as JSON on stdout; nothing added to the job's PATH
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: join(cacheDir, 'tool-cache-upstream'),
  };
  const cli = join(repoRoot, 'bin', 'kubeline.js');
  for (const [name, { tool, version }] of Object.entries(stackTools)) {
    const { stdout } = await runCommand([process.execPath, cli, 'setup-tools', `--${tool}`, version], {
      env,
      timeoutMs: 15 * 60_000,
    });
    const outputs = JSON.parse(stdout) as Record<string, string | undefined>;
    const path = outputs[`${tool}-path`];
    if (!path) throw new Error(`setup-tools --${tool} ${version} gave no ${tool}-path: ${stdout}`);
    linkInto(name, path);
    log(`${name.padEnd(20)} ${tool} ${outputs[`${tool}-version`]} -> ${path}`);
  }
}

async function mirrorAsset(tool: string, version: string, asset: Asset, upstream?: string): Promise<void> {
  const file = mirrorFile({ tool, version, file: asset.file });
  if (existsSync(file) && (await sha256File(file)) === asset.sha256) return;
  await downloadVerified(assetUrl(tool, version, asset, platform, upstream), file, asset.sha256);
}

/**
 * The tests give the actions KUBELINE_TOOLS_MIRROR/MANIFEST and a dead proxy for everything else: the
 * mirror holds the bundled manifest's upstream archives (sha256-verified on download), laid out as
 * mirror.ts serves them, and its manifest is the bundled one for this platform.
 */
async function fillMirror(): Promise<string> {
  const bundled = loadManifest();
  const mirrored: ToolsManifest = { tools: {} };
  const downloads: Array<Promise<void>> = [];
  for (const [tool, entry] of Object.entries(bundled.tools)) {
    for (const [version, platforms] of Object.entries(entry.versions)) {
      const asset = platforms[platform];
      if (!asset) continue;
      const mirroredTool = (mirrored.tools[tool] ??= {
        default: entry.default,
        upstream: entry.upstream,
        versions: {},
      });
      mirroredTool.versions[version] = { [platform]: asset };
      downloads.push(mirrorAsset(tool, version, asset, entry.upstream));
    }
  }
  await Promise.all(downloads);
  validateManifest(mirrored, manifestPath);
  writeFileSync(manifestPath, JSON.stringify(mirrored, null, 2) + '\n');
  return `${downloads.length} archives in ${paths.mirror}`;
}

async function toolsPhase(): Promise<void> {
  await installFromUpstream();
  log(`${'mirror-content'.padEnd(20)} ready    ${await fillMirror()}`);
  await ensureDaemon(mirrorServer);
  log(`${'tools'.padEnd(20)} ready    ${await tools.health()}`);
}

// ---- env: every part healthy, then the keys for the tests ----

async function environment(): Promise<void> {
  const checks: Array<[string, () => Promise<string>]> = [
    ['kwok', () => kwok.health()],
    ['kwok-nodes', () => kwokNodes.health()],
    ['scheduling', workloadsLandOnKwokNodes],
    ['limited-kubeconfig', () => limitedAccess.health()],
    ['registry', () => openRegistry.health()],
    ['auth-registry', () => tlsAuthRegistry.health()],
    ['buildkitd', buildkitdHealth],
    ['prometheus', () => prometheus.health()],
    ['tool-mirror', () => mirrorServer.health()],
    ['tools', () => tools.health()],
    ['trivy-db', () => trivyDb.health()],
  ];
  const failed: string[] = [];
  for (const [name, check] of checks) {
    const detail = await check().then(
      (d) => `ok   ${d}`,
      (e: unknown) => `FAIL ${message(e)}`,
    );
    if (detail.startsWith('FAIL')) failed.push(name);
    log(`${name.padEnd(20)} ${detail.replace(/\s*\n\s*/g, ' | ')}`);
  }
  if (failed.length > 0) throw new Error(`not healthy: ${failed.join(', ')}`);

  // the local stack's keys, with the runner's engine and the buildkitd container; the local stack's
  // DOCKER_CONFIG and BUILDX_BUILDER name its private dockerd's builder, which does not exist here
  const { DOCKER_CONFIG: _config, BUILDX_BUILDER: _builder, ...local } = stackEnv();
  const env: Record<string, string> = { ...local, DOCKER_HOST: dockerHost, BUILDKIT_HOST: buildkitHost };
  const missing = [...requiredKeys, 'TOOLS_MIRROR', 'TOOLS_MANIFEST'].filter((key) => !env[key]);
  if (missing.length > 0) throw new Error(`environment lacks ${missing.join(', ')}`);

  mask(env.AUTH_REGISTRY_PASSWORD);
  const limited = parse(readFileSync(kubeconfigs.limited, 'utf8')) as {
    users?: Array<{ user?: { token?: string } }>;
  };
  mask(limited.users?.[0]?.user?.token);
  const text = renderEnv(env);
  writeFileSync(envFile, text, { mode: 0o600 });
  if (process.env.GITHUB_ENV) appendFileSync(process.env.GITHUB_ENV, text);
  log(`${Object.keys(env).join(' ')}\n-> ${process.env.GITHUB_ENV ? '$GITHUB_ENV and ' : ''}${envFile}`);
}

/** publish.sh builds the small real DB once (Go, shown as it runs), then trivydb.ts pushes it to :5000. */
async function trivyDbPhase(): Promise<void> {
  await runStreaming(['bash', join(repoRoot, 'test', 'stack', 'trivydb', 'publish.sh'), '--print-db-dir']);
  await step(trivyDb);
}

const phases: Record<string, () => Promise<void>> = {
  cluster,
  services,
  tools: toolsPhase,
  'trivy-db': trivyDbPhase,
  env: environment,
};

async function main(wanted: string | undefined): Promise<void> {
  const names = wanted === 'all' ? Object.keys(phases) : wanted && phases[wanted] ? [wanted] : [];
  if (names.length === 0)
    throw new Error(`usage: tsx test/stack/external/up.ts ${Object.keys(phases).join('|')}|all`);
  // kubeconfigs, CA and registry data go where the local stack keeps its own: never over a live one
  if (existsSync(paths.env) || isDaemonRunning('kube-apiserver'))
    throw new Error(`${stackDir} belongs to a running local stack (npm run stack:up): use another clone`);
  for (const name of names) await phases[name]!();
}

main(process.argv[2]).then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(`external ${process.argv[2] ?? ''}: ${message(error)}`);
    process.exit(1);
  },
);
