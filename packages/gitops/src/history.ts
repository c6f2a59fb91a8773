// Rollback through Git: which image the files held before the current promotion, read from the
// trailers gitops-promote writes (`Kubeline-Image: name@digest`), newest first.
import { UserError } from '@kubeline/runtime';
import { makeContract, type ImageContract } from '@kubeline/image';
import type { Checkout } from './git.js';

const TRAILER = /^Kubeline-Image:\s*(\S+)@(sha256:[0-9a-f]{64})\s*$/m;
const ENVIRONMENT = /^Kubeline-Environment:\s*(\S+)\s*$/m;

export interface Promoted {
  sha: string;
  name: string;
  digest: string;
  environment?: string;
}

/** The promotions recorded in messages, newest first (other commits are skipped). */
export function promotionsIn(log: Array<{ sha: string; message: string }>): Promoted[] {
  return log.flatMap(({ sha, message }) => {
    const m = TRAILER.exec(message);
    if (!m) return [];
    const env = ENVIRONMENT.exec(message)?.[1];
    return [{ sha, name: m[1]!, digest: m[2]!, ...(env ? { environment: env } : {}) }];
  });
}

/**
 * The image to restore for these files (in this environment, when given): the first recorded digest
 * that differs from the newest promotion's, or the `wanted` digest when one of the recorded
 * promotions wrote it.
 */
export async function previousPromotion(
  checkout: Checkout,
  tip: string,
  paths: string[],
  environment?: string,
  wanted?: string,
): Promise<{ current: Promoted; previous: ImageContract }> {
  // Deep enough for a long run of promotions; the fetch is of these commits' trees only once.
  await checkout.fetchCommit(tip, 500);
  const all = promotionsIn(await checkout.log(tip, paths, 500)).filter(
    (p) => !environment || p.environment === undefined || p.environment === environment,
  );
  const current = all[0];
  if (!current)
    throw new UserError(
      `no commit in the last 500 that touch ${paths.join(', ')} was made by gitops-promote: nothing to roll back to`,
    );
  const before = wanted
    ? wantedPromotion(all, current, paths, wanted)
    : all.find((p) => p.digest !== current.digest);
  if (!before)
    throw new UserError(
      `every recorded promotion of ${paths.join(', ')} is ${current.digest}: there is no earlier image to roll back to`,
    );
  return {
    current,
    previous: makeContract({
      name: before.name,
      digest: before.digest,
      tags: [],
      platforms: [],
      pushed: false,
      labels: {},
    }),
  };
}

/** The promotion that wrote `digest`: never the current one, and only one gitops-promote recorded. */
function wantedPromotion(all: Promoted[], current: Promoted, paths: string[], digest: string): Promoted {
  if (digest === current.digest)
    throw new UserError(`the image in ${paths.join(', ')} is already ${digest}: nothing to roll back`);
  const found = all.find((p) => p.digest === digest);
  if (!found)
    throw new UserError(
      `no promotion in the last 500 commits that touch ${paths.join(', ')} wrote ${digest}: nothing was changed`,
    );
  return found;
}
