// gitops-promote and rollback (kind: gitops) over a real SSH transport: the stack's OpenSSH sshd
// (test/stack/ssh-server.ts) serves the same bare repositories as the HTTP git server, so a
// repository is made over HTTP and promoted to over ssh, with `ssh-key` and `known-hosts` exactly as
// a workflow passes them. Flux's source-controller pulls over ssh too.
import { chmodSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { CoreV1Api } from '@kubernetes/client-node';
import { CommandError, runCommand } from '../stack/command.js';
import { sshClient } from '../stack/ssh-server.js';
import {
  createRepo,
  followWithFlux,
  git,
  gitServer,
  gitSsh,
  remoteHead,
  sshRepoUrl,
  type CreatedRepo,
  type RepoFiles,
} from './harness/gitops.js';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { readOnlyKubeconfig } from './harness/read-only.js';
import { removeScratch, scratchDir } from './harness/scratch.js';
import {
  contractOf,
  failedOneLine,
  fakeDigest,
  image,
  readDeployment,
  runAction,
  succeeded,
  unique,
  type ActionRun,
} from './helm-deploy.harness.js';

const NAME = '127.0.0.1:5000/e2e/gitops-ssh-web';
const OVERLAY = 'apps/web/kustomization.yaml';

afterAll(() => removeScratch());

const files = (): RepoFiles => ({
  [OVERLAY]: [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'resources:',
    '  - deployment.yaml',
    'images:',
    `  - name: ${NAME}`,
    '    newTag: "1.0"',
    '',
  ].join('\n'),
  'apps/web/deployment.yaml': [
    'apiVersion: apps/v1',
    'kind: Deployment',
    'metadata:',
    '  name: web',
    'spec:',
    '  replicas: 1',
    '  selector:',
    '    matchLabels: { app: web }',
    '  template:',
    '    metadata:',
    '      labels: { app: web }',
    '    spec:',
    `      containers: [{ name: web, image: "${NAME}:1.0" }]`,
    '',
  ].join('\n'),
});

/** A repository made over HTTP, addressed over ssh from here on. */
async function sshRepo(): Promise<CreatedRepo & { ssh: string }> {
  const repo = await createRepo(`e2e/ssh-${unique()}`, files());
  return { ...repo, ssh: sshRepoUrl(repo.name) };
}

const sshInputs = (url: string, digest: string, extra: Record<string, string> = {}) => ({
  image: contractOf(NAME, digest),
  repository: url,
  'ssh-key': gitSsh().key,
  'known-hosts': gitSsh().knownHosts,
  path: OVERLAY,
  environment: 'e2e',
  mode: 'push',
  ...extra,
});

/**
 * An `ssh` first on PATH that notes each call's argv and the `-i` key file's mode at that moment,
 * then runs the real ssh: how the action's key file looks while it exists, without racing it.
 */
function observedSsh(): { env: NodeJS.ProcessEnv; calls: () => string[] } {
  const real = (process.env.PATH ?? '')
    .split(delimiter)
    .map((dir) => join(dir, 'ssh'))
    .find((p) => existsSync(p));
  if (!real) throw new Error('no ssh on PATH');
  const dir = scratchDir('ssh-wrapper');
  const log = join(dir, 'calls.log');
  const script = [
    '#!/bin/sh',
    'key=; prev=',
    'for arg in "$@"; do [ "$prev" = -i ] && key=$arg; prev=$arg; done',
    `printf 'mode=%s argv=%s\\n' "$(stat -c %a "$key" 2>/dev/null || echo missing)" "$*" >>'${log}'`,
    `exec '${real}' "$@"`,
    '',
  ].join('\n');
  writeFileSync(join(dir, 'ssh'), script);
  chmodSync(join(dir, 'ssh'), 0o755);
  return {
    env: { PATH: `${dir}${delimiter}${process.env.PATH}` },
    calls: () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []),
  };
}

