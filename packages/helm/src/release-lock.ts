// One deploy of a release at a time, as Kubernetes leader election does it: a coordination.k8s.io
// Lease per release. Helm itself only refuses a second operation once the first has written its
// pending revision, and two runs can both pass that check. The holder renews the lease; a waiter
// judges it expired by its own clock — the lease's record (holder, renew time, resourceVersion)
// unchanged for a whole lease duration since the waiter first saw it — never by comparing two
// runners' wall clocks. Every write carries the resourceVersion it read (fencing): of two runs
// taking an expired lease one wins, and a holder that was taken over learns it at its next renewal
// and stops before its next change.
import {
  KubelineError,
  UserError,
  cancelledBy,
  envNumber,
  formatDuration,
  onCancel,
  type Logger,
} from '@kubeline/runtime';
import {
  LeaseObserver,
  createLease,
  holderIdentity,
  readLease,
  takeLease,
  isConflict,
  isNotFound,
  leaseRecord,
  microTime,
  waitFor,
  withLeaseSpec,
  type Cluster,
  type LeaseRecord,
} from '@kubeline/kube';
import type { V1Lease } from '@kubernetes/client-node';

/** KUBELINE_LOCK_LEASE_SECONDS (default 60): how long an unrenewed lock keeps others waiting. */
export function leaseSeconds(env: NodeJS.ProcessEnv = process.env): number {
  return envNumber('KUBELINE_LOCK_LEASE_SECONDS', 60, { min: 5, max: 3600, integer: true }, env);
}

export const OUTCOME_ANNOTATION = 'kubeline.dev/last-outcome';
export const HOLDER_ANNOTATION = 'kubeline.dev/last-holder';

/** The verbs the lock uses, for requireAccess. */
export const LOCK_NEEDS = [
  ['get', 'leases.coordination.k8s.io'],
  ['list', 'leases.coordination.k8s.io'],
  ['watch', 'leases.coordination.k8s.io'],
  ['create', 'leases.coordination.k8s.io'],
  ['update', 'leases.coordination.k8s.io'],
] as const;

export function lockName(release: string): string {
  return `kubeline-lock-${release}`;
}

/** Why the lock was free for this run: how the previous holder ended. */
export type PreviousHolder =
  | { ended: 'none' }
  | { ended: 'finished' | 'cancelled'; holder: string }
  | { ended: 'expired'; holder: string };

export class LockLostError extends KubelineError {}

interface AcquireOptions {
  timeoutMs: number;
  log: Logger;
  holder?: string;
  /** Called once when another run holds the lock: whatever was read about the release is stale. */
  onContended?: () => void;
}

