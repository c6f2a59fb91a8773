// gitops-promote's run: the gates, the commit, the pull request, the wait — in that order, and the
// cluster is only ever read.
import path from 'node:path';
import { detectPlatform, formatDuration, runUrl, type ActionContext } from '@kubeline/runtime';
import { parseReference, resolveImage, type ImageContract } from '@kubeline/image';
import { checkImageGates, imageRegistryAccess } from '@kubeline/signing';
import {
  Checkout,
  gitEnvironment,
  promote,
  awaitCluster,
  commitAuthor,
  connectReader,
  noteHealthy,
  type Reader,
  type PromotionResult,
  type ValueChange,
} from '@kubeline/gitops';
import type { OutputName } from './action.generated.js';
import type { Inputs } from './inputs.js';
import { plan, type PromotePlan } from './plan.js';
import { openChangeRequest } from './change-request.js';
import { renderPromotion } from './report.js';

type Ctx = ActionContext<OutputName>;

/** Where the change came from, as a link a reviewer can follow. */
function sourceOf(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.GITHUB_REPOSITORY && env.GITHUB_SHA)
    return `${env.GITHUB_SERVER_URL || 'https://github.com'}/${env.GITHUB_REPOSITORY}/commit/${env.GITHUB_SHA}`;
  if (env.CI_PROJECT_URL && env.CI_COMMIT_SHA) return `${env.CI_PROJECT_URL}/-/commit/${env.CI_COMMIT_SHA}`;
  return undefined;
}

export function commitMessage(inputs: Inputs, contract: ImageContract, changes: ValueChange[]): string {
  const where = inputs.environment ? ` in ${inputs.environment}` : '';
  const title = inputs.message || `Promote ${contract.name} to ${contract.digest.slice(0, 19)}${where}`;
  const lines = changes.map(
    (c) => `- ${c.file}: ${c.path}: ${c.old ?? '(none)'} → ${c.removed ? '(removed)' : c.new}`,
  );
  const trailers = [
    `Kubeline-Image: ${contract.name}@${contract.digest}`,
    ...(inputs.environment ? [`Kubeline-Environment: ${inputs.environment}`] : []),
    ...(sourceOf() ? [`Kubeline-Source: ${sourceOf()}`] : []),
    ...(runUrl(detectPlatform()) ? [`Kubeline-Run: ${runUrl(detectPlatform())}`] : []),
  ];
  return `${title}\n\n${lines.join('\n')}\n\n${trailers.join('\n')}\n`;
}

function headBranch(inputs: Inputs, contract: ImageContract): string {
  if (inputs['pull-request-branch']) return inputs['pull-request-branch'];
  const app = parseReference(contract.name).repository.split('/').pop() ?? 'app';
  return `kubeline/promote/${inputs.environment || inputs.branch}/${app}`;
}

async function gates(ctx: Ctx, inputs: Inputs, p: PromotePlan): Promise<ImageContract> {
  const registry = imageRegistryAccess(inputs.image, inputs, ctx.workDir());
  const contract = await resolveImage(inputs.image, { inputName: 'image', ...registry.client });
  const lines = await checkImageGates(contract, {
    ...(p.verifier ? { verifier: p.verifier } : {}),
    scan: p.scan,
    failOn: p.failOn,
    tlog: inputs['signature-transparency-log'],
    workDir: ctx.workDir(),
    log: ctx.log,
    consequence: 'nothing was committed',
    registry,
  });
  for (const l of lines) ctx.summary.text(l);
  return contract;
}

function outputs(ctx: Ctx, r: PromotionResult, contract: ImageContract): void {
  ctx.output('commit', r.commit);
  ctx.output('changed', r.changed);
  ctx.output('files', JSON.stringify([...new Set(r.changes.map((c) => c.file))]));
  ctx.output('changes', JSON.stringify(r.changes));
  ctx.output('digest', contract.digest);
}

export async function run(ctx: Ctx, inputs: Inputs, started: number): Promise<void> {
  const p = plan(inputs);
  const contract = await gates(ctx, inputs, p);
  // a kubeconfig that cannot read what wait-for needs is refused before anything is committed
  const reader = p.reconcilers.length
    ? await connectReader(inputs, p.reconcilers, (path) => ctx.state.set('kubeconfig', path))
    : undefined;
  try {
    await deliver(ctx, inputs, p, contract, reader, started);
  } finally {
    reader?.cleanup();
  }
}

async function deliver(
  ctx: Ctx,
  inputs: Inputs,
  p: PromotePlan,
  contract: ImageContract,
  reader: Reader | undefined,
  started: number,
): Promise<void> {
  const secrets = p.auth.kind === 'token' ? [p.auth.token] : [];
  const env = gitEnvironment(p.remote, p.auth, ctx.workDir());
  const checkout = await Checkout.init(path.join(ctx.workDir(), 'repo'), p.remote, env, secrets);
  const head = inputs.mode === 'pull-request' ? headBranch(inputs, contract) : undefined;
  const gitStarted = Date.now();
  const author = commitAuthor(inputs);
  const result = await promote(checkout, {
    contract,
    paths: inputs.path,
    placement: p.placement,
    branch: inputs.branch,
    ...(head ? { headBranch: head } : {}),
    author,
    message: (changes) => commitMessage(inputs, contract, changes),
    attempts: inputs['push-attempts'] ?? 5,
  });
  const gitMs = Date.now() - gitStarted;
  outputs(ctx, result, contract);
  ctx.log.info(
    result.changed
      ? `pushed ${result.commit.slice(0, 12)} to ${result.pushedTo} (${result.changes.length} value(s), attempt ${result.attempts}) in ${formatDuration(gitMs)}`
      : `${result.pushedTo} already runs ${contract.digest}: nothing to commit`,
  );
  const request =
    p.forge && result.changed ? await openChangeRequest(ctx, inputs, p, contract, result) : undefined;
  const report = { contract, result, gitMs, ...(request ? { request } : {}) };
  if (!reader) {
    ctx.output('status', request ? 'proposed' : result.changed ? 'pushed' : 'unchanged');
    renderPromotion(ctx.summary, inputs, report, started);
    return;
  }
  const waited = await awaitCluster({
    reader,
    checkout,
    refs: p.reconcilers,
    commit: result.commit,
    digest: contract.digest,
    timeoutMs: inputs.timeout ?? 600_000,
    progress: (line) => ctx.log.info(line),
  });
  if (waited.appliedRevisions.length) ctx.output('applied-revision', waited.appliedRevisions.join(','));
  renderPromotion(ctx.summary, inputs, { ...report, waited }, started);
  if (waited.failure) {
    ctx.output('status', 'failed');
    throw waited.failure;
  }
  ctx.output('status', waited.rollouts.length ? 'healthy' : 'applied');
  if (waited.rollouts.length)
    await noteHealthy(
      checkout,
      { commit: result.commit, ...(inputs.environment ? { environment: inputs.environment } : {}), author },
      ctx.log,
    );
}
