import { spawn } from 'node:child_process';
import path from 'node:path';
import { CancelledError, cancelledBy, killGroup, throwIfCancelled, trackChildGroup } from './cancel.js';
import { KubelineError } from './errors.js';
import { addSecret, createLogger, mask } from './log.js';

export interface ExecOptions {
  cwd?: string;
  /** Added to (not replacing) the current environment. */
  env?: NodeJS.ProcessEnv;
  /** Written to the child's stdin, then closed. */
  input?: string | Buffer;
  timeoutMs?: number;
  /** Extra values to mask in everything this call prints or returns in errors. */
  secrets?: string[];
  /** Do not echo the child's output to the log (it is still captured). */
  silent?: boolean;
  /** Return a non-zero exit instead of throwing. */
  allowFailure?: boolean;
  /**
   * Stops the tool early (SIGTERM to its process group, SIGKILL after `stopGraceMs`, default 5 s):
   * the caller has its answer. The result then says `stopped` and is returned, not thrown.
   */
  signal?: AbortSignal;
  /** A number, or chosen by the abort's reason (0: SIGKILL at once, the tool may do nothing more). */
  stopGraceMs?: number | ((reason: unknown) => number);
}

export interface ExecResult {
  code: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** Ended by `signal`. */
  stopped?: boolean;
}

/** A tool that ran and failed: the message says which, the details carry its stderr tail. */
export class ToolError extends KubelineError {
  /** Stopped by its timeout, not failed by itself. */
  readonly timedOut: boolean;
  constructor(
    readonly tool: string,
    readonly code: number | null,
    readonly stderr: string,
    reason: string,
  ) {
    const tail = mask(stderr).trimEnd().split('\n').slice(-20);
    super(`${tool} ${reason}`, tail[0] === '' ? [] : tail);
    this.timedOut = reason.startsWith('timed out');
  }
}

const STDERR_TAIL_BYTES = 64 * 1024;

/**
 * The one way kubeline runs a tool: an argv array (never a shell), output streamed line by line
 * through the masking logger and captured, a timeout that kills the whole process group.
 */
export async function exec(
  command: string,
  args: readonly string[],
  opts: ExecOptions = {},
): Promise<ExecResult> {
  for (const s of opts.secrets ?? []) addSecret(s);
  // A cancelled job starts no further tool.
  throwIfCancelled();
  const logger = createLogger();
  const tool = path.basename(command);
  const started = Date.now();
  if (!opts.silent) logger.info(`[command]${command} ${args.map(quoteForLog).join(' ')}`);
  const child = spawn(command, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
    shell: false,
  });
  const untrack = child.pid ? trackChildGroup(child.pid) : () => undefined;
  let stdout = '';
  let stderr = '';
  const echo = (chunkText: string, pending: { rest: string }) => {
    if (opts.silent) return;
    const lines = (pending.rest + chunkText).split('\n');
    pending.rest = lines.pop() ?? '';
    for (const l of lines) logger.info(l);
  };
  const outPending = { rest: '' };
  const errPending = { rest: '' };
  child.stdout.setEncoding('utf8').on('data', (d: string) => {
    stdout += d;
    echo(d, outPending);
  });
  child.stderr.setEncoding('utf8').on('data', (d: string) => {
    stderr = (stderr + d).slice(-STDERR_TAIL_BYTES);
    echo(d, errPending);
  });
  child.stdin.on('error', () => {}); // a child that exits before reading its stdin is not our error
  child.stdin.end(opts.input ?? '');

  const stop = (graceMs: number) => {
    if (!child.pid) return;
    const pid = child.pid;
    if (graceMs <= 0) return killGroup(pid, 'SIGKILL');
    killGroup(pid, 'SIGTERM');
    setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs).unref();
  };
  let timedOut = false;
  const timer =
    opts.timeoutMs && opts.timeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          stop(5000);
        }, opts.timeoutMs)
      : undefined;
  let stopped = false;
  const onStop = () => {
    stopped = true;
    const grace = opts.stopGraceMs;
    stop(typeof grace === 'function' ? grace(opts.signal?.reason) : (grace ?? 5000));
  };
  if (opts.signal?.aborted) onStop();
  else opts.signal?.addEventListener('abort', onStop, { once: true });

  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT') reject(new ToolError(tool, null, '', `was not found (${command})`));
      else reject(err);
    });
    child.on('close', (c, signal) => resolve(c ?? (signal ? 128 : null)));
  });
  if (timer) clearTimeout(timer);
  opts.signal?.removeEventListener('abort', onStop);
  untrack();
  for (const p of [outPending, errPending]) if (p.rest && !opts.silent) logger.info(p.rest);
  const result = { code: code ?? 1, stdout, stderr, durationMs: Date.now() - started };
  const cancelled = cancelledBy();
  if (cancelled) throw new CancelledError(cancelled);
  if (stopped) return { ...result, stopped };
  if (timedOut)
    throw new ToolError(tool, code, stderr, `timed out after ${Math.round((opts.timeoutMs ?? 0) / 1000)}s`);
  if (result.code !== 0 && !opts.allowFailure)
    throw new ToolError(tool, code, stderr, `failed with exit code ${result.code}`);
  return result;
}

/** Only for display: the command is never run through a shell. */
function quoteForLog(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}
