import { KubelineError, formatDuration, type ActionContext } from '@kubeline/runtime';
import { ensureTool } from '@kubeline/tools';
import {
  apiStatus,
  collectDiagnostics,
  connect,
  diagnose,
  prepareKubeconfig,
  removeWrittenKubeconfig,
  renderDiagnostics,
  requireAccess,
  waitForRollout,
  workloadsOf,
  type Cluster,
  type PreparedKubeconfig,
} from '@kubeline/kube';
import {
  Helm,
  LOCK_NEEDS,
  ReleaseLock,
  diffManifests,
  helmErrorLine,
  parseManifest,
  newestStoredRevision,
  readRelease,
  readHealthy,
  rollbackCommand,
  type HelmTarget,
} from '@kubeline/helm';
import { abortCanaryOf, unfinishedCanaries } from '@kubeline/canary';
import type { OutputName } from './action.generated.js';
import {
  chooseReplicaSet,
  revisionOf,
  templateDigest,
  templateImages,
  undoPatch,
  type DeploymentLike,
} from './deployment-revision.js';
import { chooseHelmRevision, manifestDigest } from './helm-revision.js';
import { parseTarget, type Inputs } from './inputs.js';
import { changesTable } from './rollback-report.js';

type Ctx = ActionContext<OutputName>;

/** The rollback once its inputs are read (main.ts). */
export async function rollback(ctx: Ctx, inputs: Inputs, started: number): Promise<void> {
  if (inputs.kind === 'gitops') return (await import('./gitops.js')).rollbackGitops(ctx, inputs, started);
  const target = parseTarget(inputs.to);
  const kube = prepareKubeconfig({
    kubeconfig: inputs.kubeconfig,
    context: inputs.context,
    namespace: inputs.namespace,
  });
  ctx.state.set('kubeconfig', kube.path);
  try {
    const cluster = await connect(kube.path, kube.context);
    ctx.log.debug(`client-node loaded after ${Date.now() - started} ms`);
    if (inputs.kind === 'deployment') await rollbackDeployment(ctx, inputs, cluster, kube, target, started);
    else await rollbackRelease(ctx, inputs, cluster, kube, target, started);
  } finally {
    kube.cleanup();
  }
}

