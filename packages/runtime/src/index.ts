export { KubelineError, UserError, InputError, isExpectedFailure } from './errors.js';
export {
  detectPlatform,
  runnerTemp,
  toolCacheDir,
  prepareRunnerDirs,
  reportDir,
  runUrl,
  type PlatformName,
} from './platform.js';
export { log, createLogger, addSecret, mask, clearSecrets, type Logger } from './log.js';
export {
  input,
  readInputs,
  rawInput,
  credentialPair,
  splitList,
  type InputParser,
  type InputSpec,
  type InputValues,
} from './inputs.js';
export { parseDuration, formatDuration } from './duration.js';
export type { ActionMeta, InputDecl, OutputDecl } from './action-meta.js';
export {
  createOutputWriter,
  DotenvOutputs,
  JsonOutputs,
  dotenvKey,
  dotenvPath,
  DOTENV_MAX_BYTES,
  type OutputWriter,
} from './outputs.js';
export { Summary } from './summary.js';
export { retry, isTransient, isTransientStatus, TransientError, type RetryOptions } from './retry.js';
export { exec, ToolError, type ExecOptions, type ExecResult } from './exec.js';
export { createState, stateFile, type StepState } from './state.js';
export { run, type ActionContext, type OutputValue } from './run.js';
export { addToPath } from './path.js';
export { createWorkDir, removeWorkDir, SOCKET_NAME_BYTES, workDirPrefix } from './work-dir.js';
export { yamlErrorLine } from './yaml-error.js';
export {
  CancelledError,
  jobSignal,
  cancelledBy,
  throwIfCancelled,
  onCancel,
  signalExitCode,
} from './cancel.js';
export { envNumber, type EnvNumberRule } from './env-number.js';