const promote = (inputs: Record<string, string>, extra: NodeJS.ProcessEnv = {}) =>
  runAction('gitops-promote', inputs, extra);

async function fileOnMain(repoName: string, file: string): Promise<string> {
  return git(['--git-dir', join(gitServer().root, `${repoName}.git`), 'show', `main:${file}`]);
}

/** Neither the key nor any line of it in what the run printed. */
function keyNotPrinted(r: ActionRun): void {
  const printed = `${r.stdout}${r.stderr}${r.summary}`;
  const lines = gitSsh()
    .key.split('\n')
    .filter((l) => l.length > 20 && !l.startsWith('-----'));
  expect(lines.length).toBeGreaterThan(2);
  for (const line of lines) expect(printed).not.toContain(line);
}

/** The run's work dir (and so the key and known_hosts files in it) is gone. */
function workDirGone(r: ActionRun, action: string): void {
  const dirs = readdirSync(r.temp, { withFileTypes: true }).filter((e) => e.isDirectory());
  expect(dirs.map((e) => e.name).filter((name) => name.startsWith(`kubeline-${action}-`))).toEqual([]);
}

/** The stderr of an ssh run that must fail. */
async function sshRefusal(argv: string[]): Promise<string> {
  try {
    await runCommand(argv, { timeoutMs: 20_000 });
  } catch (error) {
    if (error instanceof CommandError) return error.stderr;
    throw error;
  }
  throw new Error(`${argv.join(' ')} succeeded`);
}

