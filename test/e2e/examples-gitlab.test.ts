// The GitLab example pipelines (workflows-examples/gitlab), run end-to-end with gitlab-ci-local on the
// stack's dockerd (docker executor) as a GitLab project runs them: deploy.gitlab-ci.yml (build → scan
// → sign → deploy to staging, production by hand, a second release, then the manual rollback) and
// canary.gitlab-ci.yml (a canary on real traffic through Traefik, judged by Prometheus). The
// components are included from this checkout at a commit; every job runs in the kubeline job image
// (built from the Containerfile); outputs travel by dotenv reports and artifacts along `needs:`;
// KUBECONFIG is an environment-scoped file variable; the cluster is checked independently.
// setup-tools.gitlab-ci.yml runs in test/unit/gitlab-component.test.ts (shell executor).
//
// What the test changes in deploy.gitlab-ci.yml, and why (each change is checked to apply):
// - keyless signing → a key pair without Rekor: Fulcio and Rekor are SaaS that cannot run here;
// - the BuildKit service → the stack's buildkitd, its socket mounted into the jobs as a runner's
//   `volumes` setting would (moby/buildkit cannot be pulled here);
// - the trivy DB → the stack's mirror of it.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
import { startGitLabFake, type GitLabFake } from '../fakes/gitlab-api.js';
import { repoRoot } from '../stack/paths.js';
import { plantSecret } from '../support/secret-audit.js';
import { filesContaining } from './harness/act.js';
import {
  artifactsOf,
  dotenvOf,
  gitlabProject,
  headOf,
  pipelineFromExample,
  pushHelperImage,
  runPipeline,
  type PipelineEdits,
  type PipelineRun,
  type RunOptions,
  type Variable,
} from './harness/gitlab-ci-local.js';
import { routeRefs, useExampleScene } from './canary.harness.js';
import { unique } from './helm-deploy.harness.js';
import { startTraffic } from './harness/gateway.js';
import { useGitOpsScene } from './harness/gitops-scene.js';
import { gitServer, remoteHead } from './harness/gitops.js';
import { buildAndPush, busyboxContext } from './harness/images.js';
import { buildJobImage, pushNodeBase } from './harness/job-image.js';
import {
  packCheckout,
  packageSpec,
  publishPackage,
  registryToken,
  writeNpmrc,
} from './harness/npm-package.js';
import { useExclusive } from './harness/exclusive.js';
import { removeScratch, scratchDir } from './harness/scratch.js';
import { loadStackEnv, stackTool } from './harness/stack-env.js';
import { freshDockerConfig, run } from './harness/tools.js';
import { commitChange, deployedImage, freshNamespaces } from './harness/user-app.js';

