// Routers whose weights live in one API object that is read back after every write: an Istio
// VirtualService, an SMI TrafficSplit, and ingress-nginx's canary Ingress beside the primary. As
// with the HTTPRoute, every write carries the resourceVersion read, so a concurrent edit is re-read,
// never overwritten. These objects have no status that reliably says a weight took: the object is
// what is checked.
import { UserError } from '@kubeline/runtime';
import { isNotFound, unlessNotFound, type Cluster } from '@kubeline/kube';
import type { V1Ingress } from '@kubernetes/client-node';
import type { RouteServices } from './httproute.js';
import { RouterError, fenced, type TrafficRouter } from './router.js';
import {
  canaryIngress,
  canaryIngressName,
  canaryIngressWeight,
  isCanaryIngressOf,
} from './canary-ingress.js';
import {
  trafficSplitCanaryWeight,
  trafficSplitWithCanaryWeight,
  trafficSplitWithoutCanary,
  type TrafficSplitLike,
} from './trafficsplit.js';
import {
  virtualServiceCanaryWeight,
  virtualServiceWithCanaryWeight,
  virtualServiceWithoutCanary,
  type VirtualServiceLike,
} from './virtualservice.js';

type Log = (line: string) => void;
type AnyObject = Parameters<Cluster['objects']['replace']>[0];
type Ref = { apiVersion: string; kind: string; name: string; namespace: string };

/** The object, or undefined when it does not exist. */
async function readIfAny<T>(cluster: Cluster, ref: Ref): Promise<T | undefined> {
  const header = {
    apiVersion: ref.apiVersion,
    kind: ref.kind,
    metadata: { name: ref.name, namespace: ref.namespace },
  };
  return (await unlessNotFound(cluster.objects.read(header))) as T | undefined;
}

const shown = (w: number | undefined) => (Number.isNaN(w) ? 'mixed' : String(w ?? 'none'));

/** A kind whose weights are fields of one object: where it is served and the pure edits of them. */
interface WeightedKind<T> {
  apiVersion: string;
  kind: string;
  withCanaryWeight(o: T, s: RouteServices, weight: number): T;
  withoutCanary(o: T, s: RouteServices, stablePort?: number): T;
  canaryWeightOf(o: T, s: RouteServices): number | undefined;
}

/** Sets the weights in the object input `route` names, and reads them back. */
class WeightedObjectRouter<T> implements TrafficRouter {
  constructor(
    private readonly type: WeightedKind<T>,
    private readonly cluster: Cluster,
    private readonly route: string,
    private readonly services: RouteServices,
    private readonly stablePort: number | undefined,
    private readonly log: Log,
  ) {}

  get describe(): string {
    return `${this.type.kind} ${this.services.namespace}/${this.route}`;
  }

  private async read(): Promise<T> {
    const { apiVersion, kind } = this.type;
    const o = await readIfAny<T>(this.cluster, {
      apiVersion,
      kind,
      name: this.route,
      namespace: this.services.namespace,
    });
    // A cluster without the CRD answers 404 as well.
    if (!o)
      throw new RouterError(`${this.describe} does not exist (or the cluster does not serve ${apiVersion})`);
    return o;
  }

  private update(change: (o: T) => T): Promise<unknown> {
    return fenced(this.describe, this.log, async () =>
      this.cluster.objects.replace(change(await this.read()) as AnyObject),
    );
  }

  async setWeight(weight: number): Promise<number> {
    await this.update((o) => this.type.withCanaryWeight(o, this.services, weight));
    const read = this.type.canaryWeightOf(await this.read(), this.services);
    if (read !== weight)
      throw new RouterError(
        `${this.describe} reads canary weight ${shown(read)} after setting ${weight}: another writer changed it`,
      );
    return read;
  }

  async reset(): Promise<void> {
    await this.update((o) => this.type.withoutCanary(o, this.services, this.stablePort));
    const read = this.type.canaryWeightOf(await this.read(), this.services);
    if (read !== 0 && read !== undefined)
      throw new RouterError(`${this.describe} still sends ${shown(read)}% to the canary after the reset`);
  }
}

const VIRTUAL_SERVICE: WeightedKind<VirtualServiceLike> = {
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  withCanaryWeight: virtualServiceWithCanaryWeight,
  withoutCanary: virtualServiceWithoutCanary,
  canaryWeightOf: virtualServiceCanaryWeight,
};

