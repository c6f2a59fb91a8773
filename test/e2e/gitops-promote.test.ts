// gitops-promote end to end: the bundle commits to the stack's real Git server (git http-backend,
// Basic auth), the stack's real Flux controllers reconcile it into the apiserver, kwok runs the pods,
// and the action waits with a kubeconfig that can only read. The pull-request API is a local fake
// of GitHub's (SaaS); everything else is real.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { stringify } from 'yaml';
import { startGitHubFake, type GitHubFake } from '../fakes/github-api.js';
import { startGitLabFake, type GitLabFake } from '../fakes/gitlab-api.js';
import { spawnBundle } from '../support/processes.js';
import {
  createGitCredentials,
  chartFiles,
  createRepo,
  followWithFlux,
  git,
  gitServer,
  remoteHead,
  type RepoFiles,
} from './harness/gitops.js';
import { buildAndPush, busyboxContext } from './harness/images.js';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { readOnlyKubeconfig } from './harness/read-only.js';
import { removeScratch, scratchDir } from './harness/scratch.js';
import { stackTool } from './harness/stack-env.js';
import { freshDockerConfig, run } from './harness/tools.js';
import {
  contractOf,
  env,
  failedOneLine,
  fakeDigest,
  image,
  readDeployment,
  runAction,
  succeeded,
  tmp,
  unique,
} from './helm-deploy.harness.js';

const NAME = '127.0.0.1:5000/e2e/gitops-web';
const OVERLAY = 'apps/web/kustomization.yaml';
const loopbackOnly = { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' };

afterAll(() => removeScratch());

const KUSTOMIZATION = `# web, as Flux applies it
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - deployment.yaml # the app
images:
  - name: ${NAME} # pinned by kubeline gitops-promote
    newTag: "1.0"
`;

function deployment(labels: Record<string, string> = {}): string {
  return stringify({
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      replicas: 2,
      progressDeadlineSeconds: 60,
      selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web', ...labels } },
        spec: { containers: [{ name: 'web', image: `${NAME}:1.0` }] },
      },
    },
  });
}

const files = (labels: Record<string, string> = {}): RepoFiles => ({
  [OVERLAY]: KUSTOMIZATION,
  'apps/web/deployment.yaml': deployment(labels),
});

/** A config repository on the stack's Git server and Flux following it into the namespace. */
async function fluxScene(namespace: string, repoFiles: RepoFiles) {
  const config = adminKubeConfig();
  const repo = await createRepo(`e2e/${namespace}-${unique()}`, repoFiles);
  const secret = await createGitCredentials(config, namespace);
  await followWithFlux(config, namespace, repo, secret);
  return repo;
}

/** A contract (not a reference): made-up digests are never looked up in the registry. */
const promoteInputs = (url: string, digest: string, extra: Record<string, string> = {}) => ({
  image: contractOf(NAME, digest),
  repository: url,
  token: gitServer().password,
  username: gitServer().user,
  path: OVERLAY,
  environment: 'e2e',
  ...extra,
});

const promote = (inputs: Record<string, string>, extra: NodeJS.ProcessEnv = {}) =>
  runAction('gitops-promote', inputs, { ...loopbackOnly, ...extra });

/** rollback kind: gitops on the repository, as the promotions above recorded them (environment e2e). */
const rollbackGitops = (url: string, inputs: Record<string, string>) =>
  runAction(
    'rollback',
    {
      kind: 'gitops',
      release: 'web',
      repository: url,
      token: gitServer().password,
      username: gitServer().user,
      environment: 'e2e',
      ...inputs,
    },
    loopbackOnly,
  );

/** The file as main has it on the server. */
async function fileOnMain(repoName: string, file: string): Promise<string> {
  return git(['--git-dir', join(gitServer().root, `${repoName}.git`), 'show', `main:${file}`]);
}

