import { isExpectedFailure } from './errors.js';
import { createLogger, mask, type Logger } from './log.js';
import { createOutputWriter } from './outputs.js';
import { detectPlatform, prepareRunnerDirs, type PlatformName } from './platform.js';
import { createState, type StepState } from './state.js';
import { createWorkDir, removeWorkDir } from './work-dir.js';
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
}

const WORK_DIR_STATE = 'kubeline-work-dir';

type Step<O extends string> = (ctx: ActionContext<O>) => Promise<void>;

/** GitHub runs `post:` with the same entry point; we tell the phases apart by a saved flag. */
function isPostPhase(platform: PlatformName, state: StepState): boolean {
  if (platform === 'github') return state.get('isPost') === 'true';
  return process.env.KUBELINE_PHASE === 'post';
}

/**
 * Runs an action's main (or post) step with the same contract everywhere: outputs and summary are
 * written even when the step fails; a user mistake is one line and exit 1; a bug keeps its stack.
 */
export async function run<O extends string>(
  meta: ActionMeta & { outputs: Record<O, unknown> },
  main: Step<O>,
  post?: Step<O>,
): Promise<void> {
  prepareRunnerDirs();
  const platform = detectPlatform();
  const log = createLogger(platform);
  const state = createState(meta.name);
  const summary = new Summary();
  const stdout = guardStdout(platform);
  const writer = createOutputWriter(meta.name, platform, stdout);
  const declared = new Set(Object.keys(meta.outputs));
  let workDir: string | undefined;
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
  };
  const post_ = isPostPhase(platform, state);
  try {
    if (post_) {
      try {
        await post?.(ctx);
      } finally {
        removeWorkDir(state.get(WORK_DIR_STATE), meta.name);
      }
    } else {
      if (platform === 'github' && meta.post) state.set('isPost', 'true');
      try {
        await main(ctx);
      } finally {
        if (workDir) removeWorkDir(workDir, meta.name);
      }
    }
  } catch (err) {
    process.exitCode = 1;
    if (isExpectedFailure(err)) {
      log.error(`${meta.name}: ${err.message}`);
      for (const line of err.details) log.info(`  ${line}`);
    } else {
      const e = err instanceof Error ? err : new Error(String(err));
      log.error(`${meta.name}: unexpected error, please report it as a kubeline bug: ${e.message}`);
      log.info(e.stack ?? String(e));
    }
  } finally {
    writer.flush();
    const file = summary.write(meta.name);
    if (file && platform !== 'github') log.info(`summary: ${file}`);
  }
}
