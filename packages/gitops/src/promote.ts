// One promotion: the digest written into the config repository's files at the branch's tip,
// committed and pushed without force. When someone else pushed first, the edit is made again on
// their commit (not a textual rebase: the files are re-read and re-edited), so no update is lost and
// a racing promotion of the same digest ends as "already there".
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError, log } from '@kubeline/runtime';
import type { ImageContract } from '@kubeline/image';
import { editFile, type Placement, type ValueChange } from './edit.js';
import { resolveTargetFiles } from './files.js';
import type { Author, Checkout } from './git.js';

export interface Promotion {
  contract: ImageContract;
  /** Repository-relative files, each edited by what it is. */
  paths: string[];
  placement: Placement;
  /** The branch the cluster's controller follows. */
  branch: string;
  /** pull-request mode: the branch the change is pushed to instead. */
  headBranch?: string;
  author: Author;
  message: (changes: ValueChange[]) => string;
  attempts: number;
}

export interface PromotionResult {
  /** A new commit was pushed. */
  changed: boolean;
  /** The commit that carries the digest: the new one, or the tip that already had it. */
  commit: string;
  /** The target branch's tip this promotion was made on. */
  base: string;
  changes: ValueChange[];
  attempts: number;
  /** Where the commit went (the target branch, or the head branch in pull-request mode). */
  pushedTo: string;
}

/** Edits the checked-out files in place; returns what changed. */
function applyEdits(checkout: Checkout, p: Promotion): { files: string[]; changes: ValueChange[] } {
  const files: string[] = [];
  const changes: ValueChange[] = [];
  for (const f of resolveTargetFiles(checkout.dir, p.paths)) {
    const text = fs.readFileSync(f.absolute, 'utf8');
    const edited = editFile(text, f.display, p.placement, p.contract);
    if (edited.changes.length === 0) continue;
    fs.writeFileSync(f.absolute, edited.text);
    files.push(f.display);
    changes.push(...edited.changes);
  }
  return { files, changes };
}

/** The tip to build on: the head branch's when it exists (pull-request mode), else the target's. */
async function startingPoint(checkout: Checkout, p: Promotion): Promise<{ base: string; start: string }> {
  const base = await checkout.fetch(p.branch);
  if (!base) throw new UserError(`branch ${p.branch} does not exist in ${checkout.remote.url}`);
  if (!p.headBranch) return { base, start: base };
  // Already on the target branch (a merged earlier pull request): nothing to propose.
  await checkout.checkout(base);
  if (applyEdits(checkout, p).changes.length === 0) return { base, start: base };
  return { base, start: (await checkout.fetch(p.headBranch)) ?? base };
}

export async function promote(checkout: Checkout, p: Promotion): Promise<PromotionResult> {
  const target = p.headBranch ?? p.branch;
  let lastReason = '';
  for (let attempt = 1; attempt <= p.attempts; attempt++) {
    const { base, start } = await startingPoint(checkout, p);
    await checkout.checkout(start);
    const { files, changes } = applyEdits(checkout, p);
    if (changes.length === 0)
      return { changed: false, commit: start, base, changes, attempts: attempt, pushedTo: target };
    const sha = await checkout.commit(files, p.message(changes), p.author);
    const pushed = await checkout.push(sha, target);
    if (pushed.ok) return { changed: true, commit: sha, base, changes, attempts: attempt, pushedTo: target };
    if (!pushed.retry)
      throw new UserError(`push to ${target} in ${checkout.remote.url} was refused: ${pushed.reason}`);
    lastReason = pushed.reason;
    log.info(`${target} moved while promoting (${pushed.reason}): promoting again on its new tip`);
    await sleep(Math.min(4000, 200 * 2 ** attempt) * (0.5 + Math.random()));
  }
  throw new UserError(
    `${target} in ${checkout.remote.url} kept moving: ${p.attempts} attempts were each overtaken (${lastReason})`,
  );
}
