// A canary run's state and heartbeat, in a coordination.k8s.io Lease per Deployment. A CI job can
// be cancelled or killed at any moment; whoever comes next — the post step, a later run, rollback —
// reads here what traffic and workload that run left, and whether it is still alive (its renewals,
// judged by the observer's own clock, as leader election does).
import { KubelineError, UserError, formatDuration, type Logger } from '@kubeline/runtime';
import {
  LeaseObserver,
  createLease,
  readLease,
  takeLease,
  isConflict,
  isNotFound,
  leaseRecord,
  microTime,
  waitFor,
  withLeaseSpec,
  type Cluster,
} from '@kubeline/kube';
import type { V1Lease } from '@kubernetes/client-node';
import type { AbMatch } from './httproute.js';

export const STATE_ANNOTATION = 'kubeline.dev/canary-state';

/** `paused`: held at its weight for approval (on-inconclusive: wait-approval); a later run goes on. */
export type Phase = 'progressing' | 'paused' | 'promoting' | 'aborting' | 'promoted' | 'aborted';

export interface CanaryState {
  holder: string;
  phase: Phase;
  /** The canary's image, by digest. */
  image: string;
  /** What stable ran when the canary started. */
  stableImage: string;
  container: string;
  step: number;
  weight: number;
  router: 'gateway-api' | 'istio' | 'smi' | 'nginx' | 'pods';
  route?: string;
  stableService: string;
  canaryService?: string;
  /** The canary Service was made by kubeline (and is removed with the canary). */
  createdService: boolean;
  stablePort?: number;
  /** A/B matches (gateway-api): requests that always reach the canary. */
  abMatches?: AbMatch[];
  startedAt: string;
  updatedAt: string;
  reason?: string;
}

export const leaseNameOf = (deployment: string) => `kubeline-canary-${deployment}`;

export const isFinished = (p: Phase | undefined) => p === undefined || p === 'promoted' || p === 'aborted';

export function stateOf(lease: V1Lease | undefined): CanaryState | undefined {
  const raw = lease?.metadata?.annotations?.[STATE_ANNOTATION];
  if (!raw) return undefined;
  try {
    return JSON.parse(raw) as CanaryState;
  } catch {
    return undefined;
  }
}

/** How the lease came to this run: fresh, after a run that ended, or taken from a run that stopped renewing. */
export type Inherited =
  { from: 'none' } | { from: 'finished' | 'stale'; state: CanaryState | undefined; holder: string };

export class LeaseLostError extends KubelineError {}

export class CanaryLease {
  private timer: NodeJS.Timeout | undefined;
  private writes: Promise<unknown> = Promise.resolve();
  private lostReason: string | undefined;
  private readonly lost = new AbortController();
  released = false;

  private constructor(
    private readonly cluster: Cluster,
    readonly namespace: string,
    readonly name: string,
    private current: V1Lease,
    readonly holder: string,
    private readonly log: Logger,
  ) {
    const ms = (current.spec?.leaseDurationSeconds ?? 30) * 1000;
    this.timer = setInterval(() => void this.write((l) => l).catch(() => undefined), ms / 3);
    this.timer.unref();
  }

  /** Aborted when another run took the lease over: this run must stop changing traffic. */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  get state(): CanaryState | undefined {
    return stateOf(this.current);
  }

  assertHeld(before: string): void {
    if (this.lostReason)
      throw new LeaseLostError(
        `lost the canary lease ${this.name} (${this.lostReason}); stopped before ${before}`,
      );
  }

