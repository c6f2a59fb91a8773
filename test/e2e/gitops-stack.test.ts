// The GitOps part of the stack, for real: the Git server (smart HTTP through git-http-backend,
// Basic auth) refuses wrong credentials and paths that leave its root, and Flux's own controllers
// (source-, kustomize-, helm-controller) reconcile what is pushed to it — a Kustomization and a
// HelmRelease whose chart lives in the same repository — revision by revision.
import { randomBytes } from 'node:crypto';
import { mkdirSync, rmSync, symlinkSync, existsSync } from 'node:fs';
import { request } from 'node:http';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { AppsV1Api, KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { stringify } from 'yaml';
import {
  commitFiles,
  createGitCredentials,
  chartFiles,
  createRepo,
  git,
  gitEnv,
  gitServer,
  isFluxReady,
  remoteHead,
  revisionOf,
  waitForFlux,
  type RepoFiles,
} from './harness/gitops.js';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { removeScratch, scratchDir } from './harness/scratch.js';
import { isRolledOut, waitForDeployment } from './harness/watch.js';

afterAll(() => removeScratch());

const unique = () => randomBytes(3).toString('hex');

/** A raw request with the path exactly as written (no client-side normalisation). */
function rawGet(path: string, authorization?: string): Promise<number> {
  const { url } = gitServer();
  const target = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: target.hostname,
        port: target.port,
        path,
        method: 'GET',
        headers: authorization ? { authorization } : {},
        timeout: 10_000,
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer in 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

async function pushFails(
  worktree: string,
  url: string,
  env: NodeJS.ProcessEnv,
): Promise<{ failed: boolean; output: string }> {
  try {
    await git(['push', '--quiet', url, 'HEAD:refs/heads/main'], { cwd: worktree, env });
    return { failed: false, output: '' };
  } catch (error) {
    return { failed: true, output: error instanceof Error ? error.message : String(error) };
  }
}

describe('git server', () => {
  test('serves a pushed commit to the stack user, and refuses a wrong password and anonymous access', async () => {
    const server = gitServer();
    const repo = await createRepo(`e2e/auth-${unique()}`, { 'README.md': 'one\n' });
    expect(await remoteHead(repo.url)).toBe(repo.commit);
    // the bare repository on disk holds the commit on main
    const bare = join(server.root, `${repo.name}.git`);
    expect(await git(['--git-dir', bare, 'rev-parse', 'refs/heads/main'])).toBe(repo.commit);

    const worktree = join(scratchDir('git-auth'), 'repo');
    await git(['clone', '--quiet', repo.url, worktree]);
    await git(['commit', '--quiet', '--allow-empty', '--message', 'not allowed'], { cwd: worktree });
    const wrong = await pushFails(
      worktree,
      repo.url,
      gitEnv({ user: server.user, password: 'wrong-password' }),
    );
    expect(wrong.failed).toBe(true);
    expect(wrong.output).not.toContain('wrong-password');
    const anonymous = await pushFails(worktree, repo.url, gitEnv('none'));
    expect(anonymous.failed).toBe(true);
    expect(await remoteHead(repo.url)).toBe(repo.commit);

    // the right password pushes the same commit
    await git(['push', '--quiet', repo.url, 'HEAD:refs/heads/main'], { cwd: worktree });
    const pushed = await git(['rev-parse', 'HEAD'], { cwd: worktree });
    expect(pushed).not.toBe(repo.commit);
    expect(await remoteHead(repo.url)).toBe(pushed);

    const refs = `/${repo.name}.git/info/refs?service=git-receive-pack`;
    expect(await rawGet(refs)).toBe(401);
    expect(await rawGet(refs, basic(server.user, 'wrong-password'))).toBe(401);
    expect(await rawGet(refs, basic('someone-else', server.password))).toBe(401);
    expect(await rawGet(refs, basic(server.user, server.password))).toBe(200);
  });

  test('refuses paths that leave its root, and creates no repository on push', async () => {
    const server = gitServer();
    const auth = basic(server.user, server.password);
    const id = unique();
    // a real bare repository just outside the root: what a traversal would reach
    const outside = join(dirname(server.root), `outside-${id}.git`);
    const link = join(server.root, 'e2e', `link-${id}.git`);
    await git(['init', '--quiet', '--bare', outside]);
    try {
      mkdirSync(dirname(link), { recursive: true });
      symlinkSync(outside, link);
      const service = 'info/refs?service=git-upload-pack';
      const name = `outside-${id}.git`;
      for (const path of [
        `/e2e/../${name}/${service}`,
        `/e2e/../../${name}/${service}`,
        `/e2e/%2e%2e/${name}/${service}`,
        `/e2e/..%2f${name}/${service}`,
        `/e2e//../${name}/${service}`,
        `/e2e\\..\\${name}/${service}`,
        `/./e2e/${name}/${service}`,
      ])
        expect([path, await rawGet(path, auth)]).toEqual([path, 400]);
      // a symlink inside the root that leads out of it is no repository
      expect(await rawGet(`/e2e/link-${id}.git/${service}`, auth)).toBe(404);
      expect(existsSync(join(outside, 'HEAD'))).toBe(true);

      // a push to a repository that does not exist fails and leaves nothing behind
      const missing = `e2e/missing-${id}`;
      const worktree = join(scratchDir('git-missing'), 'repo');
      await git(['init', '--quiet', '--initial-branch=main', worktree]);
      await git(['commit', '--quiet', '--allow-empty', '--message', 'x'], { cwd: worktree });
      const push = await pushFails(worktree, `${server.url}/${missing}.git`, gitEnv());
      expect(push.failed).toBe(true);
      expect(existsSync(join(server.root, `${missing}.git`))).toBe(false);
    } finally {
      rmSync(link, { force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});

const IMAGE = '127.0.0.1:5000/kubeline/web';

function deploymentManifest(tag: string): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'web', image: `${IMAGE}:${tag}` }] },
      },
    },
  });
}

