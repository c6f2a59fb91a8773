// `helm upgrade --install` under the lock: a pending release recovered first, the workloads watched
// while helm waits, and the outcome recorded (last-good) or explained in one line. A helm started
// ahead (ahead.ts) is let through when what it read still holds, or killed and run again here.
import crypto from 'node:crypto';
import { KubelineError, runUrl, type ExecResult } from '@kubeline/runtime';
import {
  DEFAULT_FAIL_FAST,
  faultSubject,
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
  releaseHistory,
  type HistoryEntry,
  type ReleaseLock,
} from '@kubeline/helm';
import { aftermath, summarizeDeploy, workloadCause } from './deploy-report.js';
import type { RenderedResource, RenderReport } from './post-renderer.js';
import type { Deploy } from './prepare.js';
import { startUpgrade, VERDICT, type UpgradeRun } from './upgrade-run.js';

/** The post-renderer's own words beat helm's generic "error while running post render". */
export function failureLine(stderr: string, report: RenderReport | undefined): string {
  if (report?.error) return `${report.error}; nothing was applied`;
  const line = helmErrorLine(stderr);
  return /is forbidden: User/.test(line) ? explainForbidden(line.slice(line.indexOf('User'))) : line;
}

interface ReleaseView {
  history: HistoryEntry[];
  /** Read before the lock and still standing: what a helm started ahead read too. */
  early: boolean;
}

/**
 * The history read before the lock, unless it failed or may be stale: another run held the lock first, or
 * the release was pending then (a run that was deploying may have finished before the lock was
 * ours; judged on the old read, its healthy release would look stuck).
 */
async function historyUnderLock(d: Deploy, lock: ReleaseLock, fresh: boolean): Promise<ReleaseView> {
  const early = lock.contended || fresh ? undefined : await d.early.catch(() => undefined);
  const last = early?.[early.length - 1];
  if (early && !(last && isPending(last.status))) return { history: early, early: true };
  return { history: await releaseHistory(d.helm, d.cluster, d.target, d.inputs.release), early: false };
}

/**
 * The history to deploy on top of (`fresh`: read now, never the early read), with a release a killed
 * run left pending recovered first.
 */
async function currentHistory(d: Deploy, lock: ReleaseLock, fresh = false): Promise<ReleaseView> {
  const { ctx, inputs, helm, target } = d;
  const view = await historyUnderLock(d, lock, fresh);
  const decision = pendingDecision(
    inputs.release,
    view.history,
    inputs['pending-grace'] ?? 300_000,
    Date.now(),
    lock.pendingIsAbandoned,
  );
  if (decision.action === 'none') return view;
  lock.assertHeld('recovering the pending release');
  await recoverPending(helm, inputs.release, target, decision, {
    timeoutMs: inputs.timeout ?? 300_000,
    log: ctx.log,
  });
  return { history: await releaseHistory(helm, d.cluster, target, inputs.release), early: false };
}

interface HelmOutcome {
  run: UpgradeRun;
  r: ExecResult;
  outcomes: WorkloadOutcome[];
}

/** helm's outcome, and the history it deployed on top of. */
interface Upgraded extends HelmOutcome {
  history: HistoryEntry[];
}

/**
 * helm's run on the release as it stands. A helm started ahead builds on the revision it read; when
 * another deploy (one that took no kubeline lock, or finished between that read and our lock) stored
 * the next revision first, helm's storage refuses it before anything is applied: the upgrade then
 * runs once more on a fresh read.
 */
async function upgradeCurrent(d: Deploy, lock: ReleaseLock): Promise<Upgraded> {
  const view = await currentHistory(d, lock);
  d.ctx.log.debug(`history read after ${Date.now() - d.started} ms`);
  const first = await helmOn(d, lock, view);
  if (!(view.early && refusedAsStale(first.r))) return first;
  d.ctx.log.info(
    `release ${d.inputs.release} gained a revision after helm read it (another deploy finished meanwhile); nothing was applied, so helm runs again on the new one`,
  );
  return helmOn(d, lock, await currentHistory(d, lock, true));
}

/** helm's storage refused the revision it built: another one with its number was stored first. */
function refusedAsStale(r: ExecResult): boolean {
  return r.code !== 0 && !r.stopped && /release: already exists/.test(r.stderr);
}

async function helmOn(d: Deploy, lock: ReleaseLock, view: ReleaseView): Promise<Upgraded> {
  const { ctx, inputs, helm, target, facts } = d;
  facts.previous = deployedRevision(view.history)?.revision;
  ctx.output('previous-revision', facts.previous ?? '');
  ctx.log.info(
    `helm ${helm.version}: upgrade --install ${inputs.release} in ${target.namespace} (timeout ${(inputs.timeout ?? 300_000) / 1000}s)`,
  );
  lock.assertHeld('helm upgrade');
  return { ...(await runHelm(d, lock, view)), history: view.history };
}

