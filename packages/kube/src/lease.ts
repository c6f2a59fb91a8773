// coordination.k8s.io Leases as Kubernetes leader election reads them: a holder renews, and an
// observer judges it gone by its own clock — the record unchanged for a whole lease duration since
// the observer first saw it — never by comparing two machines' wall clocks. The deploy lock
// (@kubeline/helm) and the canary state (@kubeline/canary) both stand on this.
import crypto from 'node:crypto';
import os from 'node:os';
import type { V1Lease } from '@kubernetes/client-node';
import type { Cluster } from './client.js';
import { isConflict, isNotFound, unlessNotFound } from './errors.js';

/** What an observer compares between two reads of a lease. */
export interface LeaseRecord {
  holder: string;
  renewTime: string;
  resourceVersion: string;
}

export const leaseRecord = (l: V1Lease): LeaseRecord => ({
  holder: l.spec?.holderIdentity ?? '',
  renewTime: String(l.spec?.renewTime ?? ''),
  resourceVersion: l.metadata?.resourceVersion ?? '',
});

/**
 * Decides expiry from observations alone (pure): a record seen unchanged for `durationMs` of the
 * observer's own monotonic time belongs to a holder that stopped renewing.
 */
export class LeaseObserver {
  private seen: { record: LeaseRecord; at: number } | undefined;
  constructor(private readonly durationMs: number) {}

  /** Milliseconds until this record would count as expired; 0 when it already does. */
  observe(record: LeaseRecord, now: number): number {
    const same =
      this.seen &&
      this.seen.record.holder === record.holder &&
      this.seen.record.renewTime === record.renewTime &&
      this.seen.record.resourceVersion === record.resourceVersion;
    if (!same) this.seen = { record, at: now };
    return Math.max(0, this.seen!.at + this.durationMs - now);
  }
}

/** The API's MicroTime is RFC 3339 with six fractional digits; a Date serialises three. */
class MicroTime extends Date {
  override toISOString(): string {
    return `${super.toISOString().slice(0, -1)}000Z`;
  }
}

export const microTime = (): Date => new MicroTime();

export function withLeaseSpec(lease: V1Lease, spec: Partial<NonNullable<V1Lease['spec']>>): V1Lease {
  return { ...lease, spec: { ...lease.spec, ...spec } };
}

/** Who holds a lease, as people read it: the CI job, else host and pid; plus a per-run nonce. */
export function holderIdentity(env: NodeJS.ProcessEnv = process.env): string {
  const run = crypto.randomBytes(4).toString('hex');
  if (env.GITHUB_RUN_ID)
    return `${env.GITHUB_REPOSITORY ?? 'github'} run ${env.GITHUB_RUN_ID}/${env.GITHUB_RUN_ATTEMPT ?? '1'} job ${env.GITHUB_JOB ?? '?'} (pid ${process.pid}, ${run})`;
  if (env.CI_JOB_ID)
    return `${env.CI_PROJECT_PATH ?? 'gitlab'} job ${env.CI_JOB_ID} (pid ${process.pid}, ${run})`;
  return `${os.hostname()} pid ${process.pid} (${run})`;
}

/** Creates the lease held by `holder`; undefined when it exists already. */
export async function createLease(
  cluster: Cluster,
  namespace: string,
  name: string,
  holder: string,
  seconds: number,
): Promise<V1Lease | undefined> {
  const now = microTime();
  try {
    return await cluster.coordination.createNamespacedLease({
      namespace,
      body: {
        metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kubeline' } },
        spec: {
          holderIdentity: holder,
          leaseDurationSeconds: seconds,
          acquireTime: now,
          renewTime: now,
          leaseTransitions: 0,
        },
      },
    });
  } catch (e) {
    if (isConflict(e)) return undefined;
    throw e;
  }
}

/** The lease, or undefined when there is none. */
export async function readLease(
  cluster: Cluster,
  namespace: string,
  name: string,
): Promise<V1Lease | undefined> {
  return unlessNotFound(cluster.coordination.readNamespacedLease({ name, namespace }));
}

/** Replaces the lease read (its resourceVersion makes this atomic); undefined when another run won. */
export async function takeLease(
  cluster: Cluster,
  lease: V1Lease,
  holder: string,
  seconds: number,
): Promise<V1Lease | undefined> {
  const now = microTime();
  try {
    return await cluster.coordination.replaceNamespacedLease({
      name: lease.metadata!.name!,
      namespace: lease.metadata!.namespace!,
      body: withLeaseSpec(lease, {
        holderIdentity: holder,
        leaseDurationSeconds: seconds,
        acquireTime: now,
        renewTime: now,
        leaseTransitions: (lease.spec?.leaseTransitions ?? 0) + 1,
      }),
    });
  } catch (e) {
    if (isConflict(e) || isNotFound(e)) return undefined;
    throw e;
  }
}
