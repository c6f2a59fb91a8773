// Which promotions became healthy, for rollback's `to: last-good`: once the controller applied a
// promotion and its workloads rolled out, a line goes into the promoted commit's note in
// refs/notes/kubeline. Git holds it, not the cluster: the cluster access is read-only, and the
// record travels with the repository rollback reads. A note, not a commit: recording health must
// not move the branch the controller follows.
import { setTimeout as sleep } from 'node:timers/promises';
import { UserError, type Logger } from '@kubeline/runtime';
import type { Author, Checkout } from './git.js';

export const HEALTH_NOTES = 'refs/notes/kubeline';
const HEALTHY = /^Kubeline-Healthy: (\S+) (\S+)$/gm;
/** A promotion made without an environment. */
const ANY = '-';

export function healthyLine(environment: string | undefined, at: Date): string {
  return `Kubeline-Healthy: ${environment || ANY} ${at.toISOString()}`;
}

/** Whether a note records the commit healthy in `environment` (in any, when none is given). */
export function wasHealthy(note: string, environment?: string): boolean {
  for (const [, where] of note.matchAll(HEALTHY))
    if (!environment || where === environment || where === ANY) return true;
  return false;
}

export interface HealthRecord {
  /** The promotion's (or rollback's) commit. */
  commit: string;
  environment?: string;
  /** Who makes the notes ref's commit. */
  author: Author;
  attempts?: number;
}

/**
 * Appends the healthy line to `commit`'s note and pushes the notes ref without force; when another
 * run pushed its own note first, the note is made again on theirs.
 */
export async function recordHealthy(checkout: Checkout, o: HealthRecord): Promise<void> {
  const attempts = o.attempts ?? 5;
  let reason = '';
  for (let attempt = 1; attempt <= attempts; attempt++) {
    await checkout.fetchNotes(HEALTH_NOTES);
    await checkout.appendNote(HEALTH_NOTES, o.commit, healthyLine(o.environment, new Date()), o.author);
    const pushed = await checkout.pushRef(HEALTH_NOTES);
    if (pushed.ok) return;
    if (!pushed.retry)
      throw new UserError(`push of ${HEALTH_NOTES} to ${checkout.remote.url} was refused: ${pushed.reason}`);
    reason = pushed.reason;
    await sleep(Math.min(4000, 200 * 2 ** attempt) * (0.5 + Math.random()));
  }
  throw new UserError(`${HEALTH_NOTES} kept moving: ${attempts} attempts were each overtaken (${reason})`);
}

/** recordHealthy, logged; a failure to record is a warning, never the promotion's failure. */
export async function noteHealthy(
  checkout: Checkout,
  o: HealthRecord,
  log: Pick<Logger, 'info' | 'warning'>,
): Promise<void> {
  try {
    await recordHealthy(checkout, o);
    log.info(`recorded ${o.commit.slice(0, 12)} healthy in ${HEALTH_NOTES}, for rollback's last-good`);
  } catch (e) {
    log.warning(
      `${(e as Error).message}: rollback's last-good will not know ${o.commit.slice(0, 12)} was healthy`,
    );
  }
}