/**
 * helm's run: the one started ahead when it read the same release (an upgrade of the history read
 * early), else a new one. An ahead run that ended before its gate opened changed nothing: run anew.
 */
async function runHelm(d: Deploy, lock: ReleaseLock, view: ReleaseView): Promise<HelmOutcome> {
  const ahead = d.ahead;
  const held = ahead && view.early && view.history.length > 0 ? ahead.go() : undefined;
  if (held) {
    d.ctx.log.debug(`helm started ahead let through after ${Date.now() - d.started} ms`);
    const outcome = await follow(d, lock, held);
    if (ahead!.applied || lock.signal.aborted) return outcome;
    d.ctx.log.debug('helm started ahead ended before applying; running it again');
  }
  ahead?.cancel(view.history.length ? 'the release changed or was pending' : 'a first install');
  return follow(d, lock, await startUpgrade(d, {}, crypto.randomUUID()));
}

/** Watches the workloads while helm waits, and stops helm on a verdict or a lost lock. */
async function follow(d: Deploy, lock: ReleaseLock, run: UpgradeRun): Promise<HelmOutcome> {
  const { inputs, cluster, target } = d;
  const timeoutMs = inputs.timeout ?? 300_000;
  const watchDone = new AbortController();
  const watching = run.gate
    .whenRendered(watchDone.signal)
    .then((report) =>
      report && !report.error
        ? watchRollouts(
            cluster,
            workloadsOf(report.resources, target.namespace),
            run.deployId,
            timeoutMs - diagnosticsMargin(timeoutMs),
            watchDone.signal,
            { failFast: failFastPolicy(d), onFailure: (o) => stopHelmOnVerdict(d, o, run.stop) },
          )
        : [],
    );
  // A lost lock: another run may own the release now, so helm is killed before it writes more.
  const onLost = () => run.stop.abort(lock.signal.reason);
  if (lock.signal.aborted) onLost();
  else lock.signal.addEventListener('abort', onLost, { once: true });
  try {
    const r = await run.result;
    watchDone.abort();
    return { run, r, outcomes: await watching };
  } finally {
    watchDone.abort();
    lock.signal.removeEventListener('abort', onLost);
  }
}

export async function upgrade(d: Deploy, lock: ReleaseLock): Promise<void> {
  const { ctx, facts } = d;
  const { run, r, outcomes, history } = await upgradeCurrent(d, lock);
  // killed for a lost lock: the next holder recovers the release it left pending
  if (lock.signal.aborted) lock.assertHeld('anything after helm upgrade');
  if (r.stopped) await recoverStopped(d, lock);
  ctx.log.debug(`helm ${r.code === 0 ? 'succeeded' : 'failed'} after ${Date.now() - d.started} ms`);
  const report = run.gate.report;
  // Refused manifests were never applied: they are not the release's resources.
  const resources = report && !report.error ? report.resources : [];
  ctx.output(
    'resources',
    resources.map(({ kind, name, namespace }) => ({ kind, name, namespace })),
  );
  facts.durationMs = Date.now() - d.started;
  if (r.code !== 0) return failed(d, history, resources, outcomes, r.stderr, report);
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
function stopHelmOnVerdict(d: Deploy, o: WorkloadOutcome, stop: AbortController): void {
  if (!o.verdict || stop.signal.aborted) return;
  const { fault, firstSeen, at } = o.verdict;
  d.ctx.log.warning(
    `${o.kind} ${o.name}: ${fault.detail} (${faultSubject(fault)}); failing fast ${Math.round((at - firstSeen) / 1000)}s after the first sign, stopping helm's wait`,
  );
  stop.abort(VERDICT);
}

/** helm killed past its grace leaves the release pending: it is ours, so it is recovered now. */
async function recoverStopped(d: Deploy, lock: ReleaseLock): Promise<void> {
  const { helm, inputs, target, ctx } = d;
  const history = await releaseHistory(helm, d.cluster, target, inputs.release);
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
  report: RenderReport | undefined,
): Promise<never> {
  const { ctx, inputs, helm, target, facts } = d;
  const timeoutMs = inputs.timeout ?? 300_000;
  const after = await releaseHistory(helm, d.cluster, target, inputs.release).catch(() => history);
  const top = Math.max(0, ...history.map((h) => h.revision));
  facts.revision = after.find((h) => h.revision > top && h.status === 'failed')?.revision;
  facts.status = 'failed';
  ctx.output('status', 'failed');
  ctx.output('revision', facts.revision ?? '');
  summarizeDeploy(ctx.summary, facts, resources, outcomes);
  const fromWorkloads = workloadCause(outcomes, timeoutMs);
  const fate = aftermath(history, after, fromWorkloads !== undefined);
  throw new KubelineError(
    `release ${inputs.release} failed: ${fromWorkloads ?? failureLine(stderr, report)}${fate ? `; ${fate}` : ''}`,
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
