// helm-deploy and the cluster, on Helm 3 and Helm 4: a namespace-scoped ServiceAccount, releases
// left pending by a killed run, concurrent deploys of one release, GitHub Deployments (against a
// local fake of the GitHub API), and every bad input leaving the release as it was.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { CoordinationV1Api } from '@kubernetes/client-node';
import { startGitHubFake, type GitHubFake } from '../fakes/github-api.js';
import { plantSecret } from '../support/secret-audit.js';
import { runBundle, spawnBundle } from '../support/processes.js';
import { adminKubeConfig, useTestNamespace } from './harness/kube.js';
import { stackTool } from './harness/stack-env.js';
import { waitForObject } from './harness/watch.js';
import {
  MAJORS,
  WEB_CHART,
  deploy,
  env,
  failedOneLine,
  helmCli,
  history,
  nothingLeft,
  readConfigMapData,
  readDeployment,
  succeeded,
  tmp,
  unique,
  type Major,
} from './helm-deploy.harness.js';

/** A loopback port nothing listens on (taken from the OS, then released). */
async function freePort(): Promise<number> {
  const server = net.createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

/** Starts raw helm on a never-ready release and kills it once its pending revision is stored. */
async function killMidDeploy(major: Major, release: string, namespace: string): Promise<void> {
  const helm = stackTool(major === 3 ? 'helm3' : 'helm4');
  const child = spawn(
    helm,
    [
      'upgrade',
      '--install',
      release,
      WEB_CHART,
      '-n',
      namespace,
      '--kubeconfig',
      env.KUBECONFIG,
      major === 3 ? '--wait' : '--wait=watcher',
      '--timeout',
      '120s',
      '--set',
      'failReadiness=true',
    ],
    { stdio: 'ignore' },
  );
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const h = await history(major, release, namespace);
    if (h.at(-1)?.status.startsWith('pending-')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill('SIGKILL');
  await once(child, 'exit');
}

/**
 * Starts helm-deploy of a release whose pods never become ready, waits until helm is waiting on it
 * (the release pending-upgrade), and returns the running action to signal.
 */
async function startHangingDeploy(
  major: Major,
  release: string,
  namespace: string,
  extra: NodeJS.ProcessEnv,
) {
  const temp = tmp('kubeline-hdc-cancel-');
  const inputs: Record<string, string> = {
    'helm-version': String(major),
    kubeconfig: readFileSync(env.KUBECONFIG, 'utf8'),
    release,
    chart: WEB_CHART,
    namespace,
    set: 'failReadiness=true',
    timeout: '120s',
    // these runs must keep waiting until the test signals them
    'fail-fast': 'false',
  };
  const given: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    RUNNER_TEMP: temp,
    KUBELINE_TOOLS_MIRROR: env.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: env.TOOLS_MANIFEST,
    KUBELINE_PLATFORM: 'cli',
    ...extra,
  };
  for (const [k, v] of Object.entries(inputs)) given[`INPUT_${k.toUpperCase()}`] = v;
  const { child, exited, stderr } = spawnBundle('helm-deploy', given);
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if ((await history(major, release, namespace)).at(-1)?.status.startsWith('pending-')) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const helmPids = () =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
          return /helm/.test(argv[0] ?? '') && argv.includes(release) && argv.includes('upgrade');
        } catch {
          return false;
        }
      })
      .map(Number);
  return { child, exited, temp, env: given, stderr, helmPids };
}

const lease = (namespace: string, release: string) =>
  adminKubeConfig()
    .makeApiClient(CoordinationV1Api)
    .readNamespacedLease({ name: `kubeline-lock-${release}`, namespace });

