// helm-deploy end to end, on Helm 3 and Helm 4: the committed bundle against the stack's cluster,
// registry and tool mirror. Every behaviour runs on both majors.
import { cpSync, existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from '@jest/globals';
import { serveDir } from '../support/http-fixture.js';
import { plantSecret } from '../support/secret-audit.js';
import { useTestNamespace } from './harness/kube.js';
import {
  MAJORS,
  WEB_CHART,
  WEB_TAG_CHART,
  contractOf,
  deploy,
  env,
  failedOneLine,
  fakeDigest,
  helmCli,
  history,
  image,
  nothingLeft,
  readConfigMapData,
  readDeployment,
  succeeded,
  tmp,
  unique,
} from './helm-deploy.harness.js';

const repository = `${env.REGISTRY}/kubeline/web`;

describe.each(MAJORS)('Helm %i', (major) => {
  const ns = useTestNamespace(`hd${major}`);

  test('installs, then upgrades, with the image pinned by digest and the run recorded on every resource', async () => {
    const first = fakeDigest();
    const githubRun = {
      GITHUB_SHA: 'c0ffee0000000000000000000000000000000000',
      GITHUB_ACTOR: 'octocat',
      CI_JOB_URL: 'https://gitlab.example/jobs/7',
    };
    const r1 = await deploy(
      major,
      {
        release: 'web',
        chart: WEB_CHART,
        namespace: ns.name,
        image: contractOf(repository, first, [`${repository}:v1`]),
      },
      githubRun,
    );
    succeeded(r1);
    expect(r1.outputs).toMatchObject({
      release: 'web',
      namespace: ns.name,
      revision: '1',
      'previous-revision': '',
      status: 'deployed',
      'image-digest': first,
    });
    expect(JSON.parse(r1.outputs.resources!)).toEqual(
      expect.arrayContaining([
        { kind: 'Deployment', name: 'web', namespace: ns.name },
        { kind: 'Service', name: 'web', namespace: ns.name },
        { kind: 'ConfigMap', name: 'web-config', namespace: ns.name },
      ]),
    );
    const d1 = await readDeployment(ns.name, 'web');
    expect(image(d1)).toBe(`${repository}@${first}`);
    expect(d1.status?.readyReplicas).toBe(2); // waited until ready
    expect(d1.metadata?.annotations).toMatchObject({
      'kubeline.dev/commit': githubRun.GITHUB_SHA,
      'kubeline.dev/actor': 'octocat',
      'kubeline.dev/image-digest': first,
    });
    // the digest is in what helm itself stored as the release manifest
    expect(await helmCli(major, ['get', 'manifest', 'web', '-n', ns.name])).toContain(
      `${repository}@${first}`,
    );
    expect(r1.summary).toContain(`\`${repository}@${first}\``);
    nothingLeft(r1.temp);

    const second = fakeDigest();
    const r2 = await deploy(major, {
      release: 'web',
      chart: WEB_CHART,
      namespace: ns.name,
      image: `${repository}@${second}`, // a plain reference by digest
    });
    // a reference is looked up in the registry: this digest does not exist there
    expect(failedOneLine(r2)).toBe(
      `error: helm-deploy: input "image": ${repository}@${second} does not resolve: digest ${second} is not in ${repository}`,
    );
    const r3 = await deploy(major, {
      release: 'web',
      chart: WEB_CHART,
      namespace: ns.name,
      image: contractOf(repository, second),
    });
    succeeded(r3);
    expect(r3.outputs).toMatchObject({ revision: '2', 'previous-revision': '1', 'image-digest': second });
    expect(image(await readDeployment(ns.name, 'web'))).toBe(`${repository}@${second}`);
    expect((await history(major, 'web', ns.name)).map((h) => h.status)).toEqual(['superseded', 'deployed']);
  });

  test('a chart that only joins repository and tag pulls by digest through image-values-path', async () => {
    const digest = fakeDigest();
    const wrongPath = await deploy(major, {
      release: 'tagged',
      chart: WEB_TAG_CHART,
      namespace: ns.name,
      image: contractOf(repository, digest, ['v7']),
    });
    expect(failedOneLine(wrongPath)).toBe(
      `error: helm-deploy: release tagged failed: Deployment/tagged container app runs ${repository}:1.0.0, not the pinned digest ${digest}; nothing was applied`,
    );
    expect(await history(major, 'tagged', ns.name)).toEqual([]);

    const r = await deploy(major, {
      release: 'tagged',
      chart: WEB_TAG_CHART,
      namespace: ns.name,
      image: contractOf(repository, digest, ['v7']),
      'image-values-path': 'app.image',
    });
    succeeded(r);
    expect(image(await readDeployment(ns.name, 'tagged'))).toBe(`${repository}:v7@${digest}`);
  });

  test('values files, values, set, set-string and set-file, in helm’s precedence', async () => {
    const dir = tmp('kubeline-hd-values-');
    writeFileSync(join(dir, 'base.yaml'), 'replicaCount: 3\nmessage: from-base\n');
    writeFileSync(join(dir, 'prod.yaml'), 'message: from-prod\n');
    writeFileSync(join(dir, 'motd.txt'), 'line one\nline two\n');
    const r = await deploy(major, {
      release: 'vals',
      chart: WEB_CHART,
      namespace: ns.name,
      'values-files': `${join(dir, 'base.yaml')}\n${join(dir, 'prod.yaml')}`,
      values: 'service:\n  port: 8081\n',
      set: 'replicaCount=1',
      'set-string': 'image.tag=007',
      'set-file': `message=${join(dir, 'motd.txt')}`,
    });
    succeeded(r);
    const d = await readDeployment(ns.name, 'vals');
    expect(d.spec?.replicas).toBe(1);
    expect(image(d)).toBe(`${repository}:007`);
    expect((await readConfigMapData(ns.name, 'vals-config')).message).toBe('line one\nline two\n');
    const values = JSON.parse(
      await helmCli(major, ['get', 'values', 'vals', '-n', ns.name, '-o', 'json']),
    ) as {
      service: { port: number };
    };
    expect(values.service.port).toBe(8081);
  });

  test('charts from a chart repository (repo input and URL form) and from an OCI registry', async () => {
    const repoDir = tmp('kubeline-hd-repo-');
    await helmCli(major, ['package', WEB_CHART, '--destination', repoDir]);
    const server = await serveDir(repoDir);
    try {
      await helmCli(major, ['repo', 'index', repoDir, '--url', server.url]);
      const viaRepo = await deploy(major, {
        release: 'from-repo',
        chart: 'web',
        repo: server.url,
        namespace: ns.name,
      });
      succeeded(viaRepo);
      const viaUrl = await deploy(major, {
        release: 'from-url',
        chart: `${server.url}/web`,
        'chart-version': '0.1.0',
        namespace: ns.name,
      });
      succeeded(viaUrl);
      expect(server.requests).toContain('/index.yaml');
      expect(server.requests).toContain('/web-0.1.0.tgz');
      const missing = await deploy(major, {
        release: 'nope',
        chart: 'nochart',
        repo: server.url,
        namespace: ns.name,
      });
      expect(failedOneLine(missing)).toMatch(
        new RegExp(
          `^error: helm-deploy: cannot fetch chart nochart from ${server.url}: .*nochart.*not found`,
        ),
      );
    } finally {
      await server.close();
    }
    const ociRepo = `${env.REGISTRY}/charts-${unique()}`;
    const pkg = readdirSync(repoDir).find((f) => f.endsWith('.tgz'))!;
    await helmCli(major, ['push', join(repoDir, pkg), `oci://${ociRepo}`, '--plain-http']);
    const viaOci = await deploy(major, {
      release: 'from-oci',
      chart: `oci://${ociRepo}/web`,
      'chart-version': '0.1.0',
      'plain-http': 'true',
      namespace: ns.name,
    });
    succeeded(viaOci);
    expect((await history(major, 'from-oci', ns.name))[0]?.status).toBe('deployed');
  });

  test('a private chart repository: the password reaches helm on stdin, never on any argv', async () => {
    const repoDir = tmp('kubeline-hd-private-repo-');
    await helmCli(major, ['package', WEB_CHART, '--destination', repoDir]);
    const password = plantSecret(`planted-chart-pw-${unique()}`);
    const server = await serveDir(repoDir, { username: 'charts', password });
    const seenOnArgv: string[] = [];
    // Every process's command line, read from /proc while the deploy runs.
    const watching = setInterval(() => {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (argv.includes(password)) seenOnArgv.push(argv.replace(/\0/g, ' '));
        } catch {
          // gone already
        }
      }
    }, 10);
    try {
      await helmCli(major, ['repo', 'index', repoDir, '--url', server.url]);
      const r = await deploy(major, {
        release: 'private-repo',
        chart: 'web',
        repo: server.url,
        'chart-username': 'charts',
        'chart-password': password,
        namespace: ns.name,
      });
      succeeded(r);
      expect(server.requests).toContain('/web-0.1.0.tgz');
      expect(r.stdout + r.stderr + r.summary).not.toContain(password);
    } finally {
      clearInterval(watching);
      await server.close();
    }
    expect(seenOnArgv).toEqual([]);
  });

  test('dry-run renders against the cluster and lists what would change; nothing is applied', async () => {
    succeeded(await deploy(major, { release: 'dry', chart: WEB_CHART, namespace: ns.name }));
    const r = await deploy(major, {
      release: 'dry',
      chart: WEB_CHART,
      namespace: ns.name,
      'dry-run': 'true',
      set: 'message=changed',
      values: 'image:\n  digest: ""\n',
    });
    succeeded(r);
    expect(r.outputs).toMatchObject({ status: 'dry-run', revision: '1', 'previous-revision': '1' });
    const changes = JSON.parse(r.outputs.resources!) as Array<{
      kind: string;
      change: string;
      fields?: string[];
    }>;
    expect(changes.find((c) => c.kind === 'ConfigMap')).toMatchObject({
      change: 'changed',
      fields: ['data.message'],
    });
    expect(changes.find((c) => c.kind === 'Service')).toMatchObject({ change: 'unchanged' });
    expect(r.summary).toMatch(/\*\*0 added, 2 changed, 0 removed\*\*/); // the ConfigMap and the pod template checksum
    expect(await history(major, 'dry', ns.name)).toHaveLength(1);
    expect((await readConfigMapData(ns.name, 'dry-config')).message).toBe('hello');
  });

  test('a release whose pods never become ready fails in one line naming the cause and is rolled back', async () => {
    succeeded(await deploy(major, { release: 'broken', chart: WEB_CHART, namespace: ns.name }));
    const r = await deploy(major, {
      release: 'broken',
      chart: WEB_CHART,
      namespace: ns.name,
      set: 'failReadiness=true',
      timeout: '15s',
    });
    const line = failedOneLine(r);
    expect(line).toMatch(
      /^error: helm-deploy: release broken failed: Deployment broken not ready after 15s: pods broken-\S+(, broken-\S+)* never became Ready: readiness probe failing \(kubeline\.dev\/fail-readiness=true\); rolled back to revision 1$/,
    );
    expect(r.outputs).toMatchObject({ status: 'failed', revision: '2', 'previous-revision': '1' });
    // the summary holds the diagnostics collected before helm rolled back
    expect(r.summary).toContain('### Why Deployment broken failed');
    expect(r.summary).toMatch(/\| broken-\S+ \| Running \| no \|/);
    const h = await history(major, 'broken', ns.name);
    expect(h.map((x) => x.status)).toEqual(['superseded', 'failed', 'deployed']);
    expect(h[2]!.description).toBe('Rollback to 1');
    const d = await readDeployment(ns.name, 'broken');
    expect(d.spec?.template.metadata?.labels?.['kubeline.dev/fail-readiness']).toBeUndefined();
    nothingLeft(r.temp);
  });

  test('helm lint --strict stops a chart with a template error before anything is applied', async () => {
    const chart = join(tmp('kubeline-hd-lint-'), 'web');
    cpSync(WEB_CHART, chart, { recursive: true });
    writeFileSync(
      join(chart, 'templates', 'broken.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Values.missing.name }}\n',
    );
    const r = await deploy(major, { release: 'linted', chart, namespace: ns.name });
    expect(failedOneLine(r)).toMatch(
      /^error: helm-deploy: helm lint --strict failed: \[ERROR\] templates\/: .*broken\.yaml:4:18.* nil pointer evaluating interface \{\}\.name$/,
    );
    expect(await history(major, 'linted', ns.name)).toEqual([]);
  });

  test('create-namespace creates a missing namespace; without it the error says so', async () => {
    const missing = `${ns.name}-new`;
    const refused = await deploy(major, { release: 'web', chart: WEB_CHART, namespace: missing });
    expect(failedOneLine(refused)).toBe(
      `error: helm-deploy: namespace ${missing} does not exist; set create-namespace: true to create it`,
    );
    const r = await deploy(major, {
      release: 'web',
      chart: WEB_CHART,
      namespace: missing,
      'create-namespace': 'true',
    });
    succeeded(r);
    expect((await history(major, 'web', missing))[0]?.status).toBe('deployed');
    await helmCli(major, ['uninstall', 'web', '-n', missing]);
  });

  test('on GitLab the environment goes to the dotenv report; the kubeconfig content is written 0600 and removed', async () => {
    const project = tmp('kubeline-hd-gitlab-');
    const kubeconfig = readFileSync(env.KUBECONFIG, 'utf8');
    // Watch the runner temp dir while the action runs: the written kubeconfig must be private.
    const temp = tmp('kubeline-hd-gl-temp-');
    const seen: number[] = [];
    const timer = setInterval(() => {
      for (const f of existsSync(temp) ? readdirSync(temp) : [])
        if (f.startsWith('kubeline-kubeconfig-')) seen.push(statSync(join(temp, f)).mode & 0o777);
    }, 20);
    const r = await deploy(
      major,
      {
        release: 'gl',
        chart: WEB_CHART,
        namespace: ns.name,
        kubeconfig,
        environment: 'staging',
        'environment-url': 'https://staging.example.test/',
      },
      { KUBELINE_PLATFORM: 'gitlab', GITLAB_CI: 'true', CI_PROJECT_DIR: project, RUNNER_TEMP: temp },
      project, // GitLab runs jobs in the project dir, where the dotenv report is written
    ).finally(() => clearInterval(timer));
    expect(r.code).toBe(0);
    const dotenv = readFileSync(join(project, 'kubeline-helm-deploy.env'), 'utf8');
    expect(dotenv).toContain('HELM_DEPLOY_ENVIRONMENT=staging\n');
    expect(dotenv).toContain('HELM_DEPLOY_ENVIRONMENT_URL=https://staging.example.test/\n');
    expect(dotenv).toContain('HELM_DEPLOY_REVISION=1\n');
    expect(seen.length).toBeGreaterThan(0);
    expect(new Set(seen)).toEqual(new Set([0o600]));
    nothingLeft(temp);
  });
});
