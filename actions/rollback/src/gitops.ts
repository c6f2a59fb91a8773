// kind: gitops — rollback for pull-based delivery: the image gitops-promote wrote before the current
// one (read from its commit trailers) is written back through the same Git path (re-edited at the
// tip, never forced), and the controller's apply and the rollout are awaited like a promotion.
import path from 'node:path';
import { InputError, KubelineError, formatDuration, type ActionContext } from '@kubeline/runtime';
import {
  Checkout,
  awaitCluster,
  commitAuthor,
  connectReader,
  gitAccess,
  gitEnvironment,
  parseReconciler,
  placementOf,
  findRollbackTarget,
  promote,
  noteHealthy,
  type RollbackTarget,
} from '@kubeline/gitops';
import { DIGEST } from '@kubeline/image/reference';
import { renderDiagnostics } from '@kubeline/kube';
import type { OutputName } from './action.generated.js';
import type { Inputs } from './inputs.js';

type Ctx = ActionContext<OutputName>;

function checkInputs(inputs: Inputs): void {
  if (!inputs.repository) throw new InputError('repository', '', 'kind: gitops needs the config repository');
  if (inputs.path.length === 0) throw new InputError('path', '', 'kind: gitops needs the file(s) to edit');
  if (inputs.to !== 'previous' && inputs.to !== 'last-good' && !DIGEST.test(inputs.to))
    throw new InputError(
      'to',
      inputs.to,
      'kind: gitops rolls back to previous, last-good, or an image digest (sha256:<64 hex>) an earlier promotion wrote',
    );
}

function targetOf(to: string): RollbackTarget {
  if (to === 'previous' || to === 'last-good') return { kind: to };
  return { kind: 'digest', digest: to };
}

export async function rollbackGitops(ctx: Ctx, inputs: Inputs, started: number): Promise<void> {
  checkInputs(inputs);
  const { remote, auth } = gitAccess(inputs);
  const placement = placementOf({ ...inputs, kind: inputs['file-kind'] });
  const refs = inputs['wait-for'].map(parseReconciler);
  const reader =
    refs.length && inputs.wait
      ? await connectReader(inputs, refs, (p) => ctx.state.set('kubeconfig', p))
      : undefined;
  try {
    const checkout = await Checkout.init(
      path.join(ctx.workDir(), 'repo'),
      remote,
      gitEnvironment(remote, auth, ctx.workDir()),
      auth.kind === 'token' ? [auth.token] : [],
    );
    const tip = await checkout.fetch(inputs.branch);
    if (!tip) throw new KubelineError(`branch ${inputs.branch} does not exist in ${remote.url}`);
    const env = inputs.environment || undefined;
    const { current, target, previous } = await findRollbackTarget(
      checkout,
      tip,
      inputs.path,
      env,
      targetOf(inputs.to),
    );
    ctx.log.info(`rolling ${inputs.release} back from ${current.digest} to ${previous.digest}`);
    const author = commitAuthor(inputs);
    const result = await promote(checkout, {
      contract: previous,
      paths: inputs.path,
      placement,
      branch: inputs.branch,
      author,
      message: (changes) =>
        [
          `Roll back ${inputs.release} to ${previous.digest.slice(0, 19)}${env ? ` in ${env}` : ''}`,
          '',
          ...changes.map(
            (c) => `- ${c.file}: ${c.path}: ${c.old ?? '(none)'} → ${c.removed ? '(removed)' : c.new}`,
          ),
          '',
          `Kubeline-Image: ${previous.name}@${previous.digest}`,
          ...(env ? [`Kubeline-Environment: ${env}`] : []),
          `Kubeline-Rollback-Of: ${current.sha}`,
          '',
        ].join('\n'),
      attempts: 5,
    });
    ctx.output('from-revision', current.sha);
    ctx.output('to-revision', target.sha);
    ctx.output('revision', result.commit);
    ctx.output('image-digest', previous.digest);
    ctx.summary
      .heading(`kubeline rollback (gitops): ${inputs.release}`)
      .text(
        `${current.digest} → ${previous.digest}: ${result.changed ? `commit \`${result.commit.slice(0, 12)}\`` : 'already there, nothing committed'} on ${inputs.branch}.`,
      );
    if (!reader) {
      ctx.output('status', 'deployed');
      return;
    }
    const waited = await awaitCluster({
      reader,
      checkout,
      refs,
      commit: result.commit,
      digest: previous.digest,
      timeoutMs: inputs.timeout ?? 300_000,
      progress: (line) => ctx.log.info(line),
    });
    for (const ro of waited.rollouts) if (ro.diagnostics) renderDiagnostics(ctx.summary, ro.diagnostics);
    if (waited.failure) {
      ctx.output('status', 'failed');
      throw waited.failure;
    }
    ctx.summary.text(`Applied and rolled out in ${formatDuration(Date.now() - started)}.`);
    ctx.output('status', 'deployed');
    if (waited.rollouts.length)
      await noteHealthy(
        checkout,
        { commit: result.commit, ...(env ? { environment: env } : {}), author },
        ctx.log,
      );
  } finally {
    reader?.cleanup();
  }
}
