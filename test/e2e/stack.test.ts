// The test bed proves itself: each test below fails if one part of the stack does not work.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { AppsV1Api, CoreV1Api, type V1Deployment } from '@kubernetes/client-node';
import { repoRoot } from '../stack/paths.js';
import { startTestApp, type TestApp } from './harness/app.js';
import { buildAndPush, busyboxContext, repositoryOf } from './harness/images.js';
import { adminKubeConfig, limitedKubeConfig, useTestNamespace } from './harness/kube.js';
import { registerTarget, waitForQueryValue } from './harness/prometheus.js';
import { removeScratch, scratchDir } from './harness/scratch.js';
import { failDeploymentReadiness } from './harness/readiness.js';
import { loadStackEnv, stackTool } from './harness/stack-env.js';
import { freshDockerConfig, offlineTrivyImage, run, runExpectingFailure } from './harness/tools.js';
import {
  deploymentCondition,
  hasProgressDeadlineExceeded,
  isRolledOut,
  waitForDeployment,
} from './harness/watch.js';

const env = loadStackEnv();
afterAll(removeScratch);
const unique = () => randomBytes(4).toString('hex');
// Any request that is not to loopback goes to a dead proxy and fails: proves "no other network".
const loopbackOnly = {
  HTTP_PROXY: 'http://127.0.0.1:9',
  HTTPS_PROXY: 'http://127.0.0.1:9',
  NO_PROXY: '127.0.0.1,localhost',
};

function webDeployment(name: string, replicas: number, progressDeadlineSeconds?: number): V1Deployment {
  return {
    metadata: { name },
    spec: {
      replicas,
      progressDeadlineSeconds,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'web', image: `${env.REGISTRY}/e2e/${name}:1` }] },
      },
    },
  };
}

describe('Kubernetes on kwok nodes', () => {
  const namespace = useTestNamespace('stack');

  test('the apiserver answers readyz through $STACK_BIN/kubectl', async () => {
    const { stdout } = await run([stackTool('kubectl'), 'get', '--raw', '/readyz']);
    expect(stdout.trim()).toBe('ok');
  });

  test('a Deployment becomes Available', async () => {
    const config = adminKubeConfig();
    await config.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: namespace.name,
      body: webDeployment('web', 2),
    });

    const deployment = await waitForDeployment(config, namespace.name, 'web', 'rolled out', isRolledOut);

    expect(deploymentCondition(deployment, 'Available')?.status).toBe('True');
    const pods = await config
      .makeApiClient(CoreV1Api)
      .listNamespacedPod({ namespace: namespace.name, labelSelector: 'app=web' });
    expect(pods.items).toHaveLength(2);
    for (const pod of pods.items) {
      expect(pod.spec?.nodeName).toMatch(/^kwok-node-/);
      expect(pod.status?.phase).toBe('Running');
    }
  });

  test('a readiness failure stalls a rollout into ProgressDeadlineExceeded', async () => {
    const config = adminKubeConfig();
    await config.makeApiClient(AppsV1Api).createNamespacedDeployment({
      namespace: namespace.name,
      body: webDeployment('web', 2, 8),
    });
    await waitForDeployment(config, namespace.name, 'web', 'rolled out', isRolledOut);

    await failDeploymentReadiness(config, namespace.name, 'web');
    const stalled = await waitForDeployment(
      config,
      namespace.name,
      'web',
      'stalled',
      hasProgressDeadlineExceeded,
    );

    // the old revision keeps serving; the new pod runs but is never Ready
    expect(stalled.status?.availableReplicas).toBe(2);
    expect(stalled.status?.updatedReplicas).toBe(1);
    const pods = await config.makeApiClient(CoreV1Api).listNamespacedPod({
      namespace: namespace.name,
      labelSelector: 'app=web,kubeline.dev/fail-readiness=true',
    });
    expect(pods.items).toHaveLength(1);
    expect(pods.items[0]?.status?.phase).toBe('Running');
    expect(pods.items[0]?.status?.conditions?.find((c) => c.type === 'Ready')?.status).toBe('False');
  });
});