const env = loadStackEnv();
const EXAMPLE = 'deploy.gitlab-ci.yml';
const NAMESPACES = ['web-staging', 'web']; // the namespaces the example names
const KEY_PASSWORD = plantSecret(`cosign-${Date.now()}-pw`);
// what GitLab gives every job as CI_REGISTRY_PASSWORD; the open registry ignores it, no log may show it
const REGISTRY_PASSWORD = plantSecret(`glcbt-planted${Date.now()}`);
const repository = `${env.REGISTRY}/kubeline-test/gitlab-web`;
const loopbackOnly = { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' };

let project: { dir: string; sha: string };
let helperImage: string;
let nodeBase: string; // Node 24 and npm, no kubeline: an image of the user's own
let docker: Record<string, string>;
let variables: Record<string, Variable>;
let keys: string;
const timings: Record<string, number> = {};

const keyPairGate = {
  'certificate-identity': undefined,
  'certificate-oidc-issuer': undefined,
  'signature-key': '$COSIGN_PUBLIC_KEY',
  'signature-transparency-log': false,
};
const edits: PipelineEdits = {
  inputs: {
    build: { 'buildkit-host': env.BUILDKIT_HOST },
    scan: { 'db-repository': [env.TRIVY_DB_REPOSITORY] },
    sign: {
      keyless: false,
      key: '$COSIGN_PRIVATE_KEY',
      password: '$COSIGN_PASSWORD',
      'transparency-log': false,
    },
    'deploy-staging': keyPairGate,
    'deploy-production': keyPairGate,
  },
  drop: { build: ['services'] },
};

/** The stack's BuildKit socket, shared with the jobs at the same path. */
function runnerVolumes(): string[] {
  const socket = env.BUILDKIT_HOST.replace(/^unix:\/\//, '');
  return [`${socket}:${socket}`];
}

/** The job image every component defaults to (`job-image`), read from the generated template. */
function defaultJobImage(): string {
  const [spec] = parseAllDocuments(readFileSync(join(repoRoot, 'templates', 'helm-deploy.yml'), 'utf8'));
  const image = spec?.getIn(['spec', 'inputs', 'job-image', 'default']);
  if (typeof image !== 'string' || image.includes('@'))
    throw new Error(
      `job-image default ${String(image)}: a tag was expected (docker tag cannot make a digest)`,
    );
  return image;
}

const kubectl = (args: string[]) => run([stackTool('kubectl'), ...args]);

/** The kubeline image built as a release builds it, known to docker as the components' default. */
async function kubelineJobImage(docker: Record<string, string>): Promise<void> {
  const base = await pushNodeBase(`${env.REGISTRY}/kubeline-test/node-base`, docker);
  nodeBase = base;
  const manifestDir = scratchDir('tools-manifest');
  copyFileSync(env.TOOLS_MANIFEST, join(manifestDir, 'manifest.json'));
  const built = await buildJobImage({
    base,
    ref: `${env.REGISTRY}/kubeline-test/job-image:gitlab-examples`,
    mirror: env.TOOLS_MIRROR,
    manifestDir,
    docker,
  });
  const pinned = `${env.REGISTRY}/kubeline-test/job-image@${built.digest}`;
  await run(['docker', 'pull', '--quiet', pinned], docker);
  const name = defaultJobImage();
  await run(['docker', 'tag', pinned, name], docker);
  timings['job image build'] = built.seconds;
}

/** A run of `example` at `sha` with `changes`, as a push to the default branch starts it. */
function runExample(
  example: string,
  changes: PipelineEdits,
  sha: string,
  extra: Partial<RunOptions> = {},
): Promise<PipelineRun> {
  return runPipeline(project.dir, pipelineFromExample(example, sha, changes), {
    variables,
    helperImage,
    volumes: runnerVolumes(),
    ...extra,
  });
}

/**
 * kubeline published to the stack's npm registry, and the npmrc a project would hold as a file
 * variable to read from it (the registry wants a login, as a private one does).
 */
async function publishedForNpx(): Promise<string> {
  const dir = scratchDir('npm-publisher');
  const npmrc = writeNpmrc(dir, plantSecret(await registryToken()));
  await publishPackage(await packCheckout(), npmrc);
  return readFileSync(npmrc, 'utf8');
}

/** deploy.gitlab-ci.yml at `sha`, production started by hand once staging passed. */
const deployPipeline = (sha: string) => runExample(EXAMPLE, edits, sha, { manual: ['deploy-production'] });

function passed(r: PipelineRun, jobs: string[]): void {
  if (r.code !== 0 || r.failed.length > 0)
    throw new Error(`gitlab-ci-local exited ${r.code}:\n${r.output.slice(-8000)}`);
  expect([...r.passed].sort()).toEqual([...jobs].sort());
}

/** The secrets appear neither in gitlab-ci-local's output nor in any artifact a job left. */
function noSecretIn(r: PipelineRun): void {
  const clientKey = /client-key-data:\s*(\S+)/.exec(readFileSync(env.KUBECONFIG, 'utf8'))?.[1] ?? '';
  const secrets = [
    KEY_PASSWORD,
    REGISTRY_PASSWORD,
    readFileSync(join(keys, 'cosign.key'), 'utf8').split('\n')[1]!,
    clientKey,
  ];
  for (const secret of secrets) expect(r.output).not.toContain(secret);
  expect(filesContaining(join(project.dir, '.gitlab-ci-local', 'artifacts'), secrets)).toEqual([]);
}

// the other example file names the same namespaces (`web`, `web-staging`, `web-gitops`)
const namespaces = useExclusive('example-namespaces');

beforeAll(async () => {
  docker = await freshDockerConfig('examples-gitlab');
  await kubelineJobImage(docker);
  helperImage = await pushHelperImage(`${env.REGISTRY}/kubeline-test/gitlab-ci-local-helper`, docker);
  await run(['docker', 'pull', '--quiet', helperImage], docker);
  keys = scratchDir('cosign-keys');
  await run(
    [stackTool('cosign'), 'generate-key-pair'],
    {
      HTTPS_PROXY: 'http://127.0.0.1:9',
      NO_PROXY: '127.0.0.1,localhost',
      COSIGN_PASSWORD: KEY_PASSWORD,
      TUF_ROOT: scratchDir('tuf'),
    },
    { cwd: keys },
  );
  const kubeconfig = readFileSync(env.KUBECONFIG, 'utf8');
  variables = {
    // the project's registry (GitLab's predefined variables, here the stack's registry)
    CI_REGISTRY_IMAGE: repository,
    CI_REGISTRY_USER: 'gitlab-ci-token',
    CI_REGISTRY_PASSWORD: REGISTRY_PASSWORD,
    // set up in the project as the example's header says: a file variable per environment
    KUBECONFIG: { type: 'file', values: { staging: kubeconfig, production: kubeconfig } },
    COSIGN_PRIVATE_KEY: plantSecret(readFileSync(join(keys, 'cosign.key'), 'utf8')),
    COSIGN_PASSWORD: KEY_PASSWORD,
    COSIGN_PUBLIC_KEY: readFileSync(join(keys, 'cosign.pub'), 'utf8'),
    // the runner's configuration: the stack's pins and tool mirror, nothing but loopback reachable
    KUBELINE_TOOLS_MANIFEST: { type: 'file', values: { '*': readFileSync(env.TOOLS_MANIFEST, 'utf8') } },
    KUBELINE_TOOLS_MIRROR: env.TOOLS_MIRROR,
    HTTPS_PROXY: 'http://127.0.0.1:9',
    HTTP_PROXY: 'http://127.0.0.1:9',
    NO_PROXY: '127.0.0.1,localhost',
  };
  await freshNamespaces(NAMESPACES);
  project = await gitlabProject('web');
}, 900_000);

afterAll(async () => {
  try {
    await kubectl(['delete', 'namespace', ...NAMESPACES, '--ignore-not-found', '--wait=false']);
    removeScratch();
    console.log(
      `GitLab example pipeline under gitlab-ci-local (s): ${Object.entries(timings)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
  } finally {
    namespaces.release();
  }
});

describe(`${EXAMPLE} under gitlab-ci-local, every job in the kubeline image`, () => {
  let first: string;
  let second: string;
  let sha: string;

  test('build → scan → sign → staging → production: the digest built is the one scanned, signed and deployed', async () => {
    const r = await deployPipeline(project.sha);
    timings['pipeline'] = r.seconds;
    passed(r, ['build', 'scan', 'sign', 'deploy-staging', 'deploy-production']);
    const build = dotenvOf(project.dir, 'build');
    first = build.BUILD_IMAGE_DIGEST!;
    expect(first).toMatch(/^sha256:[0-9a-f]{64}$/);
    const scan = dotenvOf(project.dir, 'scan');
    expect(scan.TRIVY_SCAN_PASSED).toBe('true');
    expect(scan.TRIVY_SCAN_IMAGE_DIGEST).toBe(first);
    // the report artifacts the component declares exist
    const reports = artifactsOf(project.dir, 'scan');
    expect(reports).toEqual(
      expect.arrayContaining([
        'kubeline-outputs/trivy-scan/gl-container-scanning-report.json',
        'kubeline-outputs/trivy-scan/trivy-report.cdx.json',
      ]),
    );
    const gitlabReport = JSON.parse(
      readFileSync(
        join(project.dir, '.gitlab-ci-local', 'artifacts', 'scan', scan.TRIVY_SCAN_GITLAB_REPORT!),
        'utf8',
      ),
    ) as { scan: { type: string }; vulnerabilities: unknown[] };
    expect(gitlabReport.scan.type).toBe('container_scanning');
    expect(gitlabReport.vulnerabilities).toEqual([]); // busybox FROM scratch: nothing to find
    expect(r.output).toMatch(/trivy DB: [^\n]*; downloading from /); // the first job of the project
    const signed = dotenvOf(project.dir, 'sign').COSIGN_SIGN_SIGNED_DIGESTS!; // a JSON file
    expect(
      readFileSync(join(project.dir, '.gitlab-ci-local', 'artifacts', 'sign', signed), 'utf8'),
    ).toContain(first);
    expect(dotenvOf(project.dir, 'deploy-production').HELM_DEPLOY_IMAGE_DIGEST).toBe(first);
    expect(await deployedImage('web-staging')).toBe(`${repository}@${first} 1/1`);
    expect(await deployedImage('web')).toBe(`${repository}@${first} 2/2`);
    noSecretIn(r);
  }, 900_000);

  test('a second release reaches production; the manual rollback job restores the first', async () => {
    await commitChange(project.dir, 'second release');
    sha = await headOf(project.dir);
    const release = await deployPipeline(sha);
    timings['second pipeline'] = release.seconds;
    passed(release, ['build', 'scan', 'sign', 'deploy-staging', 'deploy-production']);
    second = dotenvOf(project.dir, 'build').BUILD_IMAGE_DIGEST!;
    // the component's `cache:` brought the DB the first pipeline's scan fetched
    expect(release.output).toContain('trivy DB: cached in /');
    expect(release.output).not.toMatch(/trivy DB: [^\n]*; downloading from /);
    expect(second).not.toBe(first);
    expect(await deployedImage('web')).toBe(`${repository}@${second} 2/2`);

    // someone presses play on the manual job (ROLLBACK_TO: last-good, the example's default)
    const rollback = await runExample(EXAMPLE, edits, sha, {
      jobs: ['rollback-production'],
      manual: ['rollback-production'],
    });
    timings['rollback job'] = rollback.seconds;
    passed(rollback, ['rollback-production']);
    const outputs = dotenvOf(project.dir, 'rollback-production');
    expect(outputs.ROLLBACK_STATUS).toBe('deployed');
    expect(outputs.ROLLBACK_IMAGE_DIGEST).toBe(first);
    expect(await deployedImage('web')).toBe(`${repository}@${first} 2/2`);
    noSecretIn(rollback);
  }, 900_000);

  test('the rollback job in an image of the user’s own (Node 24, no kubeline): the CLI comes from the npm registry by npx, the tools from the mirror', async () => {
    const npmrc = await publishedForNpx();
    const ownImage = {
      'rollback-production': { 'job-image': nodeBase, 'kubeline-cli': `npx --yes ${packageSpec}` },
    };
    const rollback = await runExample(EXAMPLE, { ...edits, inputs: { ...edits.inputs, ...ownImage } }, sha, {
      jobs: ['rollback-production'],
      manual: ['rollback-production'],
      variables: {
        ...variables,
        ROLLBACK_TO: 'previous', // set when running the job: back to the second release
        NPM_CONFIG_USERCONFIG: { type: 'file', values: { '*': npmrc } },
      },
    });
    timings['rollback job (npx)'] = rollback.seconds;
    passed(rollback, ['rollback-production']);
    expect(rollback.output).toContain(nodeBase); // it really ran in the plain image
    const outputs = dotenvOf(project.dir, 'rollback-production');
    expect(outputs.ROLLBACK_STATUS).toBe('deployed');
    expect(outputs.ROLLBACK_IMAGE_DIGEST).toBe(second);
    expect(await deployedImage('web')).toBe(`${repository}@${second} 2/2`);
    expect(rollback.output).not.toContain(npmrc.match(/_authToken=(\S+)/)![1]!);
    noSecretIn(rollback);
  }, 900_000);
});

describe('canary.gitlab-ci.yml: a canary judged by Prometheus on real traffic through Traefik', () => {
  const production = useExampleScene('web');

  test('every step passes its analysis and RELEASE_IMAGE is promoted; no request fails', async () => {
    const traffic = startTraffic(production.scene.host, { rps: 60, maxSeconds: 240 });
    // the stack's Prometheus, and steps short enough for a test (the example waits 2m per step)
    const changes = {
      inputs: { 'canary-production': { interval: '12s', 'prometheus-url': env.PROMETHEUS_URL } },
    };
    // RELEASE_IMAGE, given when the pipeline is run: an image an earlier pipeline pushed
    const name = `${env.REGISTRY}/kubeline-test/gitlab-canary`;
    const digest = await buildAndPush(busyboxContext(`canary-${unique()}`), [`${name}:${unique()}`], docker);
    const release = `${name}@${digest}`;
    const r = await runExample('canary.gitlab-ci.yml', changes, await headOf(project.dir), {
      variables: { ...variables, RELEASE_IMAGE: release },
    });
    const records = await traffic.stop();
    timings.canary = r.seconds;
    passed(r, ['canary-production']);
    expect(dotenvOf(project.dir, 'canary-production')).toMatchObject({
      CANARY_PROMOTE_RESULT: 'promoted',
      CANARY_PROMOTE_WEIGHT: '100',
      CANARY_PROMOTE_STEPS_COMPLETED: '4',
      CANARY_PROMOTE_STABLE_IMAGE: release,
    });
    expect((await deployedImage('web')).split(' ')[0]).toBe(release);
    expect((await routeRefs('web')).map((x) => x.name)).toEqual(['web']);
    expect(records.filter((x) => x.version === 'v2').length).toBeGreaterThan(0);
    expect(records.filter((x) => x.status !== 200)).toEqual([]);
    noSecretIn(r);
  }, 300_000);
});

describe('gitops.gitlab-ci.yml: staging promoted through Flux, production proposed as a merge request', () => {
  const target = 'web-gitops'; // where the config repository's Flux Kustomization applies staging
  const imageName = `${env.REGISTRY}/kubeline-test/gitlab-gitops`;
  const repoName = `acme/config-gl-${Date.now()}`;
  const gitops = useGitOpsScene({ repoName, imageName, target });
  let forge: GitLabFake;
  let release: string;

  beforeAll(async () => {
    forge = await startGitLabFake({ token: gitServer().password, projects: [{ id: 51, path: repoName }] });
    // RELEASE_IMAGE: pushed and signed (with the project's key, no Rekor) by an earlier pipeline
    const digest = await buildAndPush(
      busyboxContext(`gitops-${unique()}`),
      [`${imageName}:${unique()}`],
      docker,
    );
    release = `${imageName}@${digest}`;
    await run(
      [
        stackTool('cosign2'), // the signature format kubeline's cosign-sign writes
        'sign',
        '--yes',
        '--recursive', // the index and each platform's manifest, as cosign-sign signs them
        '--key',
        join(keys, 'cosign.key'),
        '--tlog-upload=false',
        release,
      ],
      { ...loopbackOnly, ...docker, COSIGN_PASSWORD: KEY_PASSWORD, TUF_ROOT: scratchDir('tuf') },
    );
  }, 300_000);

  afterAll(async () => {
    await forge?.close();
  });

  test('the signed digest lands on main, Flux applies it; production gets one merge request set to merge', async () => {
    // the config project on the stack's git server (its user, not GitLab's oauth2), the key pair's
    // signatures carry no Rekor entry
    const configProject = {
      repository: gitops.scene.repo.url,
      username: gitServer().user,
      'signature-transparency-log': false,
    };
    const changes = { inputs: { 'promote-staging': configProject, 'promote-production': configProject } };
    const r = await runExample('gitops.gitlab-ci.yml', changes, await headOf(project.dir), {
      variables: {
        ...variables,
        RELEASE_IMAGE: release,
        CONFIG_REPO_TOKEN: gitServer().password,
        READ_ONLY_KUBECONFIG: { type: 'file', values: { staging: gitops.scene.readOnlyKubeconfig } },
        CI_API_V4_URL: forge.apiUrl, // GitLab's API as the job sees it: the fake, on loopback
      },
    });
    timings.gitops = r.seconds;
    passed(r, ['promote-staging', 'promote-production']);
    const head = await remoteHead(gitops.scene.repo.url);
    const digest = release.slice(release.indexOf('@') + 1);
    expect(dotenvOf(project.dir, 'promote-staging')).toMatchObject({
      GITOPS_PROMOTE_STATUS: 'healthy',
      GITOPS_PROMOTE_CHANGED: 'true',
      GITOPS_PROMOTE_COMMIT: head,
      GITOPS_PROMOTE_DIGEST: digest,
      GITOPS_PROMOTE_APPLIED_REVISION: head,
    });
    expect((await deployedImage(target)).split(' ')[0]).toBe(release);
    const production = dotenvOf(project.dir, 'promote-production');
    expect(production).toMatchObject({ GITOPS_PROMOTE_STATUS: 'proposed', GITOPS_PROMOTE_DIGEST: digest });
    expect(forge.mergeRequests).toHaveLength(1);
    expect(forge.mergeRequests[0]).toMatchObject({ projectId: 51, target: 'main', autoMerge: true });
    const mr = forge.mergeRequests[0]!;
    expect(production.GITOPS_PROMOTE_PULL_REQUEST_NUMBER).toBe(String(mr.iid));
    expect(production.GITOPS_PROMOTE_PULL_REQUEST_URL).toMatch(
      new RegExp(`/${repoName}/-/merge_requests/${mr.iid}$`),
    );
    expect(await remoteHead(gitops.scene.repo.url)).toBe(head); // production went to a branch
    noSecretIn(r);
  }, 300_000);
});
