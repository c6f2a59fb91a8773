// `helm upgrade --install` under the lock: a pending release recovered first, the workloads watched
// while helm waits, and the outcome recorded (last-good) or explained in one line.
import crypto from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { KubelineError, runUrl } from '@kubeline/runtime';
import {
  DEFAULT_FAIL_FAST,
  faultSubject,
  DEPLOY_ID_ANNOTATION,
  diagnosticsMargin,
  explainForbidden,
  watchRollouts,
  workloadsOf,
  type WorkloadOutcome,
} from '@kubeline/kube';
import {
  deployedRevision,
  helmErrorLine,
  isPending,
  markHealthyReplicaSets,
  pendingDecision,
  recordHealthy,
  recoverPending,
  releaseAnnotations,
  upgradeCommand,
  type HistoryEntry,
  type ReleaseLock,
} from '@kubeline/helm';
import { aftermath, summarizeDeploy, workloadCause } from './deploy-report.js';
import {
  readRenderReport,
  renderReportOf,
  setupPostRenderer,
  type RenderedResource,
} from './post-renderer.js';
import type { Deploy } from './prepare.js';

/** The bundle runs itself as helm's post-renderer (see main.ts); this chunk sits beside its entry. */
const BUNDLE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.js');

export function upgradeArgs(d: Deploy, dryRun: boolean, deployId: string) {
  const { inputs, helm, contract, workDir, target, ctx } = d;
  const annotations = {
    ...releaseAnnotations(ctx.platform, process.env, contract?.digest),
    ...(dryRun ? {} : { [DEPLOY_ID_ANNOTATION]: deployId }),
  };
  const renderer = setupPostRenderer(helm.major, workDir, BUNDLE, {
    annotations,
    ...(contract ? { image: contract } : {}),
    namespace: target.namespace,
  });
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
    dryRun,
    postRenderer: renderer.args,
    description: contract ? `kubeline: ${contract.ref}` : undefined,
  });
  for (const w of cmd.warnings) ctx.log.warning(w);
  return { args: cmd.args, env: renderer.env, report: renderer.config.report };
}

/** The post-renderer's own words beat helm's generic "error while running post render". */
export function failureLine(stderr: string, reportFile: string): string {
  const report = readRenderReport(reportFile);
  if (report?.error) return `${report.error}; nothing was applied`;
  const line = helmErrorLine(stderr);
  return /is forbidden: User/.test(line) ? explainForbidden(line.slice(line.indexOf('User'))) : line;
}

/**
 * The history read before the lock, unless it failed or may be stale: another run held the lock first, or
 * the release was pending then (a run that was deploying may have finished before the lock was
 * ours; judged on the old read, its healthy release would look stuck).
 */
async function historyUnderLock(d: Deploy, lock: ReleaseLock): Promise<HistoryEntry[]> {
  const early = lock.contended ? undefined : await d.early.catch(() => undefined);
  const last = early?.[early.length - 1];
  if (early && !(last && isPending(last.status))) return early;
  return d.helm.history(d.inputs.release, d.target);
}

/** The history to deploy on top of, with a release a killed run left pending recovered first. */
async function currentHistory(d: Deploy, lock: ReleaseLock): Promise<HistoryEntry[]> {
  const { ctx, inputs, helm, target } = d;
  const history = await historyUnderLock(d, lock);
  const decision = pendingDecision(
    inputs.release,
    history,
    inputs['pending-grace'] ?? 300_000,
    Date.now(),
    lock.pendingIsAbandoned,
  );
  if (decision.action !== 'none') lock.assertHeld('recovering the pending release');
  await recoverPending(helm, inputs.release, target, decision, {
    timeoutMs: inputs.timeout ?? 300_000,
    log: ctx.log,
  });
  return decision.action === 'none' ? history : helm.history(inputs.release, target);
}

export async function upgrade(d: Deploy, lock: ReleaseLock): Promise<void> {
  const { ctx, inputs, helm, cluster, target, facts } = d;
  const timeoutMs = inputs.timeout ?? 300_000;
  const history = await currentHistory(d, lock);
  facts.previous = deployedRevision(history)?.revision;
  ctx.output('previous-revision', facts.previous ?? '');

  const deployId = crypto.randomUUID();
  const cmd = upgradeArgs(d, false, deployId);
  const stop = new AbortController();
  const failedFast = new AbortController();
  const watching = renderReportOf(cmd.report, stop.signal).then((report) =>
    report && !report.error
      ? watchRollouts(
          cluster,
          workloadsOf(report.resources, target.namespace),
          deployId,
          timeoutMs - diagnosticsMargin(timeoutMs),
          stop.signal,
          { failFast: failFastPolicy(d), onFailure: (o) => stopHelmOnVerdict(d, o, failedFast) },
        )
      : [],
  );
  ctx.log.info(
    `helm ${helm.version}: upgrade --install ${inputs.release} in ${target.namespace} (timeout ${timeoutMs / 1000}s)`,
  );
  lock.assertHeld('helm upgrade');
  // Helm keeps its own deadline; ours only catches a hung process.
  const r = await helm.run(cmd.args, {
    env: cmd.env,
    silent: true,
    allowFailure: true,
    timeoutMs: timeoutMs + 120_000,
    // A verdict: helm answers SIGTERM by failing the release (and rolling it back), given time.
    // A lost lock: another run may own the release now, so helm is killed before it writes more.
    signal: AbortSignal.any([failedFast.signal, lock.signal]),
    stopGraceMs: () => (lock.signal.aborted ? 0 : Math.min(timeoutMs, 120_000)),
  });
  stop.abort();
  // killed for a lost lock: the next holder recovers the release it left pending
  if (lock.signal.aborted) lock.assertHeld('anything after helm upgrade');
  if (r.stopped) await recoverStopped(d, lock);
  ctx.log.debug(`helm ${r.code === 0 ? 'succeeded' : 'failed'} after ${Date.now() - d.started} ms`);
  const outcomes: WorkloadOutcome[] = await watching;
  const report = readRenderReport(cmd.report);
  // Refused manifests were never applied: they are not the release's resources.
  const resources = report && !report.error ? report.resources : [];
  ctx.output(
    'resources',
    resources.map(({ kind, name, namespace }) => ({ kind, name, namespace })),
  );
  facts.durationMs = Date.now() - d.started;
  if (r.code !== 0) return failed(d, history, resources, outcomes, r.stderr, cmd.report);
  // helm's own warnings (deprecated APIs, unreadable kubeconfig modes) still reach the log
  for (const line of r.stderr.split('\n').filter((l) => l.trim())) ctx.log.info(line);
  lock.assertHeld('recording the release as healthy');
  await succeeded(d, JSON.parse(r.stdout) as HelmRelease, resources);
  summarizeDeploy(ctx.summary, facts, resources, outcomes);
}

