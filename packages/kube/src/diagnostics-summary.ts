import type { Summary } from '@kubeline/runtime';
import { diagnose } from './diagnose.js';
import type { Diagnostics } from './diagnostics.js';
import type { ContainerView, PodView } from './pod-status.js';

function containerState(c: ContainerView): string {
  const detail = [c.reason, c.exitCode !== undefined ? `exit ${c.exitCode}` : undefined].filter(Boolean);
  return `${c.name}: ${c.state}${detail.length ? ` (${detail.join(', ')})` : ''}${c.ready ? '' : ', not ready'}`;
}

function podRow(p: PodView): string[] {
  const restarts = p.containers.reduce((n, c) => n + c.restarts, 0);
  const why = p.failingConditions.map((c) => `${c.type}: ${c.reason ?? c.status}`).join('; ');
  return [
    p.name,
    p.phase,
    p.ready ? 'yes' : 'no',
    String(restarts),
    p.containers.map(containerState).join('\n'),
    why,
  ];
}

/** Adds the cause, conditions, pods, events and log tails of a failed workload to a job summary. */
export function renderDiagnostics(summary: Summary, d: Diagnostics): Summary {
  const what = d.workload ? `${d.workload.kind} ${d.workload.name}` : `pods in ${d.namespace}`;
  summary.heading(`Why ${what} failed`, 3).text(`**Cause:** ${diagnose(d)}`);
  if (d.workload?.conditions.length)
    summary.table(
      ['Condition', 'Status', 'Reason', 'Message'],
      d.workload.conditions.map((c) => [c.type, c.status, c.reason ?? '', c.message ?? '']),
    );
  if (d.pods.length)
    summary.table(
      ['Pod', 'Phase', 'Ready', 'Restarts', 'Containers', 'Failing conditions'],
      d.pods.map(podRow),
    );
  if (d.events.length)
    summary.table(
      ['Last seen', 'Type', 'Reason', 'Object', 'Count', 'Message'],
      d.events.map((e) => [e.lastSeen ?? '', e.type, e.reason, e.object, String(e.count), e.message]),
    );
  for (const l of d.logs) {
    const title = `Log of ${l.pod}/${l.container}${l.previous ? ' (previous run)' : ''}`;
    summary.details(
      title,
      l.error ? `could not read the log: ${l.error}` : '```\n' + l.lines.join('\n') + '\n```',
    );
  }
  if (d.problems.length) summary.text(`Not collected: ${d.problems.join('; ')}`);
  return summary;
}
