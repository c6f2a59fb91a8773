// helm-deploy's main step once its inputs are read, in the order a deploy happens: inputs planned,
// everything prepared, then a dry run or the upgrade under the release's lock, reported to a GitHub
// Deployment when asked.
import { runUrl } from '@kubeline/runtime';
import { prepareKubeconfig } from '@kubeline/kube';
import { dryRun } from './dry-run.js';
import { GitHubDeployment } from './github-deployment.js';
import type { Inputs } from './inputs.js';
import { lockRelease } from './lock.js';
import { plan } from './plan.js';
import { prepare, type Ctx, type Deploy } from './prepare.js';
import { upgrade } from './upgrade.js';

export async function deploy(ctx: Ctx, inputs: Inputs, started: number): Promise<void> {
  const p = plan(inputs);
  const kube = prepareKubeconfig({
    kubeconfig: inputs.kubeconfig,
    context: inputs.context,
    namespace: inputs.namespace,
  });
  ctx.state.set('kubeconfig', kube.path);
  try {
    const d = await prepare(ctx, inputs, p, kube, started);
    try {
      if (inputs['dry-run']) await dryRun(d);
      else await deployLocked(d);
    } finally {
      d.ahead?.cancel('the deploy ended');
    }
  } finally {
    kube.cleanup();
  }
}

async function deployLocked(d: Deploy): Promise<void> {
  const { ctx, inputs } = d;
  // A contended lock makes what the ahead helm read stale: it is killed rather than left waiting.
  const lock = await lockRelease(d.cluster, inputs, d.target.namespace, ctx, () =>
    d.ahead?.cancel('another run holds the lock'),
  );
  ctx.log.debug(`lock held after ${Date.now() - d.started} ms`);
  try {
    const github = await openGitHubDeployment(d);
    try {
      await upgrade(d, lock);
      await github?.status('success', `${inputs.release} revision ${d.facts.revision} is ready`, ctx.log);
    } catch (e) {
      await github?.status('failure', (e as Error).message, ctx.log);
      throw e;
    } finally {
      ctx.state.set('finished', 'true');
    }
  } finally {
    await lock.release();
    ctx.log.debug(`lock released after ${Date.now() - d.started} ms`);
  }
}

async function openGitHubDeployment(d: Deploy): Promise<GitHubDeployment | undefined> {
  const { ctx, inputs, contract } = d;
  if (!inputs['github-token']) return undefined;
  const github = await GitHubDeployment.create({
    token: inputs['github-token'],
    environment: d.environment,
    environmentUrl: inputs['environment-url']?.href,
    logUrl: runUrl(ctx.platform, process.env),
    description: `${inputs.release} ${contract ? `@ ${contract.digest.slice(0, 19)}` : ''}`.trim(),
    env: process.env,
  });
  ctx.state.set('githubDeployment', String(github.id));
  await github.status('in_progress', `deploying ${inputs.release}`, ctx.log);
  return github;
}