describe.each(MAJORS)('Helm %i', (major) => {
  const ns = useTestNamespace(`hdc${major}`);

  test('works with a namespace-scoped ServiceAccount, and names what it may not do elsewhere', async () => {
    const release = `limited-${unique()}`;
    const token = /token: (\S+)/.exec(readFileSync(env.KUBECONFIG_LIMITED, 'utf8'))?.[1];
    try {
      const r = await deploy(major, {
        release,
        chart: WEB_CHART,
        namespace: env.LIMITED_NAMESPACE,
        kubeconfig: env.KUBECONFIG_LIMITED,
        'create-namespace': 'true', // the namespace exists: nothing is created, nothing is refused
      });
      succeeded(r);
      expect(r.outputs).toMatchObject({ status: 'deployed', revision: '1' });
      expect(token && r.stdout + r.stderr + r.summary).not.toContain(token);

      const refused = await deploy(major, {
        release,
        chart: WEB_CHART,
        namespace: ns.name,
        kubeconfig: env.KUBECONFIG_LIMITED,
      });
      expect(failedOneLine(refused)).toBe(
        `error: helm-deploy: forbidden: system:serviceaccount:${env.LIMITED_NAMESPACE}:kubeline-deployer cannot get secrets, list secrets, create secrets, update secrets, create configmaps, get leases.coordination.k8s.io, list leases.coordination.k8s.io, watch leases.coordination.k8s.io, create leases.coordination.k8s.io, update leases.coordination.k8s.io in namespace ${ns.name}`,
      );
      expect(await history(major, release, ns.name)).toEqual([]);
    } finally {
      await helmCli(major, ['uninstall', release, '-n', env.LIMITED_NAMESPACE]).catch(() => undefined);
    }
  });

  test('a release left pending-upgrade by a killed run is refused within pending-grace, then recovered', async () => {
    succeeded(await deploy(major, { release: 'stuck', chart: WEB_CHART, namespace: ns.name }));
    await killMidDeploy(major, 'stuck', ns.name);
    expect((await history(major, 'stuck', ns.name)).map((h) => h.status)).toEqual([
      'deployed',
      'pending-upgrade',
    ]);

    const young = await deploy(major, {
      release: 'stuck',
      chart: WEB_CHART,
      namespace: ns.name,
      'pending-grace': '10m',
    });
    expect(failedOneLine(young)).toMatch(
      /^error: helm-deploy: release stuck is pending-upgrade \(revision 2\) since \S+ ago: another deploy may still be running; kubeline recovers it once it has been pending for pending-grace \(10m0s\)$/,
    );

    await new Promise((resolve) => setTimeout(resolve, 1100)); // older than a 1s grace now
    const r = await deploy(
      major,
      {
        release: 'stuck',
        chart: WEB_CHART,
        namespace: ns.name,
        'pending-grace': '1s',
        set: 'message=after',
      },
      { KUBELINE_DEBUG: '1' },
    );
    succeeded(r);
    expect(r.stderr).toContain('helm started ahead not let through: the release changed or was pending');
    expect(r.stderr).toMatch(
      /warning: release stuck has been pending-upgrade \(revision 2\) for \S+, longer than pending-grace: the run that started it is gone; rolling back to revision 1 before deploying/,
    );
    const h = await history(major, 'stuck', ns.name);
    expect(h.at(-1)).toMatchObject({ revision: 4, status: 'deployed' });
    expect(r.outputs).toMatchObject({ revision: '4', 'previous-revision': '3' });
    expect((await readConfigMapData(ns.name, 'stuck-config')).message).toBe('after');
  });

  test('a first install left pending-install is removed and installed again', async () => {
    await killMidDeploy(major, 'fresh', ns.name);
    expect((await history(major, 'fresh', ns.name)).map((h) => h.status)).toEqual(['pending-install']);
    const r = await deploy(major, {
      release: 'fresh',
      chart: WEB_CHART,
      namespace: ns.name,
      'pending-grace': '0s',
    });
    succeeded(r);
    expect(r.stderr).toContain('it was never deployed, so it is uninstalled before installing again');
    expect((await history(major, 'fresh', ns.name)).map((h) => h.status)).toEqual(['deployed']);
  });

  test('SIGTERM mid-wait: helm stopped, lock released as cancelled, secrets removed; the next run recovers at once', async () => {
    succeeded(await deploy(major, { release: 'cancelled', chart: WEB_CHART, namespace: ns.name }));
    const run = await startHangingDeploy(major, 'cancelled', ns.name, {});
    const helmBefore = run.helmPids();
    expect(helmBefore.length).toBeGreaterThan(0);
    const sent = Date.now();
    run.child.kill('SIGTERM');
    expect(await run.exited).toBe(143);
    expect(Date.now() - sent).toBeLessThan(6000);
    expect(run.stderr()).toContain('error: helm-deploy: cancelled by SIGTERM');
    expect(run.helmPids()).toEqual([]);
    const l = await lease(ns.name, 'cancelled');
    expect(l.spec?.holderIdentity).toBeUndefined();
    expect(l.metadata?.annotations?.['kubeline.dev/last-outcome']).toBe('cancelled');
    // the written kubeconfig and the work dir are gone from the job's temp dir (the summary stays)
    const left = readdirSync(run.temp).filter(
      (f) =>
        f.startsWith('kubeline-kubeconfig-') || (f.startsWith('kubeline-helm-deploy-') && !f.endsWith('.md')),
    );
    expect(left).toEqual([]);

    // helm, stopped by SIGTERM within the grace, records the interrupted upgrade as failed (and rolls
    // it back: rollback-on-failure): nothing is left pending, and the next deploy goes ahead at once.
    const after = (await history(major, 'cancelled', ns.name)).map((h) => h.status);
    expect(after).toContain('failed');
    expect(after.at(-1)).not.toMatch(/^pending-/);
    const next = await deploy(major, { release: 'cancelled', chart: WEB_CHART, namespace: ns.name });
    succeeded(next);
    expect(next.stderr).not.toContain('waiting for');
    expect((await history(major, 'cancelled', ns.name)).at(-1)?.status).toBe('deployed');
  });

  test('SIGKILL mid-wait: the next run takes the lock over after its lease expires and recovers the release', async () => {
    succeeded(await deploy(major, { release: 'killed', chart: WEB_CHART, namespace: ns.name }));
    const short = { KUBELINE_LOCK_LEASE_SECONDS: '5' };
    const run = await startHangingDeploy(major, 'killed', ns.name, short);
    const holder = (await lease(ns.name, 'killed')).spec?.holderIdentity;
    expect(holder).toMatch(/pid \d+/);
    // as a runner does: the job's processes are killed outright, helm included
    for (const pid of run.helmPids()) process.kill(pid, 'SIGKILL');
    run.child.kill('SIGKILL');
    await run.exited;
    // as the runner does next: the post step removes the kubeconfig the killed main step wrote
    const post = await runBundle('helm-deploy', { ...run.env, KUBELINE_PHASE: 'post' });
    expect(post.code).toBe(0);
    expect(readdirSync(run.temp).filter((f) => f.startsWith('kubeline-kubeconfig-'))).toEqual([]);

    const started = Date.now();
    const next = await deploy(major, { release: 'killed', chart: WEB_CHART, namespace: ns.name }, short);
    succeeded(next);
    expect(Date.now() - started).toBeGreaterThanOrEqual(4000); // it waited out the lease, by its own clock
    expect(next.stderr).toContain(`took over the deploy lock of release killed from ${holder}`);
    expect(next.stderr).toMatch(/and the deploy lock says the run that started it is gone; rolling back/);
    // the stuck revision stays in history as it was; the release was rolled back past it, then deployed
    const statuses = (await history(major, 'killed', ns.name)).map((h) => h.status);
    expect(statuses.slice(-3)).toEqual(['pending-upgrade', 'superseded', 'deployed']);
  });

  test('two concurrent deploys of one release are serialised by the lock, and both land', async () => {
    succeeded(await deploy(major, { release: 'busy', chart: WEB_CHART, namespace: ns.name }));
    const first = deploy(
      major,
      {
        release: 'busy',
        chart: WEB_CHART,
        namespace: ns.name,
        set: 'message=first\nreplicaCount=4',
      },
      { KUBELINE_DEBUG: '1' },
    );
    // the second starts once the first holds the lock, so they really overlap
    await waitForObject(
      adminKubeConfig(),
      {
        path: `/apis/coordination.k8s.io/v1/namespaces/${ns.name}/leases`,
        name: 'kubeline-lock-busy',
        describe: 'the deploy lock',
        timeoutMs: 30_000,
      },
      (lease) => Boolean((lease as { spec?: { holderIdentity?: string } }).spec?.holderIdentity),
    );
    const second = deploy(
      major,
      {
        release: 'busy',
        chart: WEB_CHART,
        namespace: ns.name,
        set: 'message=second',
      },
      { KUBELINE_DEBUG: '1' },
    );
    const [a, b] = await Promise.all([first, second]);
    succeeded(a);
    succeeded(b);
    expect(b.stderr).toMatch(/waiting for .* to finish deploying release busy/);
    // the first upgraded with the helm it started ahead; the second's was killed when it had to wait
    expect(a.stderr).toMatch(/helm started ahead let through/);
    expect(b.stderr).toContain('helm started ahead not let through: another run holds the lock');
    expect([a.outputs.revision, b.outputs.revision].sort()).toEqual(['2', '3']);
    expect((await history(major, 'busy', ns.name)).map((h) => h.status)).toEqual([
      'superseded',
      'superseded',
      'deployed',
    ]);
    expect((await readConfigMapData(ns.name, 'busy-config')).message).toBe('second');
    // the lock is free again, and says its last holder finished
    const lease = await adminKubeConfig()
      .makeApiClient(CoordinationV1Api)
      .readNamespacedLease({ name: 'kubeline-lock-busy', namespace: ns.name });
    expect(lease.spec?.holderIdentity).toBeUndefined();
    expect(lease.metadata?.annotations?.['kubeline.dev/last-outcome']).toBe('finished');
  });

  test('helm started ahead of the lock: let through on an upgrade, never on a first install, killed when another run holds the lock', async () => {
    const debug = { KUBELINE_DEBUG: '1' };
    const release = 'ahead';
    const install = await deploy(major, { release, chart: WEB_CHART, namespace: ns.name }, debug);
    succeeded(install);
    expect(install.stderr).toContain('debug: helm started ahead not let through: a first install');
    expect(install.stderr).not.toMatch(/helm started ahead let through/);

    const upgrade = await deploy(
      major,
      { release, chart: WEB_CHART, namespace: ns.name, set: 'message=ahead' },
      debug,
    );
    succeeded(upgrade);
    expect(upgrade.stderr).toMatch(/debug: helm started ahead let through after \d+ ms/);
    expect(upgrade.stderr).not.toMatch(/not let through/);
    expect(upgrade.outputs).toMatchObject({ revision: '2', 'previous-revision': '1', status: 'deployed' });
    expect((await readConfigMapData(ns.name, 'ahead-config')).message).toBe('ahead');
    const annotations = (await readDeployment(ns.name, 'ahead')).metadata?.annotations ?? {};
    expect(annotations['kubeline.dev/deploy-id']).toMatch(/^[0-9a-f-]{36}$/);

    const off = await deploy(
      major,
      { release, chart: WEB_CHART, namespace: ns.name, set: 'message=off' },
      { ...debug, KUBELINE_UPGRADE_AHEAD: 'off' },
    );
    succeeded(off);
    expect(off.stderr).not.toMatch(/helm started ahead/);
    expect(off.outputs.revision).toBe('3');

    // another run's live lock: the held helm is killed at once, and nothing changes
    const before = await history(major, release, ns.name);
    const leases = adminKubeConfig().makeApiClient(CoordinationV1Api);
    const free = await lease(ns.name, release); // a released lock stays, without a holder
    await leases.replaceNamespacedLease({
      name: `kubeline-lock-${release}`,
      namespace: ns.name,
      body: { ...free, spec: { ...free.spec, holderIdentity: 'another-run', leaseDurationSeconds: 60 } },
    });
    const waiting = await deploy(
      major,
      { release, chart: WEB_CHART, namespace: ns.name, set: 'message=waiting', 'lock-timeout': '3s' },
      debug,
    );
    expect(failedOneLine(waiting)).toMatch(
      /is being deployed by another-run; gave up after lock-timeout 3\.0s$/,
    );
    expect(waiting.stderr).toContain('debug: helm started ahead not let through: another run holds the lock');
    expect(await history(major, release, ns.name)).toEqual(before);
    expect((await readConfigMapData(ns.name, 'ahead-config')).message).toBe('off');
    const helmLeft = readdirSync('/proc').filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8').split('\0');
        return /helm/.test(argv[0] ?? '') && argv.includes(release) && argv.includes('upgrade');
      } catch {
        return false;
      }
    });
    expect(helmLeft).toEqual([]);
  });

  test('a RUNNER_TEMP too deep for a unix socket: the ahead upgrade still reaches its gate, and nothing is left', async () => {
    const release = 'deep';
    const runnerTemp = join(tmp('kubeline-deep-'), 'd'.repeat(90));
    mkdirSync(runnerTemp);
    const tmpdir = tmp('kubeline-deep-tmpdir-');
    const extra = { KUBELINE_DEBUG: '1', RUNNER_TEMP: runnerTemp, TMPDIR: tmpdir };
    succeeded(await deploy(major, { release, chart: WEB_CHART, namespace: ns.name }, extra));
    const upgrade = await deploy(
      major,
      { release, chart: WEB_CHART, namespace: ns.name, set: 'message=deep' },
      extra,
    );
    succeeded(upgrade);
    expect(upgrade.stderr).toMatch(/debug: helm started ahead let through after \d+ ms/);
    expect(upgrade.outputs).toMatchObject({ revision: '2', status: 'deployed' });
    expect((await readConfigMapData(ns.name, 'deep-config')).message).toBe('deep');
    expect(readdirSync(tmpdir).filter((f) => f.startsWith('kubeline-'))).toEqual([]);
    nothingLeft(runnerTemp);
  });

  describe('bad input leaves the release as it was', () => {
    test('missing chart, values with a YAML error, unreachable cluster, bad kubeconfig', async () => {
      succeeded(await deploy(major, { release: 'keep', chart: WEB_CHART, namespace: ns.name }));
      const before = await history(major, 'keep', ns.name);

      const missing = await deploy(major, { release: 'keep', chart: './charts/nope', namespace: ns.name });
      expect(failedOneLine(missing)).toBe(
        'error: helm-deploy: input "chart": "./charts/nope" is not valid; no such folder or file; give a chart folder or .tgz, an oci:// reference, a chart name with `repo`, or https://<repository>/<chart>',
      );

      const values = join(tmp('kubeline-hd-bad-'), 'prod.yaml');
      writeFileSync(values, 'replicaCount: 2\nimage:\n  tag: "1.0\nmessage: hi\n');
      const yaml = await deploy(major, {
        release: 'keep',
        chart: WEB_CHART,
        namespace: ns.name,
        'values-files': values,
      });
      expect(failedOneLine(yaml)).toBe(
        `error: helm-deploy: values file ${values}: YAML syntax error at line 3: a quoted value is never closed`,
      );

      const port = await freePort();
      const unreachable = readFileSync(env.KUBECONFIG, 'utf8').replace(
        /server: \S+/,
        `server: https://127.0.0.1:${port}`,
      );
      const down = await deploy(major, {
        release: 'keep',
        chart: WEB_CHART,
        namespace: ns.name,
        kubeconfig: unreachable,
      });
      expect(failedOneLine(down)).toBe(
        `error: helm-deploy: cannot reach the Kubernetes API at https://127.0.0.1:${port}: connection refused`,
      );

      const garbled = await deploy(major, {
        release: 'keep',
        chart: WEB_CHART,
        namespace: ns.name,
        kubeconfig: 'apiVersion: v1\nclusters:\n  - name: x\n   cluster: {}\n',
      });
      expect(failedOneLine(garbled)).toMatch(
        /^error: helm-deploy: input "kubeconfig": invalid YAML at line \d+: /,
      );

      expect(await history(major, 'keep', ns.name)).toEqual(before);
    });
  });
});

