import { formatDuration, log } from '@kubeline/runtime';
import type { Cluster, KubernetesObject } from './client.js';
import {
  rolloutStatus,
  type RolloutKind,
  type RolloutStatus,
  type WorkloadSnapshot,
} from './rollout-status.js';
import { waitFor } from './wait.js';
import { DEFAULT_FAIL_FAST, type FailFastPolicy, type Verdict } from './fail-fast.js';
import { watchForFault } from './fail-fast-watch.js';

export interface RolloutOptions {
  timeoutMs: number;
  signal?: AbortSignal;
  /** Each new progress message; defaults to the log, like `kubectl rollout status`. */
  onProgress?: (message: string) => void;
  /** Stop at the first certain pod failure (default), or `false` to wait out the timeout. */
  failFast?: FailFastPolicy | false;
}

export interface RolloutResult {
  ok: boolean;
  kind: RolloutKind;
  name: string;
  namespace: string;
  outcome: 'complete' | 'failed' | 'timeout' | 'cancelled';
  /** For a failure: ProgressDeadlineExceeded, UnsupportedStrategy, NotFound, Timeout, Cancelled, FailFast. */
  reason?: string;
  /** The last status message, e.g. `2 of 3 updated replicas are available`. */
  message: string;
  durationMs: number;
  /** The last snapshot seen, for diagnostics. */
  object?: KubernetesObject;
  /** The pod failure that ended the wait early. */
  verdict?: Verdict;
}

/**
 * `kubectl rollout status`, by watch: done when the new revision is fully available, failed fast
 * when the Deployment reports ProgressDeadlineExceeded or the object is gone.
 */
export async function waitForRollout(
  cluster: Cluster,
  kind: RolloutKind,
  name: string,
  namespace: string,
  opts: RolloutOptions,
): Promise<RolloutResult> {
  const started = Date.now();
  const progress = opts.onProgress ?? ((m: string) => log.info(m));
  let last: RolloutStatus = { state: 'progressing', message: `waiting for ${kind} ${name}` };
  let missing = false;
  const settled = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, settled.signal]) : settled.signal;
  const policy = opts.failFast ?? DEFAULT_FAIL_FAST;
  let seen: KubernetesObject | undefined;
  const faultWatch = policy
    ? watchForFault(cluster, { kind, name, namespace }, signal, { policy, snapshot: () => seen }).then(
        (v) => {
          if (v) settled.abort();
          return v;
        },
      )
    : Promise.resolve(undefined);
  const waited = await waitFor(
    cluster,
    { apiVersion: 'apps/v1', kind, name, namespace },
    (obj) => {
      seen = obj;
      missing = obj === undefined;
      if (missing) return true;
      const status = rolloutStatus(kind, obj as WorkloadSnapshot);
      if (status.message !== last.message) progress(status.message);
      last = status;
      return status.state !== 'progressing';
    },
    { timeoutMs: opts.timeoutMs, signal },
  ).finally(() => settled.abort());
  const verdict = await faultWatch;
  const base = { kind, name, namespace, durationMs: Date.now() - started, object: waited.object };
  if (verdict)
    return {
      ...base,
      ok: false,
      outcome: 'failed',
      reason: 'FailFast',
      message: verdict.fault.detail,
      verdict,
    };
  if (waited.status === 'met' && missing)
    return {
      ...base,
      ok: false,
      outcome: 'failed',
      reason: 'NotFound',
      message: `${kind} ${name} not found in namespace ${namespace}`,
    };
  if (waited.status === 'met')
    return {
      ...base,
      ok: last.state === 'complete',
      outcome: last.state === 'complete' ? 'complete' : 'failed',
      reason: last.reason,
      message: last.message,
    };
  if (waited.status === 'cancelled')
    return {
      ...base,
      ok: false,
      outcome: 'cancelled',
      reason: 'Cancelled',
      message: `stopped waiting for ${kind} ${name}: ${last.message}`,
    };
  return {
    ...base,
    ok: false,
    outcome: 'timeout',
    reason: 'Timeout',
    message: `timed out after ${formatDuration(opts.timeoutMs)} ${last.message}`,
  };
}
