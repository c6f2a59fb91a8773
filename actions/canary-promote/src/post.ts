// The post step (GitLab after_script): a main step that was killed left its lease held and its
// traffic where it was. If the lease is still this run's and unfinished, traffic goes back to
// stable and the canary is removed; then the kubeconfig main wrote is deleted.
import fs from 'node:fs';
import type { ActionContext } from '@kubeline/runtime';
import { connect, readLease, removeWrittenKubeconfig } from '@kubeline/kube';
import { isFinished, leaseNameOf, revertCanary, stateOf } from '@kubeline/canary';
import type { OutputName } from './action.generated.js';
import { LEASE_STATE } from './rollout.js';

export async function post(ctx: ActionContext<OutputName>): Promise<void> {
  const kubeconfig = ctx.state.get('kubeconfig');
  const saved = ctx.state.get(LEASE_STATE);
  try {
    // The kubeconfig main wrote is gone only when main ran its own clean-up: it ended (promoted,
    // aborted or reverted) and left nothing for the post step to revert.
    if (kubeconfig && !fs.existsSync(kubeconfig)) {
      ctx.log.debug('the main step finished and cleaned up: nothing to revert');
      return;
    }
    if (kubeconfig && saved)
      await revertIfLeft(
        ctx,
        kubeconfig,
        JSON.parse(saved) as { namespace: string; deployment: string; holder: string },
      );
  } finally {
    if (kubeconfig) removeWrittenKubeconfig(kubeconfig);
  }
}

async function revertIfLeft(
  ctx: ActionContext<OutputName>,
  kubeconfig: string,
  run: { namespace: string; deployment: string; holder: string },
): Promise<void> {
  const cluster = await connect(kubeconfig);
  const lease = await readLease(cluster, run.namespace, leaseNameOf(run.deployment));
  const state = stateOf(lease);
  if (!lease || lease.spec?.holderIdentity !== run.holder || !state || isFinished(state.phase)) return;
  ctx.log.warning(
    `the main step left the canary of ${run.deployment} at step ${state.step + 1} (${state.weight}%): reverting it`,
  );
  const t = {
    cluster,
    namespace: run.namespace,
    deployment: run.deployment,
    log: (l: string) => ctx.log.info(l),
  };
  const problems = await revertCanary(t, state, 'the main step did not finish (job cancelled or killed)');
  for (const p of problems) ctx.log.warning(p);
  await cluster.coordination.replaceNamespacedLease({
    name: lease.metadata!.name!,
    namespace: run.namespace,
    body: {
      ...lease,
      metadata: {
        ...lease.metadata,
        annotations: {
          ...lease.metadata?.annotations,
          'kubeline.dev/canary-state': JSON.stringify({
            ...state,
            phase: 'aborted',
            weight: 0,
            reason: 'reverted by the post step',
            updatedAt: new Date().toISOString(),
          }),
        },
      },
      spec: { ...lease.spec, holderIdentity: undefined },
    },
  });
  ctx.summary
    .heading(`kubeline canary-promote: ${run.deployment} reverted by the post step`)
    .text(`The main step did not finish; all traffic is back on stable and the canary is removed.`);
}
