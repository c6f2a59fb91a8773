// The steps of one canary run: capacity, weight (read back), analysis; then promotion or revert.
// Every wait listens to one signal that a cancelled job, a lost lease or a failing canary pod
// aborts, so no step sits out its interval once the outcome is known.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  KubelineError,
  formatDuration,
  jobSignal,
  reportDir,
  throwIfCancelled,
  type ActionContext,
  type PlatformName,
} from '@kubeline/runtime';
import {
  DEFAULT_FAIL_FAST,
  collectDiagnostics,
  diagnose,
  faultSubject,
  renderDiagnostics,
  watchForFault,
  type RolloutResult,
} from '@kubeline/kube';
import { AnalysisLedger, Prometheus, certainFailure, judge, type Judgement } from '@kubeline/analysis';
import {
  PodShareRouter,
  RouterError,
  canaryName,
  ensureCanaryDeployment,
  ensureCanaryService,
  promoteStable,
  readDeployment,
  removeCanary,
  revertCanary,
  routerFor,
  scaleCanary,
  stableService,
  callWebhook,
  shownUrl,
  type CanaryLease,
  type CanaryState,
  type CanaryTarget,
  type HookPayload,
  type HookType,
  type TrafficRouter,
} from '@kubeline/canary';
import type { V1Deployment } from '@kubernetes/client-node';
import type { OutputName } from './action.generated.js';
import type { Inputs } from './inputs.js';
import type { Plan } from './plan.js';
import { renderReport } from './report.js';
import { Sampler, type Measurement } from './sampler.js';

type Ctx = ActionContext<OutputName>;
export type Result = 'promoted' | 'aborted' | 'inconclusive' | 'error';
type Outcome = { result: Result | 'paused'; why: string };

/** The run ended without promotion: one line, exit 1, traffic already back on stable. */
export class CanaryAborted extends KubelineError {}

export class Rollout {
  readonly measurements: Measurement[] = [];
  readonly timeline: Array<{ at: number; weight: number; event: string }> = [];
  private readonly stop = new AbortController();
  /** Aborted by a cancelled job, a lost lease or a failing canary pod: every step's waits listen. */
  private readonly signal: AbortSignal;
  /** The run itself still ours (the steps' signal is stopped once they end). */
  private readonly alive: AbortSignal;
  private readonly stableReplicas: number;
  private router!: TrafficRouter;
  private stepsCompleted = 0;
  private ended: { result: Result; reason: string } | undefined;
  private paused = false;
  private reverting: Promise<void> | undefined;

  constructor(
    private readonly ctx: Ctx,
    private readonly inputs: Inputs,
    private readonly plan: Plan,
    private readonly t: CanaryTarget,
    private readonly stable: V1Deployment,
    private readonly lease: CanaryLease,
    private readonly state: CanaryState,
    private readonly started: number,
  ) {
    this.alive = AbortSignal.any([lease.signal, jobSignal]);
    this.signal = AbortSignal.any([this.stop.signal, this.alive]);
    this.stableReplicas = stable.spec?.replicas ?? 1;
  }

  /** The whole run; `resumeAt`: the step an earlier run's canary goes on from. */
  async execute(resumeAt: number | undefined): Promise<void> {
    try {
      await this.prepare(resumeAt !== undefined);
      const faults = this.watchCanaryPods();
      const outcome =
        (resumeAt === undefined ? await this.preRollout() : undefined) ?? (await this.runSteps(resumeAt));
      this.stop.abort();
      await faults;
      if (outcome?.result === 'paused') await this.pause(outcome.why);
      else if (outcome) await this.revert(outcome.why, outcome.result);
      else {
        const unconfirmed = await this.confirmPromotion();
        if (unconfirmed) await this.revert(unconfirmed, 'aborted');
        else await this.promote();
      }
    } catch (e) {
      if (this.ended) throw e;
      // Whoever took the lease (rollback, a later run) owns the canary now: hands off.
      if (this.lease.signal.aborted)
        this.ended = {
          result: 'aborted',
          reason: `${(this.lease.signal.reason as Error).message}; the taker handles the traffic`,
        };
      else await this.revert(this.reasonOf(e), e instanceof RouterError ? 'error' : 'aborted');
    } finally {
      this.stop.abort();
      await this.tell();
      this.finish();
    }
    throwIfCancelled();
    if (this.ended && this.ended.result !== 'promoted' && !this.paused)
      throw new CanaryAborted(
        `canary of Deployment ${this.t.deployment} ${this.ended.result}: ${this.ended.reason}${this.lease.signal.aborted ? '' : '; all traffic is on stable'}`,
      );
  }

