// One deploy of a release at a time. Helm itself only refuses a second operation once the first has
// written its pending revision, and two runs can both pass that check; a ConfigMap created
// atomically by the API server (creation fails if it exists) serialises them instead. ConfigMaps,
// not Leases: a namespace-scoped deployer can always manage ConfigMaps. The lock carries an expiry
// that the holder renews, so a killed run's lock is taken over once it has expired.
import os from 'node:os';
import { UserError, formatDuration, type Logger } from '@kubeline/runtime';
import { isConflict, isNotFound, waitFor, type Cluster } from '@kubeline/kube';

export const LOCK_TTL_MS = 60_000;

export interface LockState {
  holder: string;
  acquired: string;
  expires: string;
}

export function lockName(release: string): string {
  return `kubeline-lock-${release}`;
}

/** Who holds the lock, as people read it in a waiting message: the CI job, else host and pid. */
export function holderIdentity(env: NodeJS.ProcessEnv = process.env): string {
  if (env.GITHUB_RUN_ID)
    return `${env.GITHUB_REPOSITORY ?? 'github'} run ${env.GITHUB_RUN_ID}/${env.GITHUB_RUN_ATTEMPT ?? '1'} job ${env.GITHUB_JOB ?? '?'} (pid ${process.pid})`;
  if (env.CI_JOB_ID) return `${env.CI_PROJECT_PATH ?? 'gitlab'} job ${env.CI_JOB_ID} (pid ${process.pid})`;
  return `${os.hostname()} pid ${process.pid}`;
}

export const isExpired = (s: LockState | undefined, now = Date.now()) => !s || !(Date.parse(s.expires) > now);

interface LockMap {
  metadata?: { name?: string; resourceVersion?: string; uid?: string };
  data?: Record<string, string>;
}

const stateOf = (cm: LockMap | undefined): LockState | undefined =>
  cm?.data?.holder ? (cm.data as unknown as LockState) : undefined;

export class ReleaseLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    private readonly cluster: Cluster,
    readonly namespace: string,
    readonly name: string,
    private current: LockMap,
    private readonly log: Logger,
    /** Another run held it first: whatever was read about the release before is stale. */
    readonly contended: boolean,
  ) {
    // Renewed well before it expires; unref'd, so a finished run is never kept alive by it.
    this.timer = setInterval(() => void this.renew(), LOCK_TTL_MS / 3);
    this.timer.unref();
  }

  static async acquire(
    cluster: Cluster,
    namespace: string,
    release: string,
    o: { timeoutMs: number; log: Logger; holder?: string },
  ): Promise<ReleaseLock> {
    const name = lockName(release);
    const holder = o.holder ?? holderIdentity();
    const deadline = Date.now() + o.timeoutMs;
    let announced: string | undefined;
    let waited = false;
    for (;;) {
      const body = (): LockMap => ({
        metadata: { name },
        data: {
          holder,
          acquired: new Date().toISOString(),
          expires: new Date(Date.now() + LOCK_TTL_MS).toISOString(),
        },
      });
      try {
        const created = await cluster.core.createNamespacedConfigMap({
          namespace,
          body: { ...body(), metadata: { name, labels: { 'app.kubernetes.io/managed-by': 'kubeline' } } },
        });
        return new ReleaseLock(cluster, namespace, name, created, o.log, waited);
      } catch (e) {
        if (!isConflict(e)) throw e;
      }
      const existing = await cluster.core
        .readNamespacedConfigMap({ name, namespace })
        .catch((e: unknown) => (isNotFound(e) ? undefined : Promise.reject(e)));
      const state = stateOf(existing);
      if (existing && isExpired(state)) {
        try {
          // resourceVersion makes the take-over atomic: of two runs taking it, one gets a conflict.
          const taken = await cluster.core.replaceNamespacedConfigMap({
            name,
            namespace,
            body: { ...existing, data: body().data },
          });
          o.log.warning(
            `took over the expired deploy lock of release ${release}${state ? ` held by ${state.holder} since ${state.acquired}` : ''}`,
          );
          return new ReleaseLock(cluster, namespace, name, taken, o.log, true);
        } catch (e) {
          if (!isConflict(e)) throw e;
          continue;
        }
      }
      if (!existing) continue;
      const left = deadline - Date.now();
      if (left <= 0)
        throw new UserError(
          `release ${release} is being deployed by ${state?.holder ?? 'another run'} (since ${state?.acquired ?? '?'}); gave up after lock-timeout ${formatDuration(o.timeoutMs)}`,
        );
      if (announced !== state?.holder) {
        o.log.info(`waiting for ${state?.holder ?? 'another run'} to finish deploying release ${release}`);
        announced = state?.holder;
      }
      waited = true;
      // By watch: wakes when the lock is deleted, or at its expiry if its holder stopped renewing.
      const untilExpiry = state ? Math.max(0, Date.parse(state.expires) - Date.now()) + 500 : 1000;
      await waitFor(
        cluster,
        { apiVersion: 'v1', kind: 'ConfigMap', name, namespace },
        (cm) => !cm || isExpired(stateOf(cm as LockMap)),
        { timeoutMs: Math.min(left, untilExpiry) },
      );
    }
  }

  private async renew(): Promise<void> {
    if (this.released) return;
    try {
      this.current = await this.cluster.core.replaceNamespacedConfigMap({
        name: this.name,
        namespace: this.namespace,
        body: {
          ...this.current,
          data: { ...this.current.data, expires: new Date(Date.now() + LOCK_TTL_MS).toISOString() },
        },
      });
    } catch (e) {
      this.log.warning(`could not renew the deploy lock ${this.name}: ${(e as Error).message}`);
    }
  }

  /** Deletes the lock only if it is still the one this run holds. */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    clearInterval(this.timer);
    try {
      await this.cluster.core.deleteNamespacedConfigMap({
        name: this.name,
        namespace: this.namespace,
        // Both: a lock another run took over after ours expired has a newer resourceVersion.
        body: {
          preconditions: {
            uid: this.current.metadata?.uid,
            resourceVersion: this.current.metadata?.resourceVersion,
          },
        },
      });
    } catch (e) {
      if (!isNotFound(e) && !isConflict(e))
        this.log.warning(`could not release the deploy lock ${this.name}: ${(e as Error).message}`);
    }
  }
}