/** Outputs from a GITHUB_OUTPUT file (`name<<delimiter` blocks). */
function githubOutputs(file: string): Record<string, string> {
  const out: Record<string, string> = {};
  const lines = readFileSync(file, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^([^<]+)<<(.+)$/.exec(lines[i]!);
    if (!m) continue;
    const end = lines.indexOf(m[2]!, i + 1);
    out[m[1]!] = lines.slice(i + 1, end).join('\n');
    i = end;
  }
  return out;
}

/** Unix sockets bound under `dir` (a listener and each connection it accepted), from /proc/net/unix. */
function unixSocketsUnder(dir: string): number {
  return readFileSync('/proc/net/unix', 'utf8')
    .split('\n')
    .filter((line) => line.includes(`${dir}/`)).length;
}

describe('GitHub Deployments (against a local fake of the GitHub API)', () => {
  const ns = useTestNamespace('hdgh');
  let fake: GitHubFake;
  beforeAll(async () => {
    fake = await startGitHubFake();
  });
  afterAll(() => fake.close());

  function githubEnv(): NodeJS.ProcessEnv {
    const dir = tmp('kubeline-hd-gh-');
    const files = ['GITHUB_OUTPUT', 'GITHUB_STATE', 'GITHUB_STEP_SUMMARY', 'GITHUB_ENV', 'GITHUB_PATH'];
    const e: NodeJS.ProcessEnv = {
      KUBELINE_PLATFORM: 'github',
      GITHUB_ACTIONS: 'true',
      GITHUB_API_URL: fake.url,
      GITHUB_SERVER_URL: 'https://github.example',
      GITHUB_REPOSITORY: 'acme/shop',
      GITHUB_SHA: 'abc1230000000000000000000000000000000000',
      GITHUB_RUN_ID: '4242',
      GITHUB_RUN_ATTEMPT: '1',
      GITHUB_ACTOR: 'octocat',
    };
    for (const f of files) {
      e[f] = join(dir, f.toLowerCase());
      writeFileSync(e[f]!, '');
    }
    return e;
  }

  test.each(MAJORS)(
    'Helm %i: a deployment with in_progress then success, or failure, linking the environment and the run',
    async (major) => {
      const token = plantSecret(`ghs_fake${unique()}${unique()}`);
      const ghEnv = githubEnv();
      const inputs = {
        release: `gh${major}`,
        chart: WEB_CHART,
        namespace: ns.name,
        environment: 'production',
        'environment-url': 'https://shop.example.test/',
        'github-token': token,
      };
      const r = await deploy(major, inputs, ghEnv);
      if (r.code !== 0) throw new Error(r.stdout + r.stderr);
      const log = `https://github.example/acme/shop/actions/runs/4242/attempts/1`;
      const ours = fake.requests.filter((q) => q.auth === `token ${token}`);
      expect(
        ours.map((q) => [q.method, q.path.replace(/\d+/, 'ID'), q.body.state ?? q.body.environment]),
      ).toEqual([
        ['POST', '/repos/acme/shop/deployments', 'production'],
        ['POST', '/repos/acme/shop/deployments/ID/statuses', 'in_progress'],
        ['POST', '/repos/acme/shop/deployments/ID/statuses', 'success'],
      ]);
      expect(ours[0]!.body).toMatchObject({
        ref: ghEnv.GITHUB_SHA,
        environment: 'production',
        required_contexts: [],
      });
      expect(ours[2]!.body).toMatchObject({
        environment_url: 'https://shop.example.test/',
        log_url: log,
        environment: 'production',
      });
      expect(githubOutputs(ghEnv.GITHUB_OUTPUT!)).toMatchObject({
        revision: '1',
        status: 'deployed',
        environment: 'production',
      });
      // GitHub's runner hides what ::add-mask:: names; nothing else may carry the token
      expect(
        r.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
      ).not.toContain(token);
      const d = await readDeployment(ns.name, `gh${major}`);
      expect(d.metadata?.annotations?.['kubeline.dev/run-url']).toBe(log);

      const failing = await deploy(
        major,
        { ...inputs, set: 'failReadiness=true', timeout: '10s' },
        githubEnv(),
      );
      expect(failing.code).toBe(1);
      const statuses = fake.requests
        .filter((q) => q.auth === `token ${token}` && q.path.endsWith('/statuses'))
        .map((q) => q.body.state);
      expect(statuses.slice(-2)).toEqual(['in_progress', 'failure']);
    },
  );

  test.each(MAJORS)(
    'Helm %i: another deploy stores a revision after helm started ahead read the release: nothing applied, helm runs again on it',
    async (major) => {
      const release = `race${major}`;
      const ghEnv = githubEnv();
      const inputs = {
        release,
        chart: WEB_CHART,
        namespace: ns.name,
        'github-token': plantSecret(`ghs_fake${unique()}`),
      };
      succeeded(await deploy(major, inputs, ghEnv));
      // The GitHub Deployment is opened with the lock held, before helm started ahead is let through:
      // answered late, it leaves a window for a deploy that takes no kubeline lock.
      fake.inject({ on: /^POST \/repos\/acme\/shop\/deployments$/, delayMs: 6000 });
      const racingEnv: NodeJS.ProcessEnv = { ...githubEnv(), RUNNER_TEMP: tmp('kubeline-hd-race-') };
      const racing = deploy(major, inputs, racingEnv);
      // helm has read revision 1 once its post-renderer waits at the gate: a unix socket in the run's
      // temp dir that, listening and with the post-renderer connected, has two ends with its path
      const deadline = Date.now() + 60_000;
      while (unixSocketsUnder(racingEnv.RUNNER_TEMP!) < 2) {
        if (Date.now() > deadline) throw new Error('helm started ahead never reached its gate');
        await sleep(50);
      }
      await helmCli(major, ['upgrade', release, WEB_CHART, '-n', ns.name, '--reuse-values']);
      const r = await racing;
      succeeded(r);
      expect(r.stdout).toContain(
        `release ${release} gained a revision after helm read it (another deploy finished meanwhile); nothing was applied, so helm runs again on the new one`,
      );
      expect(githubOutputs(racingEnv.GITHUB_OUTPUT!)).toMatchObject({
        status: 'deployed',
        revision: '3',
        'previous-revision': '2',
      });
      expect((await history(major, release, ns.name)).map((h) => [h.revision, h.status])).toEqual([
        [1, 'superseded'],
        [2, 'superseded'],
        [3, 'deployed'],
      ]);
    },
  );

  test('the post step marks a deployment whose main step never finished as error', async () => {
    const token = plantSecret(`ghs_fake${unique()}`);
    const ghEnv = {
      ...githubEnv(),
      STATE_isPost: 'true',
      STATE_githubDeployment: '777',
      STATE_workDir: tmp('kubeline-hd-post-'),
    };
    const r = await deploy(4, { release: 'post', chart: WEB_CHART, 'github-token': token }, ghEnv);
    expect(r.code).toBe(0);
    const req = fake.requests.find((q) => q.auth === `token ${token}`);
    expect(req).toMatchObject({
      path: '/repos/acme/shop/deployments/777/statuses',
      body: { state: 'error' },
    });
  });
});
