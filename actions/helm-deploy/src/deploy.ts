import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InputError,
  KubelineError,
  UserError,
  readInputs,
  run,
  runnerTemp,
  type ActionContext,
} from '@kubeline/runtime';
import { ensureTool } from '@kubeline/tools';
import { parseImageInput, resolveImage, type ImageContract } from '@kubeline/image';
import {
  connect,
  explainForbidden,
  isNotFound,
  loadClientNode,
  prepareKubeconfig,
  removeWrittenKubeconfig,
  requireAccess,
  type Cluster,
  type PreparedKubeconfig,
} from '@kubeline/kube';
import { action, type OutputName } from './action.generated.js';
import { lint } from './chart-lint.js';
import { describeChart, fetchChart, parseChartSource } from './chart-source.js';
import {
  aftermath,
  summarizeDeploy,
  summarizeDryRun,
  workloadCause,
  type DeployFacts,
} from './deploy-report.js';
import { diffManifests } from './dry-run-diff.js';
import { GitHubDeployment } from './github-deployment.js';
import {
  Helm,
  deployedRevision,
  helmErrorLine,
  upgradeCommand,
  type HelmTarget,
  type HistoryEntry,
} from './helm-cli.js';
import { imageValues, parseImageValuesPath } from './image-pin.js';
import { inputSpec, type Inputs } from './inputs.js';
import { pendingDecision, recoverPending } from './pending-release.js';
import { readRenderReport, setupPostRenderer } from './post-renderer.js';
import { markHealthyReplicaSets, recordHealthy } from './release-record.js';
import { ReleaseLock } from './release-lock.js';
import { releaseAnnotations, runUrl } from './release-metadata.js';
import {
  DEPLOY_ID_ANNOTATION,
  diagnosticsMargin,
  renderReportOf,
  watchRollouts,
  workloadsOf,
  type WorkloadOutcome,
} from './rollout-watch.js';
import { checkScan, parseScanRequirement, parseSeverities } from './scan-gate.js';
import { signatureVerifier, verifySignature } from './signature-gate.js';
import { valuesArgs } from './values.js';

type Ctx = ActionContext<OutputName>;

/** The bundle runs itself as helm's post-renderer (see main.ts); this chunk sits beside its entry. */
const BUNDLE = path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.js');

// What a deploy needs in the namespace, checked up front so a missing permission is named at once.
const NEEDS = [
  ['get', 'secrets'],
  ['list', 'secrets'],
  ['create', 'secrets'],
  ['update', 'secrets'],
  ['create', 'configmaps'],
] as const;

/** Every input checked, and combinations refused, before any tool or cluster is touched. */
function plan(inputs: Inputs) {
  const source = parseChartSource(inputs.chart, inputs.repo?.href ?? '');
  const image = inputs.image ? parseImageInput(inputs.image, 'image') : undefined;
  const mappings = parseImageValuesPath(inputs['image-values-path']);
  const scan = parseScanRequirement(inputs['require-scan']);
  const failOn = parseSeverities(inputs['scan-fail-on']);
  if (inputs['require-signature'] && !image)
    throw new InputError('require-signature', 'true', 'it needs the `image` to verify');
  const verifier = inputs['require-signature']
    ? signatureVerifier({
        key: inputs['signature-key'],
        identity: inputs['certificate-identity'],
        identityRegexp: inputs['certificate-identity-regexp'],
        issuer: inputs['certificate-oidc-issuer'],
        tlog: inputs['signature-transparency-log'],
      })
    : undefined;
  if (Boolean(inputs['chart-username']) !== Boolean(inputs['chart-password']))
    throw new InputError(
      'chart-username',
      inputs['chart-username'],
      'chart-username and chart-password go together',
    );
  return { source, image, mappings, scan, failOn, verifier };
}

function makeWorkDir(): string {
  fs.mkdirSync(runnerTemp(), { recursive: true });
  const dir = fs.mkdtempSync(path.join(runnerTemp(), 'kubeline-helm-deploy-'));
  fs.chmodSync(dir, 0o700);
  return dir;
}