describe('the limited kubeconfig', () => {
  test('works in its namespace and is forbidden in kube-system', async () => {
    const core = limitedKubeConfig().makeApiClient(CoreV1Api);
    const name = `probe-${unique()}`;
    await core.createNamespacedConfigMap({
      namespace: env.LIMITED_NAMESPACE,
      body: { metadata: { name }, data: { ok: 'yes' } },
    });
    const read = await core.readNamespacedConfigMap({ name, namespace: env.LIMITED_NAMESPACE });
    expect(read.data?.ok).toBe('yes');
    await core.deleteNamespacedConfigMap({ name, namespace: env.LIMITED_NAMESPACE });

    await expect(core.listNamespacedPod({ namespace: 'kube-system' })).rejects.toMatchObject({ code: 403 });
    const refused = await runExpectingFailure([
      stackTool('kubectl'),
      '--kubeconfig',
      env.KUBECONFIG_LIMITED,
      '-n',
      'kube-system',
      'get',
      'pods',
    ]);
    expect(refused.stderr).toMatch(/forbidden/i);
  });
});

describe('images', () => {
  let docker: Record<string, string>;

  beforeAll(async () => {
    docker = await freshDockerConfig();
  });

  test('built with buildx on buildkitd, pushed to both registries (auth included), pulled back by digest', async () => {
    const tag = `t-${unique()}`;
    const openRef = `${env.REGISTRY}/e2e/busybox:${tag}`;
    const authRef = `${env.AUTH_REGISTRY}/e2e/busybox:${tag}`;
    const context = busyboxContext(tag);

    const refused = await runExpectingFailure(
      ['docker', 'buildx', 'build', '--push', '--tag', authRef, context],
      docker,
    );
    expect(refused.stderr).toMatch(/401|unauthorized|authentication required|no basic auth credentials/i);

    await run(
      ['docker', 'login', '--username', env.AUTH_REGISTRY_USER, '--password-stdin', env.AUTH_REGISTRY],
      docker,
      {
        input: env.AUTH_REGISTRY_PASSWORD,
      },
    );
    const digest = await buildAndPush(context, [openRef, authRef], docker);
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/);

    for (const ref of [openRef, authRef]) {
      await run(['docker', 'pull', ref], docker);
      const { stdout } = await run(
        ['docker', 'image', 'inspect', '--format', '{{json .RepoDigests}}', ref],
        docker,
      );
      expect(JSON.parse(stdout)).toContain(`${repositoryOf(ref)}@${digest}`);
    }
    const { stdout } = await run(
      ['docker', 'run', '--rm', '--network', 'host', openRef, 'echo', `hello ${tag}`],
      docker,
    );
    expect(stdout.trim()).toBe(`hello ${tag}`);
  });

  test('trivy finds the fixture image’s known vulnerability with only the local DB', async () => {
    const ref = `${env.REGISTRY}/e2e/vuln-fixture:t-${unique()}`;
    const digest = await buildAndPush(join(repoRoot, 'test/fixtures/vuln-image'), [ref], docker);
    const expected = JSON.parse(
      readFileSync(join(repoRoot, 'test/fixtures/vuln-image/expected.json'), 'utf8'),
    ) as {
      severityCounts: { all: Record<string, number> };
    };

    const { stdout } = await run(
      offlineTrivyImage(`${repositoryOf(ref)}@${digest}`, scratchDir('trivy-cache')),
      loopbackOnly,
    );

    type Finding = {
      VulnerabilityID: string;
      PkgName: string;
      Severity: string;
      InstalledVersion: string;
      FixedVersion?: string;
    };
    const report = JSON.parse(stdout) as { Results?: Array<{ Vulnerabilities?: Finding[] }> };
    const findings = (report.Results ?? []).flatMap((r) => r.Vulnerabilities ?? []);
    expect(findings).toContainEqual(
      expect.objectContaining({
        VulnerabilityID: 'CVE-2099-0001',
        PkgName: 'fixture-ssl',
        Severity: 'CRITICAL',
        InstalledVersion: '3.1.0-r0',
        FixedVersion: '3.1.1-r0',
      }),
    );
    const counts: Record<string, number> = {};
    for (const f of findings) counts[f.Severity] = (counts[f.Severity] ?? 0) + 1;
    expect(counts).toEqual(expected.severityCounts.all);
  });

  test('cosign signs a pushed digest with a generated key and verifies it offline', async () => {
    const tag = `t-${unique()}`;
    const digest = await buildAndPush(busyboxContext(tag), [`${env.REGISTRY}/e2e/signed:${tag}`], docker);
    const ref = `${env.REGISTRY}/e2e/signed@${digest}`;
    const cosignEnv = {
      ...loopbackOnly,
      COSIGN_PASSWORD: `pw-${tag}`,
      TUF_ROOT: scratchDir('tuf'),
    };
    const keys = scratchDir('cosign');
    const other = scratchDir('cosign-other');
    await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv, { cwd: keys });
    await run([stackTool('cosign'), 'generate-key-pair'], cosignEnv, { cwd: other });

    await run(
      [
        stackTool('cosign'),
        'sign',
        '--key',
        join(keys, 'cosign.key'),
        // cosign 3: no signing config (it would come from Sigstore's TUF repository)
        '--use-signing-config=false',
        '--tlog-upload=false',
        '--yes',
        '--allow-http-registry',
        ref,
      ],
      cosignEnv,
    );

    const verify = (pub: string) => [
      stackTool('cosign'),
      'verify',
      '--key',
      pub,
      '--insecure-ignore-tlog',
      '--allow-http-registry',
      '--output',
      'json',
      ref,
    ];
    const { stdout } = await run(verify(join(keys, 'cosign.pub')), cosignEnv);
    const [payload] = JSON.parse(stdout) as Array<{
      critical: { image: { 'docker-manifest-digest': string } };
    }>;
    expect(payload?.critical.image['docker-manifest-digest']).toBe(digest);
    await runExpectingFailure(verify(join(other, 'cosign.pub')), cosignEnv);
  });
});

