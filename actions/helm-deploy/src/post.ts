// The post step: the kubeconfig goes (the runtime removes the work dir), and a deploy cut short is
// marked on GitHub.
import { readInputs, runUrl } from '@kubeline/runtime';
import { removeWrittenKubeconfig } from '@kubeline/kube';
import { action } from './action.generated.js';
import { GitHubDeployment } from './github-deployment.js';
import { inputSpec } from './inputs.js';
import type { Ctx } from './prepare.js';

export async function post(ctx: Ctx): Promise<void> {
  const kubeconfig = ctx.state.get('kubeconfig');
  if (kubeconfig) removeWrittenKubeconfig(kubeconfig);
  const id = ctx.state.get('githubDeployment');
  if (id && ctx.state.get('finished') !== 'true') {
    const token = readInputs(action, inputSpec)['github-token'];
    const github = await GitHubDeployment.reopen(
      {
        token,
        environment: '',
        description: '',
        env: process.env,
        logUrl: runUrl(ctx.platform, process.env),
      },
      Number(id),
    );
    await github.status('error', 'the job ended before the deploy finished', ctx.log);
  }
}
