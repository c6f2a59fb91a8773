// The job image end to end: the Containerfile built on the stack's BuildKit with the tools installed
// and sha256-checked at build time, run by the stack's dockerd as a GitLab docker-executor job would
// run it — the tools there without any network, helm-deploy deploying from inside it — and a pin
// that does not match its download failing the build; and the release's gate (check-job-image.sh)
// against the registry that serves it.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { WEB_CHART, unique } from './helm-deploy.harness.js';
import { buildAndPush, busyboxContext } from './harness/images.js';
import { buildJobImage, pushNodeBase, type JobImageBuild } from './harness/job-image.js';
import { useTestNamespace } from './harness/kube.js';
import { removeScratch, scratchDir } from './harness/scratch.js';
import { loadStackEnv } from './harness/stack-env.js';
import { CommandError, freshDockerConfig, run } from './harness/tools.js';
import { repoRoot } from '../stack/paths.js';
import { runProcess } from '../support/processes.js';

const env = loadStackEnv();
const repository = `${env.REGISTRY}/kubeline-test/job-image`;
let docker: Record<string, string>;
let base: string;
let manifestDir: string;
let image: JobImageBuild;
let pinned: string;

interface Manifest {
  tools: Record<
    string,
    { default: string; versions: Record<string, Record<string, { file: string; sha256: string }>> }
  >;
}

/** docker run on the stack's dockerd; the image is pulled from the stack's registry by digest. */
function dockerRun(args: string[]) {
  return run(['docker', 'run', '--rm', ...args], docker);
}

beforeAll(async () => {
  docker = await freshDockerConfig('job-image');
  base = await pushNodeBase(`${env.REGISTRY}/kubeline-test/node-base`, docker);
  manifestDir = scratchDir('tools-manifest');
  copyFileSync(env.TOOLS_MANIFEST, join(manifestDir, 'manifest.json'));
  image = await buildJobImage({
    base,
    ref: `${repository}:${unique()}`,
    mirror: env.TOOLS_MIRROR,
    manifestDir,
    docker,
  });
  pinned = `${repository}@${image.digest}`;
  await run(['docker', 'pull', '--quiet', pinned], docker);
  const size = (await run(['docker', 'image', 'inspect', '--format', '{{.Size}}', pinned], docker)).stdout;
  console.log(
    `job image: built in ${image.seconds.toFixed(1)} s, ${(Number(size) / 1e6).toFixed(1)} MB unpacked`,
  );
}, 600_000);

afterAll(removeScratch);

