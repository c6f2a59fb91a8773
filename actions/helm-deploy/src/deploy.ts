// helm-deploy's entry (see main.ts): inputs are read first, and only inputs that pass load the deploy
// itself (kube, helm, signing, yaml), so a typo fails in the time node takes to start.
import { readInputs, run } from '@kubeline/runtime';
import { action } from './action.generated.js';
import { inputSpec } from './inputs.js';
import type { Ctx } from './prepare.js';

async function main(ctx: Ctx): Promise<void> {
  const started = Date.now();
  const inputs = readInputs(action, inputSpec);
  await (await import('./deploy-steps.js')).deploy(ctx, inputs, started);
}

async function post(ctx: Ctx): Promise<void> {
  await (await import('./post.js')).post(ctx);
}

export const runDeploy = () => run(action, main, post);
