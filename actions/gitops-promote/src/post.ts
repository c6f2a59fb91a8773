// The post step (GitLab after_script): the kubeconfig main wrote for wait-for is removed even when
// main was killed. The clone, with any deploy key, lives in the run's work dir, which the runtime
// removes itself.
import type { ActionContext } from '@kubeline/runtime';
import { removeWrittenKubeconfig } from '@kubeline/kube';
import type { OutputName } from './action.generated.js';

export async function post(ctx: ActionContext<OutputName>): Promise<void> {
  const kubeconfig = ctx.state.get('kubeconfig');
  if (kubeconfig) removeWrittenKubeconfig(kubeconfig);
  await Promise.resolve();
}