  /**
   * Takes the Deployment's canary lease. A live holder (renewing) is refused at once, named; one
   * that has not renewed for the lease duration is taken over, and its state handed back.
   */
  static async acquire(
    cluster: Cluster,
    namespace: string,
    deployment: string,
    o: { holder: string; durationMs: number; log: Logger },
  ): Promise<{ lease: CanaryLease; inherited: Inherited }> {
    const name = leaseNameOf(deployment);
    const seconds = Math.ceil(o.durationMs / 1000);
    const observer = new LeaseObserver(seconds * 1000);
    let announced = false;
    for (;;) {
      const created = await createLease(cluster, namespace, name, o.holder, seconds);
      if (created)
        return {
          lease: new CanaryLease(cluster, namespace, name, created, o.holder, o.log),
          inherited: { from: 'none' },
        };
      const existing = await readLease(cluster, namespace, name);
      if (!existing) continue;
      const record = leaseRecord(existing);
      const state = stateOf(existing);
      if (record.holder) {
        const left = observer.observe(record, performance.now());
        if (left > 0) {
          if (announced) throw refuse(deployment, record.holder, state);
          o.log.info(
            `the canary lease of ${deployment} is held by ${record.holder}: checking whether that run is alive (up to ${formatDuration(left)})`,
          );
          announced = true;
          const res = await waitFor(
            cluster,
            { apiVersion: 'coordination.k8s.io/v1', kind: 'Lease', name, namespace },
            (l) => !l || leaseRecord(l as V1Lease).resourceVersion !== record.resourceVersion,
            { timeoutMs: left + 250 },
          );
          if (
            res.status === 'met' &&
            res.object &&
            leaseRecord(res.object as V1Lease).holder === record.holder
          )
            throw refuse(deployment, record.holder, state);
          continue;
        }
      }
      const taken = await takeLease(cluster, existing, o.holder, seconds);
      if (!taken) continue;
      const lease = new CanaryLease(cluster, namespace, name, taken, o.holder, o.log);
      if (record.holder)
        o.log.warning(
          `took over the canary lease of ${deployment} from ${record.holder}: not renewed for ${seconds}s, so that run is gone`,
        );
      return {
        lease,
        inherited: {
          from: record.holder ? 'stale' : 'finished',
          state,
          holder: record.holder || (state?.holder ?? ''),
        },
      };
    }
  }

  /** Records the state (and renews): every write is fenced by the resourceVersion last written. */
  save(state: CanaryState): Promise<void> {
    return this.write((l) => withState(l, { ...state, updatedAt: new Date().toISOString() }));
  }

  private write(change: (l: V1Lease) => V1Lease, release = false): Promise<void> {
    const next = this.writes.then(async () => {
      if (this.lostReason || (this.released && !release)) return;
      try {
        const body = change(withLeaseSpec(this.current, { renewTime: microTime() }));
        this.current = await this.cluster.coordination.replaceNamespacedLease({
          name: this.name,
          namespace: this.namespace,
          body,
        });
      } catch (e) {
        if (isConflict(e) || isNotFound(e)) return this.lose('another run took it over');
        this.log.warning(`could not write the canary lease ${this.name}: ${(e as Error).message}`);
        throw e;
      }
    });
    this.writes = next.catch(() => undefined);
    return next;
  }

  private lose(reason: string): void {
    if (this.lostReason) return;
    this.lostReason = reason;
    clearInterval(this.timer);
    this.log.warning(`lost the canary lease ${this.name}: ${reason}; this run changes nothing more`);
    this.lost.abort(new LeaseLostError(reason));
  }

  /** Frees the lease with the final state: the next run starts fresh. */
  async release(state: CanaryState): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.write(
      (l) =>
        withState(withLeaseSpec(l, { holderIdentity: undefined }), {
          ...state,
          updatedAt: new Date().toISOString(),
        }),
      true,
    ).catch(() => undefined);
  }

  /** Frees the lease and leaves its state as it is: for a run that failed before it changed anything. */
  async free(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    await this.write((l) => withLeaseSpec(l, { holderIdentity: undefined }), true).catch(() => undefined);
  }

  /** Stops heartbeats without freeing the lease (the post step or the next run decides). */
  abandon(): void {
    this.released = true;
    clearInterval(this.timer);
  }
}

function refuse(deployment: string, holder: string, state: CanaryState | undefined): UserError {
  const where = state
    ? ` (phase ${state.phase}, step ${state.step + 1}, weight ${state.weight}%, image ${state.image})`
    : '';
  return new UserError(
    `a canary of Deployment ${deployment} is already running: held by ${holder}${where}; refusing a second one`,
  );
}

function withState(l: V1Lease, state: CanaryState): V1Lease {
  return {
    ...l,
    metadata: {
      ...l.metadata,
      annotations: { ...l.metadata?.annotations, [STATE_ANNOTATION]: JSON.stringify(state) },
    },
  };
}