const TRAFFIC_SPLIT: WeightedKind<TrafficSplitLike> = {
  apiVersion: 'split.smi-spec.io/v1alpha2',
  kind: 'TrafficSplit',
  withCanaryWeight: trafficSplitWithCanaryWeight,
  withoutCanary: trafficSplitWithoutCanary,
  canaryWeightOf: trafficSplitCanaryWeight,
};

/** Istio: the weights of the stable and canary destinations in a VirtualService's http routes. */
export class IstioRouter extends WeightedObjectRouter<VirtualServiceLike> {
  constructor(
    cluster: Cluster,
    route: string,
    services: RouteServices,
    stablePort: number | undefined,
    log: Log,
  ) {
    super(VIRTUAL_SERVICE, cluster, route, services, stablePort, log);
  }
}

/** SMI: the weights of the stable and canary backends of a TrafficSplit. */
export class SmiRouter extends WeightedObjectRouter<TrafficSplitLike> {
  constructor(cluster: Cluster, route: string, services: RouteServices, log: Log) {
    super(TRAFFIC_SPLIT, cluster, route, services, undefined, log);
  }
}

const INGRESS = { apiVersion: 'networking.k8s.io/v1', kind: 'Ingress' } as const;

/**
 * ingress-nginx: a canary Ingress `<route>-canary` made from the primary Ingress `route`, carrying
 * the weight in its annotations. Its existence is what reaches the canary, so reset deletes it; the
 * primary is only read.
 */
export class NginxCanaryRouter implements TrafficRouter {
  constructor(
    private readonly cluster: Cluster,
    private readonly route: string,
    private readonly services: RouteServices,
    private readonly log: Log,
  ) {}

  private get canaryName(): string {
    return canaryIngressName(this.route);
  }

  get describe(): string {
    return `canary Ingress ${this.services.namespace}/${this.canaryName}`;
  }

  private readIngress(name: string): Promise<V1Ingress | undefined> {
    return readIfAny<V1Ingress>(this.cluster, { ...INGRESS, name, namespace: this.services.namespace });
  }

  /** The canary Ingress made from the primary as it is now: created, or replaced if kubeline's. */
  private async write(weight: number): Promise<unknown> {
    const primary = await this.readIngress(this.route);
    if (!primary) throw new RouterError(`Ingress ${this.services.namespace}/${this.route} does not exist`);
    const body = canaryIngress(primary, this.services, weight);
    const existing = await this.readIngress(this.canaryName);
    if (!existing) return this.cluster.objects.create(body);
    if (!isCanaryIngressOf(existing, this.route))
      throw new UserError(
        `Ingress ${this.services.namespace}/${this.canaryName} exists and is not kubeline's canary of Ingress ${this.route}: rename or remove it`,
      );
    const resourceVersion = existing.metadata?.resourceVersion;
    return this.cluster.objects.replace({ ...body, metadata: { ...body.metadata, resourceVersion } });
  }

  async setWeight(weight: number): Promise<number> {
    await fenced(this.describe, this.log, () => this.write(weight));
    const read = canaryIngressWeight(await this.readIngress(this.canaryName));
    if (read !== weight)
      throw new RouterError(
        `${this.describe} reads canary weight ${shown(read)} after setting ${weight}: another writer changed it`,
      );
    return read;
  }

  /** Deletes kubeline's canary Ingress as read (a concurrent edit is re-read); someone else's is left. */
  private async remove(): Promise<void> {
    const existing = await this.readIngress(this.canaryName);
    if (!existing || existing.metadata?.deletionTimestamp) return;
    if (!isCanaryIngressOf(existing, this.route)) {
      this.log(`${this.describe} is not kubeline's (no label for Ingress ${this.route}): left as it is`);
      return;
    }
    const target = { ...INGRESS, metadata: { name: this.canaryName, namespace: this.services.namespace } };
    const preconditions = { resourceVersion: existing.metadata?.resourceVersion };
    await this.cluster.objects
      .delete(target, undefined, undefined, undefined, undefined, undefined, { preconditions })
      .catch((e: unknown) => {
        if (!isNotFound(e)) throw e;
      });
  }

  async reset(): Promise<void> {
    await fenced(this.describe, this.log, () => this.remove());
    const left = await this.readIngress(this.canaryName);
    if (left && !left.metadata?.deletionTimestamp && isCanaryIngressOf(left, this.route))
      throw new RouterError(
        `${this.describe} still exists after the reset and sends ${shown(canaryIngressWeight(left))}% to the canary`,
      );
  }
}