  private reasonOf(e: unknown): string {
    return this.signal.reason instanceof Error && this.stop.signal.aborted
      ? this.signal.reason.message
      : (e as Error).message;
  }

  /** The canary Service (every router but pods) and Deployment, the router, and the state saved. */
  private async prepare(resuming: boolean): Promise<void> {
    const s = this.state;
    if (s.router !== 'pods') {
      const svc = await stableService(this.t, s.stableService);
      s.stablePort = svc.spec?.ports?.[0]?.port;
      if (!resuming)
        s.createdService = (await ensureCanaryService(this.t, svc, s.canaryService!, this.stable)).created;
    }
    const existing = resuming ? await readDeployment(this.t, canaryName(this.t.deployment)) : undefined;
    if (!existing) {
      await ensureCanaryDeployment(this.t, this.stable, {
        container: s.container,
        image: s.image,
        run: s.holder,
        separate: s.router !== 'pods',
      });
      this.ctx.log.info(`canary Deployment ${canaryName(this.t.deployment)} created with ${s.image}`);
    }
    this.router = routerFor(this.t, s, this.stableReplicas, (n) => this.capacity(n));
    await this.lease.save(s);
  }

  /** Scales the canary and waits until those replicas are ready; returns how many are. */
  private async capacity(replicas: number): Promise<number> {
    const r = await scaleCanary(this.t, replicas, {
      timeoutMs: this.inputs['ready-timeout'] ?? 300_000,
      // After the steps (promotion's reset of a pods router) only a cancel or a lost lease stops it.
      signal: this.stop.signal.aborted ? this.alive : this.signal,
      restarts: this.inputs['fail-fast-restarts'] ?? DEFAULT_FAIL_FAST.crashRestarts,
    });
    if (!r.ok)
      throw new KubelineError(
        `canary ${canaryName(this.t.deployment)} did not become ready with ${replicas} replicas: ${await this.diagnosis(canaryName(this.t.deployment), r)}`,
      );
    return replicas;
  }

  /** Why a Deployment (the canary, or stable on promotion) did not become ready, in one line. */
  private async diagnosis(deployment: string, r: RolloutResult): Promise<string> {
    const d = await collectDiagnostics(this.t.cluster, this.t.namespace, {
      owner: { kind: 'Deployment', name: deployment },
    });
    renderDiagnostics(this.ctx.summary, d);
    return diagnose(d) || r.message;
  }

  /** The shared fail-fast verdict on the canary's pods, for the whole run: it aborts at once. */
  private async watchCanaryPods(): Promise<void> {
    const policy = {
      ...DEFAULT_FAIL_FAST,
      crashRestarts: this.inputs['fail-fast-restarts'] ?? DEFAULT_FAIL_FAST.crashRestarts,
    };
    const verdict = await watchForFault(
      this.t.cluster,
      { kind: 'Deployment', name: canaryName(this.t.deployment), namespace: this.t.namespace },
      this.signal,
      { policy },
    );
    if (verdict)
      this.stop.abort(
        new KubelineError(`canary pods fail: ${verdict.fault.detail} (${faultSubject(verdict.fault)})`),
      );
  }

