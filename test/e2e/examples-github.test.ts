// The GitHub example workflows (workflows-examples/github), run end-to-end with nektos/act on this host
// as a self-hosted runner runs them, against the stack: build → scan → sign, deploy to staging and
// production, rollback, a canary on real traffic through Traefik judged by Prometheus, and a GitOps
// promotion applied by Flux (production's pull request to a GitHub API fake on loopback). kubeline's
// actions come from this checkout at the ref the examples pin; job outputs travel between jobs as
// GitHub passes them; the cluster is checked independently.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { startGitHubFake, type GitHubFake } from '../fakes/github-api.js';
import { plantSecret } from '../support/secret-audit.js';
import {
  actionsRelease,
  filesContaining,
  runWorkflow,
  userRepository,
  type ActRun,
  type RunOptions,
} from './harness/act.js';
import { routeRefs, useExampleScene } from './canary.harness.js';
import { startTraffic } from './harness/gateway.js';
import { useGitOpsScene } from './harness/gitops-scene.js';
import { gitServer, remoteHead } from './harness/gitops.js';
import { commitChange, deployedImage, freshNamespaces } from './harness/user-app.js';
import { useExclusive } from './harness/exclusive.js';
import { removeScratch, scratchDir } from './harness/scratch.js';
import { loadStackEnv, stackTool } from './harness/stack-env.js';
import { run } from './harness/tools.js';

const env = loadStackEnv();
const NAMESPACES = ['web-staging', 'web']; // the namespaces deploy.yml names
const KEY_PASSWORD = plantSecret(`cosign-${Date.now()}-pw`);
// what GitHub gives every job as secrets.GITHUB_TOKEN; the open registry ignores it, no log may show it
const GITHUB_TOKEN = plantSecret(`ghs_planted${Date.now()}`);
const loopbackOnly = { HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: '127.0.0.1,localhost' };

let release: string;
let keys: string;
let options: (event: RunOptions['event'], inputs?: Record<string, string>) => RunOptions;
const timings: Record<string, number> = {};

function passed(r: ActRun, jobs: string[]): void {
  if (r.code !== 0) throw new Error(`act exited ${r.code}:\n${r.output.slice(-6000)}`);
  expect(r.succeeded.sort()).toEqual([...jobs].sort());
}

const kubectl = (args: string[]) => run([stackTool('kubectl'), ...args]);

// the other example file names the same namespaces (`web`, `web-staging`, `web-gitops`)
const namespaces = useExclusive('example-namespaces');

beforeAll(async () => {
  release = actionsRelease();
  keys = scratchDir('cosign-keys');
  const cosignEnv = { ...loopbackOnly, COSIGN_PASSWORD: KEY_PASSWORD, TUF_ROOT: scratchDir('tuf') };
  await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv, { cwd: keys });
  const privateKey = plantSecret(readFileSync(join(keys, 'cosign.key'), 'utf8'));
  await freshNamespaces(NAMESPACES);
  options = (event, inputs) => ({
    event,
    inputs,
    // repository variables: the stack's registry and trivy DB, a key pair without Rekor
    vars: {
      REGISTRY: env.REGISTRY,
      TRIVY_DB_REPOSITORY: env.TRIVY_DB_REPOSITORY,
      TRANSPARENCY_LOG: 'false',
      COSIGN_PUBLIC_KEY: readFileSync(join(keys, 'cosign.pub'), 'utf8'),
    },
    secrets: {
      GITHUB_TOKEN,
      COSIGN_PRIVATE_KEY: privateKey,
      COSIGN_PASSWORD: KEY_PASSWORD,
      KUBECONFIG: readFileSync(env.KUBECONFIG, 'utf8'),
    },
    // the self-hosted runner's machine: kubeline's tool mirror, the stand-ins' artifact store
    env: {
      KUBELINE_TOOLS_MIRROR: env.TOOLS_MIRROR,
      KUBELINE_TOOLS_MANIFEST: env.TOOLS_MANIFEST,
      KUBELINE_E2E_ARTIFACTS: scratchDir('artifacts'),
    },
  });
}, 180_000);

afterAll(async () => {
  try {
    await kubectl(['delete', 'namespace', ...NAMESPACES, '--ignore-not-found', '--wait=false']);
    removeScratch();
    console.log(
      `example workflows under act (s): ${Object.entries(timings)
        .map(([k, v]) => `${k} ${v.toFixed(1)}`)
        .join(', ')}`,
    );
  } finally {
    namespaces.release();
  }
});

/**
 * The secrets given to act appear neither in its output (the suite's audit reads that too) nor in
 * any file the jobs left behind (workspaces, temp dirs: kubeconfigs and keys written for a step).
 */
