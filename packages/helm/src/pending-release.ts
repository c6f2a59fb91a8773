// A run killed while helm was working leaves the release pending-install / pending-upgrade /
// pending-rollback, and helm refuses every later operation ("another operation is in progress").
// Once that state is older than the grace period nobody is working on it any more: kubeline rolls it
// back to its last deployed revision (or removes a release that was never deployed) and says so.
import { UserError, formatDuration, type Logger } from '@kubeline/runtime';
import {
  deployedRevision,
  isPending,
  rollbackCommand,
  targetArgs,
  type Helm,
  type HelmTarget,
  type HistoryEntry,
} from './cli.js';

export type PendingDecision =
  | { action: 'none' }
  | { action: 'refuse'; message: string }
  | { action: 'rollback'; to: number; stuck: HistoryEntry; age: number; why: string }
  | { action: 'uninstall'; stuck: HistoryEntry; age: number; why: string };

/**
 * `abandoned`: the deploy lock says no run can still be working on it (its last holder was
 * cancelled, or stopped renewing and was taken over), so there is no grace period to wait out.
 */
export function pendingDecision(
  release: string,
  history: HistoryEntry[],
  graceMs: number,
  now = Date.now(),
  abandoned = false,
): PendingDecision {
  const last = history[history.length - 1];
  if (!last || !isPending(last.status)) return { action: 'none' };
  const age = now - Date.parse(last.updated);
  if (age < graceMs && !abandoned)
    return {
      action: 'refuse',
      message: `release ${release} is ${last.status} (revision ${last.revision}) since ${formatDuration(age)} ago: another deploy may still be running; kubeline recovers it once it has been pending for pending-grace (${formatDuration(graceMs)})`,
    };
  const how =
    age >= graceMs
      ? 'longer than pending-grace: the run that started it is gone'
      : 'and the deploy lock says the run that started it is gone';
  const why = `release ${release} has been ${last.status} (revision ${last.revision}) for ${formatDuration(age)}, ${how}`;
  const deployed = deployedRevision(history);
  if (deployed) return { action: 'rollback', to: deployed.revision, stuck: last, age, why };
  return { action: 'uninstall', stuck: last, age, why };
}

export async function recoverPending(
  helm: Helm,
  release: string,
  target: HelmTarget,
  decision: PendingDecision,
  o: { timeoutMs: number; log: Logger },
): Promise<void> {
  if (decision.action === 'none') return;
  if (decision.action === 'refuse') throw new UserError(decision.message);
  const { why } = decision;
  if (decision.action === 'rollback') {
    o.log.warning(`${why}; rolling back to revision ${decision.to} before deploying`);
    await helm.runOrExplain(
      `recovering the pending release ${release}`,
      rollbackCommand(helm.major, release, decision.to, target, { wait: false, timeoutMs: o.timeoutMs }),
    );
  } else {
    o.log.warning(`${why}; it was never deployed, so it is uninstalled before installing again`);
    await helm.runOrExplain(`recovering the pending release ${release}`, [
      'uninstall',
      release,
      ...targetArgs(target),
    ]);
  }
}
