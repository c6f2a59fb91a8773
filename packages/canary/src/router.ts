// Traffic routers: every weight written is read back before it counts, and a reset to stable is
// built to land even on a route someone edited or broke meanwhile.
import { setTimeout as sleep } from 'node:timers/promises';
import { KubelineError, formatDuration } from '@kubeline/runtime';
import { isConflict, isNotFound, waitFor, type Cluster } from '@kubeline/kube';
import {
  abRuleCount,
  canaryWeightOf,
  withAbMatches,
  type AbMatch,
  routeStatus,
  withCanaryWeight,
  withoutCanary,
  type HTTPRouteLike,
  type RouteServices,
} from './httproute.js';

/** A weight that did not take: an Error outcome for the step, never a silent pass. */
export class RouterError extends KubelineError {}

/** Runs a read-change-write again when it met a concurrent edit (409), up to WRITE_ATTEMPTS times. */
export async function fenced<T>(
  what: string,
  log: (line: string) => void,
  attempt: () => Promise<T>,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (e) {
      if (!isConflict(e) || n >= WRITE_ATTEMPTS) throw e;
      log(`${what} changed while being updated; reading it again (attempt ${n + 1})`);
      await sleep(100 * n);
    }
  }
}

export interface TrafficRouter {
  /** e.g. `HTTPRoute shop/web`. */
  readonly describe: string;
  /** Sets the canary's share (0–100) and returns the share read back; RouterError when it does not take. */
  setWeight(weight: number): Promise<number>;
  /** All traffic to stable, canary references removed; lands on a route edited or broken meanwhile. */
  reset(): Promise<void>;
}

const HTTPROUTE = { apiVersion: 'gateway.networking.k8s.io/v1', kind: 'HTTPRoute' } as const;
const WRITE_ATTEMPTS = 5;
// Time for the route's controller to report on a new generation before the weight counts anyway.
const STATUS_WAIT_MS = 15_000;
const RESET_STATUS_WAIT_MS = 3_000;

export class GatewayApiRouter implements TrafficRouter {
  constructor(
    private readonly cluster: Cluster,
    private readonly route: string,
    private readonly services: RouteServices,
    private readonly stablePort: number | undefined,
    private readonly log: (line: string) => void,
    /** A/B: requests matching any of these always reach the canary. */
    private readonly ab: AbMatch[] = [],
  ) {}

  get describe(): string {
    return `HTTPRoute ${this.services.namespace}/${this.route}`;
  }

  async read(): Promise<HTTPRouteLike> {
    try {
      return await this.cluster.objects.read<HTTPRouteLike & { metadata: { name: string } }>({
        ...HTTPROUTE,
        metadata: { name: this.route, namespace: this.services.namespace },
      });
    } catch (e) {
      if (isNotFound(e)) throw new RouterError(`${this.describe} does not exist`);
      throw e;
    }
  }

  /** Read, change, replace with the resourceVersion read: a concurrent edit is re-read, not overwritten. */
  private update(change: (r: HTTPRouteLike) => HTTPRouteLike): Promise<HTTPRouteLike> {
    return fenced(this.describe, this.log, async () =>
      this.cluster.objects.replace(change(await this.read()) as Parameters<Cluster['objects']['replace']>[0]),
    );
  }

  async setWeight(weight: number): Promise<number> {
    const written = await this.update((r) =>
      withAbMatches(withCanaryWeight(r, this.services, weight), this.services, this.ab),
    );
    return this.confirm(written, weight);
  }

  /** The object says the weight, and its controller accepted this generation (when it reports). */
  private async confirm(written: HTTPRouteLike, weight: number): Promise<number> {
    const generation = written.metadata?.generation ?? 0;
    const res = await waitFor<HTTPRouteLike & { metadata: object }>(
      this.cluster,
      { ...HTTPROUTE, name: this.route, namespace: this.services.namespace },
      (r) => !r || (r.metadata?.generation ?? 0) > generation || routeStatus(r).state !== 'pending',
      { timeoutMs: STATUS_WAIT_MS },
    );
    const now = res.object;
    if (!now) throw new RouterError(`${this.describe} was deleted while its weights were set`);
    const read = canaryWeightOf(now, this.services);
    if (read !== weight)
      throw new RouterError(
        `${this.describe} reads canary weight ${Number.isNaN(read) ? 'mixed' : (read ?? 'none')} after setting ${weight}: another writer changed it`,
      );
    if (this.ab.length && abRuleCount(now, this.services) === 0)
      throw new RouterError(
        `${this.describe} lost its A/B rules after setting weight ${weight}: another writer changed it`,
      );
    const status = routeStatus(now);
    if (status.state === 'refused') throw new RouterError(`${this.describe} was not accepted: ${status.why}`);
    if (status.state === 'pending')
      throw new RouterError(
        `${this.describe}: its controller did not report generation ${generation} within ${formatDuration(STATUS_WAIT_MS)}`,
      );
    if (status.state === 'unreported')
      this.log(`${this.describe} has no status from a controller; the object's weights are what was checked`);
    return read;
  }

  async reset(): Promise<void> {
    const written = await this.update((r) => withoutCanary(r, this.services, this.stablePort));
    const read = canaryWeightOf(written, this.services);
    if (read !== 0 && read !== undefined)
      throw new RouterError(`${this.describe} still sends ${read}% to the canary after the reset`);
    // The reset counts once written; its controller's word is awaited briefly (inside a cancelled
    // job's grace), so a run that ends says whether the router already serves it.
    const generation = written.metadata?.generation ?? 0;
    const res = await waitFor<HTTPRouteLike & { metadata: object }>(
      this.cluster,
      { ...HTTPROUTE, name: this.route, namespace: this.services.namespace },
      (r) => !r || (r.metadata?.generation ?? 0) > generation || routeStatus(r).state !== 'pending',
      { timeoutMs: RESET_STATUS_WAIT_MS },
    );
    if (res.object && routeStatus(res.object).state === 'pending')
      this.log(`${this.describe}: its controller has not reported the reset (generation ${generation}) yet`);
  }
}

/**
 * No router: the canary's pods join the stable Service's, so its share is its share of the ready
 * replicas. The stable Deployment is not scaled (it is not touched before promotion), so a weight
 * of w asks for ⌈stable × w / (100 − w)⌉ canary replicas, at most as many as stable has (50 %).
 */
export class PodShareRouter implements TrafficRouter {
  constructor(
    private readonly stableReplicas: number,
    private readonly scaleCanary: (replicas: number) => Promise<number>,
  ) {}

  readonly describe = 'pod share';

  static replicasFor(stable: number, weight: number): number {
    if (weight <= 0) return 0;
    if (weight >= 50) return stable;
    return Math.min(stable, Math.ceil((stable * weight) / (100 - weight)));
  }

  async setWeight(weight: number): Promise<number> {
    const ready = await this.scaleCanary(PodShareRouter.replicasFor(this.stableReplicas, weight));
    const total = this.stableReplicas + ready;
    return total === 0 ? 0 : Math.round((ready / total) * 1000) / 10;
  }

  async reset(): Promise<void> {
    await this.scaleCanary(0);
  }
}
