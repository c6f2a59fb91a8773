// What a rollback changed, for the job summary.
import type { Summary } from '@kubeline/runtime';
import type { ResourceChange } from '@kubeline/helm';

export function changesTable(summary: Summary, changes: ResourceChange[]): void {
  const changed = changes.filter((c) => c.change !== 'unchanged');
  if (!changed.length) {
    summary.text('The two revisions apply the same resources (apart from kubeline’s annotations).');
    return;
  }
  summary.table(
    ['change', 'kind', 'name', 'fields'],
    changed.map((c) => [
      c.change,
      c.kind,
      `${c.namespace ? `${c.namespace}/` : ''}${c.name}`,
      (c.fields ?? []).join(', '),
    ]),
  );
}
