// The job summary: what changed where (file, path, old → new), the commit and request links, and
// the timeline from push to applied to rolled out.
import { formatDuration, type Summary } from '@kubeline/runtime';
import { renderDiagnostics } from '@kubeline/kube';
import type { ImageContract } from '@kubeline/image';
import type { ChangeRequestResult, ClusterWait, PromotionResult } from '@kubeline/gitops';
import type { Inputs } from './inputs.js';

export interface PromotionReport {
  contract: ImageContract;
  result: PromotionResult;
  gitMs: number;
  request?: ChangeRequestResult;
  waited?: ClusterWait;
}

function headline(r: PromotionReport): string {
  if (r.waited?.failure) return 'failed';
  if (r.waited) return r.waited.rollouts.length ? 'rolled out' : 'applied';
  if (r.request) return 'proposed';
  return r.result.changed ? 'pushed' : 'unchanged';
}

function timeline(r: PromotionReport): string[][] {
  const rows = [['commit and push', formatDuration(r.gitMs)]];
  const w = r.waited;
  if (!w) return rows;
  for (const o of w.reconciled)
    rows.push([`${o.ref.type} ${o.ref.namespace}/${o.ref.name} ${o.state}`, `+${formatDuration(o.atMs)}`]);
  for (const ro of w.rollouts)
    rows.push([
      `${ro.kind} ${ro.namespace}/${ro.name} ${ro.ok ? 'rolled out' : 'failed'}`,
      formatDuration(ro.durationMs),
    ]);
  if (w.healthyMs !== undefined) rows.push(['push → healthy', formatDuration(w.healthyMs)]);
  return rows;
}

export function renderPromotion(s: Summary, inputs: Inputs, r: PromotionReport, started: number): void {
  const env = inputs.environment ? ` (${inputs.environment})` : '';
  s.heading(`kubeline gitops-promote${env}: ${headline(r)}`);
  s.text(
    `\`${r.contract.name}@${r.contract.digest}\` → ${inputs.repository.replace(/\/\/[^@/]*@/, '//')} \`${r.result.pushedTo}\`: ` +
      (r.result.changed
        ? `commit \`${r.result.commit.slice(0, 12)}\` (attempt ${r.result.attempts})`
        : `already there at \`${r.result.commit.slice(0, 12)}\`, nothing committed`) +
      `, ${formatDuration(Date.now() - started)} in all.`,
  );
  if (r.result.changes.length)
    s.table(
      ['file', 'path', 'before', 'after'],
      r.result.changes.map((c) => [c.file, c.path, c.old ?? '', c.removed ? '(removed)' : c.new]),
    );
  if (r.request) s.text(`${r.request.created ? 'Opened' : 'Updated'} ${r.request.url}.`);
  s.table(['step', 'time'], timeline(r));
  for (const ro of r.waited?.rollouts ?? []) if (ro.diagnostics) renderDiagnostics(s, ro.diagnostics);
}
