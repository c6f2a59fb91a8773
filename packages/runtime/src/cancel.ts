// A cancelled job: GitHub's runner sends SIGINT, then SIGTERM 7.5 s later and SIGKILL 2.5 s after
// that; GitLab sends SIGTERM, then SIGKILL, then runs after_script. On the first signal kubeline stops
// every tool it started (whole process groups), refuses to start another, and lets the main step
// unwind through its own clean-up (locks released, secrets removed); whatever is still registered
// when the grace period ends runs then, and the process exits. A second signal cuts the grace short.
import { KubelineError } from './errors.js';

/** The job was cancelled: no further tool runs, nothing further is changed. */
export class CancelledError extends KubelineError {
  constructor(readonly signal: NodeJS.Signals) {
    super(`cancelled by ${signal}`);
  }
}

type Cleanup = () => void | Promise<void>;

const controller = new AbortController();
const cleanups = new Set<Cleanup>();
const children = new Set<number>();
let received: NodeJS.Signals | undefined;

/** Aborted when the job is cancelled; long waits (watches, sleeps, retries) listen to it. */
export const jobSignal: AbortSignal = controller.signal;

export function cancelledBy(): NodeJS.Signals | undefined {
  return received;
}

/** Throws CancelledError once the job is cancelled: called before every mutating step. */
export function throwIfCancelled(): void {
  if (received) throw new CancelledError(received);
}

/** Runs `fn` if the job is cancelled before `dispose` is called (a lock, a file, a route to revert). */
export function onCancel(fn: Cleanup): () => void {
  cleanups.add(fn);
  return () => cleanups.delete(fn);
}

/** exec registers each child's process group, so a cancel stops the tool and everything it spawned. */
export function trackChildGroup(pid: number): () => void {
  children.add(pid);
  if (received) killGroup(pid, 'SIGTERM');
  return () => children.delete(pid);
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // already gone
  }
}

/** Runs every registered clean-up once, newest first; one failing does not stop the others. */
export async function runCleanups(warn: (line: string) => void): Promise<void> {
  const pending = [...cleanups].reverse();
  cleanups.clear();
  for (const fn of pending) {
    try {
      await fn();
    } catch (e) {
      warn(`clean-up after cancel failed: ${(e as Error).message}`);
    }
  }
}

export interface CancelOptions {
  /** How long the main step may take to unwind after the first signal. */
  graceMs: number;
  warn: (line: string) => void;
  /** Called when the grace ends (or a second signal comes) with the main step still running. */
  exit: (signal: NodeJS.Signals) => void;
}

/** Installs the SIGINT/SIGTERM handlers for one action run. */
export function handleCancellation(o: CancelOptions): void {
  let forced = false;
  const force = async (signal: NodeJS.Signals) => {
    if (forced) return;
    forced = true;
    for (const pid of children) killGroup(pid, 'SIGKILL');
    await runCleanups(o.warn);
    o.exit(signal);
  };
  const onSignal = (signal: NodeJS.Signals) => {
    if (received) return void force(signal);
    received = signal;
    o.warn(`${signal} received: the job is being cancelled; stopping tools and cleaning up`);
    for (const pid of children) killGroup(pid, 'SIGTERM');
    controller.abort(new CancelledError(signal));
    setTimeout(() => void force(signal), o.graceMs).unref();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
}

/** The exit code a shell gives a process ended by this signal. */
export function signalExitCode(signal: NodeJS.Signals): number {
  return signal === 'SIGINT' ? 130 : signal === 'SIGTERM' ? 143 : 1;
}
