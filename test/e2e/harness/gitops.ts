// The stack's Git server and Flux from tests: fresh repositories with commits pushed over smart
// HTTP, the credentials Secret a GitRepository reads, and waits on Flux objects. The password only
// travels in git's environment (an Authorization header), never on argv or in a URL.
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import {
  CoreV1Api,
  KubernetesObjectApi,
  type KubeConfig,
  type KubernetesObject,
} from '@kubernetes/client-node';
import { runCommand } from '../../stack/command.js';
import { repoRoot } from '../../stack/paths.js';
import { scratchDir } from './scratch.js';
import { loadStackEnv } from './stack-env.js';
import { waitForObject } from './watch.js';

export interface GitServer {
  /** http://127.0.0.1:<port>; a repository is `${url}/${name}.git`. */
  url: string;
  user: string;
  password: string;
  /** Where the bare repositories live on disk (.stack/git). */
  root: string;
}

export function gitServer(): GitServer {
  const env = loadStackEnv();
  const { GIT_SERVER_URL: url, GIT_SERVER_USER: user, GIT_SERVER_PASSWORD: password } = env;
  const root = env.GIT_SERVER_ROOT;
  if (!url || !user || !password || !root)
    throw new Error('the stack env has no GIT_SERVER_* keys: run npm run stack:up (a stack with git-server)');
  return { url, user, password, root };
}

/** The stack's sshd (test/stack/ssh-server.ts): the same repositories as `gitServer()`, over ssh. */
export interface GitSsh {
  /** ssh://<user>@127.0.0.1:<port><abs path of .stack/git>; a repository is `${url}/${name}.git`. */
  url: string;
  /** The client's private key (what an `ssh-key` input is given) and its file. */
  key: string;
  keyFile: string;
  /** The server's `[127.0.0.1]:<port> ssh-ed25519 …` line (what a `known-hosts` input is given). */
  knownHosts: string;
}

export function gitSsh(): GitSsh {
  const env = loadStackEnv();
  const { GIT_SSH_URL: url, GIT_SSH_KEY: keyFile, GIT_SSH_KNOWN_HOSTS: knownHostsFile } = env;
  if (!url || !keyFile || !knownHostsFile)
    throw new Error('the stack env has no GIT_SSH_* keys: run npm run stack:up (a stack with ssh-server)');
  return {
    url,
    key: readFileSync(keyFile, 'utf8'),
    keyFile,
    knownHosts: readFileSync(knownHostsFile, 'utf8'),
  };
}

export const sshRepoUrl = (name: string) => `${gitSsh().url}/${name}.git`;

/** owner/name (1–3 segments, as the server serves them), without `.git`. */
const REPO_NAME = /^[a-z0-9][a-z0-9_.-]*(\/[a-z0-9][a-z0-9_.-]*){0,2}$/i;

export function repoUrl(name: string): string {
  return `${gitServer().url}/${name}.git`;
}

/** git's environment: no user or system config, no prompts, Basic credentials as a header. */
export function gitEnv(
  credentials: { user: string; password: string } | 'none' = gitServer(),
): NodeJS.ProcessEnv {
  const config: Array<[string, string]> = [
    ['credential.helper', ''],
    ['protocol.version', '2'],
    ['user.name', 'kubeline e2e'],
    ['user.email', 'e2e@kubeline.invalid'],
    ['init.defaultBranch', 'main'],
  ];
  if (credentials !== 'none') {
    const basic = Buffer.from(`${credentials.user}:${credentials.password}`).toString('base64');
    config.push(['http.extraHeader', `Authorization: Basic ${basic}`]);
  }
  return {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    GIT_TERMINAL_PROMPT: '0',
    GIT_ASKPASS: '/bin/false',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
    GIT_CONFIG_COUNT: String(config.length),
    ...Object.fromEntries(
      config.flatMap(([k, v], i) => [
        [`GIT_CONFIG_KEY_${i}`, k],
        [`GIT_CONFIG_VALUE_${i}`, v],
      ]),
    ),
  };
}

export async function git(
  args: string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<string> {
  const { stdout } = await runCommand(['git', ...args], {
    cwd: options.cwd,
    env: options.env ?? gitEnv(),
    timeoutMs: 60_000,
  });
  return stdout.trim();
}

/** Files by path relative to the repository root; null deletes the file. */
export type RepoFiles = Record<string, string | null>;

/** The test chart (test/fixtures/charts/web) as repository files under charts/web/. */
export function chartFiles(): RepoFiles {
  const chart = join(repoRoot, 'test', 'fixtures', 'charts', 'web');
  const files: RepoFiles = {};
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir)) {
      const path = join(dir, entry);
      if (statSync(path).isDirectory()) walk(path);
      else files[`charts/web/${relative(chart, path)}`] = readFileSync(path, 'utf8');
    }
  };
  walk(chart);
  return files;
}

function writeFiles(worktree: string, files: RepoFiles): void {
  for (const [path, content] of Object.entries(files)) {
    if (path.split('/').some((s) => s === '' || s === '.' || s === '..' || s === '.git'))
      throw new Error(`repository file path refused: ${path}`);
    const target = join(worktree, path);
    if (content === null) rmSync(target, { force: true });
    else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, content);
    }
  }
}

