// The summary: the outcome in a line, a table per step, and a mermaid chart of the canary's weight
// and success rate over time.
import { formatDuration, type Summary } from '@kubeline/runtime';
import type { CanaryState } from '@kubeline/canary';
import type { Plan } from './plan.js';
import type { Measurement } from './sampler.js';

export interface Report {
  deployment: string;
  state: CanaryState;
  plan: Plan;
  measurements: Measurement[];
  timeline: Array<{ at: number; weight: number; event: string }>;
  ended: { result: string; reason: string };
  started: number;
}

const num = (v: number | undefined) => (v === undefined ? 'no data' : Number(v.toPrecision(4)).toString());

/** One row per closing measurement (and per early abort). */
function stepRows(r: Report): string[][] {
  return r.measurements
    .filter((m) => m.final || m.outcome)
    .map((m) => [
      String(m.step),
      `${m.weight}%`,
      `+${formatDuration(m.at - r.started)}`,
      m.error ? 'Error' : (m.outcome ?? ''),
      ...r.plan.metrics.map((x) => num(m.values[x.name])),
      m.requests === undefined ? '' : num(m.requests),
      m.error ?? m.reason ?? '',
    ]);
}

/** Weight and success rate at each sample, as a mermaid xychart (seconds since start on x). */
export function weightChart(r: Report): string | undefined {
  const points = r.measurements.map((m) => ({
    t: Math.round((m.at - r.started) / 1000),
    weight: m.weight,
    rate: m.values['success-rate'],
  }));
  if (points.length < 2) return undefined;
  const rate = points.some((p) => p.rate !== undefined);
  return [
    'xychart-beta',
    `  title "${r.deployment}: canary weight${rate ? ' and success rate' : ''} (%)"`,
    `  x-axis "seconds" [${points.map((p) => p.t).join(', ')}]`,
    '  y-axis "percent" 0 --> 100',
    `  line [${points.map((p) => p.weight).join(', ')}]`,
    ...(rate
      ? [`  line [${points.map((p) => (p.rate === undefined ? 0 : Number(p.rate.toFixed(2)))).join(', ')}]`]
      : []),
  ].join('\n');
}

const ROUTE_KIND = {
  'gateway-api': 'HTTPRoute',
  istio: 'VirtualService',
  smi: 'TrafficSplit',
  nginx: 'canary Ingress of',
} as const;

function trafficBy(s: CanaryState): string {
  return s.router === 'pods' ? 'by pod share' : `through ${ROUTE_KIND[s.router]} ${s.route}`;
}

function schedule(p: Plan): string {
  if (p.mode === 'blue-green')
    return `blue-green: one switch, rollback window ${formatDuration(p.intervalMs)}`;
  return `steps ${p.steps.map((x) => (x.kind === 'pause' ? 'pause' : `${x.weight}%`)).join(' → ')}, interval ${formatDuration(p.intervalMs)}`;
}

export function renderReport(summary: Summary, r: Report): void {
  const s = r.state;
  summary
    .heading(`kubeline canary-promote: ${r.deployment} ${r.ended.result}`)
    .text(
      `${r.ended.reason}. Canary ${s.image} against stable ${s.stableImage}, ${trafficBy(s)}, ${schedule(r.plan)}; ${formatDuration(Date.now() - r.started)} in all.`,
    );
  const rows = stepRows(r);
  if (rows.length)
    summary.table(
      ['step', 'weight', 'at', 'outcome', ...r.plan.metrics.map((m) => m.name), 'requests', 'why'],
      rows,
    );
  const chart = weightChart(r);
  if (chart) summary.mermaid(chart);
}
