// helm-deploy's bundle against raw `helm upgrade --install --wait` on the same chart and cluster (the
// stack's), per Helm major, interleaved; and rollback to Ready against raw `helm rollback --wait`.
// Every run rolls the pods (the chart stamps the render time into the pod template), so each
// deploy waits for a real rollout.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseEnv } from '../test/stack/env-file.js';
import { paths } from '../test/stack/paths.js';
import { ROOT } from '../test/support/processes.js';
import { interleaved, table, type Subject } from './measure.js';

const CHART = path.join(ROOT, 'test/fixtures/charts/web');

function inputs(values: Record<string, string>): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
}

export function helmDeploy(runs: number): string {
  if (!fs.existsSync(paths.env)) return 'helm-deploy — skipped: the stack is not up (npm run stack:up)';
  const stack = parseEnv(fs.readFileSync(paths.env, 'utf8'));
  const node = process.execPath;
  const kubectl = path.join(stack.STACK_BIN!, 'kubectl');
  const namespace = `bench-${process.pid}`;
  const kube = ['--kubeconfig', stack.KUBECONFIG!];
  spawnSync(kubectl, ['create', 'namespace', namespace, ...kube], { stdio: 'ignore' });
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bench-helm-'));
  const actionEnv = (values: Record<string, string>): Subject['env'] => ({
    RUNNER_TEMP: temp,
    KUBELINE_PLATFORM: 'cli',
    GITHUB_ACTIONS: '',
    GITLAB_CI: '',
    KUBELINE_TOOLS_MIRROR: stack.TOOLS_MIRROR,
    KUBELINE_TOOLS_MANIFEST: stack.TOOLS_MANIFEST,
    ...inputs({ kubeconfig: stack.KUBECONFIG!, namespace, ...values }),
  });
  const bundle = (action: string) => path.join(ROOT, 'actions', action, 'dist', 'index.js');
  const out: string[] = [];
  try {
    for (const major of [3, 4] as const) {
      const helm = path.join(stack.STACK_BIN!, `helm${major}`);
      const raw = (release: string, extra: string[] = []): Subject => ({
        name: `helm${major} upgrade --install --wait${extra.length ? ` ${extra.join(' ')}` : ''}`,
        cmd: helm,
        args: [
          'upgrade',
          '--install',
          release,
          CHART,
          '-n',
          namespace,
          ...kube,
          '--wait',
          '--set',
          'restartOnDeploy=true',
          ...extra,
        ],
      });
      const deploy: Subject = {
        name: `kubeline helm-deploy (helm ${major})`,
        cmd: node,
        args: [bundle('helm-deploy')],
        env: actionEnv({
          release: `kl${major}`,
          chart: CHART,
          set: 'restartOnDeploy=true',
          'helm-version': String(major),
        }),
      };
      // The first run on a machine has no compile cache (a GitHub-hosted job's first deploy).
      const uncached: Subject = {
        ...deploy,
        name: `${deploy.name}, no compile cache`,
        env: { ...deploy.env, KUBELINE_COMPILE_CACHE: 'off' },
      };
      // helm run wholly under the lock, as before helm-deploy started it ahead (see ahead.ts).
      const underLock: Subject = {
        ...deploy,
        name: `${deploy.name}, helm not started ahead`,
        env: { ...deploy.env, KUBELINE_UPGRADE_AHEAD: 'off' },
      };
      const atomic = major === 3 ? '--atomic' : '--rollback-on-failure';
      const baseline = raw(`raw${major}`);
      out.push(
        table(
          `helm-deploy vs raw helm ${major} (every run rolls 2 pods)`,
          baseline.name,
          interleaved([baseline, raw(`atomic${major}`, [atomic]), deploy, underLock, uncached], runs),
        ),
      );
      // Both roll back the same release, taking turns: the same history and manifests for each.
      const rawRollback: Subject = {
        name: `helm${major} rollback --wait`,
        cmd: helm,
        args: ['rollback', `kl${major}`, '-n', namespace, ...kube, '--wait'],
      };
      const rollback: Subject = {
        name: `kubeline rollback (helm ${major})`,
        cmd: node,
        args: [bundle('rollback')],
        env: actionEnv({ release: `kl${major}`, 'helm-version': String(major) }),
      };
      out.push(
        table(
          `rollback to Ready, helm ${major}`,
          rawRollback.name,
          interleaved([rawRollback, rollback], runs),
        ),
      );
    }
  } finally {
    spawnSync(kubectl, ['delete', 'namespace', namespace, '--wait=false', ...kube], { stdio: 'ignore' });
    fs.rmSync(temp, { recursive: true, force: true });
  }
  return out.join('\n\n');
}

if (import.meta.url === `file://${process.argv[1]}`)
  console.log(helmDeploy(Number(process.env.BENCH_RUNS ?? 5)));