const kustomizeFiles = (tag: string): RepoFiles => ({
  'deploy/kustomization.yaml': stringify({
    apiVersion: 'kustomize.config.k8s.io/v1beta1',
    kind: 'Kustomization',
    resources: ['deployment.yaml'],
  }),
  'deploy/deployment.yaml': deploymentManifest(tag),
});

function gitRepository(namespace: string, url: string, secret: string): KubernetesObject {
  return {
    apiVersion: 'source.toolkit.fluxcd.io/v1',
    kind: 'GitRepository',
    metadata: { name: 'config', namespace },
    spec: { url, interval: '2s', timeout: '30s', ref: { branch: 'main' }, secretRef: { name: secret } },
  } as KubernetesObject;
}

async function create(objects: KubernetesObject[]): Promise<void> {
  const api = KubernetesObjectApi.makeApiClient(adminKubeConfig());
  for (const object of objects) await api.create(object);
}

async function deploymentImage(namespace: string, name: string): Promise<string | undefined> {
  const d = await adminKubeConfig().makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
  return d.spec?.template.spec?.containers[0]?.image;
}

describe('Flux', () => {
  const ns = useTestNamespace('gitops');

  test('a Kustomization applies each commit pushed to the git server', async () => {
    const config = adminKubeConfig();
    const namespace = ns.name;
    const repo = await createRepo(`e2e/${namespace}-kustomize`, kustomizeFiles('1.0.0'));
    const secret = await createGitCredentials(config, namespace);
    await create([
      gitRepository(namespace, repo.url, secret),
      {
        apiVersion: 'kustomize.toolkit.fluxcd.io/v1',
        kind: 'Kustomization',
        metadata: { name: 'web', namespace },
        spec: {
          interval: '10m', // a new artifact triggers it at once; the interval is only the drift check
          path: './deploy',
          prune: true,
          wait: true,
          timeout: '2m',
          targetNamespace: namespace,
          sourceRef: { kind: 'GitRepository', name: 'config' },
        },
      } as KubernetesObject,
    ]);

    const source = await waitForFlux(config, 'GitRepository', namespace, 'config', 'Ready', isFluxReady);
    expect(source.status?.artifact?.revision).toBe(revisionOf(repo.commit));
    expect(source.status?.artifact?.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\//);
    const first = await waitForFlux(
      config,
      'Kustomization',
      namespace,
      'web',
      `Ready at ${repo.commit}`,
      (k) => isFluxReady(k) && k.status?.lastAppliedRevision === revisionOf(repo.commit),
    );
    expect(first.status?.lastAppliedRevision).toBe(revisionOf(repo.commit));
    // wait: true — Ready means the Deployment rolled out on the kwok nodes
    const deployment = await waitForDeployment(config, namespace, 'web', 'rolled out', isRolledOut, 30_000);
    expect(deployment.spec?.template.spec?.containers[0]?.image).toBe(`${IMAGE}:1.0.0`);
    expect(deployment.metadata?.labels?.['kustomize.toolkit.fluxcd.io/name']).toBe('web');

    const second = await commitFiles(
      repo.url,
      { 'deploy/deployment.yaml': deploymentManifest('1.1.0') },
      'web 1.1.0',
    );
    expect(second).not.toBe(repo.commit);
    const applied = await waitForFlux(
      config,
      'Kustomization',
      namespace,
      'web',
      `Ready at ${second}`,
      (k) => isFluxReady(k) && k.status?.lastAppliedRevision === revisionOf(second),
    );
    expect(applied.status?.lastAppliedRevision).toBe(revisionOf(second));
    expect(await deploymentImage(namespace, 'web')).toBe(`${IMAGE}:1.1.0`);
    await waitForDeployment(
      config,
      namespace,
      'web',
      'rolled out at 1.1.0',
      (d) => isRolledOut(d) && d.spec?.template.spec?.containers[0]?.image === `${IMAGE}:1.1.0`,
      60_000,
    );
  });

  test('a HelmRelease installs a chart from the git server and upgrades on the next commit', async () => {
    const config = adminKubeConfig();
    const namespace = ns.name;
    const repo = await createRepo(`e2e/${namespace}-helm`, chartFiles());
    const secret = await createGitCredentials(config, namespace);
    await create([
      gitRepository(namespace, repo.url, secret),
      {
        apiVersion: 'helm.toolkit.fluxcd.io/v2',
        kind: 'HelmRelease',
        metadata: { name: 'web', namespace },
        spec: {
          interval: '10m',
          chart: {
            spec: {
              chart: './charts/web',
              // every commit is a new chart version (0.1.0+<12 hex of the commit>)
              reconcileStrategy: 'Revision',
              interval: '2s',
              sourceRef: { kind: 'GitRepository', name: 'config' },
            },
          },
          install: { timeout: '2m' },
          upgrade: { timeout: '2m' },
          values: { replicaCount: 1, image: { repository: IMAGE, tag: '2.0.0' } },
        },
      } as KubernetesObject,
    ]);

    const version = (commit: string) => `0.1.0+${commit.slice(0, 12)}`;
    const installed = await waitForFlux(
      config,
      'HelmRelease',
      namespace,
      'web',
      `Ready with chart ${version(repo.commit)}`,
      (h) => isFluxReady(h) && h.status?.history?.[0]?.chartVersion === version(repo.commit),
    );
    expect(installed.status?.lastAttemptedRevision).toBe(version(repo.commit));
    expect(installed.status?.history?.[0]).toMatchObject({
      chartName: 'web',
      chartVersion: version(repo.commit),
      status: 'deployed',
      version: 1,
    });
    expect(await deploymentImage(namespace, 'web')).toBe(`${IMAGE}:2.0.0`);
    const deployment = await waitForDeployment(config, namespace, 'web', 'rolled out', isRolledOut, 30_000);
    expect(deployment.metadata?.labels?.['helm.toolkit.fluxcd.io/name']).toBe('web');

    const values = chartFiles()['charts/web/values.yaml']!;
    expect(values).toContain('message: hello');
    const second = await commitFiles(
      repo.url,
      { 'charts/web/values.yaml': values.replace('message: hello', 'message: hello again') },
      'web: new message',
    );
    const upgraded = await waitForFlux(
      config,
      'HelmRelease',
      namespace,
      'web',
      `Ready with chart ${version(second)}`,
      (h) => isFluxReady(h) && h.status?.history?.[0]?.chartVersion === version(second),
    );
    expect(upgraded.status?.lastAttemptedRevision).toBe(version(second));
    expect(upgraded.status?.history?.map((s) => [s.version, s.chartVersion, s.status])).toEqual([
      [2, version(second), 'deployed'],
      [1, version(repo.commit), 'superseded'],
    ]);
  });
});
