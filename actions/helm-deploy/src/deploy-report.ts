// The deploy's outcome for people: the one-line cause of a failure and the job summary.
import { formatDuration, type Summary } from '@kubeline/runtime';
import { diagnose, renderDiagnostics } from '@kubeline/kube';
import type { ImageContract } from '@kubeline/image';
import { countChanges, type ResourceChange } from '@kubeline/helm';
import type { HistoryEntry } from '@kubeline/helm';
import type { RenderedResource } from './post-renderer.js';
import type { WorkloadOutcome } from '@kubeline/kube';

export interface DeployFacts {
  release: string;
  namespace: string;
  chart: string;
  helmVersion: string;
  image?: ImageContract;
  previous?: number;
  revision?: number;
  status: string;
  durationMs: number;
  gates: string[];
}

/** The failing workloads' causes, most useful first: one line for the error. */
export function workloadCause(outcomes: WorkloadOutcome[], timeoutMs: number): string | undefined {
  const failed = outcomes.filter((o) => o.diagnostics);
  if (!failed.length) return undefined;
  return failed
    .map((o) => {
      const what = o.verdict
        ? 'failed fast'
        : o.state === 'timeout'
          ? `not ready after ${formatDuration(timeoutMs)}`
          : 'failed';
      return `${o.kind} ${o.name} ${what}: ${diagnose(o.diagnostics!)}`;
    })
    .join('; ');
}

/** What became of the release after helm failed, from its history before and after. */
export function aftermath(
  before: HistoryEntry[],
  after: HistoryEntry[],
  waitFailed: boolean,
): string | undefined {
  const top = Math.max(0, ...before.map((h) => h.revision));
  const fresh = after.filter((h) => h.revision > top);
  const last = fresh[fresh.length - 1];
  if (!last)
    return before.length === 0 && after.length === 0 && waitFailed
      ? 'the failed install was removed'
      : undefined;
  const back = /^Rollback to (\d+)/.exec(last.description);
  if (last.status === 'deployed' && back) return `rolled back to revision ${back[1]}`;
  return `revision ${last.revision} is ${last.status}`;
}

function imageCell(image: ImageContract | undefined): string {
  return image ? `\`${image.ref}\`` : '(chart default)';
}

export function summarizeDeploy(
  summary: Summary,
  f: DeployFacts,
  resources: RenderedResource[],
  outcomes: WorkloadOutcome[],
): void {
  summary.heading(`kubeline helm-deploy: ${f.release} ${f.status}`);
  summary.table(
    ['release', 'namespace', 'chart', 'revision', 'status', 'image', 'helm', 'time'],
    [
      [
        f.release,
        f.namespace,
        f.chart,
        `${f.previous ?? '—'} → ${f.revision ?? '—'}`,
        f.status,
        imageCell(f.image),
        f.helmVersion,
        formatDuration(f.durationMs),
      ],
    ],
  );
  if (f.gates.length) summary.text(f.gates.map((g) => `- ${g}`).join('\n'));
  if (resources.length)
    summary.details(
      `${resources.length} resources`,
      resources.map((r) => `- ${r.kind} ${r.namespace ? `${r.namespace}/` : ''}${r.name}`).join('\n'),
    );
  for (const o of outcomes) if (o.diagnostics) renderDiagnostics(summary, o.diagnostics);
}

export function summarizeDryRun(summary: Summary, f: DeployFacts, changes: ResourceChange[]): void {
  const n = countChanges(changes);
  summary.heading(`kubeline helm-deploy (dry run): ${f.release}`);
  summary.text(
    `Against ${f.previous ? `revision ${f.previous}` : 'no release (first install)'} in \`${f.namespace}\`, with ${imageCell(f.image)} and helm ${f.helmVersion}: **${n.added} added, ${n.changed} changed, ${n.removed} removed**, ${n.unchanged} unchanged. Nothing was applied.`,
  );
  if (f.gates.length) summary.text(f.gates.map((g) => `- ${g}`).join('\n'));
  summary.table(
    ['change', 'kind', 'name', 'fields'],
    changes
      .filter((c) => c.change !== 'unchanged')
      .map((c) => [
        c.change,
        c.kind,
        `${c.namespace ? `${c.namespace}/` : ''}${c.name}`,
        (c.fields ?? []).join(', '),
      ]),
  );
}