describe('job image', () => {
  test('every pinned tool is in the image: setup-tools in a container without any network installs nothing', async () => {
    const r = await dockerRun([
      '--network',
      'none',
      '--volume',
      `${manifestDir}:/run/tools-manifest:ro`,
      '--env',
      'KUBELINE_PLATFORM=cli',
      '--env',
      'KUBELINE_TOOLS_MANIFEST=/run/tools-manifest/manifest.json',
      pinned,
      'kubeline',
      'setup-tools',
      ...[
        '--helm',
        '3',
        '--kubectl',
        'default',
        '--trivy',
        'default',
        '--cosign',
        'default',
        '--buildx',
        'default',
      ],
    ]);
    const outputs = JSON.parse(r.stdout) as Record<string, string>;
    for (const tool of ['helm', 'kubectl', 'trivy', 'cosign', 'buildx'])
      expect(outputs[`${tool}-path`]).toMatch(/^\/opt\/kubeline\/tool-cache\//);
    const helm4 = await dockerRun([
      ...['--network', 'none', '--volume', `${manifestDir}:/run/tools-manifest:ro`],
      ...[
        '--env',
        'KUBELINE_PLATFORM=cli',
        '--env',
        'KUBELINE_TOOLS_MANIFEST=/run/tools-manifest/manifest.json',
      ],
      ...[pinned, 'kubeline', 'setup-tools', '--helm', '4'],
    ]);
    expect((JSON.parse(helm4.stdout) as Record<string, string>)['helm-version']).toMatch(/^4\./);
  });

  describe('a deploy job', () => {
    const ns = useTestNamespace('jobimage');

    test('helm-deploy runs from the image against the cluster and pins the digest', async () => {
      const app = `${env.REGISTRY}/kubeline-test/job-image-app`;
      const digest = await buildAndPush(
        busyboxContext(`job-image-${unique()}`),
        [`${app}:${unique()}`],
        docker,
      );
      const kubeconfig = join(scratchDir('kubeconfig'), 'config');
      writeFileSync(kubeconfig, readFileSync(env.KUBECONFIG), { mode: 0o644 });
      const r = await dockerRun([
        ...[
          '--network',
          'host',
          '--volume',
          `${kubeconfig}:/kube/config:ro`,
          '--volume',
          `${WEB_CHART}:/chart:ro`,
        ],
        ...[
          '--env',
          'KUBELINE_PLATFORM=cli',
          '--env',
          'KUBELINE_TOOLS_MANIFEST=/run/tools-manifest/manifest.json',
        ],
        ...['--volume', `${manifestDir}:/run/tools-manifest:ro`],
        pinned,
        'kubeline',
        'helm-deploy',
        ...['--release', 'web', '--chart', '/chart', '--namespace', ns.name, '--image', `${app}@${digest}`],
        ...['--kubeconfig', '/kube/config', '--helm-version', '3'],
      ]);
      const outputs = JSON.parse(r.stdout) as Record<string, string>;
      expect(outputs.status).toBe('deployed');
      const deployed = await run(
        [
          join(env.STACK_BIN, 'kubectl'),
          ...['--kubeconfig', env.KUBECONFIG, '-n', ns.name, 'get', 'deployments', '-o'],
          'jsonpath={.items[*].spec.template.spec.containers[*].image}',
        ],
        docker,
      );
      expect(deployed.stdout).toBe(`${app}@${digest}`);
    });
  });

  test("check-job-image.sh (the release's gate): the registry serves the pinned digest under the version, or the release stops", async () => {
    const version = image.ref.slice(`${repository}:`.length); // the tag the build pushed
    const project = scratchDir('release-pin');
    mkdirSync(join(project, 'release'));
    const check = async (digest: string) => {
      const pin = { image: repository, version, digest };
      writeFileSync(join(project, 'release', 'job-image.json'), JSON.stringify(pin));
      return runProcess(
        'bash',
        [join(repoRoot, 'scripts', 'release', 'check-job-image.sh'), `v${version}`],
        docker,
        project,
      );
    };
    const served = await check(image.digest);
    expect(served.stdout.trim()).toBe(
      `check-job-image: ${repository}:${version} is ${image.digest}, as pinned`,
    );
    expect(served.code).toBe(0);
    const other = `sha256:${'0'.repeat(64)}`;
    const moved = await check(other);
    expect(moved.code).toBe(1);
    expect(moved.stderr.trim()).toBe(
      `check-job-image: ${repository}:${version} is ${image.digest}, the components pin ${other}`,
    );
  });

  test('a pin that does not match the download fails the build, naming the tool and the sha256', async () => {
    const manifest = JSON.parse(readFileSync(env.TOOLS_MANIFEST, 'utf8')) as Manifest;
    const helm = manifest.tools.helm!;
    const asset = helm.versions[helm.default]!['linux-x64']!;
    asset.sha256 = asset.sha256.replace(/^./, (c) => (c === '0' ? '1' : '0'));
    const text = JSON.stringify(manifest);
    const tampered = scratchDir('tools-manifest-tampered');
    writeFileSync(join(tampered, 'manifest.json'), text);
    const failed = await buildJobImage({
      base,
      ref: `${repository}:tampered-${unique()}`,
      mirror: env.TOOLS_MIRROR,
      manifestDir: tampered,
      docker,
    }).catch((e: unknown) => e);
    expect(failed).toBeInstanceOf(CommandError);
    // BuildKit prefixes each line of the step's output with its timestamp
    expect((failed as CommandError).stderr).toMatch(
      new RegExp(
        `error: setup-tools: checksum mismatch for \\S+/${asset.file.replaceAll('.', '\\.')}: expected sha256 ${asset.sha256}, got [0-9a-f]{64}; nothing was installed`,
      ),
    );
  }, 600_000);
});