export class ReleaseLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;
  private lostReason: string | undefined;
  private lastRenewed = performance.now();
  private readonly lost = new AbortController();
  private readonly disposeCancel: () => void;

  private constructor(
    private readonly cluster: Cluster,
    readonly namespace: string,
    readonly release_: string,
    private current: V1Lease,
    private readonly log: Logger,
    /** Another run held it first: whatever was read about the release before is stale. */
    readonly contended: boolean,
    readonly previous: PreviousHolder,
  ) {
    const durationMs = (current.spec?.leaseDurationSeconds ?? 60) * 1000;
    // Renewed at a third of the duration; unref'd, so a finished run is never kept alive by it.
    this.timer = setInterval(() => void this.renew(durationMs), durationMs / 3);
    this.timer.unref();
    this.disposeCancel = onCancel(() => this.release());
  }

  get name(): string {
    return lockName(this.release_);
  }

  /** Aborted when the lock is lost: taken over, or not renewed within the renew deadline. */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  /** True when the release's pending state cannot belong to a live run (see pendingDecision). */
  get pendingIsAbandoned(): boolean {
    return this.previous.ended === 'expired' || this.previous.ended === 'cancelled';
  }

  /** Called before every change to the release: a run that lost its lock changes nothing more. */
  assertHeld(before: string): void {
    if (this.lostReason)
      throw new LockLostError(
        `lost the deploy lock of release ${this.release_} (${this.lostReason}); stopped before ${before}`,
      );
  }

  static async acquire(
    cluster: Cluster,
    namespace: string,
    release: string,
    o: AcquireOptions,
  ): Promise<ReleaseLock> {
    const name = lockName(release);
    const holder = o.holder ?? holderIdentity();
    const seconds = leaseSeconds();
    const observer = new LeaseObserver(seconds * 1000);
    const deadline = Date.now() + o.timeoutMs;
    const make = (lease: V1Lease, contended: boolean, previous: PreviousHolder) =>
      new ReleaseLock(cluster, namespace, release, lease, o.log, contended, previous);
    let announced: string | undefined;
    let waited = false;
    for (;;) {
      // Read first: after a release's first deploy its lease stays (released, not deleted), so taking
      // it is a read and a write; creating first would add a refused create to every deploy.
      const existing = await readLease(cluster, namespace, name);
      if (!existing) {
        const created = await createLease(cluster, namespace, name, holder, seconds);
        if (created) return make(created, waited, { ended: 'none' });
        continue; // another run created it in between: read it
      }
      const record = leaseRecord(existing);
      const leftMs = record.holder ? observer.observe(record, performance.now()) : 0;
      if (leftMs === 0) {
        const taken = await takeLease(cluster, existing, holder, seconds);
        if (!taken) continue; // another run took it first
        const previous = previousHolder(existing, record);
        if (previous.ended === 'expired')
          o.log.warning(
            `took over the deploy lock of release ${release} from ${previous.holder}: not renewed for ${seconds}s, so that run is gone`,
          );
        return make(taken, waited || previous.ended === 'expired', previous);
      }
      const left = deadline - Date.now();
      if (left <= 0)
        throw new UserError(
          `release ${release} is being deployed by ${record.holder}; gave up after lock-timeout ${formatDuration(o.timeoutMs)}`,
        );
      if (!waited) o.onContended?.();
      if (announced !== record.holder) {
        o.log.info(`waiting for ${record.holder} to finish deploying release ${release}`);
        announced = record.holder;
      }
      waited = true;
      // By watch: wakes when the lease changes hands, or when it would count as expired.
      await waitFor(
        cluster,
        { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace },
        (l) => !l || leaseRecord(l as V1Lease).resourceVersion !== record.resourceVersion,
        { timeoutMs: Math.min(left, leftMs + 250) },
      );
    }
  }

  private async renew(durationMs: number): Promise<void> {
    if (this.released || this.lostReason) return;
    try {
      this.current = await this.cluster.coordination.replaceNamespacedLease({
        name: this.name,
        namespace: this.namespace,
        body: withLeaseSpec(this.current, { renewTime: microTime() }),
      });
      this.lastRenewed = performance.now();
    } catch (e) {
      if (isConflict(e) || isNotFound(e)) return this.lose('another run took it over');
      const since = performance.now() - this.lastRenewed;
      // Two thirds of the duration: a waiter takes over only after a whole one.
      if (since > (durationMs * 2) / 3)
        return this.lose(`not renewed for ${formatDuration(since)}: ${(e as Error).message}`);
      this.log.warning(`could not renew the deploy lock ${this.name}: ${(e as Error).message}; retrying`);
      setTimeout(() => void this.renew(durationMs), 2000).unref();
    }
  }

  private lose(reason: string): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    clearInterval(this.timer);
    this.log.warning(
      `lost the deploy lock of release ${this.release_}: ${reason}; stopping before the next change`,
    );
    this.lost.abort(new LockLostError(reason));
  }

  /** Frees the lease for the next run, saying how this run ended; only if it is still ours. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    this.disposeCancel();
    if (this.lostReason) return;
    const outcome = cancelledBy() ? 'cancelled' : 'finished';
    const holder = this.current.spec?.holderIdentity ?? '';
    const body = withLeaseSpec(this.current, { holderIdentity: undefined, renewTime: microTime() });
    body.metadata = {
      ...body.metadata,
      annotations: {
        ...body.metadata?.annotations,
        [OUTCOME_ANNOTATION]: outcome,
        [HOLDER_ANNOTATION]: holder,
      },
    };
    try {
      await this.cluster.coordination.replaceNamespacedLease({
        name: this.name,
        namespace: this.namespace,
        body,
      });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e))
        this.log.warning(`could not release the deploy lock ${this.name}: ${(e as Error).message}`);
    }
  }
}

function previousHolder(lease: V1Lease, record: LeaseRecord): PreviousHolder {
  if (record.holder) return { ended: 'expired', holder: record.holder };
  const outcome = lease.metadata?.annotations?.[OUTCOME_ANNOTATION];
  const holder = lease.metadata?.annotations?.[HOLDER_ANNOTATION] ?? '';
  return outcome === 'cancelled' ? { ended: 'cancelled', holder } : { ended: 'finished', holder };
}