async function rollbackRelease(
  ctx: Ctx,
  inputs: Inputs,
  cluster: Cluster,
  kube: PreparedKubeconfig,
  to: ReturnType<typeof parseTarget>,
  started: number,
): Promise<void> {
  const ns = kube.namespace;
  const t: HelmTarget = { kubeconfig: kube.path, context: kube.context, namespace: ns };
  const helmReady = ensureTool('helm', inputs['helm-version'], 'helm-version').then(
    (tool) => new Helm(tool.path, tool.version),
  );
  helmReady.catch(() => undefined); // awaited under the lock
  const access = requireAccess(cluster, ns, [
    ['get', 'secrets'],
    ['list', 'secrets'],
    ['update', 'secrets'],
    ['get', 'configmaps'],
    ...LOCK_NEEDS,
  ]);
  // The same lock as helm-deploy: a rollback never races a deploy of the release.
  const lock = await lockWhileChecking(
    access,
    ReleaseLock.acquire(cluster, ns, inputs.release, { timeoutMs: 600_000, log: ctx.log }),
  );
  ctx.log.debug(`lock held after ${Date.now() - started} ms`);
  try {
    const [helm] = await Promise.all([helmReady, access]);
    // Read under the lock, so nothing changes it before helm rolls back: one LIST of helm's Secrets
    // gives the history and every manifest, with no helm process before helm's own.
    const [release, healthy, canaries] = await Promise.all([
      readRelease(helm, cluster, t, inputs.release),
      to.kind === 'last-good' ? readHealthy(cluster, ns, inputs.release) : Promise.resolve([]),
      openCanaries(cluster, ns),
    ]);
    const history = release.history;
    ctx.log.debug(`release read after ${Date.now() - started} ms`);
    const choice = chooseHelmRevision(inputs.release, history, to, healthy);
    // Each manifest is read beside the rest; the rollback is awaited before them, so the lock is
    // never released under a running helm.
    const manifests = Promise.all([
      release.manifest(choice.from.revision),
      release.manifest(choice.to.revision),
    ]);
    manifests.catch(() => undefined);
    await endCanaries(ctx, cluster, ns, canaries, async (d) => {
      const current = parseManifest((await manifests)[0], ns);
      return workloadsOf(current, ns).some((w) => w.kind === 'Deployment' && w.name === d);
    });
    ctx.log.info(
      `rolling back release ${inputs.release} from revision ${choice.from.revision} to ${choice.to.revision}: ${choice.reason}`,
    );
    ctx.output('from-revision', choice.from.revision);
    ctx.output('to-revision', choice.to.revision);
    const timeoutMs = inputs.timeout ?? 300_000;
    lock.assertHeld('helm rollback');
    ctx.log.debug(`helm rollback starts after ${Date.now() - started} ms`);
    const r = await helm.run(
      rollbackCommand(helm.major, inputs.release, choice.to.revision, t, { wait: inputs.wait, timeoutMs }),
      { allowFailure: true, timeoutMs: timeoutMs + 120_000 },
    );
    ctx.log.debug(`helm rollback ended after ${Date.now() - started} ms`);
    const [before, after] = await manifests;
    // helm records every rollback, failed or not, as a new revision: read it, not guessed.
    const top = history[history.length - 1]?.revision ?? 0;
    const newest = await newestRevision(helm, cluster, t, inputs.release);
    const revision = newest > top ? newest : '';
    ctx.output('revision', revision);
    ctx.output('image-digest', manifestDigest(after) ?? '');
    ctx.summary
      .heading(`kubeline rollback: ${inputs.release} ${r.code === 0 ? 'rolled back' : 'failed'}`)
      .text(
        `Revision ${choice.from.revision} → ${choice.to.revision} (${choice.reason}), recorded as revision ${revision}, in ${formatDuration(Date.now() - started)}; image ${manifestDigest(before) ?? '?'} → ${manifestDigest(after) ?? '?'}.`,
      );
    changesTable(ctx.summary, diffManifests(before, after, ns));
    if (r.code !== 0) {
      ctx.output('status', 'failed');
      const causes = await failingWorkloads(ctx, cluster, after, ns);
      throw new KubelineError(
        `rollback of release ${inputs.release} to revision ${choice.to.revision} failed: ${causes.join('; ') || helmErrorLine(r.stderr)}`,
      );
    }
    ctx.output('status', 'deployed');
    ctx.log.info(
      `release ${inputs.release} runs revision ${choice.to.revision} again (as revision ${revision})`,
    );
  } finally {
    await lock.release();
    ctx.log.debug(`lock released after ${Date.now() - started} ms`);
  }
}

/**
 * The lock, taken while access is checked (their round trips overlap). The check speaks first: a
 * missing permission is named, not the 403 it causes and not a wait for another run's lock, and a
 * lock taken by then is freed.
 */
async function lockWhileChecking(
  access: Promise<unknown>,
  locking: Promise<ReleaseLock>,
): Promise<ReleaseLock> {
  const refused = access.then(() => new Promise<never>(() => undefined));
  try {
    return await Promise.race([locking, refused]);
  } catch (e) {
    void locking.then((lock) => lock.release()).catch(() => undefined);
    await access;
    throw e;
  }
}

/** The release's newest revision: from helm's Secrets, or helm's history under another driver. */
async function newestRevision(helm: Helm, cluster: Cluster, t: HelmTarget, release: string): Promise<number> {
  const stored = await newestStoredRevision(cluster, t.namespace, release);
  if (stored !== undefined) return stored;
  const history = await helm.history(release, t);
  return history[history.length - 1]?.revision ?? 0;
}

/** helm rollback leaves the failing pods in place: they still say why, in the summary and one line each. */
async function failingWorkloads(ctx: Ctx, cluster: Cluster, manifest: string, ns: string): Promise<string[]> {
  const causes: string[] = [];
  for (const w of workloadsOf(parseManifest(manifest, ns), ns)) {
    const d = await collectDiagnostics(cluster, w.namespace, { owner: { kind: w.kind, name: w.name } });
    if (d.pods.some((p) => !p.ready)) {
      renderDiagnostics(ctx.summary, d);
      causes.push(`${w.kind} ${w.name}: ${diagnose(d)}`);
    }
  }
  return causes;
}

