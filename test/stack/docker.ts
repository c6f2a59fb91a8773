// A private Docker engine (Debian dockerd) and a standalone buildkitd reached through a buildx
// `remote` builder. Neither touches a system docker: own sockets, data and exec roots, and
// config; no bridge, no iptables, so no container can reach anything but loopback.
import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { authRegistry, registry } from './addresses.js';
import { gobin } from './binaries.js';
import { runCommand } from './command.js';
import type { Daemon, Step } from './component.js';
import { unmountUnder } from './mounts.js';
import { paths } from './paths.js';
import { pki } from './pki.js';
import { expectOk } from './probes.js';

export const builderName = 'kubeline-stack';
export const dockerHost = `unix://${paths.dockerSock}`;
export const buildkitHost = `unix://${paths.buildkitSock}`;

// dockerd offers no flag for registry CAs: it reads /etc/docker/certs.d/<host:port>/ca.crt only.
const dockerCaFile = `/etc/docker/certs.d/${authRegistry}/ca.crt`;

/** Environment for docker CLI calls against the stack's engine and builder. */
export function dockerEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    DOCKER_HOST: dockerHost,
    DOCKER_CONFIG: paths.dockerConfig,
    BUILDX_BUILDER: builderName,
  };
}

function assertSocketPath(path: string): void {
  // sun_path holds 107 bytes; containerd's socket sits deeper than ours
  if (path.length > 90) throw new Error(`socket path too long for a unix socket: ${path} (move the clone)`);
}

function trustAuthRegistryCa(): void {
  const ca = readFileSync(pki.ca.cert, 'utf8');
  if (existsSync(dockerCaFile) && readFileSync(dockerCaFile, 'utf8') === ca) return;
  mkdirSync(dirname(dockerCaFile), { recursive: true });
  writeFileSync(dockerCaFile, ca);
}

export const dockerd: Daemon = {
  kind: 'daemon',
  name: 'dockerd',
  ports: [],
  startTimeoutMs: 60_000,
  async prepare() {
    const dir = paths.docker;
    const execRoot = join(dir, 'x');
    assertSocketPath(join(execRoot, 'containerd', 'containerd.sock'));
    mkdirSync(join(dir, 'data'), { recursive: true });
    mkdirSync(execRoot, { recursive: true });
    const configFile = join(dir, 'daemon.json');
    // our own config file, never /etc/docker/daemon.json; the libtrust key would go to /etc/docker
    writeFileSync(configFile, JSON.stringify({ 'deprecated-key-path': join(dir, 'key.json') }) + '\n');
    trustAuthRegistryCa();
    return {
      argv: [
        'dockerd',
        `--config-file=${configFile}`,
        `--data-root=${join(dir, 'data')}`,
        `--exec-root=${execRoot}`,
        `--pidfile=${join(dir, 'dockerd.pid')}`,
        `--host=${dockerHost}`,
        '--bridge=none',
        '--iptables=false',
        '--ip6tables=false',
        '--ip-masq=false',
        '--userland-proxy=false',
        `--insecure-registry=${registry}`,
      ],
    };
  },
  async health() {
    const body = await expectOk('http://docker/_ping', { socketPath: paths.dockerSock });
    if (body !== 'OK') throw new Error(`_ping: ${body}`);
    return dockerHost;
  },
  async cleanup() {
    // dockerd leaves its netns/default nsfs mount (and the data-root bind) behind after it exits.
    await unmountUnder(paths.docker);
    if (
      existsSync(dockerCaFile) &&
      readFileSync(dockerCaFile, 'utf8') === readFileSync(pki.ca.cert, 'utf8')
    ) {
      rmSync(dirname(dockerCaFile), { recursive: true, force: true });
      try {
        rmdirSync(dirname(dirname(dockerCaFile))); // certs.d itself, when nothing else is in it
      } catch {
        // not empty: other registries' CAs stay
      }
    }
  },
};

/**
 * buildkitd's config: host networking only, the open registry over HTTP, the auth registry with our
 * CA. `stateDir` keeps its root and OTEL socket in .stack (the local daemon); a container has its own.
 */
export function buildkitdToml(address: string, stateDir?: string): string {
  const local = stateDir
    ? `root = "${join(stateDir, 'root')}"

[otel]
  # default is /run/buildkit/otel-grpc.sock: keep it in .stack
  socketPath = "${join(stateDir, 'otel-grpc.sock')}"
`
    : '';
  return `# written by test/stack/docker.ts
${local}
[grpc]
  address = ["${address}"]

[worker.oci]
  enabled = true
  # host network only: no bridge, no CNI, nothing reachable but loopback
  networkMode = "host"
  gc = true
  gckeepstorage = "10GB"

[worker.containerd]
  enabled = false

[registry."${registry}"]
  http = true

# buildkit speaks plain HTTP to loopback registries unless told otherwise
[registry."${authRegistry}"]
  http = false
  ca = ["${pki.ca.cert}"]
`;
}

export const buildkitd: Daemon = {
  kind: 'daemon',
  name: 'buildkitd',
  ports: [],
  startTimeoutMs: 60_000,
  async prepare() {
    assertSocketPath(paths.buildkitSock);
    mkdirSync(join(paths.buildkit, 'root'), { recursive: true });
    const config = join(paths.buildkit, 'buildkitd.toml');
    writeFileSync(config, buildkitdToml(buildkitHost, paths.buildkit));
    return { argv: [await gobin('buildkitd'), `--config=${config}`] };
  },
  async health() {
    const { stdout } = await runCommand(
      [await gobin('buildctl'), `--addr=${buildkitHost}`, 'debug', 'workers'],
      {
        timeoutMs: 5_000,
      },
    );
    const workers = stdout.trim().split('\n').length - 1;
    if (workers < 1) throw new Error('no workers');
    return buildkitHost;
  },
  cleanup: () => unmountUnder(paths.buildkit),
};

/** buildx as a docker CLI plugin in the stack's own DOCKER_CONFIG, plus the `remote` builder. */
export const buildxBuilder: Step = {
  kind: 'step',
  name: 'buildx-builder',
  async ensure() {
    const plugin = join(paths.dockerConfig, 'cli-plugins', 'docker-buildx');
    mkdirSync(dirname(plugin), { recursive: true });
    rmSync(plugin, { force: true });
    symlinkSync(join(paths.bin, 'docker-buildx'), plugin);
    const env = dockerEnv();
    try {
      await runCommand(['docker', 'buildx', 'inspect', builderName], { env });
    } catch {
      await runCommand(
        ['docker', 'buildx', 'create', '--name', builderName, '--driver', 'remote', buildkitHost],
        { env },
      );
    }
    await runCommand(['docker', 'buildx', 'inspect', '--bootstrap', builderName], { env, timeoutMs: 60_000 });
  },
  async health() {
    const { stdout } = await runCommand(['docker', 'buildx', 'inspect', builderName], {
      env: dockerEnv(),
      timeoutMs: 10_000,
    });
    if (!/Status:\s+running/.test(stdout)) throw new Error(`builder not running:\n${stdout}`);
    return `${builderName} -> ${buildkitHost}`;
  },
};