async function main(ctx: Ctx): Promise<void> {
  const started = Date.now();
  const inputs = readInputs(action, inputSpec);
  const p = plan(inputs);
  // client-node takes a while to load: it loads while helm is installed and the image resolved.
  void loadClientNode().catch(() => undefined);
  const workDir = makeWorkDir();
  ctx.state.set('workDir', workDir);
  const kube = prepareKubeconfig({
    kubeconfig: inputs.kubeconfig,
    context: inputs.context,
    namespace: inputs.namespace,
  });
  ctx.state.set('kubeconfig', kube.path);
  try {
    const d = await prepare(ctx, inputs, p, kube, workDir, started);
    if (inputs['dry-run']) await dryRun(d);
    else await deployLocked(d);
  } finally {
    kube.cleanup();
    fs.rmSync(workDir, { recursive: true, force: true });
  }
}

/** Everything before the release is touched: helm, the image and its gates, chart, values, access. */
async function prepare(
  ctx: Ctx,
  inputs: Inputs,
  p: ReturnType<typeof plan>,
  kube: PreparedKubeconfig,
  workDir: string,
  started: number,
): Promise<Deploy> {
  const [tool, contract] = await Promise.all([
    ensureTool('helm', inputs['helm-version'], 'helm-version'),
    p.image ? resolveImage(p.image, { inputName: 'image' }) : Promise.resolve(undefined),
  ]);
  ctx.log.debug(`helm ${tool.version} (${tool.source}) ready after ${Date.now() - started} ms`);
  const helm = new Helm(tool.path, tool.version, {}, [inputs['chart-password']]);
  const gates: string[] = [];
  const scanLine = checkScan(p.scan, contract, p.failOn);
  if (scanLine) gates.push(scanLine);
  if (p.verifier && contract)
    gates.push(
      await verifySignature(contract, p.verifier, inputs['signature-transparency-log'], workDir, ctx.log),
    );
  for (const g of gates) ctx.log.info(g);

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
  const target: HelmTarget = { kubeconfig: kube.path, context: kube.context, namespace: kube.namespace };
  // The release's history is read while client-node loads; re-read if another run deployed since.
  const early = helm.history(inputs.release, target);
  early.catch(() => undefined); // awaited later; an access error is explained by requireAccess first
  const linted = inputs.lint ? lint(helm, chart, values, target) : Promise.resolve();
  const cluster = await connect(kube.path, kube.context);
  await Promise.all([
    linted,
    requireAccess(cluster, kube.namespace, inputs['dry-run'] ? NEEDS.slice(0, 2) : NEEDS),
  ]);
  ctx.log.debug(`checks done after ${Date.now() - started} ms`);

  const environment = inputs.environment || kube.namespace;
  ctx.output('release', inputs.release);
  ctx.output('namespace', kube.namespace);
  ctx.output('image-digest', contract?.digest ?? '');
  ctx.output('environment', environment);
  ctx.output('environment-url', inputs['environment-url']?.href ?? '');
  const facts: DeployFacts = {
    release: inputs.release,
    namespace: kube.namespace,
    chart: describeChart(p.source),
    helmVersion: helm.version,
    image: contract,
    status: 'pending',
    durationMs: 0,
    gates,
  };
  return {
    ctx,
    inputs,
    helm,
    cluster,
    target,
    chart,
    values,
    contract,
    workDir,
    facts,
    started,
    early,
    environment,
  };
}

