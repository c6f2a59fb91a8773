// The GitLab example pipeline workflows-examples/gitlab/deploy.gitlab-ci.yml, run end-to-end with
// gitlab-ci-local on the stack's dockerd (docker executor) as a GitLab project runs it: build → scan
// → sign → deploy to staging, production by hand, a second release, then the manual rollback. The
// components are included from this checkout at a commit; every job runs in the kubeline job image
// (built from the Containerfile); outputs travel by dotenv reports and artifacts along `needs:`;
// KUBECONFIG is an environment-scoped file variable; the cluster is checked independently.
//
// What the test changes in the example, and why (each change is checked to apply to the example):
// - keyless signing → a key pair without Rekor: Fulcio and Rekor are SaaS that cannot run here;
// - the BuildKit service → the stack's buildkitd, its socket mounted into the jobs as a runner's
//   `volumes` setting would (moby/buildkit cannot be pulled here);
// - the trivy DB → the stack's mirror of it.
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { parseAllDocuments } from 'yaml';
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
import { buildJobImage, pushNodeBase } from './harness/job-image.js';
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

let project: { dir: string; sha: string };
let helperImage: string;
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

/** A run of the pipeline at `sha`, as a push to the default branch starts it (production by hand). */
function pipelineAt(sha: string, extra: Partial<RunOptions> = {}): Promise<PipelineRun> {
  return runPipeline(project.dir, pipelineFromExample(EXAMPLE, sha, edits), {
    variables,
    manual: ['deploy-production'],
    helperImage,
    volumes: runnerVolumes(),
    ...extra,
  });
}

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

beforeAll(async () => {
  const docker = await freshDockerConfig('examples-gitlab');
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
  await kubectl(['delete', 'namespace', ...NAMESPACES, '--ignore-not-found', '--wait=false']);
  removeScratch();
  console.log(
    `GitLab example pipeline under gitlab-ci-local (s): ${Object.entries(timings)
      .map(([k, v]) => `${k} ${v.toFixed(1)}`)
      .join(', ')}`,
  );
});

describe(`${EXAMPLE} under gitlab-ci-local, every job in the kubeline image`, () => {
  let first: string;

  test('build → scan → sign → staging → production: the digest built is the one scanned, signed and deployed', async () => {
    const r = await pipelineAt(project.sha);
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
    const sha = await headOf(project.dir);
    const second = await pipelineAt(sha);
    timings['second pipeline'] = second.seconds;
    passed(second, ['build', 'scan', 'sign', 'deploy-staging', 'deploy-production']);
    const digest = dotenvOf(project.dir, 'build').BUILD_IMAGE_DIGEST!;
    expect(digest).not.toBe(first);
    expect(await deployedImage('web')).toBe(`${repository}@${digest} 2/2`);

    // someone presses play on the manual job (ROLLBACK_TO: last-good, the example's default)
    const rollback = await pipelineAt(sha, {
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
});