  /** The steps in order; the abort (or pause) the analysis decided on, if any (undefined: promote). */
  private async runSteps(resumeAt: number | undefined): Promise<Outcome | undefined> {
    const s = this.state;
    const ledger = new AnalysisLedger(this.plan.policy);
    const prometheus = this.inputs.analysis
      ? new Prometheus(this.inputs['prometheus-url']!, {
          token: this.inputs['prometheus-token'],
          timeoutMs: 10_000,
        })
      : undefined;
    const sampler = prometheus
      ? new Sampler(prometheus, this.plan, {
          namespace: this.t.namespace,
          canary: canaryName(this.t.deployment),
          stable: this.t.deployment,
          'canary-service': s.canaryService ?? s.stableService,
          'stable-service': s.stableService,
          route: s.route ?? '',
        })
      : undefined;
    if (!sampler)
      this.ctx.log.warning("analysis is off: steps advance on the canary pods' health and time alone");
    const first = resumeAt ?? 0;
    for (let i = first; i < this.plan.steps.length; i++) {
      const step = this.plan.steps[i]!;
      // A resumed canary may have lost replicas since: its capacity and weight are set again.
      if (step.kind === 'weight' || (resumeAt !== undefined && i === first)) await this.shift(i, step.weight);
      else
        this.ctx.log.info(
          `step ${i + 1}/${this.plan.steps.length}: holding ${s.weight}% for ${formatDuration(this.plan.intervalMs)}`,
        );
      for (let resample = false; ;) {
        const decision = ledger.record(await this.analyse(i, sampler, resample));
        resample = decision.action === 'resample';
        if (decision.action === 'advance') {
          if (decision.note) this.ctx.log.warning(decision.note);
          break;
        }
        if (decision.action === 'abort')
          return { result: decision.result, why: `step ${i + 1} at ${s.weight}%: ${decision.why}` };
        if (decision.action === 'pause')
          return { result: 'paused', why: `step ${i + 1} at ${s.weight}%: ${decision.why}` };
        this.ctx.log.info(`step ${i + 1}: measuring ${s.weight}% again (${decision.action})`);
      }
      this.stepsCompleted = i + 1;
    }
    return undefined;
  }

  /** Capacity first, then the weight, read back, then the state. */
  private async shift(i: number, weight: number): Promise<void> {
    const s = this.state;
    this.lease.assertHeld(`setting weight ${weight}%`);
    if (!(this.router instanceof PodShareRouter))
      await this.capacity(Math.max(1, Math.ceil((this.stableReplicas * weight) / 100)));
    // The weight being set is recorded first: a run killed mid-write leaves its intent, and the
    // revert that follows resets the route whatever it reads.
    Object.assign(s, { step: i, weight });
    await this.lease.save(s);
    const read = await this.router.setWeight(weight);
    this.timeline.push({ at: Date.now(), weight: read, event: `step ${i + 1}` });
    this.ctx.log.info(
      `step ${i + 1}/${this.plan.steps.length}: canary at ${read}% (${this.router.describe}, read back)`,
    );
  }

  /**
   * Samples until the interval is over or the failure is certain; the closing sample is judged.
   * After an Error only the closing sample is taken again, one sample period later.
   */
  private async analyse(i: number, sampler: Sampler | undefined, resample: boolean): Promise<Judgement> {
    const { intervalMs, sampleEveryMs, metrics, policy } = this.plan;
    const begun = resample ? Date.now() - intervalMs + sampleEveryMs : Date.now();
    for (;;) {
      const left = begun + intervalMs - Date.now();
      await sleep(Math.max(0, Math.min(sampleEveryMs, left)), undefined, { signal: this.signal }).catch(
        () => undefined,
      );
      if (this.signal.aborted)
        throw this.signal.reason instanceof Error ? this.signal.reason : new KubelineError('stopped');
      if (!sampler) {
        if (Date.now() - begun >= intervalMs)
          return this.withRolloutHooks({
            outcome: 'Successful',
            reason: 'canary pods healthy for the interval (analysis off)',
          });
        continue;
      }
      const final = Date.now() - begun >= intervalMs;
      const sample = await sampler.sample(final ? intervalMs : Date.now() - begun, this.signal);
      const m: Measurement = { ...sample, step: i + 1, weight: this.state.weight, final };
      this.measurements.push(m);
      if (!final) {
        const certain = certainFailure(metrics, sample, intervalMs);
        if (!certain) continue;
        Object.assign(m, { outcome: 'Failed', reason: `early abort: ${certain}` });
        return { outcome: 'Failed', reason: `early abort: ${certain}` };
      }
      const j = await this.withRolloutHooks(judge(metrics, sample, policy));
      Object.assign(m, { outcome: j.outcome, reason: j.reason });
      this.ctx.log.info(`step ${i + 1} at ${this.state.weight}%: ${j.outcome} — ${j.reason}`);
      return j;
    }
  }

