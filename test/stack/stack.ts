// stack:up / stack:status / stack:down over the units of plan.ts.
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { ensureGobins } from './binaries.js';
import { runCommand } from './command.js';
import type { Daemon, PlannedUnit, Step, Unit } from './component.js';
import { readEnvFile, stackEnv, writeEnv } from './env.js';
import { paths, logFile, stackDir } from './paths.js';
import { ensurePki } from './pki.js';
import { plan } from './plan.js';
import { describeHolder, findPortHolder } from './ports.js';
import { daemonExit, isDaemonRunning, logTail, readPidRecord, startDaemon, stopDaemon } from './processes.js';
import { withStackLock } from './lock.js';
import { pollUntil } from './wait.js';

export type Log = (line: string) => void;

/** A unit that did not come up: carries its log tail for the report. */
export class UnitError extends Error {
  constructor(
    readonly unit: string,
    reason: string,
    readonly logTail?: string,
  ) {
    super(`${unit}: ${reason}`);
  }
}

const pad = (name: string) => name.padEnd(24);
const seconds = (since: number) => `${((Date.now() - since) / 1000).toFixed(1)}s`;
const oneLine = (text: string) => text.replace(/\s*\n\s*/g, ' | ').slice(0, 300);
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

async function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

class UpRun {
  readonly started: Daemon[] = [];
  private failed = false;
  private rolledBack?: Promise<void>;
  private readonly done = new Map<string, Promise<void>>();

  constructor(private readonly log: Log) {}

  bring(planned: PlannedUnit): Promise<void> {
    const name = planned.unit.name;
    let promise = this.done.get(name);
    if (!promise) {
      promise = (async () => {
        await Promise.all(planned.after.map((dep) => this.bring(byName(dep))));
        if (this.failed) throw new UnitError(name, 'skipped: another unit failed');
        try {
          await (planned.unit.kind === 'daemon' ? this.daemon(planned.unit) : this.step(planned.unit));
        } catch (error) {
          this.failed = true;
          throw error;
        }
      })();
      this.done.set(name, promise);
    }
    return promise;
  }

  private async daemon(daemon: Daemon): Promise<void> {
    const since = Date.now();
    if (isDaemonRunning(daemon.name)) {
      try {
        const detail = await withTimeout(daemon.health(), 10_000, daemon.name);
        this.log(`${pad(daemon.name)} reused   ${detail}`);
        return;
      } catch (error) {
        this.log(`${pad(daemon.name)} running but unhealthy (${message(error)}): restarting`);
        await stopDaemon(daemon.name);
      }
    }
    for (const port of daemon.ports) {
      const holder = findPortHolder(port);
      if (holder) throw new UnitError(daemon.name, describeHolder(holder));
    }
    const spec = await daemon.prepare();
    if (this.failed) throw new UnitError(daemon.name, 'skipped: another unit failed');
    await startDaemon({ name: daemon.name, ...spec });
    this.started.push(daemon);
    try {
      const detail = await pollUntil(() => daemon.health(), {
        timeoutMs: daemon.startTimeoutMs,
        abortIf: () => {
          const exit = daemonExit(daemon.name);
          if (exit !== undefined) throw new Error(`exited (${exit}) while starting`);
        },
      });
      this.log(`${pad(daemon.name)} started  ${detail} (${seconds(since)})`);
    } catch (error) {
      throw new UnitError(daemon.name, message(error), `${logFile(daemon.name)}:\n${logTail(daemon.name)}`);
    }
  }

  private async step(step: Step): Promise<void> {
    const since = Date.now();
    try {
      await step.ensure();
      const detail = await pollUntil(() => step.health(), { timeoutMs: 60_000 });
      this.log(`${pad(step.name)} ready    ${detail} (${seconds(since)})`);
    } catch (error) {
      throw error instanceof UnitError ? error : new UnitError(step.name, message(error));
    }
  }

  /** Stops what this run started, newest first: a failed up leaves nothing half-running. Once only:
   * a signal and the failure it causes both ask for it. */
  rollback(): Promise<void> {
    this.failed = true;
    this.rolledBack ??= (async () => {
      // popped, not copied: a daemon whose start was under way when the rollback began is caught too
      for (let daemon = this.started.pop(); daemon; daemon = this.started.pop()) {
        await stopDaemon(daemon.name);
        await daemon.cleanup?.();
        this.log(`${pad(daemon.name)} stopped (rollback)`);
      }
    })();
    return this.rolledBack;
  }
}