function failFastPolicy(d: Deploy) {
  if (!(d.inputs['fail-fast'] ?? true) || !d.inputs.wait) return false as const;
  return {
    ...DEFAULT_FAIL_FAST,
    crashRestarts: d.inputs['fail-fast-restarts'] ?? DEFAULT_FAIL_FAST.crashRestarts,
  };
}

/** A certain failure ends helm's wait now, not at its timeout. */
function stopHelmOnVerdict(d: Deploy, o: WorkloadOutcome, failedFast: AbortController): void {
  if (!o.verdict || failedFast.signal.aborted) return;
  const { fault, firstSeen, at } = o.verdict;
  d.ctx.log.warning(
    `${o.kind} ${o.name}: ${fault.detail} (${faultSubject(fault)}); failing fast ${Math.round((at - firstSeen) / 1000)}s after the first sign, stopping helm's wait`,
  );
  failedFast.abort();
}

/** helm killed past its grace leaves the release pending: it is ours, so it is recovered now. */
async function recoverStopped(d: Deploy, lock: ReleaseLock): Promise<void> {
  const { helm, inputs, target, ctx } = d;
  const history = await helm.history(inputs.release, target);
  const decision = pendingDecision(inputs.release, history, 0, Date.now(), true);
  if (decision.action === 'none') return;
  if (!inputs['rollback-on-failure']) {
    ctx.log.warning(`release ${inputs.release} was left ${history.at(-1)?.status} when helm was stopped`);
    return;
  }
  lock.assertHeld('recovering the stopped release');
  await recoverPending(helm, inputs.release, target, decision, {
    timeoutMs: inputs.timeout ?? 300_000,
    log: ctx.log,
  });
}

interface HelmRelease {
  version: number;
  info: { status: string };
}

async function failed(
  d: Deploy,
  history: HistoryEntry[],
  resources: RenderedResource[],
  outcomes: WorkloadOutcome[],
  stderr: string,
  reportFile: string,
): Promise<never> {
  const { ctx, inputs, helm, target, facts } = d;
  const timeoutMs = inputs.timeout ?? 300_000;
  const after = await helm.history(inputs.release, target).catch(() => history);
  const top = Math.max(0, ...history.map((h) => h.revision));
  facts.revision = after.find((h) => h.revision > top && h.status === 'failed')?.revision;
  facts.status = 'failed';
  ctx.output('status', 'failed');
  ctx.output('revision', facts.revision ?? '');
  summarizeDeploy(ctx.summary, facts, resources, outcomes);
  const fromWorkloads = workloadCause(outcomes, timeoutMs);
  const fate = aftermath(history, after, fromWorkloads !== undefined);
  throw new KubelineError(
    `release ${inputs.release} failed: ${fromWorkloads ?? failureLine(stderr, reportFile)}${fate ? `; ${fate}` : ''}`,
  );
}

/** A release that waited and became ready is recorded as last-good (Helm revision and ReplicaSets). */
async function succeeded(d: Deploy, release: HelmRelease, resources: RenderedResource[]): Promise<void> {
  const { ctx, inputs, cluster, target, facts } = d;
  facts.revision = release.version;
  facts.status = release.info.status;
  ctx.output('revision', release.version);
  ctx.output('status', release.info.status);
  if (inputs.wait || inputs['rollback-on-failure']) {
    const url = runUrl(ctx.platform, process.env);
    const deployments = resources
      .filter((x) => x.kind === 'Deployment' && x.apiVersion === 'apps/v1')
      .map((x) => x.name);
    await Promise.all([
      recordHealthy(cluster, target.namespace, inputs.release, {
        revision: release.version,
        chart: facts.chart,
        at: new Date().toISOString(),
        ...(d.contract ? { imageDigest: d.contract.digest } : {}),
        ...(url ? { runUrl: url } : {}),
      }),
      markHealthyReplicaSets(cluster, target.namespace, deployments, ctx.log),
    ]);
  }
  ctx.log.info(
    `release ${inputs.release} revision ${release.version} ${release.info.status}${facts.previous ? ` (was revision ${facts.previous})` : ''}`,
  );
}
