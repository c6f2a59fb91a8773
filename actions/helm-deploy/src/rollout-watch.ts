// kubeline's own watch of the workloads helm is waiting for. Helm only says "timed out"; and once it
// rolls back, the failing pods are gone. So while helm waits, each workload of this deploy is
// watched, and one that fails — or is still not ready shortly before helm's deadline — has its
// conditions, pods, events and logs collected at that moment.
import fs from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ROLLOUT_KINDS,
  collectDiagnostics,
  rolloutStatus,
  waitFor,
  type Cluster,
  type Diagnostics,
  type RolloutKind,
  type RolloutStatus,
  type WorkloadSnapshot,
} from '@kubeline/kube';
import type { RenderReport, RenderedResource } from './post-renderer.js';

/** Set on every resource of one run: a watch then knows it sees this run's spec, not the last one's. */
export const DEPLOY_ID_ANNOTATION = 'kubeline.dev/deploy-id';

export interface WorkloadRef {
  kind: RolloutKind;
  name: string;
  namespace: string;
}

export interface WorkloadOutcome extends WorkloadRef {
  state: 'complete' | 'failed' | 'timeout' | 'cancelled';
  message: string;
  diagnostics?: Diagnostics;
}

export function workloadsOf(resources: RenderedResource[], namespace: string): WorkloadRef[] {
  return resources
    .filter((r) => r.apiVersion === 'apps/v1' && (ROLLOUT_KINDS as readonly string[]).includes(r.kind))
    .map((r) => ({ kind: r.kind as RolloutKind, name: r.name, namespace: r.namespace ?? namespace }));
}

/** How long before helm's deadline the diagnostics are taken: enough to read pods, events, logs. */
export function diagnosticsMargin(timeoutMs: number): number {
  return Math.min(10_000, Math.max(2_000, timeoutMs * 0.15));
}

/** Resolves with the post-renderer's report once it is written; undefined if helm ends first. */
export async function renderReportOf(file: string, signal: AbortSignal): Promise<RenderReport | undefined> {
  while (!signal.aborted) {
    try {
      return JSON.parse(fs.readFileSync(file, 'utf8')) as RenderReport;
    } catch {
      await sleep(50, undefined, { signal }).catch(() => undefined);
    }
  }
  return undefined;
}

async function watchOne(
  cluster: Cluster,
  w: WorkloadRef,
  deployId: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<WorkloadOutcome> {
  let status: RolloutStatus = {
    state: 'progressing',
    message: `waiting for ${w.kind} ${w.name} to be updated`,
  };
  const result = await waitFor(
    cluster,
    { apiVersion: 'apps/v1', kind: w.kind, name: w.name, namespace: w.namespace },
    (obj) => {
      if (obj?.metadata?.annotations?.[DEPLOY_ID_ANNOTATION] !== deployId) return false;
      status = rolloutStatus(w.kind, obj as WorkloadSnapshot);
      return status.state !== 'progressing';
    },
    { timeoutMs, signal },
  );
  if (result.status === 'cancelled') return { ...w, state: 'cancelled', message: status.message };
  if (result.status === 'met' && status.state === 'complete')
    return { ...w, state: 'complete', message: status.message };
  const diagnostics = await collectDiagnostics(cluster, w.namespace, {
    owner: { kind: w.kind, name: w.name },
  });
  return {
    ...w,
    state: result.status === 'timeout' ? 'timeout' : 'failed',
    message: status.message,
    diagnostics,
  };
}

/** Watches every workload until it is ready, fails, or `timeoutMs` passes; aborted when helm ends. */
export async function watchRollouts(
  cluster: Cluster,
  workloads: WorkloadRef[],
  deployId: string,
  timeoutMs: number,
  signal: AbortSignal,
): Promise<WorkloadOutcome[]> {
  return Promise.all(
    workloads.map((w) =>
      watchOne(cluster, w, deployId, timeoutMs, signal).catch((e: unknown): WorkloadOutcome => ({
        ...w,
        state: 'cancelled',
        message: `not watched: ${(e as Error).message}`,
      })),
    ),
  );
}