function noSecretIn(r: ActRun): void {
  const kubeconfig = readFileSync(env.KUBECONFIG, 'utf8');
  const clientKey = /client-key-data:\s*(\S+)/.exec(kubeconfig)?.[1] ?? '';
  const secrets = [
    GITHUB_TOKEN,
    KEY_PASSWORD,
    readFileSync(join(keys, 'cosign.key'), 'utf8').split('\n')[1]!,
    gitServer().password, // gitops.yml's CONFIG_REPO_TOKEN
  ];
  for (const secret of [...secrets, clientKey]) expect(r.output).not.toContain(secret);
  expect(filesContaining(r.leftBehind, [...secrets, clientKey])).toEqual([]);
}

describe('build-scan-sign.yml and deploy.yml, run side by side (independent repositories)', () => {
  let bss: ActRun;
  let first: ActRun;
  let deployRepo: string;

  beforeAll(async () => {
    const [bssRepo, webRepo] = await Promise.all([
      userRepository('signed', ['build-scan-sign.yml']),
      userRepository('web', ['deploy.yml', 'rollback.yml']),
    ]);
    deployRepo = webRepo;
    [bss, first] = await Promise.all([
      runWorkflow(bssRepo, 'build-scan-sign.yml', release, options('push')),
      runWorkflow(deployRepo, 'deploy.yml', release, options('push')),
    ]);
    timings['build-scan-sign'] = bss.seconds;
    timings['deploy (1st)'] = first.seconds;
  }, 600_000);

  test('build-scan-sign: the digest build pushed is the one scanned, signed and attested', async () => {
    passed(bss, ['build', 'scan', 'sign']);
    const image = JSON.parse(bss.outputs.build!['image-json']!) as { name: string; digest: string };
    expect(image.name).toBe(`${env.REGISTRY}/acme/signed`);
    expect(image.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(bss.outputs.build!.image).toBe(`${image.name}@${image.digest}`);
    expect(bss.outputs.scan).toMatchObject({ 'image-digest': image.digest, passed: 'true', critical: '0' });
    expect(JSON.parse(bss.outputs.sign!['signed-digests']!)).toEqual([image.digest]);
    expect(bss.outputs.sign!.verified).toBe('true');
    // the Summary step read the scan job's outputs and the sign step's, as the example passes them
    expect(bss.output).toContain(`### ${image.name}@${image.digest}`);
    expect(bss.output).toContain('- scan: 0 critical, 0 high');
    // independently: the stack's cosign verifies the signature and both attestations with the public key
    const cosignEnv = { ...loopbackOnly, TUF_ROOT: scratchDir('tuf') };
    const ref = `${image.name}@${image.digest}`;
    const pub = join(keys, 'cosign.pub');
    await run([stackTool('cosign'), 'verify', '--key', pub, '--insecure-ignore-tlog=true', ref], cosignEnv);
    for (const type of ['cyclonedx', 'vuln'])
      await run(
        [
          stackTool('cosign'),
          'verify-attestation',
          '--key',
          pub,
          '--insecure-ignore-tlog=true',
          '--type',
          type,
          ref,
        ],
        cosignEnv,
      );
    noSecretIn(bss);
  });

  test('deploy: staging then production run the exact digest build pushed, gated on its signature and scan', async () => {
    passed(first, ['build', 'scan', 'deploy-staging', 'deploy-production']);
    const image = JSON.parse(first.outputs.build!['image-json']!) as { name: string; digest: string };
    expect(image.name).toBe(`${env.REGISTRY}/acme/web`);
    expect(first.outputs.scan).toMatchObject({ 'image-digest': image.digest, passed: 'true' });
    expect(JSON.parse(first.outputs.scan!['signed-digests']!)).toEqual([image.digest]);
    for (const [job, ns] of [
      ['deploy-staging', 'web-staging'],
      ['deploy-production', 'web'],
    ] as const) {
      expect(first.outputs[job]).toMatchObject({
        release: 'web',
        namespace: ns,
        revision: '1',
        status: 'deployed',
        'image-digest': image.digest,
      });
      const replicas = ns === 'web' ? 2 : 1;
      expect(await deployedImage(ns)).toBe(`${image.name}@${image.digest} ${replicas}/${replicas}`);
    }
    expect(first.output).toContain(`staging runs web revision 1 (was none) with ${image.digest}`);
    noSecretIn(first);
  });

  test('deploy of a new commit, then rollback.yml (workflow_dispatch) restores the previous revision', async () => {
    const before = JSON.parse(first.outputs.build!['image-json']!) as { name: string; digest: string };
    await commitChange(deployRepo, 'second release');
    const second = await runWorkflow(deployRepo, 'deploy.yml', release, options('push'));
    timings['deploy (2nd)'] = second.seconds;
    passed(second, ['build', 'scan', 'deploy-staging', 'deploy-production']);
    const after = JSON.parse(second.outputs.build!['image-json']!) as { digest: string };
    expect(after.digest).not.toBe(before.digest);
    expect(second.outputs['deploy-staging']).toMatchObject({
      revision: '2',
      'previous-revision': '1',
      'image-digest': after.digest,
    });
    expect(await deployedImage('web-staging')).toBe(`${before.name}@${after.digest} 1/1`);

    const back = await runWorkflow(
      deployRepo,
      'rollback.yml',
      release,
      options('workflow_dispatch', { environment: 'staging', release: 'web', to: 'previous' }),
    );
    timings.rollback = back.seconds;
    passed(back, ['rollback']);
    expect(back.outputs.rollback).toMatchObject({
      'from-revision': '2',
      'to-revision': '1',
      revision: '3',
      status: 'deployed',
      'image-digest': before.digest,
    });
    expect(back.output).toContain(
      `staging: revision 2 rolled back to the content of 1 (new revision 3); runs ${before.digest}`,
    );
    expect(await deployedImage('web-staging')).toBe(`${before.name}@${before.digest} 1/1`);
    // production, another environment, is left alone
    expect(await deployedImage('web')).toBe(`${before.name}@${after.digest} 2/2`);
    noSecretIn(second);
    noSecretIn(back);
  });
});

describe('canary.yml: build, then a canary judged by Prometheus on real traffic through Traefik', () => {
  const production = useExampleScene('web');

  test('every step passes its analysis and the built digest is promoted; no request fails', async () => {
    const repo = await userRepository('canary', ['canary.yml']);
    const traffic = startTraffic(production.scene.host, { rps: 60, maxSeconds: 240 });
    const base = options('push');
    const r = await runWorkflow(repo, 'canary.yml', release, {
      ...base,
      vars: { ...base.vars, PROMETHEUS_URL: env.PROMETHEUS_URL, CANARY_INTERVAL: '12s' },
    });
    const records = await traffic.stop();
    timings.canary = r.seconds;
    passed(r, ['build', 'canary']);
    const image = JSON.parse(r.outputs.build!['image-json']!) as { name: string; digest: string };
    expect(image.name).toBe(`${env.REGISTRY}/acme/canary`);
    expect(r.outputs.canary).toMatchObject({
      result: 'promoted',
      weight: '100',
      'steps-completed': '4',
      'stable-image': `${image.name}@${image.digest}`,
    });
    expect(r.output).toContain('canary promoted, 4 steps passed.');
    expect((await deployedImage('web')).split(' ')[0]).toBe(`${image.name}@${image.digest}`);
    expect((await routeRefs('web')).map((x) => x.name)).toEqual(['web']);
    expect(records.filter((x) => x.version === 'v2').length).toBeGreaterThan(0);
    expect(records.filter((x) => x.status !== 200)).toEqual([]);
    noSecretIn(r);
  }, 300_000);
});

describe('gitops.yml: build and sign, staging promoted through Flux, production proposed as a pull request', () => {
  const target = 'web-gitops'; // where the config repository's Flux Kustomization applies staging
  const imageName = `${env.REGISTRY}/acme/gitops`;
  const gitops = useGitOpsScene({ repoName: `acme/config-${Date.now()}`, imageName, target });
  let forge: GitHubFake;

  beforeAll(async () => {
    forge = await startGitHubFake({ token: gitServer().password });
  });

  afterAll(async () => {
    await forge?.close();
  });

  test('the signed digest lands on main, Flux applies it and the Deployment runs it; production gets one pull request', async () => {
    const user = await userRepository('gitops', ['gitops.yml']);
    const base = options('push');
    const r = await runWorkflow(user, 'gitops.yml', release, {
      ...base,
      vars: { ...base.vars, CONFIG_REPOSITORY: gitops.scene.repo.url, CONFIG_REPO_USER: gitServer().user },
      secrets: {
        ...base.secrets,
        CONFIG_REPO_TOKEN: gitServer().password,
        READ_ONLY_KUBECONFIG: gitops.scene.readOnlyKubeconfig,
      },
      // GitHub's API as the runner sees it (GITHUB_API_URL): the fake, on loopback
      env: { ...base.env, GITHUB_API_URL: forge.url },
    });
    timings.gitops = r.seconds;
    passed(r, ['build', 'staging', 'production']);
    const image = JSON.parse(r.outputs.build!['image-json']!) as { name: string; digest: string };
    expect(image.name).toBe(imageName);
    expect(JSON.parse(r.outputs.build!['signed-digests']!)).toEqual([image.digest]);
    const head = await remoteHead(gitops.scene.repo.url);
    expect(r.outputs.staging).toMatchObject({
      status: 'healthy',
      changed: 'true',
      commit: head,
      digest: image.digest,
      'applied-revision': head,
    });
    expect((await deployedImage(target)).split(' ')[0]).toBe(`${image.name}@${image.digest}`);
    expect(r.outputs.production).toMatchObject({ status: 'proposed', digest: image.digest });
    expect(forge.pulls).toHaveLength(1);
    expect(forge.pulls[0]).toMatchObject({
      base: 'main',
      labels: ['promotion', 'production'],
      autoMerge: 'SQUASH',
    });
    expect(r.output).toContain(`production proposed: ${r.outputs.production!['pull-request-url']}`);
    expect(await remoteHead(gitops.scene.repo.url)).toBe(head); // production went to a branch, not to main
    noSecretIn(r);
  }, 300_000);
});
