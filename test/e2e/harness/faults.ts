// Faults injected into the real stack: the API server stopped (SIGTERM, as a control-plane upgrade
// or a crash does) and started again with the same flags, storage and certificates.
import { CoordinationV1Api } from '@kubernetes/client-node';
import type { Daemon } from '../../stack/component.js';
import { kubeApiserver, kubeControllerManager, kubeScheduler } from '../../stack/kubernetes.js';
import { kwok, nodeNames } from '../../stack/kwok.js';
import { startDaemon, stopDaemon } from '../../stack/processes.js';
import { pollUntil } from '../../stack/wait.js';
import { adminKubeConfig } from './kube-config.js';

/** Stops the API server, keeps it away for `downMs`, starts it again and waits until it serves. */
export async function restartApiserver(downMs: number): Promise<void> {
  await stopDaemon(kubeApiserver.name);
  await new Promise((r) => setTimeout(r, downMs));
  await startAndWait(kubeApiserver);
}

/**
 * The controllers (controller manager, scheduler, kwok) started afresh, as once a control-plane
 * upgrade is over. After an API server restart their informers back off for up to a minute (client-go
 * doubles the wait after each failed list, with jitter); a test that wants the cluster caught up
 * restarts them instead of waiting that out.
 */
export async function restartControllers(): Promise<void> {
  const daemons = [kubeControllerManager, kubeScheduler, kwok];
  await Promise.all(daemons.map((d) => stopDaemon(d.name)));
  // A new kwok claims its nodes by their Leases under a new identity: the old claims would hold it
  // off until they expire (40 s).
  const leases = adminKubeConfig().makeApiClient(CoordinationV1Api);
  await Promise.all(
    nodeNames.map((name) =>
      leases.deleteNamespacedLease({ name, namespace: 'kube-node-lease' }).catch(() => undefined),
    ),
  );
  await Promise.all(daemons.map(startAndWait));
}

async function startAndWait(d: Daemon): Promise<void> {
  const spec = await d.prepare();
  await startDaemon({ name: d.name, ...spec });
  await pollUntil(() => d.health(), { timeoutMs: d.startTimeoutMs });
}