/** The upgrade under the release's lock, reported to a GitHub Deployment when a token is given. */
async function deployLocked(d: Deploy): Promise<void> {
  const { ctx, inputs, contract, facts } = d;
  const lock = await lockRelease(d.cluster, inputs, d.target.namespace, ctx);
  try {
    const github = inputs['github-token']
      ? await GitHubDeployment.create({
          token: inputs['github-token'],
          environment: d.environment,
          environmentUrl: inputs['environment-url']?.href,
          logUrl: runUrl(ctx.platform, process.env),
          description: `${inputs.release} ${contract ? `@ ${contract.digest.slice(0, 19)}` : ''}`.trim(),
          env: process.env,
        })
      : undefined;
    if (github) {
      ctx.state.set('githubDeployment', String(github.id));
      await github.status('in_progress', `deploying ${inputs.release}`, ctx.log);
    }
    try {
      await upgrade(d, lock.contended);
      await github?.status('success', `${inputs.release} revision ${facts.revision} is ready`, ctx.log);
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

type Deploy = {
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
  environment: string;
};

/** The namespace's deploy lock; the namespace is created first when asked (never by helm, see README). */
async function lockRelease(
  cluster: Cluster,
  inputs: Inputs,
  namespace: string,
  ctx: Ctx,
): Promise<ReleaseLock> {
  const acquire = () =>
    ReleaseLock.acquire(cluster, namespace, inputs.release, {
      timeoutMs: inputs['lock-timeout'] ?? 600_000,
      log: ctx.log,
    });
  try {
    return await acquire();
  } catch (e) {
    if (!isNotFound(e)) throw e;
    if (!inputs['create-namespace'])
      throw new UserError(`namespace ${namespace} does not exist; set create-namespace: true to create it`);
    await cluster.core.createNamespace({ body: { metadata: { name: namespace } } }).catch((err: unknown) => {
      if ((err as { status?: number }).status !== 409) throw err;
    });
    ctx.log.info(`created namespace ${namespace}`);
    return acquire();
  }
}

function upgradeArgs(d: Deploy, dryRun: boolean, deployId: string) {
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
function failureLine(stderr: string, reportFile: string): string {
  const report = readRenderReport(reportFile);
  if (report?.error) return `${report.error}; nothing was applied`;
  const line = helmErrorLine(stderr);
  return /is forbidden: User/.test(line) ? explainForbidden(line.slice(line.indexOf('User'))) : line;
}

async function upgrade(d: Deploy, historyStale: boolean): Promise<void> {
  const { ctx, inputs, helm, cluster, target, facts } = d;
  const timeoutMs = inputs.timeout ?? 300_000;
  let history = historyStale ? await helm.history(inputs.release, target) : await d.early;
  const decision = pendingDecision(inputs.release, history, inputs['pending-grace'] ?? 300_000);
  await recoverPending(helm, inputs.release, target, decision, { timeoutMs, log: ctx.log });
  if (decision.action !== 'none') history = await helm.history(inputs.release, target);
  facts.previous = deployedRevision(history)?.revision;
  ctx.output('previous-revision', facts.previous ?? '');

  const deployId = crypto.randomUUID();
  const cmd = upgradeArgs(d, false, deployId);
  const stop = new AbortController();
  const watching = renderReportOf(cmd.report, stop.signal).then((report) =>
    report && !report.error
      ? watchRollouts(
          cluster,
          workloadsOf(report.resources, target.namespace),
          deployId,
          timeoutMs - diagnosticsMargin(timeoutMs),
          stop.signal,
        )
      : [],
  );
  ctx.log.info(
    `helm ${helm.version}: upgrade --install ${inputs.release} in ${target.namespace} (timeout ${timeoutMs / 1000}s)`,
  );
  // Helm keeps its own deadline; ours only catches a hung process.
  ctx.log.debug(`helm ${cmd.args.join(' ')}`);
  const r = await helm.run(cmd.args, {
    env: cmd.env,
    silent: true,
    allowFailure: true,
    timeoutMs: timeoutMs + 120_000,
  });
  stop.abort();
  ctx.log.debug(`helm ${r.code === 0 ? 'succeeded' : 'failed'} after ${Date.now() - d.started} ms`);
  const outcomes: WorkloadOutcome[] = await watching;
  ctx.log.debug(`watchers stopped after ${Date.now() - d.started} ms`);
  const report = readRenderReport(cmd.report);
  // Refused manifests were never applied: they are not the release's resources.
  const resources = report && !report.error ? report.resources : [];
  ctx.output(
    'resources',
    resources.map(({ kind, name, namespace }) => ({ kind, name, namespace })),
  );
  facts.durationMs = Date.now() - d.started;

  if (r.code !== 0) {
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
      `release ${inputs.release} failed: ${fromWorkloads ?? failureLine(r.stderr, cmd.report)}${fate ? `; ${fate}` : ''}`,
    );
  }
  // helm's own warnings (deprecated APIs, unreadable kubeconfig modes) still reach the log
  for (const line of r.stderr.split('\n').filter((l) => l.trim())) ctx.log.info(line);
  const release = JSON.parse(r.stdout) as { version: number; info: { status: string } };
  facts.revision = release.version;
  facts.status = release.info.status;
  ctx.output('revision', release.version);
  ctx.output('status', release.info.status);
  if (inputs.wait || inputs['rollback-on-failure']) {
    const deployments = resources
      .filter((x) => x.kind === 'Deployment' && x.apiVersion === 'apps/v1')
      .map((x) => x.name);
    await Promise.all([
      recordHealthy(cluster, target.namespace, inputs.release, {
        revision: release.version,
        chart: facts.chart,
        at: new Date().toISOString(),
        ...(d.contract ? { imageDigest: d.contract.digest } : {}),
        ...(runUrl(ctx.platform, process.env) ? { runUrl: runUrl(ctx.platform, process.env) } : {}),
      }),
      markHealthyReplicaSets(cluster, target.namespace, deployments, ctx.log),
    ]);
  }
  ctx.log.debug(`recorded after ${Date.now() - d.started} ms`);
  ctx.log.info(
    `release ${inputs.release} revision ${release.version} ${release.info.status}${facts.previous ? ` (was revision ${facts.previous})` : ''}`,
  );
  summarizeDeploy(ctx.summary, facts, resources, outcomes);
}

async function dryRun(d: Deploy): Promise<void> {
  const { ctx, inputs, helm, target, facts } = d;
  const history = await d.early;
  facts.previous = deployedRevision(history)?.revision;
  const live = facts.previous ? await helm.manifest(inputs.release, target, facts.previous) : '';
  const cmd = upgradeArgs(d, true, '');
  const r = await helm.run(cmd.args, { env: cmd.env, silent: true, allowFailure: true });
  if (r.code !== 0)
    throw new KubelineError(
      `dry run of release ${inputs.release} failed: ${failureLine(r.stderr, cmd.report)}`,
    );
  const rendered = JSON.parse(r.stdout) as { manifest: string };
  const changes = diffManifests(live, rendered.manifest, target.namespace);
  facts.status = 'dry-run';
  facts.durationMs = Date.now() - d.started;
  ctx.output('status', 'dry-run');
  ctx.output('previous-revision', facts.previous ?? '');
  ctx.output('revision', facts.previous ?? '');
  ctx.output('resources', changes);
  const n = changes.filter((c) => c.change !== 'unchanged').length;
  ctx.log.info(`dry run: ${n} of ${changes.length} resources would change; nothing was applied`);
  summarizeDryRun(ctx.summary, facts, changes);
}

/** The post step: the kubeconfig and work dir go, and a deploy cut short is marked on GitHub. */
async function post(ctx: Ctx): Promise<void> {
  const kubeconfig = ctx.state.get('kubeconfig');
  if (kubeconfig) removeWrittenKubeconfig(kubeconfig);
  const workDir = ctx.state.get('workDir');
  if (workDir) fs.rmSync(workDir, { recursive: true, force: true });
  const id = ctx.state.get('githubDeployment');
  if (id && ctx.state.get('finished') !== 'true') {
    const token = readInputs(action, inputSpec)['github-token'];
    const github = await GitHubDeployment.reopen(
      {
        token,
        environment: '',
        description: '',
        env: process.env,
        logUrl: runUrl(ctx.platform, process.env),
      },
      Number(id),
    );
    await github.status('error', 'the job ended before the deploy finished', ctx.log);
  }
}

export const runDeploy = () => run(action, main, post);
