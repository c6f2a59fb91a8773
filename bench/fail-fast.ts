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
  const kubeline = (release: string, set = '') => {
    const started = Date.now();
    const r = spawnSync(process.execPath, [path.join(ROOT, 'actions/helm-deploy/dist/index.js')], {
      env: env({ release, set, timeout: `${TIMEOUT_S}s` }),
      encoding: 'utf8',
    });
    const sign = /failing fast (\d+)s after the first sign/.exec(r.stderr ?? '');
    return { ms: Date.now() - started, code: r.status, verdictS: sign ? Number(sign[1]) : undefined };
  };
  const raw = (release: string, set: string) => {
    const args = [
      'upgrade',
      '--install',
      release,
      CHART,
      '-n',
      namespace,
      ...kube,
      '--wait',
      `--timeout=${TIMEOUT_S}s`,
    ];
    const started = Date.now();
    const r = spawnSync(helm, [...args, ...(set ? ['--set', set] : [])], { encoding: 'utf8' });
    return { ms: Date.now() - started, code: r.status };
  };
  const rows: string[] = [];
  try {
    causes.forEach(([cause, set], i) => {
      kubeline(`kl${i}`);
      raw(`raw${i}`, '');
      const ours = kubeline(`kl${i}`, set);
      const theirs = raw(`raw${i}`, set);
      const verdict = ours.verdictS === undefined ? 'no verdict' : `${ours.verdictS} s`;
      rows.push(
        `| ${cause} | ${verdict} | ${seconds(ours.ms)} (exit ${ours.code}, rolled back) | ${seconds(theirs.ms)} (exit ${theirs.code}) | ${(theirs.ms / ours.ms).toFixed(1)}× |`,
      );
    });
  } finally {
    spawnSync(kubectl, ['delete', 'namespace', namespace, '--wait=false', ...kube], { stdio: 'ignore' });
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
