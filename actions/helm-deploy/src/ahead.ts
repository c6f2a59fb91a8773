// helm started ahead of the lock. Its start, chart load, release read and render (and the
// post-renderer's own start) take as long as the checks and the lock, so they run side by side:
// `helm upgrade` starts once the chart and values are ready, and its post-renderer holds the
// manifests at the apply gate. Until the gate opens helm has only read; it is killed when a check
// fails, the lock was contended, or the release needs recovering, and the deploy then runs helm
// under the lock as before (as it does when helm, let through, refuses a revision that another
// deploy stored meanwhile: see upgrade.ts). It is never `--install`: an install creates a chart's
// CRDs before rendering, so a first install always runs under the lock. KUBELINE_UPGRADE_AHEAD=off
// turns it off.
import type { Logger } from '@kubeline/runtime';
import { startUpgrade, type UpgradeParts, type UpgradeRun } from './upgrade-run.js';

/** Past this, a held helm is not let through: its view of the release is too old to trust. */
const HOLD_LIMIT_MS = 5 * 60_000;

export class AheadUpgrade {
  private ended = false;
  private settled = false;

  private constructor(
    private readonly run: UpgradeRun,
    private readonly startedAt: number,
    private readonly log: Logger,
  ) {
    void run.result.finally(() => (this.ended = true)).catch(() => undefined);
  }

  /** Started unless turned off or dry-running; undefined when not started. */
  static async start(d: UpgradeParts, deployId: string): Promise<AheadUpgrade | undefined> {
    if (d.inputs['dry-run'] || process.env.KUBELINE_UPGRADE_AHEAD === 'off') return undefined;
    // No gate (a socket refused): helm runs under the lock, which says why if it cannot either.
    const run = await startUpgrade(
      d,
      { install: false, held: true, name: 'ahead' },
      deployId,
      HOLD_LIMIT_MS,
    ).catch((e: Error) => void d.ctx.log.debug(`helm not started ahead: ${e.message}`));
    return run && new AheadUpgrade(run, Date.now(), d.ctx.log);
  }

  /**
   * Lets the held manifests be applied: the run to follow, or undefined when helm already ended (it
   * never got past the gate, so it changed nothing) or was held too long.
   */
  go(): UpgradeRun | undefined {
    if (this.ended) return (this.cancel('it ended before the lock was held'), undefined);
    if (Date.now() - this.startedAt > HOLD_LIMIT_MS) return (this.cancel('held too long'), undefined);
    this.settled = true;
    this.run.gate.open();
    return this.run;
  }

  /** True once helm was let past the gate: its outcome is the deploy's. */
  get applied(): boolean {
    return this.run.gate.letThrough;
  }

  /** Kills a helm that was not let through (it has changed nothing); harmless after it ended. */
  cancel(why: string): void {
    if (!this.run.gate.letThrough) this.run.stop.abort(new Error(why));
    this.run.gate.close();
    if (!this.settled) this.log.debug(`helm started ahead not let through: ${why}`);
    this.settled = true;
  }
}
