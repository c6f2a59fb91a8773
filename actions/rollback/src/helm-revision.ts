// Which Helm revision a rollback goes to, decided from the history alone (pure, unit-tested): a
// revision that does not exist is refused before anything is changed.
import { UserError } from '@kubeline/runtime';
import { deployedRevision, type HistoryEntry } from '../../helm-deploy/src/helm-cli.js';
import { lastGood, type HealthyRevision } from '../../helm-deploy/src/release-record.js';
import type { Target } from './inputs.js';

export interface RevisionChoice {
  from: HistoryEntry;
  to: HistoryEntry;
  /** Why this one, for the log and the summary. */
  reason: string;
}

/** Revisions that served at some point: deployed now, or superseded by a later one. */
const served = (h: HistoryEntry) => h.status === 'deployed' || h.status === 'superseded';

export function chooseHelmRevision(
  release: string,
  history: HistoryEntry[],
  target: Target,
  healthy: HealthyRevision[],
): RevisionChoice {
  const last = history[history.length - 1];
  if (!last) throw new UserError(`release ${release} not found in this namespace: nothing to roll back`);
  const from = deployedRevision(history) ?? last;
  const list = history.map((h) => h.revision).join(', ');
  if (target.kind === 'revision') {
    const to = history.find((h) => h.revision === target.revision);
    if (!to)
      throw new UserError(
        `release ${release} has no revision ${target.revision} (revisions: ${list}); nothing was changed`,
      );
    return { from, to, reason: `revision ${to.revision} as asked` };
  }
  if (target.kind === 'previous') {
    // A revision that is itself a rollback runs the same manifest as its target: skip that one too.
    const same = Number(/^Rollback to (\d+)/.exec(from.description)?.[1] ?? 0);
    const to = [...history]
      .reverse()
      .find((h) => h.revision < from.revision && h.revision !== same && served(h));
    if (!to)
      throw new UserError(
        `release ${release} has no revision before ${from.revision} that was deployed; nothing was changed`,
      );
    return { from, to, reason: `the previous deployed revision` };
  }
  const good = lastGood(
    healthy,
    history.map((h) => h.revision),
    from.revision,
  );
  if (!good)
    throw new UserError(
      `release ${release} has no revision recorded as ready by helm-deploy other than ${from.revision}; nothing was changed`,
    );
  const to = history.find((h) => h.revision === good.revision)!;
  return { from, to, reason: `the last revision helm-deploy saw ready (${good.at})` };
}

/** The digest a manifest runs: kubeline's annotation, else the first container pinned by digest. */
export function manifestDigest(manifest: string): string | undefined {
  const annotated = /kubeline\.dev\/image-digest:\s*["']?(sha256:[a-f0-9]{64})/.exec(manifest);
  if (annotated) return annotated[1];
  return /image:\s*["']?[^\s"']*@(sha256:[a-f0-9]{64})/.exec(manifest)?.[1];
}
