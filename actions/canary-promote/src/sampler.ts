// One sample of a step: every metric and the request counts, queried in parallel over a window.
import {
  PrometheusError,
  ratio,
  renderQuery,
  sideVars,
  type MetricSpec,
  type Prometheus,
  type QueryVars,
  type Sample,
} from '@kubeline/analysis';
import type { Plan } from './plan.js';

export interface Measurement extends Sample {
  step: number;
  weight: number;
  /** The interval's closing sample (judged), or a sample within it (early abort only). */
  final: boolean;
  outcome?: string;
  reason?: string;
}

export class Sampler {
  /** A metric's value: the canary's, or canary ÷ stable for a relative one. */
  private async value(
    m: MetricSpec,
    base: Omit<QueryVars, 'target' | 'target-service'>,
    signal?: AbortSignal,
  ): Promise<number | undefined> {
    const side = (s: 'canary' | 'stable') => this.prometheus.query(renderQuery(m, sideVars(base, s)), signal);
    if (!m.relative) return side('canary');
    const [c, st] = await Promise.all([side('canary'), side('stable')]);
    return ratio(c, st);
  }

  constructor(
    private readonly prometheus: Prometheus,
    private readonly plan: Plan,
    private readonly vars: Omit<QueryVars, 'interval' | 'target' | 'target-service'>,
  ) {}

  async sample(windowMs: number, signal?: AbortSignal): Promise<Sample> {
    const at = Date.now();
    const base = { ...this.vars, interval: `${Math.max(1, Math.round(windowMs / 1000))}s` };
    const canary = sideVars(base, 'canary');
    const q = (query: string) =>
      this.prometheus.query(renderQuery({ name: 'built-in', query }, canary), signal);
    try {
      const [values, requests, errors] = await Promise.all([
        Promise.all(this.plan.metrics.map((m) => this.value(m, base, signal))),
        this.plan.counts ? q(this.plan.counts.requests) : Promise.resolve(undefined),
        this.plan.counts ? q(this.plan.counts.errors) : Promise.resolve(undefined),
      ]);
      return {
        at,
        windowMs,
        values: Object.fromEntries(this.plan.metrics.map((m, i) => [m.name, values[i]])),
        // No series yet (nothing sent to the canary) is zero requests, not unknown.
        ...(this.plan.counts ? { requests: requests ?? 0, errors: errors ?? 0 } : {}),
      };
    } catch (e) {
      if (e instanceof PrometheusError) return { at, windowMs, values: {}, error: e.message };
      throw e;
    }
  }
}