  private payload(phase: string): HookPayload {
    const s = this.state;
    return {
      name: this.t.deployment,
      namespace: this.t.namespace,
      phase,
      image: s.image,
      step: s.step + 1,
      weight: s.weight,
      ...(this.ended ?? {}),
    };
  }

  /** Calls every hook of a type at once; the first no, in one line (undefined: all said yes). */
  private async askHooks(type: HookType): Promise<string | undefined> {
    const hooks = this.plan.hooks.filter((h) => h.type === type);
    const answers = await Promise.all(hooks.map((h) => callWebhook(h, this.payload(type), this.signal)));
    const no = answers.findIndex((a) => !a.ok);
    return no < 0
      ? undefined
      : `${type} webhook ${hooks[no]!.name} (${shownUrl(hooks[no]!.url)}) said no: ${answers[no]!.detail}`;
  }

  private async preRollout(): Promise<Outcome | undefined> {
    const no = await this.askHooks('pre-rollout');
    return no ? { result: 'aborted', why: no } : undefined;
  }

  /** A step's rollout webhooks vote with its metrics: a no fails the measurement. */
  private async withRolloutHooks(j: Judgement): Promise<Judgement> {
    if (j.outcome === 'Error') return j;
    const no = await this.askHooks('rollout');
    return no ? { outcome: 'Failed', reason: j.outcome === 'Failed' ? `${j.reason}; ${no}` : no } : j;
  }

  /** Every confirm-promotion hook asked each sample period until it says yes, up to its timeout. */
  private async confirmPromotion(): Promise<string | undefined> {
    const hooks = this.plan.hooks.filter((h) => h.type === 'confirm-promotion');
    for (const h of hooks) {
      const deadline = Date.now() + h.timeoutMs;
      this.ctx.log.info(
        `waiting for confirm-promotion webhook ${h.name} to say yes (up to ${formatDuration(h.timeoutMs)})`,
      );
      for (;;) {
        const a = await callWebhook(
          { ...h, timeoutMs: Math.min(h.timeoutMs, 10_000) },
          this.payload('confirm-promotion'),
          this.alive,
        );
        if (a.ok) break;
        if (Date.now() >= deadline)
          return `confirm-promotion webhook ${h.name} (${shownUrl(h.url)}) did not say yes within ${formatDuration(h.timeoutMs)}: ${a.detail}`;
        await sleep(this.plan.sampleEveryMs, undefined, { signal: this.alive }).catch(() => undefined);
        if (this.alive.aborted)
          throw this.alive.reason instanceof Error ? this.alive.reason : new KubelineError('stopped');
      }
    }
    return undefined;
  }

  /** post-rollout hooks hear every outcome, rollback hooks an abort; a failed call is only a warning. */
  private async tell(): Promise<void> {
    if (!this.ended) return;
    const types: HookType[] =
      this.ended.result === 'promoted' || this.paused ? ['post-rollout'] : ['rollback', 'post-rollout'];
    for (const type of types) {
      const hooks = this.plan.hooks.filter((h) => h.type === type);
      const answers = await Promise.all(hooks.map((h) => callWebhook(h, this.payload(type))));
      answers.forEach((a, i) => {
        if (!a.ok)
          this.ctx.log.warning(`${type} webhook ${hooks[i]!.name} (${shownUrl(hooks[i]!.url)}): ${a.detail}`);
      });
    }
  }

  /** wait-approval: the canary stays at its weight; a later run with this image goes on from the next step. */
  private async pause(why: string): Promise<void> {
    const s = this.state;
    this.paused = true;
    this.ended = { result: 'inconclusive', reason: why };
    Object.assign(s, { phase: 'paused', reason: why });
    await this.lease.release(s);
    this.ctx.log.warning(
      `canary of Deployment ${this.t.deployment} held at ${s.weight}% for approval: ${why}; run this action again with the same image to go on, or rollback to end it`,
    );
  }

