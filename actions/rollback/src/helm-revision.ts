// Which Helm revision a rollback goes to, decided from the history alone (pure, unit-tested): a
// revision that does not exist is refused before anything is changed. And which image a revision runs.
import { UserError } from '@kubeline/runtime';
import { parseAllDocuments } from 'yaml';
import { pinnedDigest } from '@kubeline/image';
import {
  ANNOTATION_PREFIX,
  deployedRevision,
  lastGood,
  type HealthyRevision,
  type HistoryEntry,
} from '@kubeline/helm';
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
  const docs = parseAllDocuments(manifest).map((d) => ('toJS' in d ? (d.toJS() as unknown) : undefined));
  for (const doc of docs) {
    const annotated = find(doc, (k, v) => k === IMAGE_DIGEST_ANNOTATION && typeof v === 'string');
    if (annotated) return annotated as string;
  }
  for (const doc of docs) {
    const image = find(doc, (k, v) => k === 'image' && typeof v === 'string' && !!pinnedDigest(v));
    if (image) return pinnedDigest(image as string);
  }
  return undefined;
}

const IMAGE_DIGEST_ANNOTATION = `${ANNOTATION_PREFIX}image-digest`;

/** The first value, depth first in document order, whose key and value pass `test`. */
function find(node: unknown, test: (key: string, value: unknown) => boolean): unknown {
  if (Array.isArray(node)) {
    for (const item of node) {
      const hit = find(item, test);
      if (hit !== undefined) return hit;
    }
  } else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (test(k, v)) return v;
      const hit = find(v, test);
      if (hit !== undefined) return hit;
    }
  }
  return undefined;
}