/** The app's own count for one latency bucket, read from its /metrics. */
async function appBucket(app: TestApp, le: string): Promise<number> {
  const text = await (await fetch(`${app.url}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith(`http_request_duration_seconds_bucket{le="${le}"} `));
  if (!line) throw new Error(`the app exposes no bucket le="${le}":\n${text}`);
  return Number(line.split(' ')[1]);
}

describe('Prometheus', () => {
  let app: TestApp;

  beforeAll(async () => {
    app = await startTestApp();
  });
  afterAll(async () => {
    await app.stop();
  });

  test('scrapes the test app registered at run time: request counter by code and latency histogram', async () => {
    const target = await registerTarget(`app-${app.port}`, app.address, { app: 'kubeline-e2e' });
    try {
      await app.setBehaviour({ errorRate: 0.25 });
      const codes = await app.drive(20);
      expect(codes.filter((c) => c === 500)).toHaveLength(5);

      const instance = `instance="${app.address}"`;
      await waitForQueryValue(`http_requests_total{${instance},code="200"}`, (v) => v === 15);
      await waitForQueryValue(`http_requests_total{${instance},code="500"}`, (v) => v === 5);

      await app.setBehaviour({ errorRate: 0, latencyMs: 60 });
      await app.drive(4);
      await waitForQueryValue(`http_request_duration_seconds_count{${instance}}`, (v) => v === 24);
      // How many of the 20 unslowed requests took under 50 ms depends on the machine's load, so
      // Prometheus is held to the app's own exposition; the 4 slowed ones can never be in the bucket.
      const exposed = await appBucket(app, '0.05');
      expect(exposed).toBeLessThanOrEqual(20);
      const fast = await waitForQueryValue(
        `http_request_duration_seconds_bucket{${instance},le="0.05"}`,
        (v) => v === exposed,
      );
      expect(fast).toBe(exposed);
      const sum = await waitForQueryValue(`http_request_duration_seconds_sum{${instance}}`, (v) => v > 0);
      expect(sum).toBeGreaterThanOrEqual(4 * 0.06);
    } finally {
      target.unregister();
    }
  });
});
