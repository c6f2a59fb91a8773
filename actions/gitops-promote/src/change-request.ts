// pull-request mode: the promotion branch proposed into the followed branch, on the forge the
// repository lives on. A request already open for that branch is updated, never duplicated.
import type { ActionContext } from '@kubeline/runtime';
import type { ImageContract } from '@kubeline/image';
import {
  gitHubPullRequests,
  gitLabMergeRequests,
  type ChangeRequestResult,
  type PromotionResult,
} from '@kubeline/gitops';
import type { OutputName } from './action.generated.js';
import type { Inputs } from './inputs.js';
import type { PromotePlan } from './plan.js';

const API_MS = 30_000;

function client(inputs: Inputs, p: PromotePlan) {
  const forge = p.forge!;
  const apiUrl = inputs['forge-api-url']?.toString().replace(/\/$/, '');
  if (forge.kind === 'github')
    return gitHubPullRequests({
      token: forge.token,
      repository: p.remote.project,
      timeoutMs: API_MS,
      ...(apiUrl ? { apiUrl } : {}),
    });
  return gitLabMergeRequests({
    token: forge.token,
    project: p.remote.project,
    timeoutMs: API_MS,
    apiUrl: apiUrl ?? process.env.CI_API_V4_URL ?? `https://${p.remote.host}/api/v4`,
  });
}

function body(contract: ImageContract, result: PromotionResult): string {
  const rows = result.changes.map(
    (c) => `| ${c.file} | \`${c.path}\` | \`${c.old ?? ''}\` | ${c.removed ? '(removed)' : `\`${c.new}\``} |`,
  );
  return [
    `Promotes \`${contract.name}@${contract.digest}\`.`,
    '',
    '| file | path | before | after |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
    '_Opened by kubeline gitops-promote; a later promotion of this environment updates this request._',
  ].join('\n');
}

export async function openChangeRequest(
  ctx: ActionContext<OutputName>,
  inputs: Inputs,
  p: PromotePlan,
  contract: ImageContract,
  result: PromotionResult,
): Promise<ChangeRequestResult> {
  const title = `Promote ${contract.name} to ${contract.digest.slice(0, 19)}${inputs.environment ? ` in ${inputs.environment}` : ''}`;
  const r = await client(inputs, p).openOrUpdate({
    base: inputs.branch,
    head: result.pushedTo,
    title: inputs.message || title,
    body: body(contract, result),
    labels: inputs['pull-request-labels'],
    reviewers: inputs['pull-request-reviewers'],
    autoMerge: inputs['auto-merge'] === 'false' ? false : inputs['auto-merge'],
  });
  ctx.output('pull-request-url', r.url);
  ctx.output('pull-request-number', r.number);
  ctx.log.info(`${r.created ? 'opened' : 'updated'} ${r.url}`);
  if (r.autoMerge === 'unavailable')
    ctx.log.warning(`auto-merge is not available on ${r.url}: ${r.autoMergeReason ?? 'no reason given'}`);
  return r;
}