  /** Stable takes the canary's image and becomes ready; then all traffic returns to it. */
  private async promote(): Promise<void> {
    const s = this.state;
    this.lease.assertHeld('promotion');
    s.phase = 'promoting';
    await this.lease.save(s);
    const r = await promoteStable(this.t, s, {
      timeoutMs: this.inputs['ready-timeout'] ?? 300_000,
      restarts: this.inputs['fail-fast-restarts'] ?? 2,
    });
    if (!r.ok) return this.restoreStable(r);
    await this.router.reset();
    this.timeline.push({ at: Date.now(), weight: 0, event: 'promoted' });
    const problems = await removeCanary(this.t, s);
    for (const p of problems) this.ctx.log.warning(p);
    Object.assign(s, { phase: 'promoted', weight: 100, stableImage: s.image, reason: 'every step passed' });
    this.ended = {
      result: 'promoted',
      reason: `every step passed; Deployment ${this.t.deployment} runs ${s.image}`,
    };
    await this.lease.release(s);
    this.ctx.log.info(`promoted: Deployment ${this.t.deployment} runs ${s.image}; the canary is removed`);
  }

  /**
   * Stable failed with the canary's image: the cause is read while the failed revision is still
   * there, stable gets its old image back, then the traffic (all on the canary after a 100% step)
   * returns to it as after any abort.
   */
  private async restoreStable(failed: RolloutResult): Promise<void> {
    const s = this.state;
    const cause = await this.diagnosis(this.t.deployment, failed).catch(() => failed.message);
    const back = await promoteStable(
      this.t,
      { ...s, image: s.stableImage },
      // Its old pods keep the restarts of their whole life: no crash-loop verdict on them.
      { timeoutMs: this.inputs['ready-timeout'] ?? 300_000, restarts: Number.MAX_SAFE_INTEGER },
    ).catch((e: unknown) => ({ ok: false, message: (e as Error).message }));
    const restored = back.ok
      ? 'it runs its old image again'
      : `restoring its old image failed: ${back.message}`;
    if (!back.ok) this.ctx.log.warning(`Deployment ${this.t.deployment}: ${restored}`);
    return this.revert(
      `promotion failed: stable Deployment ${this.t.deployment} did not become ready with the canary's image: ${cause}; ${restored}`,
      'aborted',
    );
  }

  /** Traffic back on stable first, then the canary removed; safe to call twice (cancel + abort). */
  revert(reason: string, result: Result): Promise<void> {
    if (this.reverting) return this.reverting;
    this.ended ??= { result, reason };
    this.reverting = (async () => {
      const s = this.state;
      s.phase = 'aborting';
      await this.lease.save(s).catch(() => undefined);
      const problems = await revertCanary(this.t, s, reason);
      for (const p of problems) this.ctx.log.warning(p);
      this.timeline.push({ at: Date.now(), weight: 0, event: result });
      Object.assign(s, { phase: 'aborted', weight: 0, reason });
      await this.lease.release(s);
    })();
    return this.reverting;
  }

  private finish(): void {
    const s = this.state;
    const ended = this.ended ?? { result: 'error' as const, reason: 'the run stopped before an outcome' };
    const file = join(measurementsDir(this.ctx.platform), 'measurements.json');
    writeFileSync(
      file,
      JSON.stringify(
        {
          deployment: this.t.deployment,
          image: s.image,
          steps: this.plan.steps,
          measurements: this.measurements,
          timeline: this.timeline,
        },
        null,
        2,
      ),
    );
    this.ctx.output('result', ended.result);
    this.ctx.output('reason', ended.reason);
    this.ctx.output('weight', ended.result === 'promoted' ? 100 : this.paused ? s.weight : 0);
    this.ctx.output('steps-completed', this.stepsCompleted);
    this.ctx.output('stable-image', ended.result === 'promoted' ? s.image : s.stableImage);
    this.ctx.output('measurements', file);
    this.ctx.output('duration', Math.round((Date.now() - this.started) / 1000));
    renderReport(this.ctx.summary, {
      deployment: this.t.deployment,
      state: s,
      plan: this.plan,
      measurements: this.measurements,
      timeline: this.timeline,
      ended,
      started: this.started,
    });
  }
}

/** GitLab keeps kubeline-outputs/ as the job's artifacts; elsewhere a new folder per run in the job's temp dir. */
function measurementsDir(platform: PlatformName): string {
  if (platform === 'gitlab') {
    const dir = resolve('kubeline-outputs', 'canary-promote');
    mkdirSync(dir, { recursive: true });
    return dir;
  }
  mkdirSync(reportDir(), { recursive: true });
  return mkdtempSync(join(reportDir(), 'canary-promote-'));
}
