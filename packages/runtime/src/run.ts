import { enableCompileCache } from './compile-cache.js';
import { CancelledError, cancelledBy, handleCancellation, runCleanups, signalExitCode } from './cancel.js';
import { envNumber } from './env-number.js';
import { isExpectedFailure } from './errors.js';
import { createLogger, mask, type Logger } from './log.js';
import { createOutputWriter } from './outputs.js';
import { detectPlatform, prepareRunnerDirs, type PlatformName } from './platform.js';
import { createState, type StepState } from './state.js';
import {
  createSocketDir,
  createWorkDir,
  leavesRoomForSocket,
  removeSocketDir,
  removeWorkDir,
} from './work-dir.js';
import { guardStdout } from './stdout-guard.js';
import { Summary } from './summary.js';
import type { ActionMeta } from './action-meta.js';

export type OutputValue = string | number | boolean | object;

export interface ActionContext<O extends string = string> {
  meta: ActionMeta;
  platform: PlatformName;
  log: Logger;
  summary: Summary;
  state: StepState;
  /** Objects are written as JSON; booleans and numbers as text. */
  output(name: O, value: OutputValue): void;
  /** This run's private 0700 folder, made on first use; removed after main and by the post step. */
  workDir(): string;
  /**
   * A private folder with room for a unix socket's name (SOCKET_NAME_BYTES): the work dir when its
   * path is short enough, else a folder under the system temp dir, removed like the work dir.
   */
  socketDir(): string;
}

const WORK_DIR_STATE = 'kubeline-work-dir';
const SOCKET_DIR_STATE = 'kubeline-socket-dir';

type Step<O extends string> = (ctx: ActionContext<O>) => Promise<void>;

/** GitHub runs `post:` with the same entry point; we tell the phases apart by a saved flag. */
function isPostPhase(platform: PlatformName, state: StepState): boolean {
  if (platform === 'github') return state.get('isPost') === 'true';
  return process.env.KUBELINE_PHASE === 'post';
}

interface Runner<O extends string> {
  ctx: ActionContext<O>;
  /** Writes outputs (unless told not to) and the summary, once. */
  finish(writeOutputs: boolean): void;
  /** Removes the private folders this run made (work dir, socket dir). */
  removeOwnDirs(): void;
}

function createRunner<O extends string>(meta: ActionMeta & { outputs: Record<O, unknown> }): Runner<O> {
  prepareRunnerDirs();
  const platform = detectPlatform();
  const log = createLogger(platform);
  const state = createState(meta.name);
  const summary = new Summary();
  const stdout = guardStdout(platform);
  const writer = createOutputWriter(meta.name, platform, stdout);
  const declared = new Set(Object.keys(meta.outputs));
  let workDir: string | undefined;
  let socketDir: string | undefined;
  let finished = false;
  const ctx: ActionContext<O> = {
    meta,
    platform,
    log,
    summary,
    state,
    output(name, value) {
      if (!declared.has(name))
        throw new Error(`bug: output ${name} is not declared in ${meta.name}/action.yml`);
      const json = typeof value === 'object';
      const text = json ? JSON.stringify(value) : String(value);
      // GitHub's runner drops outputs holding a secret; we mask them everywhere and say so.
      const safe = mask(text);
      if (safe !== text) log.warning(`output ${name} contained a secret; it was masked`);
      writer.set(name, safe, { json });
    },
    workDir() {
      if (!workDir) {
        workDir = createWorkDir(meta.name);
        state.set(WORK_DIR_STATE, workDir);
      }
      return workDir;
    },
    socketDir() {
      if (!socketDir) {
        const own = ctx.workDir();
        socketDir = leavesRoomForSocket(own) ? own : createSocketDir(meta.name);
        if (socketDir !== own) state.set(SOCKET_DIR_STATE, socketDir);
      }
      return socketDir;
    },
  };
  const finish = (writeOutputs: boolean) => {
    if (finished) return;
    finished = true;
    if (writeOutputs) writer.flush();
    const file = summary.write(meta.name);
    if (file && platform !== 'github') log.info(`summary: ${file}`);
  };
  const removeOwnDirs = () => {
    if (socketDir !== workDir) removeSocketDir(socketDir, meta.name);
    removeWorkDir(workDir, meta.name);
  };
  return { ctx, finish, removeOwnDirs };
}

/** One line for a user mistake or a cancel, the stack for a bug; the exit code says which. */
function report(name: string, log: Logger, err: unknown): void {
  process.exitCode = err instanceof CancelledError ? signalExitCode(err.signal) : 1;
  if (isExpectedFailure(err)) {
    log.error(`${name}: ${err.message}`);
    for (const line of err.details) log.info(`  ${line}`);
  } else {
    const e = err instanceof Error ? err : new Error(String(err));
    log.error(`${name}: unexpected error, please report it as a kubeline bug: ${e.message}`);
    log.info(e.stack ?? String(e));
  }
}

/**
 * Runs an action's main (or post) step with the same contract everywhere: outputs and summary are
 * written even when the step fails; a user mistake is one line and exit 1; a bug keeps its stack;
 * a cancelled job stops its tools, cleans up, and exits 130/143 with one line.
 */
export async function run<O extends string>(
  meta: ActionMeta & { outputs: Record<O, unknown> },
  main: Step<O>,
  post?: Step<O>,
): Promise<void> {
  enableCompileCache(); // before the step's own chunks load
  const { ctx, finish, removeOwnDirs } = createRunner(meta);
  const { log, state, platform } = ctx;
  // A post step has no outputs of its own: writing them would empty the main step's dotenv report.
  const postPhase = isPostPhase(platform, state);
  handleCancellation({
    graceMs: cancelGraceMs(),
    warn: (line) => log.warning(line),
    exit: (signal) => {
      // The main step did not unwind in time: its own dirs go now, the rest is the post step's.
      removeOwnDirs();
      log.error(`${meta.name}: cancelled by ${signal}; the grace period ended before the step unwound`);
      finish(!postPhase);
      process.exit(signalExitCode(signal));
    },
  });
  try {
    if (postPhase) {
      try {
        await post?.(ctx);
      } finally {
        removeWorkDir(state.get(WORK_DIR_STATE), meta.name);
        removeSocketDir(state.get(SOCKET_DIR_STATE), meta.name);
      }
    } else {
      if (platform === 'github' && meta.post) state.set('isPost', 'true');
      try {
        await main(ctx);
      } finally {
        // Clean-ups a cancelled main step did not dispose of itself run before its dirs go.
        if (cancelledBy()) await runCleanups((line) => log.warning(line));
        removeOwnDirs();
      }
    }
  } catch (err) {
    report(meta.name, log, err);
  } finally {
    finish(!postPhase);
  }
}

/** KUBELINE_CANCEL_GRACE_MS, default 5 s: inside GitHub's 7.5 s between SIGINT and SIGTERM. */
function cancelGraceMs(): number {
  try {
    return envNumber('KUBELINE_CANCEL_GRACE_MS', 5000, { min: 0, max: 600_000, integer: true });
  } catch {
    return 5000; // read before the step can report it; the default is the safe reading
  }
}