function byName(name: string): PlannedUnit {
  const planned = plan.find((p) => p.unit.name === name);
  if (!planned) throw new Error(`plan has no unit ${name}`);
  return planned;
}

const daemons = (): Daemon[] => plan.map((p) => p.unit).filter((u): u is Daemon => u.kind === 'daemon');

async function preflight(log: Log): Promise<void> {
  const { stdout } = await runCommand(['bash', paths.installDebian], { timeoutMs: 20 * 60_000 });
  if (!/all \d+ packages present/.test(stdout)) log(stdout.trim());
  await ensureGobins(log);
  await ensurePki();
}

export async function up(log: Log): Promise<void> {
  mkdirSync(stackDir, { recursive: true });
  await withStackLock(async () => {
    const since = Date.now();
    await preflight(log);
    const run = new UpRun(log);
    const onSignal = (signal: NodeJS.Signals) => {
      log(`stack:up: ${signal}: stopping what this run started`);
      void run.rollback().finally(() => process.exit(130));
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    try {
      const results = await Promise.allSettled(plan.map((p) => run.bring(p)));
      const failures = results
        .filter((r): r is PromiseRejectedResult => r.status === 'rejected')
        .map((r) => r.reason);
      if (failures.length > 0) {
        await run.rollback();
        const real = failures.filter((f) => !(f instanceof UnitError && f.message.includes('skipped')));
        throw real[0] ?? failures[0];
      }
      writeEnv(stackEnv());
      log(`stack is up in ${seconds(since)}; source ${paths.env}`);
    } finally {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    }
  });
}

async function unitStatus(unit: Unit): Promise<{ ok: boolean; detail: string }> {
  if (unit.kind === 'daemon' && !isDaemonRunning(unit.name)) {
    const record = readPidRecord(unit.name);
    return { ok: false, detail: record ? `pid ${record.pid} is dead (stale PID file)` : 'not running' };
  }
  try {
    return { ok: true, detail: await withTimeout(unit.health(), 10_000, unit.name) };
  } catch (error) {
    return { ok: false, detail: message(error) };
  }
}

function envStatus(allDaemonsUp: boolean): { ok: boolean; detail: string } {
  const env = readEnvFile();
  if (!env) return { ok: false, detail: `${paths.env} missing (run npm run stack:up)` };
  if (!allDaemonsUp)
    return { ok: false, detail: `${paths.env} is stale: the stack that wrote it is not (fully) running` };
  const expected = stackEnv();
  const differing = Object.keys(expected).filter((key) => env[key] !== expected[key]);
  if (differing.length > 0) return { ok: false, detail: `stale keys: ${differing.join(', ')}` };
  return { ok: true, detail: paths.env };
}

/** Prints one line per unit; true when everything is healthy. */
export async function status(log: Log): Promise<boolean> {
  const results = await Promise.all(
    plan.map(async (p) => ({ name: p.unit.name, ...(await unitStatus(p.unit)) })),
  );
  const allDaemonsUp = daemons().every((d) => isDaemonRunning(d.name));
  results.push({ name: 'env', ...envStatus(allDaemonsUp) });
  for (const r of results) log(`${pad(r.name)} ${r.ok ? 'ok  ' : 'FAIL'} ${oneLine(r.detail)}`);
  return results.every((r) => r.ok);
}

/** Stops exactly the processes stack:up recorded, dependents first; caches and .stack data stay. */
export async function down(log: Log): Promise<void> {
  if (!existsSync(stackDir)) {
    log('nothing to stop (no .stack/)');
    return;
  }
  await withStackLock(async () => {
    rmSync(paths.env, { force: true }); // nothing may trust it from here on
    for (const daemon of daemons().reverse()) {
      const wasRunning = await stopDaemon(daemon.name);
      await daemon.cleanup?.();
      log(`${pad(daemon.name)} ${wasRunning ? 'stopped' : 'not running'}`);
    }
  });
}
