// dry-run: what the deploy would change, resource by resource, with nothing applied.
import { KubelineError } from '@kubeline/runtime';
import { deployedRevision, diffManifests, manifestOf } from '@kubeline/helm';
import { summarizeDryRun } from './deploy-report.js';
import type { Deploy } from './prepare.js';
import { failureLine } from './upgrade.js';
import { upgradeArgs } from './upgrade-run.js';

export async function dryRun(d: Deploy): Promise<void> {
  const { ctx, inputs, helm, cluster, target, facts } = d;
  const history = await d.early;
  facts.previous = deployedRevision(history)?.revision;
  // The live manifest is read while helm renders, not before it starts.
  const previous = facts.previous;
  const reading = previous
    ? manifestOf(helm, cluster, target, inputs.release, previous)
    : Promise.resolve('');
  reading.catch(() => undefined);
  const cmd = await upgradeArgs(d, { dryRun: true, deployId: '', name: 'dry-run' });
  const r = await helm
    .run(cmd.args, { env: cmd.env, silent: true, allowFailure: true })
    .finally(() => cmd.gate.close());
  const live = await reading;
  if (r.code !== 0)
    throw new KubelineError(
      `dry run of release ${inputs.release} failed: ${failureLine(r.stderr, cmd.gate.report)}`,
    );
  const rendered = JSON.parse(r.stdout) as { manifest: string };
  const changes = diffManifests(live, rendered.manifest, target.namespace);
  facts.status = 'dry-run';
  facts.durationMs = Date.now() - d.started;
  ctx.output('status', 'dry-run');
  ctx.output('previous-revision', facts.previous ?? '');
  ctx.output('revision', facts.previous ?? '');
  ctx.output('resources', changes);
  const n = changes.filter((c) => c.change !== 'unchanged').length;
  ctx.log.info(`dry run: ${n} of ${changes.length} resources would change; nothing was applied`);
  summarizeDryRun(ctx.summary, facts, changes);
}
