// One `helm upgrade` process with kubeline's post-renderer: its argv, and the run itself with the
// ways it may be stopped. Started under the lock (upgrade.ts) or ahead of it (ahead.ts).
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecResult } from '@kubeline/runtime';
import { DEPLOY_ID_ANNOTATION } from '@kubeline/kube';
import { releaseAnnotations, upgradeCommand } from '@kubeline/helm';
import { postRender, setupPostRenderer } from './post-renderer.js';
import type { Deploy } from './prepare.js';
import { RenderGate } from './render-gate.js';

/** The bundle runs itself as helm's post-renderer relay (see main.ts); this chunk sits beside its entry. */
const BUNDLE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.js');

/** What a helm upgrade is made of, known once the chart and values are ready. */
export type UpgradeParts = Pick<
  Deploy,
  'ctx' | 'inputs' | 'helm' | 'target' | 'chart' | 'values' | 'contract' | 'workDir' | 'started'
>;

export interface UpgradeArgOptions {
  dryRun: boolean;
  deployId: string;
  /** `--install`: false for a run started ahead, which must not install a chart's CRDs early. */
  install?: boolean;
  /** Its rendering waits at its gate until opened (ahead.ts). */
  held?: boolean;
  /** Names this run's gate socket. */
  name?: string;
}

/** helm's argv and environment for one run, and the gate its post-renderer hands the manifests to. */
export async function upgradeArgs(d: UpgradeParts, o: UpgradeArgOptions) {
  const { inputs, helm, contract, workDir, target, ctx } = d;
  const annotations = {
    ...releaseAnnotations(ctx.platform, process.env, contract?.digest),
    ...(o.dryRun ? {} : { [DEPLOY_ID_ANNOTATION]: o.deployId }),
  };
  const config = { annotations, ...(contract ? { image: contract } : {}), namespace: target.namespace };
  const gate = await RenderGate.listen(
    ctx.socketDir(),
    o.name ?? 'upgrade',
    (manifests) => postRender(manifests, config),
    o.held ?? false,
  );
  const renderer = setupPostRenderer(helm.major, workDir, BUNDLE, gate.path);
  const cmd = upgradeCommand(helm.major, {
    release: inputs.release,
    chart: d.chart,
    target,
    values: d.values,
    wait: inputs.wait,
    rollbackOnFailure: inputs['rollback-on-failure'],
    timeoutMs: inputs.timeout ?? 300_000,
    force: inputs.force,
    serverSide: inputs['server-side'],
    dryRun: o.dryRun,
    install: o.install ?? true,
    postRenderer: renderer.args,
    description: contract ? `kubeline: ${contract.ref}` : undefined,
  });
  for (const w of cmd.warnings) ctx.log.warning(w);
  return { args: cmd.args, env: renderer.env, gate };
}

/** The abort reason that gives helm time to fail the release itself; any other reason kills it. */
export const VERDICT = Symbol('a failure verdict');

export interface UpgradeRun {
  deployId: string;
  /** Where its post-renderer hands the manifests to, and what they held. */
  gate: RenderGate;
  result: Promise<ExecResult>;
  /** Aborted with VERDICT: SIGTERM, and helm fails (and rolls back) the release; otherwise SIGKILL. */
  stop: AbortController;
}

/** Starts `helm upgrade`; `extraMs` widens the hang bound by a time it may be held at a gate. */
export async function startUpgrade(
  d: UpgradeParts,
  o: Omit<UpgradeArgOptions, 'dryRun' | 'deployId'>,
  deployId: string,
  extraMs = 0,
): Promise<UpgradeRun> {
  const timeoutMs = d.inputs.timeout ?? 300_000;
  const cmd = await upgradeArgs(d, { ...o, dryRun: false, deployId });
  const stop = new AbortController();
  const result = d.helm.run(cmd.args, {
    env: cmd.env,
    silent: true,
    allowFailure: true,
    // Helm keeps its own deadline; ours only catches a hung process.
    timeoutMs: timeoutMs + 120_000 + extraMs,
    signal: stop.signal,
    stopGraceMs: (reason) => (reason === VERDICT ? Math.min(timeoutMs, 120_000) : 0),
  });
  result.catch(() => undefined); // awaited by whoever lets it apply; a cancelled one is dropped
  const ended = new AbortController();
  void cmd.gate
    .whenRendered(ended.signal)
    .then(
      (r) => r && d.ctx.log.debug(`helm's manifests reached the gate after ${Date.now() - d.started} ms`),
    );
  // helm's end is its post-renderer's end (helm waits for it): nothing connects after
  void result
    .finally(() => {
      ended.abort();
      cmd.gate.close();
    })
    .catch(() => undefined);
  return { deployId, gate: cmd.gate, result, stop };
}