/** Clones the repository, writes the files, commits and pushes over HTTP; returns the new commit. */
export async function commitFiles(
  url: string,
  files: RepoFiles,
  message: string,
  branch = 'main',
): Promise<string> {
  const worktree = join(scratchDir('git'), 'repo');
  await git(['clone', '--quiet', '--branch', branch, url, worktree]);
  writeFiles(worktree, files);
  await git(['add', '--all'], { cwd: worktree });
  await git(['commit', '--quiet', '--message', message], { cwd: worktree });
  await git(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`], { cwd: worktree });
  return git(['rev-parse', 'HEAD'], { cwd: worktree });
}

export interface CreatedRepo {
  name: string;
  url: string;
  /** The initial commit on main. */
  commit: string;
}

/**
 * A fresh bare repository on the stack's Git server (`.stack/git/<name>.git`, HEAD on main) whose
 * first commit, holding `files`, is pushed over smart HTTP. Refuses a name that exists.
 */
export async function createRepo(name: string, files: RepoFiles): Promise<CreatedRepo> {
  if (!REPO_NAME.test(name)) throw new Error(`repository name refused: ${name} (want owner/name)`);
  const dir = join(gitServer().root, `${name}.git`);
  if (existsSync(dir)) throw new Error(`repository ${name} exists already (${dir})`);
  mkdirSync(dirname(dir), { recursive: true });
  await git(['init', '--quiet', '--bare', '--initial-branch=main', dir]);
  const worktree = join(scratchDir('git'), 'repo');
  await git(['init', '--quiet', '--initial-branch=main', worktree]);
  writeFiles(worktree, files);
  await git(['add', '--all'], { cwd: worktree });
  await git(['commit', '--quiet', '--message', 'initial commit'], { cwd: worktree });
  const url = repoUrl(name);
  await git(['push', '--quiet', url, 'HEAD:refs/heads/main'], { cwd: worktree });
  return { name, url, commit: await git(['rev-parse', 'HEAD'], { cwd: worktree }) };
}

/** The commit a branch points at on the server (ls-remote over HTTP). */
export async function remoteHead(url: string, branch = 'main'): Promise<string> {
  const line = await git(['ls-remote', url, `refs/heads/${branch}`]);
  return line.split(/\s+/)[0] ?? '';
}

/** The Secret a GitRepository's spec.secretRef names: the stack's Git user and password. */
export async function createGitCredentials(
  config: KubeConfig,
  namespace: string,
  name = 'git-credentials',
): Promise<string> {
  const { user, password } = gitServer();
  await config.makeApiClient(CoreV1Api).createNamespacedSecret({
    namespace,
    body: { metadata: { name }, stringData: { username: user, password } },
  });
  return name;
}

export interface FluxCondition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  observedGeneration?: number;
}

export type FluxObject = KubernetesObject & {
  status?: {
    conditions?: FluxCondition[];
    observedGeneration?: number;
    lastAppliedRevision?: string;
    lastAttemptedRevision?: string;
    artifact?: { revision?: string; url?: string };
    history?: Array<{ chartName?: string; chartVersion?: string; status?: string; version?: number }>;
  };
};

export const fluxKinds = {
  GitRepository: { apiVersion: 'source.toolkit.fluxcd.io/v1', plural: 'gitrepositories' },
  Kustomization: { apiVersion: 'kustomize.toolkit.fluxcd.io/v1', plural: 'kustomizations' },
  HelmRelease: { apiVersion: 'helm.toolkit.fluxcd.io/v2', plural: 'helmreleases' },
} as const;
export type FluxKind = keyof typeof fluxKinds;

export function isFluxReady(object: FluxObject): boolean {
  const ready = object.status?.conditions?.find((c) => c.type === 'Ready');
  return (
    ready?.status === 'True' && (object.status?.observedGeneration ?? 0) >= (object.metadata?.generation ?? 1)
  );
}

/** The `main@sha1:<sha>` revision Flux writes for a commit on main. */
export const revisionOf = (commit: string, branch = 'main') => `${branch}@sha1:${commit}`;

/** Waits (by watch) for a Flux object that satisfies the predicate; the timeout names its last status. */
export function waitForFlux(
  config: KubeConfig,
  kind: FluxKind,
  namespace: string,
  name: string,
  describe: string,
  predicate: (object: FluxObject) => boolean,
  timeoutMs = 120_000,
): Promise<FluxObject> {
  const { apiVersion, plural } = fluxKinds[kind];
  return waitForObject<FluxObject>(
    config,
    {
      path: `/apis/${apiVersion}/namespaces/${namespace}/${plural}`,
      name,
      describe: `${kind} ${namespace}/${name} ${describe}`,
      timeoutMs,
    },
    predicate,
  );
}

/**
 * Flux following a config repository into a namespace: GitRepository `config` (credentials from
 * `secret`, polled every `interval`) and Kustomization `apps` applying ./apps/web, awaited until it
 * applied `commit`.
 */
export async function followWithFlux(
  config: KubeConfig,
  namespace: string,
  repo: { url: string; commit: string },
  secret: string,
  interval = '2s',
): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(config);
  const objects: KubernetesObject[] = [
    {
      apiVersion: 'source.toolkit.fluxcd.io/v1',
      kind: 'GitRepository',
      metadata: { name: 'config', namespace },
      spec: {
        url: repo.url,
        interval,
        timeout: '30s',
        ref: { branch: 'main' },
        secretRef: { name: secret },
      },
    } as KubernetesObject,
    {
      apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
      kind: 'Kustomization',
      metadata: { name: 'apps', namespace },
      spec: {
        interval: '10m',
        path: './apps/web',
        prune: true,
        targetNamespace: namespace,
        timeout: '1m',
        sourceRef: { kind: 'GitRepository', name: 'config' },
      },
    } as KubernetesObject,
  ];
  for (const o of objects) await api.create(o);
  await waitForFlux(
    config,
    'Kustomization',
    namespace,
    'apps',
    `applied ${repo.commit}`,
    (k) => (k.status?.lastAppliedRevision ?? '') === revisionOf(repo.commit),
  );
}
