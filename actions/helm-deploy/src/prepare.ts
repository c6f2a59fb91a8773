// Everything before the release is touched: helm, the image and its gates, chart, values, access.
// The independent parts overlap: helm installs while the image resolves, helm upgrade starts and the
// chart is linted (other cores) while client-node loads, and the history is read (from helm's
// Secrets, no helm process) while access is checked.
import crypto from 'node:crypto';
import type { ActionContext } from '@kubeline/runtime';
import { ensureTool } from '@kubeline/tools';
import { resolveImage, type ImageContract } from '@kubeline/image';
import { connectAfter, requireAccess, type Cluster, type PreparedKubeconfig } from '@kubeline/kube';
import { Helm, releaseHistory, type HelmTarget, type HistoryEntry } from '@kubeline/helm';
import { checkImageGates, imageRegistryAccess, type RegistryAccess } from '@kubeline/signing';
import type { OutputName } from './action.generated.js';
import { AheadUpgrade } from './ahead.js';
import { lint } from './chart-lint.js';
import { describeChart, fetchChart } from './chart-source.js';
import type { DeployFacts } from './deploy-report.js';
import { imageValues } from '@kubeline/image';
import type { Inputs } from './inputs.js';
import { DRY_RUN_NEEDS, NEEDS, type DeployPlan } from './plan.js';
import { valuesArgs } from './values.js';

export type Ctx = ActionContext<OutputName>;

export interface Deploy {
  ctx: Ctx;
  inputs: Inputs;
  helm: Helm;
  cluster: Cluster;
  target: HelmTarget;
  chart: string;
  values: string[];
  contract: ImageContract | undefined;
  workDir: string;
  facts: DeployFacts;
  started: number;
  /** The history read before the lock was taken. */
  early: Promise<HistoryEntry[]>;
  /** helm started before the lock, held before it applies (ahead.ts). */
  ahead: AheadUpgrade | undefined;
  environment: string;
}

export async function prepare(
  ctx: Ctx,
  inputs: Inputs,
  p: DeployPlan,
  kube: PreparedKubeconfig,
  started: number,
): Promise<Deploy> {
  const workDir = ctx.workDir();
  const registry = p.image ? imageRegistryAccess(p.image, inputs, workDir) : undefined;
  const toolReady = ensureTool('helm', inputs['helm-version'], 'helm-version');
  const resolving = p.image
    ? resolveImage(p.image, { inputName: 'image', ...registry!.client })
    : Promise.resolve(undefined);
  let helmAtWork = () => {};
  const atWork = new Promise<void>((resolve) => (helmAtWork = resolve));
  const connecting = connectAfter(atWork, kube.path, kube.context);
  connecting.catch(() => undefined); // awaited below, after the steps that explain bad input first

  const [tool, contract] = await Promise.all([toolReady, resolving]);
  ctx.log.debug(`helm ${tool.version} (${tool.source}) ready after ${Date.now() - started} ms`);
  const helm = new Helm(tool.path, tool.version, {}, [inputs['chart-password']]);
  const target: HelmTarget = { kubeconfig: kube.path, context: kube.context, namespace: kube.namespace };
  // The gates run beside the chart, values, lint and access checks; nothing is applied before both end.
  const gating = checkGates(ctx, inputs, p, contract, workDir, registry);
  gating.catch(() => undefined);
  const prepared = chartAndValues(helm, inputs, p, contract, workDir);
  prepared.catch(() => undefined);
  // helm upgrade starts (ahead.ts) before lint and before client-node's load holds the main thread:
  // its start and render are the longest path to the apply, so it gets the cores first.
  const starting = prepared.then(({ chart, values }) =>
    AheadUpgrade.start(
      { ctx, inputs, helm, target, chart, values, contract, workDir, started },
      crypto.randomUUID(),
    ),
  );
  starting.catch(() => undefined);
  void starting.finally(helmAtWork).catch(() => undefined);
  const linted = starting
    .catch(() => undefined)
    .then(() => prepared)
    .then(({ chart, values }) => (inputs.lint ? lint(helm, chart, values, target) : undefined));
  linted.catch(() => undefined);
  const { chart, values } = await prepared;
  const parts = { ctx, inputs, helm, target, chart, values, contract, workDir };
  const ahead = await starting;
  let cluster: Cluster;
  let gates: string[];
  // The release's history is read beside the checks; re-read under the lock if another run deployed since.
  const early = connecting.then((c) => releaseHistory(helm, c, target, inputs.release));
  early.catch(() => undefined); // awaited later; an access error is explained by requireAccess first
  const after = <T>(what: string, p: Promise<T>) =>
    p.then((v) => (ctx.log.debug(`${what} after ${Date.now() - started} ms`), v));
  try {
    cluster = await after('connected', connecting);
    [gates] = await Promise.all([
      after('gates passed', gating),
      after('lint passed', linted),
      after(
        'access checked',
        requireAccess(cluster, kube.namespace, inputs['dry-run'] ? DRY_RUN_NEEDS : NEEDS),
      ),
    ]);
  } catch (e) {
    ahead?.cancel('a check failed');
    throw e;
  }
  ctx.log.debug(`checks done after ${Date.now() - started} ms`);

  const environment = inputs.environment || kube.namespace;
  const facts = announce(ctx, inputs, p, kube, helm, contract, environment, gates);
  return { ...parts, cluster, facts, started, early, ahead, environment };
}

/** The scan and signature gates; each passed gate is a line in the log and the summary. */
function checkGates(
  ctx: Ctx,
  inputs: Inputs,
  p: DeployPlan,
  contract: ImageContract | undefined,
  workDir: string,
  registry: RegistryAccess | undefined,
): Promise<string[]> {
  return checkImageGates(contract, {
    ...(p.verifier ? { verifier: p.verifier } : {}),
    scan: p.scan,
    failOn: p.failOn,
    tlog: inputs['signature-transparency-log'],
    workDir,
    log: ctx.log,
    consequence: 'nothing was deployed',
    ...(registry ? { registry } : {}),
  });
}

/** The chart pulled (or found) and the values, the image pinned into them, checked before helm runs. */
async function chartAndValues(
  helm: Helm,
  inputs: Inputs,
  p: DeployPlan,
  contract: ImageContract | undefined,
  workDir: string,
): Promise<{ chart: string; values: string[] }> {
  const chart = await fetchChart(helm, p.source, {
    version: inputs['chart-version'],
    username: inputs['chart-username'],
    password: inputs['chart-password'],
    plainHttp: inputs['plain-http'],
    workDir,
  });
  const values = valuesArgs(
    {
      files: inputs['values-files'],
      inline: inputs.values,
      set: inputs.set,
      setString: inputs['set-string'],
      setFile: inputs['set-file'],
    },
    workDir,
    contract ? imageValues(contract, p.mappings) : undefined,
  );
  return { chart, values };
}

/** The outputs known before the release is touched, and the facts the summary starts from. */
function announce(
  ctx: Ctx,
  inputs: Inputs,
  p: DeployPlan,
  kube: PreparedKubeconfig,
  helm: Helm,
  contract: ImageContract | undefined,
  environment: string,
  gates: string[],
): DeployFacts {
  ctx.output('release', inputs.release);
  ctx.output('namespace', kube.namespace);
  ctx.output('image-digest', contract?.digest ?? '');
  ctx.output('environment', environment);
  ctx.output('environment-url', inputs['environment-url']?.href ?? '');
  return {
    release: inputs.release,
    namespace: kube.namespace,
    chart: describeChart(p.source),
    helmVersion: helm.version,
    image: contract,
    status: 'pending',
    durationMs: 0,
    gates,
  };
}
