// The fail-fast verdict against `helm upgrade --wait` alone: for each way a release can never become
// ready (the kwok stages and the real scheduler, as in test/e2e/fail-fast.test.ts), how long until
// the run ends, and how long kubeline took from the first sign it saw to its verdict. Both use the
// same chart and a 60 s timeout on Helm 4; helm alone sits the timeout out whatever the cause.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from '../test/stack/env-file.js';
import { paths } from '../test/stack/paths.js';
import { ROOT } from '../test/support/processes.js';

const CHART = path.join(ROOT, 'test/fixtures/charts/web');
const TIMEOUT_S = 60;

const causes: [string, string][] = [
  ['CrashLoopBackOff (2 restarts)', 'failAs=crashloop'],
  ['OOMKilled', 'failAs=oom'],
  ['ImagePullBackOff', 'failAs=imagepull'],
  ['CreateContainerConfigError', 'failAs=config'],
  ['Unschedulable', 'nodeSelector.kubeline\\.dev/pool=none'],
  ['readiness past its budget (2 s)', 'failReadiness=true,readinessPeriodSeconds=1'],
];

interface Run {
  ms: number;
  code: number | null;
}

/**
 * Both releases deployed in their own namespace, then a `pods` quota holding exactly the pods the
 * quota controller counts there: the next revision's pods are refused at creation (FailedCreate).
 * Returns the --set that makes that next revision.
 */
function quotaScene(kubectl: string, kube: string[], namespace: string, deployBoth: () => unknown): string {
  const ns = ['-n', namespace, ...kube];
  spawnSync(kubectl, ['create', 'namespace', namespace, ...kube], { stdio: 'ignore' });
  deployBoth();
  const jsonpath = (p: string) =>
    spawnSync(kubectl, ['get', 'quota', 'pods', '-o', `jsonpath={${p}}`, ...ns], { encoding: 'utf8' }).stdout;
  const until = (what: string, ok: () => boolean) => {
    const deadline = Date.now() + 60_000;
    while (!ok())
      if (Date.now() > deadline) throw new Error(`ResourceQuota pods: ${what} never happened`);
      else spawnSync('sleep', ['0.5']);
  };
  spawnSync(kubectl, ['create', 'quota', 'pods', '--hard=pods=1000', ...ns], { stdio: 'ignore' });
  until('counted', () => jsonpath('.status.used.pods') !== '');
  const used = jsonpath('.status.used.pods');
  spawnSync(
    kubectl,
    ['patch', 'quota', 'pods', '-p', JSON.stringify({ spec: { hard: { pods: used } } }), ...ns],
    {
      stdio: 'ignore',
    },
  );
  until(`hard=${used}`, () => jsonpath('.status.hard.pods') === used);
  return 'message=quota';
}

const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;

export function failFast(): string {
  if (!fs.existsSync(paths.env)) return 'fail-fast — skipped: the stack is not up (npm run stack:up)';
  const stack = parseEnv(fs.readFileSync(paths.env, 'utf8'));
  const kubectl = path.join(stack.STACK_BIN!, 'kubectl');
  const helm = path.join(stack.STACK_BIN!, 'helm4');
  const namespace = `bench-ff-${process.pid}`;
  const kube = ['--kubeconfig', stack.KUBECONFIG!];
  spawnSync(kubectl, ['create', 'namespace', namespace, ...kube], { stdio: 'ignore' });
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bench-ff-'));
  const env = (values: Record<string, string>): NodeJS.ProcessEnv => ({
    ...process.env,
    RUNNER_TEMP: temp,
    KUBELINE_PLATFORM: 'cli',
    GITHUB_ACTIONS: '',
    GITLAB_CI: '',
    KUBELINE_TOOLS_MIRROR: stack.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: stack.TOOLS_MANIFEST,
    ...Object.fromEntries(
      Object.entries({
        kubeconfig: stack.KUBECONFIG!,
        namespace,
        chart: CHART,
        'helm-version': '4',
        ...values,
      }).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]),
    ),
  });
  const kubeline = (release: string, set = '', ns = namespace) => {
    const started = Date.now();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'actions/helm-deploy/dist/index.js')], {
      env: env({ release, set, namespace: ns, timeout: `${TIMEOUT_S}s` }),
      encoding: 'utf8',
    });
    const sign = /failing fast (\d+)s after the first sign/.exec(r.stderr ?? '');
    return { ms: Date.now() - started, code: r.status, verdictS: sign ? Number(sign[1]) : undefined };
  };
  const raw = (release: string, set: string, ns = namespace) => {
    const args = [
      'upgrade',
      '--install',
      release,
      CHART,
      '-n',
      ns,
      ...kube,
      '--wait',
      `--timeout=${TIMEOUT_S}s`,
    ];
    const started = Date.now();
    const r = spawnSync(helm, [...args, ...(set ? ['--set', set] : [])], { encoding: 'utf8' });
    return { ms: Date.now() - started, code: r.status };
  };
  const rows: string[] = [];
  const row = (cause: string, ours: Run & { verdictS?: number }, theirs: Run) =>
    `| ${cause} | ${ours.verdictS === undefined ? 'no verdict' : `${ours.verdictS} s`} | ${seconds(ours.ms)} (exit ${ours.code}, rolled back) | ${seconds(theirs.ms)} (exit ${theirs.code}) | ${(theirs.ms / ours.ms).toFixed(1)}× |`;
  try {
    causes.forEach(([cause, set], i) => {
      kubeline(`kl${i}`);
      raw(`raw${i}`, '');
      rows.push(row(cause, kubeline(`kl${i}`, set), raw(`raw${i}`, set)));
    });
    const quota = `${namespace}-quota`;
    const q = quotaScene(kubectl, kube, quota, () => [kubeline('klq', '', quota), raw('rawq', '', quota)]);
    rows.push(row('FailedCreate (ResourceQuota full)', kubeline('klq', q, quota), raw('rawq', q, quota)));
  } finally {
    for (const ns of [namespace, `${namespace}-quota`])
      spawnSync(kubectl, ['delete', 'namespace', ns, '--wait=false', ...kube], { stdio: 'ignore' });
    fs.rmSync(temp, { recursive: true, force: true });
  }
  return [
    `fail-fast: a release that can never become ready, helm 4, timeout ${TIMEOUT_S}s (one run per cause)`,
    '| cause | first sign → verdict | kubeline helm-deploy until failed | helm upgrade --wait until failed | helm / kubeline |',
    '|---|---|---|---|---|',
    ...rows,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) console.log(failFast());
