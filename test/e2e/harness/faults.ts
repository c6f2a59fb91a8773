// Faults injected into the real stack: the API server stopped (SIGTERM, as a control-plane upgrade
// or a crash does) and started again with the same flags, storage and certificates.
import { kubeApiserver } from '../../stack/kubernetes.js';
import { startDaemon, stopDaemon } from '../../stack/processes.js';
import { pollUntil } from '../../stack/wait.js';

/** Stops the API server, keeps it away for `downMs`, starts it again and waits until it serves. */
export async function restartApiserver(downMs: number): Promise<void> {
  await stopDaemon(kubeApiserver.name);
  await new Promise((r) => setTimeout(r, downMs));
  const spec = await kubeApiserver.prepare();
  await startDaemon({ name: kubeApiserver.name, ...spec });
  await pollUntil(() => kubeApiserver.health(), { timeoutMs: kubeApiserver.startTimeoutMs });
}