describe('gitops-promote with Flux', () => {
  const ns = useTestNamespace('gitops');

  test('commits the digest, Flux applies it, the Deployment rolls out on it: reported healthy with a read-only kubeconfig', async () => {
    const repo = await fluxScene(ns.name, files());
    const digest = fakeDigest();
    const reader = await readOnlyKubeconfig(ns.name);
    const r = await promote(
      promoteInputs(repo.url, digest, {
        'wait-for': `kustomization/${ns.name}/apps`,
        kubeconfig: reader,
        timeout: '3m',
      }),
    );
    succeeded(r);
    const head = await remoteHead(repo.url);
    expect(r.outputs).toMatchObject({
      status: 'healthy',
      changed: 'true',
      commit: head,
      digest,
      'applied-revision': head,
      files: JSON.stringify([OVERLAY]),
    });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${NAME}@${digest}`);
    // comments and formatting kept; the tag went, the digest came
    const text = await fileOnMain(repo.name, OVERLAY);
    // (git() trims the output: the file's last newline is compared without it)
    expect(text).toBe(KUSTOMIZATION.replace('    newTag: "1.0"\n', `    digest: ${digest}\n`).trimEnd());
    const message = await git([
      '--git-dir',
      join(gitServer().root, `${repo.name}.git`),
      'log',
      '-1',
      '--format=%B',
      'main',
    ]);
    expect(message).toContain(`Kubeline-Image: ${NAME}@${digest}`);
    expect(message).toContain('Kubeline-Environment: e2e');
    // the summary splits the time into git, controller and rollout
    expect(r.summary).toMatch(/commit and push \| [\d.]+ ?m?s/);
    expect(r.summary).toMatch(/kustomization .*\/apps applied \| \+/);
    expect(r.summary).toMatch(/Deployment .*\/web rolled out/);
    expect(r.summary).toMatch(/push → healthy/);
    // the token never reached the output or the summary
    expect(`${r.stdout}${r.stderr}${r.summary}`).not.toContain(gitServer().password);

    // the same digest again: nothing committed, and it waits for what is there
    const again = await promote(
      promoteInputs(repo.url, digest, { 'wait-for': `kustomization/${ns.name}/apps`, kubeconfig: reader }),
    );
    succeeded(again);
    expect(again.outputs).toMatchObject({ changed: 'false', commit: head, status: 'healthy' });
    expect(await remoteHead(repo.url)).toBe(head);
  });

  test('rollback kind: gitops writes the previous promotion back through Git; Flux applies it and it rolls out', async () => {
    const repo = await fluxScene(ns.name, files());
    const reader = await readOnlyKubeconfig(ns.name);
    const [first, second] = [fakeDigest(), fakeDigest()];
    for (const digest of [first, second]) succeeded(await promote(promoteInputs(repo.url, digest)));
    const promotedSecond = await remoteHead(repo.url);
    const rollback = (more: Record<string, string>) => rollbackGitops(repo.url, { path: OVERLAY, ...more });
    const r = await rollback({
      'wait-for': `kustomization/${ns.name}/apps`,
      kubeconfig: reader,
      timeout: '3m',
    });
    succeeded(r);
    const head = await remoteHead(repo.url);
    expect(r.outputs).toMatchObject({
      status: 'deployed',
      'from-revision': promotedSecond,
      revision: head,
      'image-digest': first,
    });
    expect(await fileOnMain(repo.name, OVERLAY)).toContain(`digest: ${first}`);
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${NAME}@${first}`);
    const bare = join(gitServer().root, `${repo.name}.git`);
    expect(await git(['--git-dir', bare, 'log', '-1', '--format=%B', 'main'])).toContain(
      `Kubeline-Rollback-Of: ${promotedSecond}`,
    );

    // to a digest an earlier promotion wrote: the second image, from the commit that promoted it
    const byDigest = (to: string) => rollback({ to });
    const forward = await byDigest(second);
    succeeded(forward);
    expect(forward.outputs).toMatchObject({
      'from-revision': head,
      'to-revision': promotedSecond,
      'image-digest': second,
      revision: await remoteHead(repo.url),
    });
    expect(await fileOnMain(repo.name, OVERLAY)).toContain(`digest: ${second}`);
    // one no promotion wrote changes nothing
    const tip = await remoteHead(repo.url);
    const never = fakeDigest();
    expect(failedOneLine(await byDigest(never))).toBe(
      `error: rollback: no promotion in the last 500 commits that touch ${OVERLAY} wrote ${never}: nothing was changed`,
    );
    expect(await remoteHead(repo.url)).toBe(tip);
  });

  test('rollback to last-good skips the promotions nobody saw healthy: the note a healthy wait left decides', async () => {
    const repo = await fluxScene(ns.name, files());
    const wait = {
      'wait-for': `kustomization/${ns.name}/apps`,
      kubeconfig: await readOnlyKubeconfig(ns.name),
      timeout: '3m',
    };
    const [good, unseen, latest] = [fakeDigest(), fakeDigest(), fakeDigest()];
    const healthy = await promote(promoteInputs(repo.url, good, wait));
    succeeded(healthy);
    expect(healthy.stderr).toContain(
      `recorded ${healthy.outputs.commit!.slice(0, 12)} healthy in refs/notes/kubeline`,
    );
    for (const digest of [unseen, latest]) succeeded(await promote(promoteInputs(repo.url, digest)));
    const bare = join(gitServer().root, `${repo.name}.git`);
    const note = (sha: string) => git(['--git-dir', bare, 'notes', '--ref=refs/notes/kubeline', 'show', sha]);
    expect(await note(healthy.outputs.commit!)).toMatch(/^Kubeline-Healthy: e2e \S+Z$/);

    const r = await rollbackGitops(repo.url, { path: OVERLAY, to: 'last-good', ...wait });
    succeeded(r);
    expect(r.outputs).toMatchObject({ 'to-revision': healthy.outputs.commit, 'image-digest': good });
    expect(await fileOnMain(repo.name, OVERLAY)).toContain(`digest: ${good}`);
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${NAME}@${good}`);
    // the rollback, seen healthy, is recorded too; the branch carries no commit for either record
    expect(await note(r.outputs.revision!)).toMatch(/^Kubeline-Healthy: e2e \S+Z$/);
    expect(await git(['--git-dir', bare, 'rev-list', '--count', 'main'])).toBe('5');
  });

  test('pods that never become ready: reported failed with the cause and diagnostics', async () => {
    const repo = await fluxScene(ns.name, files({ 'kubeline.dev/fail-as': 'crashloop' }));
    const r = await promote(
      promoteInputs(repo.url, fakeDigest(), {
        'wait-for': `kustomization/${ns.name}/apps`,
        kubeconfig: await readOnlyKubeconfig(ns.name),
        timeout: '3m',
      }),
    );
    const line = failedOneLine(r);
    expect(line).toMatch(
      /was applied but did not roll out: Deployment .*\/web failed fast: .*CrashLoopBackOff/,
    );
    expect(r.outputs.status).toBe('failed');
    expect(r.outputs.commit).toBe(await remoteHead(repo.url));
    expect(r.summary).toMatch(/CrashLoopBackOff/);
  });

  test('SIGTERM while waiting for Flux: exit 143 in seconds, the commit stays, no kubeconfig or clone left behind', async () => {
    const repo = await fluxScene(ns.name, files());
    const temp = tmp('kubeline-gitops-cancel-');
    const given: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      RUNNER_TEMP: temp,
      KUBELINE_PLATFORM: 'cli',
      ...loopbackOnly,
    };
    const inputs = promoteInputs(repo.url, fakeDigest(), {
      // a Kustomization that never appears: the wait only ends by its timeout, or a cancel
      'wait-for': `kustomization/${ns.name}/never`,
      kubeconfig: await readOnlyKubeconfig(ns.name),
      timeout: '5m',
    });
    for (const [k, v] of Object.entries(inputs)) given[`INPUT_${k.toUpperCase()}`] = v;
    const run = spawnBundle('gitops-promote', given);
    const child = run.child;
    const exited = run.exited;
    const err = () => run.stderr();
    const deadline = Date.now() + 60_000;
    while (!/pushed [0-9a-f]{12}/.test(err()) && Date.now() < deadline) await sleep(100);
    expect(err()).toMatch(/pushed [0-9a-f]{12}/);
    const sent = Date.now();
    child.kill('SIGTERM');
    expect(await exited).toBe(143);
    expect(Date.now() - sent).toBeLessThan(6_000);
    expect(err()).toContain('error: gitops-promote: cancelled by SIGTERM');
    expect(await remoteHead(repo.url)).not.toBe(repo.commit); // the push had landed; it is not undone
    expect(readdirSync(temp).filter((f) => f.startsWith('kubeline-'))).toEqual([]);
  });

  test('a kubeconfig that cannot read the Kustomization is refused before anything is committed', async () => {
    const repo = await fluxScene(ns.name, files());
    const before = await remoteHead(repo.url);
    const r = await promote(
      promoteInputs(repo.url, fakeDigest(), {
        'wait-for': `kustomization/${ns.name}/apps`,
        kubeconfig: env.KUBECONFIG_LIMITED,
      }),
    );
    expect(failedOneLine(r)).toMatch(
      /cannot get kustomizations\.kustomize\.toolkit\.fluxcd\.io.*in namespace/,
    );
    expect(await remoteHead(repo.url)).toBe(before);
  });
});

// A repository set up for Flux's image-automation-controller: the values it updates carry setter
// markers. The web container starts on a placeholder that is not the image's repository, so only
// the marker says where the image goes.
const PLACEHOLDER = 'registry.invalid/placeholder:never';
const MARKED = 'apps/web/deployment.yaml';
const MARKED_DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  replicas: 2
  progressDeadlineSeconds: 60
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: ${PLACEHOLDER} # {"$imagepolicy": "flux-system:web"}
        - name: proxy
          image: registry.invalid/proxy:1.0 # {"$imagepolicy": "flux-system:proxy"}
`;

describe('gitops-promote with Flux image-automation markers', () => {
  const ns = useTestNamespace('gitops-markers');

  test('the value marked for image-policy gets the digest; Flux applies it; rollback goes back through the same markers', async () => {
    const repo = await fluxScene(ns.name, {
      'apps/web/kustomization.yaml':
        'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n',
      [MARKED]: MARKED_DEPLOYMENT,
    });
    const wait = {
      'wait-for': `kustomization/${ns.name}/apps`,
      kubeconfig: await readOnlyKubeconfig(ns.name),
      timeout: '3m',
    };
    const marked = { path: MARKED, 'image-policy': 'flux-system:web' };
    // without the markers nothing in the file names the image
    const unmarked = await promote(
      promoteInputs(repo.url, fakeDigest(), { path: MARKED, kind: 'manifests' }),
    );
    expect(failedOneLine(unmarked)).toContain(`${MARKED}: `);
    expect(failedOneLine(unmarked)).toContain(NAME);

    const [first, second] = [fakeDigest(), fakeDigest()];
    succeeded(await promote(promoteInputs(repo.url, first, marked)));
    const r = await promote(promoteInputs(repo.url, second, { ...marked, ...wait }));
    succeeded(r);
    expect(r.outputs).toMatchObject({ status: 'healthy', changed: 'true', files: JSON.stringify([MARKED]) });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${NAME}@${second}`);
    // only the marked value changed; both markers and the other policy's value stay
    expect(await fileOnMain(repo.name, MARKED)).toBe(
      MARKED_DEPLOYMENT.replace(PLACEHOLDER, `${NAME}@${second}`).trimEnd(),
    );

    const back = await rollbackGitops(repo.url, { ...marked, ...wait });
    succeeded(back);
    expect(back.outputs).toMatchObject({ status: 'deployed', 'image-digest': first });
    expect(await fileOnMain(repo.name, MARKED)).toBe(
      MARKED_DEPLOYMENT.replace(PLACEHOLDER, `${NAME}@${first}`).trimEnd(),
    );
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${NAME}@${first}`);
  });
});

const HELMRELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: web
spec:
  interval: 10m
  chart:
    spec:
      chart: ./charts/web
      interval: 2s
      sourceRef:
        kind: GitRepository
        name: config
  install:
    timeout: 2m
  upgrade:
    timeout: 2m
  values:
    replicaCount: 1
    # the image, written by kubeline gitops-promote
    image:
      repository: ${NAME}
      tag: "1.0"
`;

describe('gitops-promote with a Flux HelmRelease', () => {
  const ns = useTestNamespace('gitopshr');

  test("the HelmRelease values get the digest; Flux applies it, helm-controller releases it, the chart's Deployment rolls out", async () => {
    const repo = await fluxScene(ns.name, {
      ...chartFiles(),
      'apps/web/kustomization.yaml': 'resources:\n  - helmrelease.yaml\n',
      'apps/web/helmrelease.yaml': HELMRELEASE,
    });
    const digest = fakeDigest();
    const r = await promote(
      promoteInputs(repo.url, digest, {
        path: 'apps/web/helmrelease.yaml',
        kind: 'helm-release',
        'wait-for': `kustomization/${ns.name}/apps\nhelmrelease/${ns.name}/web`,
        kubeconfig: await readOnlyKubeconfig(ns.name),
        timeout: '3m',
      }),
    );
    succeeded(r);
    expect(r.outputs.status).toBe('healthy');
    const text = await fileOnMain(repo.name, 'apps/web/helmrelease.yaml');
    expect(text).toContain('# the image, written by kubeline gitops-promote');
    expect(text).toContain(`digest: ${digest}`);
    expect(image(await readDeployment(ns.name, 'web'))).toMatch(new RegExp(`@${digest}$`));
    expect(r.summary).toMatch(/helmrelease .*\/web applied/);
    expect(r.summary).toMatch(/Deployment .*\/web rolled out/);
  });
});

describe('gitops-promote and Git', () => {
  test('two promotions racing on one branch both land: no lost update, no force push', async () => {
    const repo = await createRepo(`e2e/race-${unique()}`, {
      'apps/web/kustomization.yaml': KUSTOMIZATION,
      'apps/api/kustomization.yaml': KUSTOMIZATION,
    });
    const [a, b] = [fakeDigest(), fakeDigest()];
    const [ra, rb] = await Promise.all([
      promote(promoteInputs(repo.url, a, { path: 'apps/web/kustomization.yaml' })),
      promote(promoteInputs(repo.url, b, { path: 'apps/api/kustomization.yaml' })),
    ]);
    succeeded(ra);
    succeeded(rb);
    expect(await fileOnMain(repo.name, 'apps/web/kustomization.yaml')).toContain(a);
    expect(await fileOnMain(repo.name, 'apps/api/kustomization.yaml')).toContain(b);
    const bare = join(gitServer().root, `${repo.name}.git`);
    expect(await git(['--git-dir', bare, 'rev-list', '--count', 'main'])).toBe('3');
    expect([ra.outputs.status, rb.outputs.status]).toEqual(['pushed', 'pushed']);
  });

  test('a wrong token fails in one line without it, and nothing lands', async () => {
    const repo = await createRepo(`e2e/auth-${unique()}`, files());
    const wrong = `wrong-${unique()}-token`;
    const r = await promote(promoteInputs(repo.url, fakeDigest(), { token: wrong }));
    expect(failedOneLine(r)).toMatch(/git fetch of main from .* failed/);
    expect(`${r.stdout}${r.stderr}`).not.toContain(wrong);
    expect(await remoteHead(repo.url)).toBe(repo.commit);
  });

  test('pull-request mode: a branch of its own and one pull request, updated by the next promotion', async () => {
    const repo = await createRepo(`e2e/pr-${unique()}`, files());
    const fake: GitHubFake = await startGitHubFake({ token: 'ghs_fake_token_for_pr' });
    try {
      const inputs = (digest: string) =>
        promoteInputs(repo.url, digest, {
          mode: 'pull-request',
          forge: 'github',
          'forge-api-url': fake.url,
          'forge-token': 'ghs_fake_token_for_pr',
          'pull-request-labels': 'promotion',
          'auto-merge': 'squash',
        });
      const first = await promote(inputs(fakeDigest()));
      succeeded(first);
      expect(first.outputs.status).toBe('proposed');
      expect(await remoteHead(repo.url)).toBe(repo.commit); // main untouched
      const head = 'kubeline/promote/e2e/gitops-web';
      expect(await remoteHead(repo.url, head)).toBe(first.outputs.commit);
      const second = await promote(inputs(fakeDigest()));
      succeeded(second);
      expect(second.outputs['pull-request-number']).toBe(first.outputs['pull-request-number']);
      expect(fake.pulls).toHaveLength(1);
      expect(fake.pulls[0]).toMatchObject({ head, base: 'main', labels: ['promotion'], autoMerge: 'SQUASH' });
      expect(
        await git([
          '--git-dir',
          join(gitServer().root, `${repo.name}.git`),
          'rev-parse',
          `${second.outputs.commit}^`,
        ]),
      ).toBe(first.outputs.commit);
    } finally {
      await fake.close();
    }
  });
  test('pull-request mode on GitLab: one merge request, reviewers resolved, merge when the pipeline succeeds', async () => {
    const name = `e2e/mr-${unique()}`;
    const repo = await createRepo(name, files());
    const fake: GitLabFake = await startGitLabFake({
      token: 'glpat-fake-token',
      projects: [{ id: 77, path: name }],
    });
    try {
      const r = await promote(
        promoteInputs(repo.url, fakeDigest(), {
          mode: 'pull-request',
          forge: 'gitlab',
          'forge-api-url': fake.apiUrl,
          'forge-token': 'glpat-fake-token',
          'pull-request-reviewers': 'alice',
          'auto-merge': 'merge',
        }),
      );
      succeeded(r);
      expect(r.outputs.status).toBe('proposed');
      expect(fake.mergeRequests).toHaveLength(1);
      expect(fake.mergeRequests[0]).toMatchObject({
        projectId: 77,
        source: 'kubeline/promote/e2e/gitops-web',
        target: 'main',
        reviewerIds: [7],
        autoMerge: true,
      });
      expect(r.outputs['pull-request-number']).toBe(String(fake.mergeRequests[0]!.iid));
      expect(fake.requests.every((q) => q.auth === 'PRIVATE-TOKEN glpat-fake-token')).toBe(true);
    } finally {
      await fake.close();
    }
  });
});

describe('gitops-promote gates', () => {
  let keys: string;
  let signed: string;
  let unsigned: string;
  beforeAll(async () => {
    const docker = await freshDockerConfig('gitops-gates');
    const cosignEnv = {
      ...loopbackOnly,
      COSIGN_PASSWORD: 'pw',
      TUF_ROOT: tmp('kubeline-gp-tuf-'),
      ...docker,
    };
    keys = scratchDir('gitops-keys');
    await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv, { cwd: keys });
    const tag = unique();
    signed = await buildAndPush(busyboxContext(`gp-signed-${tag}`), [`${NAME}:signed-${tag}`], docker);
    unsigned = await buildAndPush(busyboxContext(`gp-unsigned-${tag}`), [`${NAME}:unsigned-${tag}`], docker);
    await run(
      [
        stackTool('cosign2'),
        'sign',
        '--yes',
        '--recursive',
        '--key',
        join(keys, 'cosign.key'),
        '--tlog-upload=false',
        `${NAME}@${signed}`,
      ],
      cosignEnv,
    );
  }, 300_000);

  const gate = () => ({
    'require-signature': 'true',
    'signature-key': join(keys, 'cosign.pub'),
    'signature-transparency-log': 'false',
  });

  test('an unsigned image is refused before any commit; a signed one is promoted', async () => {
    const repo = await createRepo(`e2e/gate-${unique()}`, files());
    const refused = await promote(
      promoteInputs(repo.url, unsigned, { ...gate(), image: `${NAME}@${unsigned}` }),
    );
    expect(failedOneLine(refused)).toBe(
      `error: gitops-promote: require-signature: ${NAME}@${unsigned} is not signed by key cosign.pub: no signature found; nothing was committed`,
    );
    expect(await remoteHead(repo.url)).toBe(repo.commit);

    const accepted = await promote(
      promoteInputs(repo.url, signed, { ...gate(), image: `${NAME}@${signed}` }),
    );
    succeeded(accepted);
    expect(accepted.summary).toMatch(/signature gate: .* verified with key cosign\.pub/);
    expect(await fileOnMain(repo.name, OVERLAY)).toContain(`digest: ${signed}`);
  });
});
