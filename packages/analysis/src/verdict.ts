// Judging a canary step (pure): a sample of every metric becomes an outcome — Successful, Failed,
// Inconclusive or Error, as Argo Rollouts names them — and the ledger of outcomes decides whether
// the rollout advances, measures the step again, or aborts. No data is never silently a pass:
// `on-no-data` says what it is.
import type { MetricSpec } from './metrics.js';

export type Outcome = 'Successful' | 'Failed' | 'Inconclusive' | 'Error';

export interface Sample {
  /** Milliseconds since the epoch. */
  at: number;
  /** The range the queries covered. */
  windowMs: number;
  values: Record<string, number | undefined>;
  /** The canary's requests and 5xx answers in the window (when the provider counts them). */
  requests?: number;
  errors?: number;
  /** Set when a query could not be answered: the whole sample is an Error. */
  error?: string;
}

export interface AnalysisPolicy {
  onNoData: 'inconclusive' | 'fail' | 'pass';
  minRequests: number;
  failureLimit: number;
  inconclusiveLimit: number;
  errorLimit: number;
  onInconclusive: 'fail' | 'promote' | 'wait-approval';
}

export interface Judgement {
  outcome: Outcome;
  reason: string;
}

// Enough digits that a breached bound never reads as equal to it (98.996 < 99, not 99 < 99).
const fmt = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(6)).toString() : String(n));

/** The first bound a metric breaks, in words; undefined when it is within bounds. */
function breach(m: MetricSpec, v: number): string | undefined {
  if (m.min !== undefined && v < m.min) return `${m.name} ${fmt(v)} < ${fmt(m.min)}`;
  if (m.max !== undefined && v > m.max) return `${m.name} ${fmt(v)} > ${fmt(m.max)}`;
  return undefined;
}

function noData(policy: AnalysisPolicy, why: string): Judgement {
  if (policy.onNoData === 'fail') return { outcome: 'Failed', reason: `${why} (on-no-data: fail)` };
  if (policy.onNoData === 'pass') return { outcome: 'Successful', reason: `${why} (on-no-data: pass)` };
  return { outcome: 'Inconclusive', reason: why };
}

/** The outcome of a whole interval's sample. */
export function judge(metrics: MetricSpec[], s: Sample, policy: AnalysisPolicy): Judgement {
  if (s.error) return { outcome: 'Error', reason: s.error };
  const breaches = metrics.flatMap((m) => {
    const v = s.values[m.name];
    const b = v === undefined ? undefined : breach(m, v);
    return b ? [b] : [];
  });
  if (breaches.length) return { outcome: 'Failed', reason: breaches.join('; ') };
  if (s.requests !== undefined && s.requests < policy.minRequests)
    return noData(
      policy,
      `${fmt(s.requests)} canary requests, fewer than min-requests ${policy.minRequests}`,
    );
  const missing = metrics.filter((m) => s.values[m.name] === undefined).map((m) => m.name);
  if (missing.length) return noData(policy, `no data for ${missing.join(', ')}`);
  return {
    outcome: 'Successful',
    reason: metrics.length ? 'every metric within bounds' : 'no metric to check',
  };
}

/**
 * Early abort: the step's failure is already certain before its interval ends. For the success
 * rate: the 5xx answers seen exceed what its minimum allows for the whole interval at the request
 * rate seen so far — the rest of the interval cannot bring the rate back over the minimum.
 */
export function certainFailure(metrics: MetricSpec[], s: Sample, intervalMs: number): string | undefined {
  if (s.error || s.requests === undefined || s.errors === undefined || s.requests <= 0) return undefined;
  const rate = metrics.find((m) => m.kind === 'success-rate' && m.min !== undefined);
  if (!rate) return undefined;
  const scale = Math.max(1, intervalMs / Math.max(1, s.windowMs));
  const budget = (1 - rate.min! / 100) * s.requests * scale;
  if (s.errors < 1 || s.errors <= budget) return undefined;
  return `${fmt(s.errors)} of ${fmt(s.requests)} canary requests failed in ${fmt(s.windowMs / 1000)}s: more than ${rate.name} ${fmt(rate.min!)}% allows for the whole ${fmt(intervalMs / 1000)}s interval`;
}

export type Decision =
  | { action: 'advance'; note?: string }
  | { action: 'repeat' }
  | { action: 'resample' }
  | { action: 'pause'; why: string }
  | { action: 'abort'; result: 'aborted' | 'inconclusive' | 'error'; why: string };

/** Counts outcomes across the rollout against the limits (Argo's failureLimit, inconclusiveLimit, consecutiveErrorLimit). */
export class AnalysisLedger {
  failed = 0;
  inconclusive = 0;
  consecutiveErrors = 0;

  constructor(private readonly policy: AnalysisPolicy) {}

  record(j: Judgement): Decision {
    const p = this.policy;
    if (j.outcome === 'Error') {
      this.consecutiveErrors++;
      if (this.consecutiveErrors > p.errorLimit)
        return {
          action: 'abort',
          result: 'error',
          why: `${this.consecutiveErrors} measurements in a row could not be taken (error-limit ${p.errorLimit}): ${j.reason}`,
        };
      return { action: 'resample' };
    }
    this.consecutiveErrors = 0;
    if (j.outcome === 'Successful') return { action: 'advance' };
    if (j.outcome === 'Failed') {
      this.failed++;
      if (this.failed > p.failureLimit)
        return {
          action: 'abort',
          result: 'aborted',
          why: `${j.reason} (failed measurements: ${this.failed}, failure-limit ${p.failureLimit})`,
        };
      return { action: 'repeat' };
    }
    this.inconclusive++;
    if (this.inconclusive <= p.inconclusiveLimit) return { action: 'repeat' };
    if (p.onInconclusive === 'promote')
      return { action: 'advance', note: `inconclusive: ${j.reason}; advanced (on-inconclusive: promote)` };
    if (p.onInconclusive === 'wait-approval')
      return { action: 'pause', why: `${j.reason}: waiting for approval (on-inconclusive: wait-approval)` };
    return {
      action: 'abort',
      result: 'inconclusive',
      why: `${j.reason} (inconclusive measurements: ${this.inconclusive}, inconclusive-limit ${p.inconclusiveLimit})`,
    };
  }
}
