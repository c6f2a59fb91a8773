// Rollback through Git: which image the files held before the current promotion, read from the
// trailers gitops-promote writes (`Kubeline-Image: name@digest`), newest first; for `last-good`,
// the newest promotion a healthy note was recorded for (health-record.ts).
import { UserError } from '@kubeline/runtime';
import { makeContract, type ImageContract } from '@kubeline/image';
import type { Checkout } from './git.js';
import { HEALTH_NOTES, wasHealthy } from './health-record.js';

const TRAILER = /^Kubeline-Image:\s*(\S+)@(sha256:[0-9a-f]{64})\s*$/m;
const ENVIRONMENT = /^Kubeline-Environment:\s*(\S+)\s*$/m;
/** How far back a rollback looks: deep enough for a long run of promotions. */
const DEPTH = 500;

export interface Promoted {
  sha: string;
  name: string;
  digest: string;
  environment?: string;
  /** The commit's note in the health record (empty: none was read or written). */
  note: string;
}

/** Where to go back to: the image before the current one, one a promotion wrote, or the newest healthy. */
export type RollbackTarget =
  { kind: 'previous' } | { kind: 'digest'; digest: string } | { kind: 'last-good' };

/** The promotions recorded in messages, newest first (other commits are skipped). */
export function promotionsIn(log: Array<{ sha: string; message: string; note?: string }>): Promoted[] {
  return log.flatMap(({ sha, message, note }) => {
    const m = TRAILER.exec(message);
    if (!m) return [];
    const env = ENVIRONMENT.exec(message)?.[1];
    return [{ sha, name: m[1]!, digest: m[2]!, ...(env ? { environment: env } : {}), note: note ?? '' }];
  });
}

/**
 * The image to restore for these files (in this environment, when given), and the promotion that
 * wrote it: see RollbackTarget.
 */
export async function findRollbackTarget(
  checkout: Checkout,
  tip: string,
  paths: string[],
  environment?: string,
  to: RollbackTarget = { kind: 'previous' },
): Promise<{ current: Promoted; target: Promoted; previous: ImageContract }> {
  // the fetch is of these commits' trees only once
  await checkout.fetchCommit(tip, DEPTH);
  const notes =
    to.kind === 'last-good' && (await checkout.fetchNotes(HEALTH_NOTES)) ? HEALTH_NOTES : undefined;
  const all = promotionsIn(await checkout.log(tip, paths, DEPTH, notes)).filter(
    (p) => !environment || p.environment === undefined || p.environment === environment,
  );
  const current = all[0];
  if (!current)
    throw new UserError(
      `no commit in the last ${DEPTH} that touch ${paths.join(', ')} was made by gitops-promote: nothing to roll back to`,
    );
  const target = findTarget(all, current, paths, to, environment);
  return {
    current,
    target,
    previous: makeContract({
      name: target.name,
      digest: target.digest,
      tags: [],
      platforms: [],
      pushed: false,
      labels: {},
    }),
  };
}

function findTarget(
  all: Promoted[],
  current: Promoted,
  paths: string[],
  to: RollbackTarget,
  environment?: string,
): Promoted {
  const files = paths.join(', ');
  if (to.kind === 'digest') return wantedPromotion(all, current, files, to.digest);
  if (to.kind === 'last-good') return lastGood(all, current, files, environment);
  const before = all.find((p) => p.digest !== current.digest);
  if (!before)
    throw new UserError(
      `every recorded promotion of ${files} is ${current.digest}: there is no earlier image to roll back to`,
    );
  return before;
}

/** The promotion that wrote `digest`: never the current one, and only one gitops-promote recorded. */
function wantedPromotion(all: Promoted[], current: Promoted, files: string, digest: string): Promoted {
  if (digest === current.digest)
    throw new UserError(`the image in ${files} is already ${digest}: nothing to roll back`);
  const found = all.find((p) => p.digest === digest);
  if (!found)
    throw new UserError(
      `no promotion in the last ${DEPTH} commits that touch ${files} wrote ${digest}: nothing was changed`,
    );
  return found;
}

/** The newest promotion recorded healthy whose image is not the current one. */
function lastGood(all: Promoted[], current: Promoted, files: string, environment?: string): Promoted {
  const found = all.find((p) => p.digest !== current.digest && wasHealthy(p.note, environment));
  if (!found)
    throw new UserError(
      `no earlier promotion of ${files}${environment ? ` in ${environment}` : ''} with another image than ${current.digest} was recorded healthy in ${HEALTH_NOTES} (gitops-promote records one when wait-for sees it roll out): nothing was changed`,
    );
  return found;
}
