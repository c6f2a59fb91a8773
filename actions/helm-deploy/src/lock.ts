// The release's deploy lock; the namespace is created first when asked (never by helm, see README).
import { UserError } from '@kubeline/runtime';
import { isNotFound, type Cluster } from '@kubeline/kube';
import { ReleaseLock } from '@kubeline/helm';
import type { Inputs } from './inputs.js';
import type { Ctx } from './prepare.js';

export async function lockRelease(
  cluster: Cluster,
  inputs: Inputs,
  namespace: string,
  ctx: Ctx,
  onContended?: () => void,
): Promise<ReleaseLock> {
  const acquire = () =>
    ReleaseLock.acquire(cluster, namespace, inputs.release, {
      timeoutMs: inputs['lock-timeout'] ?? 600_000,
      log: ctx.log,
      ...(onContended ? { onContended } : {}),
    });
  try {
    return await acquire();
  } catch (e) {
    if (!isNotFound(e)) throw e;
    if (!inputs['create-namespace'])
      throw new UserError(`namespace ${namespace} does not exist; set create-namespace: true to create it`);
    await cluster.core.createNamespace({ body: { metadata: { name: namespace } } }).catch((err: unknown) => {
      if ((err as { status?: number }).status !== 409) throw err;
    });
    ctx.log.info(`created namespace ${namespace}`);
    return acquire();
  }
}