describe("the stack's sshd", () => {
  test('takes only the stack key (no password is offered) and forwards nothing', async () => {
    const client = sshClient();
    const other = join(scratchDir('other-client'), 'key');
    await runCommand(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', other], { timeoutMs: 30_000 });
    const withOther = client.map((arg, i) => (client[i - 1] === '-i' ? other : arg));
    expect(await sshRefusal([...withOther, 'true'])).toMatch(/Permission denied \(publickey\)/);
    const forward = ['-o', 'ExitOnForwardFailure=yes', '-R', '0:127.0.0.1:9'];
    expect(await sshRefusal([...client.slice(0, -1), ...forward, client.at(-1)!, 'true'])).toMatch(
      /remote port forwarding failed/,
    );
  });
});

describe('gitops-promote over ssh', () => {
  test('push mode: the digest lands in a commit on the bare repository; the same digest again changes nothing', async () => {
    const repo = await sshRepo();
    const digest = fakeDigest();
    const ssh = observedSsh();
    const r = await promote(sshInputs(repo.ssh, digest), ssh.env);
    succeeded(r);
    const head = await remoteHead(repo.url);
    expect(head).not.toBe(repo.commit);
    expect(r.outputs).toMatchObject({ changed: 'true', commit: head, status: 'pushed', digest });
    expect(await fileOnMain(repo.name, OVERLAY)).toContain(`digest: ${digest}`);
    // ssh ran with the key 0600, the port from the URL, and only the given known_hosts
    const calls = ssh.calls();
    expect(calls.length).toBeGreaterThanOrEqual(2); // fetch, push
    for (const call of calls) {
      expect(call).toMatch(/^mode=600 /);
      expect(call).toContain(`-p ${new URL(gitSsh().url).port}`);
      expect(call).toContain('StrictHostKeyChecking=yes');
      expect(call).toContain('GlobalKnownHostsFile=/dev/null');
    }
    workDirGone(r, 'gitops-promote');
    keyNotPrinted(r);

    const again = await promote(sshInputs(repo.ssh, digest));
    succeeded(again);
    expect(again.outputs).toMatchObject({ changed: 'false', commit: head, status: 'unchanged' });
    expect(await remoteHead(repo.url)).toBe(head);
    workDirGone(again, 'gitops-promote');
  });

  test.each([
    [
      "another host's key for this host and port",
      async () => {
        const other = join(scratchDir('other-host'), 'key');
        await runCommand(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', other], { timeoutMs: 30_000 });
        const [host] = gitSsh().knownHosts.split(' ');
        const [type, key] = readFileSync(`${other}.pub`, 'utf8').split(' ');
        return `${host} ${type} ${key}\n`;
      },
      /host key verification failed: \[127\.0\.0\.1\]:\d+ showed a host key that is not the one in known-hosts$/,
    ],
    [
      "only another host in it (the server's key under a forge's name)",
      async () => gitSsh().knownHosts.replace(/^\S+ /, 'git.example.com '),
      /host key verification failed: known-hosts has no ED25519 key for \[127\.0\.0\.1\]:\d+$/,
    ],
  ])(
    'known-hosts with %s: one line naming the host key, nothing pushed, no key printed or left',
    async (_, knownHosts, expected) => {
      const repo = await sshRepo();
      const r = await promote(sshInputs(repo.ssh, fakeDigest(), { 'known-hosts': await knownHosts() }));
      const line = failedOneLine(r);
      expect(line).toContain(`git fetch of main from ${repo.ssh} failed: `);
      expect(line).toMatch(expected);
      expect(await remoteHead(repo.url)).toBe(repo.commit);
      keyNotPrinted(r);
      workDirGone(r, 'gitops-promote');
    },
  );

  test('rollback kind: gitops over ssh writes the previous digest back', async () => {
    const repo = await sshRepo();
    const [first, second] = [fakeDigest(), fakeDigest()];
    for (const digest of [first, second]) succeeded(await promote(sshInputs(repo.ssh, digest)));
    const promotedSecond = await remoteHead(repo.url);
    const r = await runAction('rollback', {
      kind: 'gitops',
      release: 'web',
      repository: repo.ssh,
      'ssh-key': gitSsh().key,
      'known-hosts': gitSsh().knownHosts,
      path: OVERLAY,
      environment: 'e2e',
    });
    succeeded(r);
    const head = await remoteHead(repo.url);
    expect(head).not.toBe(promotedSecond);
    expect(r.outputs).toMatchObject({
      status: 'deployed',
      'from-revision': promotedSecond,
      revision: head,
      'image-digest': first,
    });
    expect(await fileOnMain(repo.name, OVERLAY)).toContain(`digest: ${first}`);
    const bare = join(gitServer().root, `${repo.name}.git`);
    expect(await git(['--git-dir', bare, 'log', '-1', '--format=%B', 'main'])).toContain(
      `Kubeline-Rollback-Of: ${promotedSecond}`,
    );
    workDirGone(r, 'rollback');
    keyNotPrinted(r);
  });
});

describe('Flux over ssh', () => {
  const ns = useTestNamespace('gitops-ssh');

  /** GitRepository over ssh (Secret with identity and known_hosts) and a Kustomization applying it. */
  async function fluxOverSsh(namespace: string, repo: CreatedRepo & { ssh: string }): Promise<void> {
    const config = adminKubeConfig();
    const { key, knownHosts } = gitSsh();
    await config.makeApiClient(CoreV1Api).createNamespacedSecret({
      namespace,
      body: { metadata: { name: 'git-ssh' }, stringData: { identity: key, known_hosts: knownHosts } },
    });
    await followWithFlux(config, namespace, { url: repo.ssh, commit: repo.commit }, 'git-ssh');
  }

  test('source-controller pulls over ssh; the promotion pushed over ssh is applied and rolls out', async () => {
    const repo = await sshRepo();
    await fluxOverSsh(ns.name, repo);
    const digest = fakeDigest();
    const r = await promote(
      sshInputs(repo.ssh, digest, {
        'wait-for': `kustomization/${ns.name}/apps`,
        kubeconfig: await readOnlyKubeconfig(ns.name),
        timeout: '3m',
      }),
    );
    succeeded(r);
    const head = await remoteHead(repo.url);
    expect(r.outputs).toMatchObject({
      status: 'healthy',
      changed: 'true',
      commit: head,
      'applied-revision': head,
    });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${NAME}@${digest}`);
    keyNotPrinted(r);
  });
});
