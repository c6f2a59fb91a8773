// gitops-promote's entry: inputs are read first, and only inputs that pass load git, the registry
// and the cluster client, so a typo fails in the time node takes to start.
import { readInputs, run, type ActionContext } from '@kubeline/runtime';
import { action, type OutputName } from './action.generated.js';
import { inputSpec } from './inputs.js';

type Ctx = ActionContext<OutputName>;

async function main(ctx: Ctx): Promise<void> {
  const started = Date.now();
  const inputs = readInputs(action, inputSpec);
  await (await import('./promotion.js')).run(ctx, inputs, started);
}

async function post(ctx: Ctx): Promise<void> {
  await (await import('./post.js')).post(ctx);
}

await run(action, main, post);
