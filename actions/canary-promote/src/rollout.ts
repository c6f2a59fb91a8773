// The canary rollout once its inputs are read (main.ts): take the Deployment's canary lease, settle
// what an earlier run left, run the canary beside stable, then hand the steps to Rollout.
import { UserError, onCancel, type ActionContext } from '@kubeline/runtime';
import { resolveImage } from '@kubeline/image';
import { imageRegistryAccess, requireSignature } from '@kubeline/signing';
import { connect, holderIdentity, prepareKubeconfig, requireAccess } from '@kubeline/kube';
import {
  CanaryLease,
  chooseContainer,
  isFinished,
  readDeployment,
  revertCanary,
  type CanaryState,
  type CanaryTarget,
  type Inherited,
} from '@kubeline/canary';
import type { OutputName } from './action.generated.js';
import type { Inputs } from './inputs.js';
import { NEEDS, ROUTER_NEEDS, makePlan } from './plan.js';
import { Rollout } from './steps.js';

type Ctx = ActionContext<OutputName>;

export const LEASE_STATE = 'canary-lease';

export async function canaryRollout(ctx: Ctx, inputs: Inputs, started: number): Promise<void> {
  const plan = makePlan(inputs);
  const kube = prepareKubeconfig({
    kubeconfig: inputs.kubeconfig,
    context: inputs.context,
    namespace: inputs.namespace,
  });
  ctx.state.set('kubeconfig', kube.path);
  try {
    const cluster = await connect(kube.path, kube.context);
    const t: CanaryTarget = {
      cluster,
      namespace: kube.namespace,
      deployment: inputs.deployment,
      log: (l) => ctx.log.info(l),
    };
    const needs = [...NEEDS, ...ROUTER_NEEDS[inputs.router]];
    const registry = imageRegistryAccess(inputs.image, inputs, ctx.workDir());
    const [contract] = await Promise.all([
      resolveImage(inputs.image, { inputName: 'image', ...registry.client }),
      requireAccess(cluster, t.namespace, needs),
    ]);
    if (plan.verifier) {
      const consequence = 'no canary was started and no traffic moved';
      const o = {
        tlog: inputs['signature-transparency-log'],
        workDir: ctx.workDir(),
        log: ctx.log,
        consequence,
        registry,
      };
      const line = await requireSignature(contract, plan.verifier, o);
      ctx.log.info(line);
      ctx.summary.text(line);
    }
    const stable = await readDeployment(t, inputs.deployment);
    if (!stable)
      throw new UserError(
        `input "deployment": Deployment ${t.namespace}/${inputs.deployment} does not exist`,
      );
    const container = chooseContainer(stable, contract.name, inputs.container);
    if (container.image === contract.ref) {
      ctx.log.info(`Deployment ${inputs.deployment} already runs ${contract.ref}: nothing to roll out`);
      for (const [k, v] of [
        ['result', 'promoted'],
        ['reason', 'stable already runs this image'],
        ['weight', 100],
        ['steps-completed', 0],
        ['stable-image', contract.ref],
      ] as const)
        ctx.output(k, v);
      return;
    }
    const holder = holderIdentity();
    const durationMs = inputs['lease-duration'] ?? 30_000;
    const { lease, inherited } = await CanaryLease.acquire(cluster, t.namespace, inputs.deployment, {
      holder,
      durationMs,
      log: ctx.log,
    });
    ctx.state.set(
      LEASE_STATE,
      JSON.stringify({ namespace: t.namespace, deployment: inputs.deployment, holder }),
    );
    // A failure before the canary starts frees the lease at once; the next run need not wait it out.
    const resumed = await settleInherited(ctx, t, inputs, inherited, contract.ref).catch(
      async (e: unknown) => {
        await lease.free();
        throw e;
      },
    );
    const state: CanaryState = resumed?.state ?? {
      holder,
      phase: 'progressing',
      image: contract.ref,
      stableImage: container.image ?? '',
      container: container.name,
      step: -1,
      weight: 0,
      router: inputs.router,
      ...(inputs.router !== 'pods'
        ? {
            route: inputs.route || inputs.deployment,
            canaryService: inputs['canary-service'] || `${inputs.service || inputs.deployment}-canary`,
          }
        : {}),
      stableService: inputs.service || inputs.deployment,
      createdService: false,
      ...(plan.abMatches.length ? { abMatches: plan.abMatches } : {}),
      startedAt: new Date().toISOString(),
      updatedAt: new Date().toISOString(),
    };
    state.holder = holder;
    const rollout = new Rollout(ctx, inputs, plan, t, stable, lease, state, started);
    // A cancelled job: traffic back to stable and the canary removed, within the grace period.
    const disposeCancel = onCancel(() => rollout.revert('the job was cancelled', 'aborted'));
    try {
      await rollout.execute(resumed?.at);
    } finally {
      disposeCancel();
      if (!lease.released) lease.abandon();
    }
  } finally {
    kube.cleanup();
  }
}

/**
 * A canary an earlier run left unfinished: a paused one (wait-approval) with this very image goes
 * on from its next step — this run is the approval; one whose run died is resumed at its step when
 * asked (on-stale: resume) and it runs this image. Anything else is reverted (traffic to stable,
 * canary removed) before this run starts its own.
 */
async function settleInherited(
  ctx: Ctx,
  t: CanaryTarget,
  inputs: Inputs,
  inherited: Inherited,
  image: string,
): Promise<{ state: CanaryState; at: number } | undefined> {
  if (inherited.from === 'none' || !inherited.state || isFinished(inherited.state.phase)) return undefined;
  const left = inherited.state;
  const how =
    left.phase === 'paused'
      ? 'paused for approval'
      : inherited.from === 'stale'
        ? 'stopped renewing'
        : 'ended';
  const who = `${inherited.holder || 'an earlier run'} (${how} at step ${left.step + 1}, weight ${left.weight}%)`;
  const same = left.image === image;
  const at =
    left.phase === 'paused' && same
      ? left.step + 1
      : inputs['on-stale'] === 'resume' && same && left.phase === 'progressing'
        ? Math.max(0, left.step)
        : undefined;
  if (at !== undefined) {
    ctx.log.warning(`resuming the canary of ${t.deployment} left by ${who}`);
    ctx.summary.text(
      `Resumed the canary left by ${who}${left.phase === 'paused' ? '; this run approves that step' : ''}.`,
    );
    return { state: { ...left, phase: 'progressing' }, at };
  }
  ctx.log.warning(`reverting the canary of ${t.deployment} left by ${who}`);
  const problems = await revertCanary(t, left, `reverted what ${who} left`);
  for (const p of problems) ctx.log.warning(p);
  ctx.summary.text(`Reverted the canary left by ${who} before starting.`);
  return undefined;
}