async function rollbackDeployment(
  ctx: Ctx,
  inputs: Inputs,
  cluster: Cluster,
  kube: PreparedKubeconfig,
  to: ReturnType<typeof parseTarget>,
  started: number,
): Promise<void> {
  const ns = kube.namespace;
  const name = inputs.release;
  const [deployment, sets] = await Promise.all([
    cluster.apps.readNamespacedDeployment({ name, namespace: ns }),
    cluster.apps.listNamespacedReplicaSet({ namespace: ns }),
  ]);
  const choice = chooseReplicaSet(name, deployment as DeploymentLike, sets.items, to);
  await endCanaries(ctx, cluster, ns, await openCanaries(cluster, ns), (d) => d === name);
  ctx.log.info(
    `rolling back Deployment ${name} from revision ${choice.from} to ${choice.to}: ${choice.reason}`,
  );
  ctx.output('from-revision', choice.from);
  ctx.output('to-revision', choice.to);
  const imagesBefore = templateImages(deployment.spec?.template);
  await cluster.apps.patchNamespacedDeployment({
    name,
    namespace: ns,
    body: undoPatch(deployment as DeploymentLike, choice.replicaSet),
  });
  ctx.output('image-digest', templateDigest(choice.replicaSet.spec?.template) ?? '');
  const timeoutMs = inputs.timeout ?? 300_000;
  const result = inputs.wait
    ? await waitForRollout(cluster, 'Deployment', name, ns, { timeoutMs, onProgress: (m) => ctx.log.info(m) })
    : undefined;
  const now = await cluster.apps.readNamespacedDeployment({ name, namespace: ns });
  ctx.output('revision', revisionOf(now));
  ctx.summary
    .heading(`kubeline rollback: Deployment ${name} ${result && !result.ok ? 'failed' : 'rolled back'}`)
    .text(
      `Revision ${choice.from} → ${choice.to} (${choice.reason}), recorded as revision ${revisionOf(now)}, in ${formatDuration(Date.now() - started)}.`,
    )
    .table(
      ['container image before', 'after'],
      imagesBefore.map((img, i) => [img, templateImages(choice.replicaSet.spec?.template)[i] ?? '']),
    );
  if (result && !result.ok) {
    ctx.output('status', 'failed');
    const d = await collectDiagnostics(cluster, ns, { owner: { kind: 'Deployment', name } });
    renderDiagnostics(ctx.summary, d);
    throw new KubelineError(
      result.reason === 'FailFast'
        ? `rollback of Deployment ${name} to revision ${choice.to} failed fast: ${diagnose(d)}`
        : `rollback of Deployment ${name} to revision ${choice.to} failed: ${result.message}: ${diagnose(d)}`,
    );
  }
  ctx.output('status', 'deployed');
}

export async function post(ctx: Ctx): Promise<void> {
  const kubeconfig = ctx.state.get('kubeconfig');
  if (kubeconfig) removeWrittenKubeconfig(kubeconfig);
}

/** Who may not list leases runs no canary here either (canary-promote needs them). */
function openCanaries(cluster: Cluster, ns: string) {
  return unfinishedCanaries(cluster, ns).catch((e: unknown) => {
    if (apiStatus(e) === 403) return new Map<string, never>();
    throw e;
  });
}

/**
 * A Deployment under a canary-promote canary: traffic goes back to stable and the canary is removed
 * first (a live canary run loses its lease and stops), so the rollback is not undone by it.
 */
async function endCanaries(
  ctx: Ctx,
  cluster: Cluster,
  ns: string,
  open: Awaited<ReturnType<typeof openCanaries>>,
  ours: (deployment: string) => boolean | Promise<boolean>,
): Promise<void> {
  for (const [deployment, lease] of open) {
    if (!(await ours(deployment))) continue;
    const ended = await abortCanaryOf(cluster, ns, deployment, lease, {
      reason: 'rolled back by kubeline rollback',
      log: (line) => ctx.log.info(line),
    });
    if (!ended) continue;
    ctx.log.info(ended.line);
    ctx.summary.text(`${ended.line}.`);
    for (const p of ended.problems) ctx.log.warning(p);
  }
}
