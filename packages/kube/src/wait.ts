import type { Cluster, KubernetesObject, WatchHandle } from './client.js';
import { isTransientStatus } from '@kubeline/runtime';
import { ClusterUnreachableError, apiStatus, networkError } from './errors.js';

export interface ObjectRef {
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
}

export interface WaitOptions {
  timeoutMs: number;
  signal?: AbortSignal;
}

export type WaitResult<T> =
  { status: 'met'; object: T | undefined } | { status: 'timeout' | 'cancelled'; object: T | undefined };

// Shorter than client-node's 30 s inactivity timeout, so an idle watch ends cleanly and is renewed.
const WATCH_SECONDS = 25;
// A watch that keeps failing before delivering anything is not renewed forever.
const MAX_FRUITLESS_WATCHES = 5;
// An API server that is away (restarting, upgraded, overloaded) is waited for, up to the deadline.
const OUTAGE_RETRY_MS = [250, 500, 1000, 2000, 4000];

/** The API server is away for now: nothing to do with the object or our access to it. */
function isOutage(err: unknown): boolean {
  const status = apiStatus(err);
  if (status !== undefined) return isTransientStatus(status);
  return err instanceof ClusterUnreachableError || networkError(err) !== undefined;
}

/**
 * Waits, by list-then-watch (no polling), until `predicate` accepts the object's state; it sees
 * `undefined` while the object does not exist. Watches are renewed from the last resourceVersion
 * and the list is redone when the server says it expired (410). API errors reject, except the
 * server being away (refused or dropped connections, 5xx, 429): that is waited out, to the deadline.
 */
export function waitFor<T extends KubernetesObject = KubernetesObject>(
  cluster: Cluster,
  ref: ObjectRef,
  predicate: (object: T | undefined) => boolean,
  opts: WaitOptions,
): Promise<WaitResult<T>> {
  return new Promise<WaitResult<T>>((resolve, reject) => {
    let finished = false;
    let current: T | undefined;
    let handle: WatchHandle | undefined;
    let fruitless = 0;
    let outages = 0;
    const fieldSelector = `metadata.name=${ref.name}`;

    const finish = (settle: () => void) => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      opts.signal?.removeEventListener('abort', onAbort);
      handle?.abort();
      settle();
    };
    const onAbort = () => finish(() => resolve({ status: 'cancelled', object: current }));
    const fail = (err: unknown) => finish(() => reject(err));
    const observe = (obj: T | undefined) => {
      current = obj;
      if (finished) return;
      try {
        if (predicate(obj)) finish(() => resolve({ status: 'met', object: obj }));
      } catch (err) {
        fail(err);
      }
    };
    const timer = setTimeout(
      () => finish(() => resolve({ status: 'timeout', object: current })),
      opts.timeoutMs,
    );
    if (opts.signal?.aborted) return onAbort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });

    const cycle = async (resourceVersion?: string): Promise<void> => {
      let rv = resourceVersion;
      if (!rv) {
        const list = await cluster.objects.list<T>(
          ref.apiVersion,
          ref.kind,
          ref.namespace,
          undefined,
          undefined,
          undefined,
          fieldSelector,
        );
        observe(list.items[0]);
        outages = 0;
        rv = list.metadata?.resourceVersion;
      }
      if (finished) return;
      const path = await cluster.collectionPath(ref.apiVersion, ref.kind, ref.namespace);
      let expired = false;
      let delivered = false;
      const h = await cluster.watch(
        path,
        { fieldSelector, resourceVersion: rv, allowWatchBookmarks: true, timeoutSeconds: WATCH_SECONDS },
        (type, obj) => {
          if (type === 'ERROR') {
            expired = (obj as { code?: number }).code === 410;
            return;
          }
          delivered = true;
          outages = 0;
          rv = obj.metadata?.resourceVersion ?? rv;
          if (type !== 'BOOKMARK') observe(type === 'DELETED' ? undefined : (obj as T));
        },
        (err) => {
          if (finished) return;
          if (err && isOutage(err)) return retryLater();
          fruitless = err && !delivered ? fruitless + 1 : 0;
          if (err && (apiStatus(err) === 401 || apiStatus(err) === 403)) return fail(err);
          if (fruitless >= MAX_FRUITLESS_WATCHES) return fail(err);
          // An expired version: list again; a clean end: resume.
          start(expired ? undefined : rv);
        },
      );
      handle = h;
      if (finished) h.abort();
    };
    // The list and watch are redone from scratch, after a pause, while the server is away.
    const retryLater = () => {
      if (finished) return;
      const pause = OUTAGE_RETRY_MS[Math.min(outages++, OUTAGE_RETRY_MS.length - 1)]!;
      setTimeout(() => start(undefined), pause).unref();
    };
    const start = (rv?: string) => {
      cycle(rv).catch((err: unknown) => (isOutage(err) ? retryLater() : fail(err)));
    };
    start();
  });
}
