// Deadline-bound polling of real endpoints (never a blind sleep).
import { setTimeout as delay } from 'node:timers/promises';

export interface PollOptions {
  timeoutMs: number;
  intervalMs?: number;
  /** Checked on every round: throw to abort early (e.g. the daemon exited). */
  abortIf?: () => void;
}

export class DeadlineError extends Error {}

/** Calls probe until it returns a truthy value or the deadline passes; the last probe error is reported. */
export async function pollUntil<T>(
  probe: () => T | Promise<T>,
  options: PollOptions,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown;
  for (;;) {
    options.abortIf?.();
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      lastError = undefined;
    } catch (error) {
      lastError = error;
    }
    if (Date.now() >= deadline) {
      const reason = lastError instanceof Error ? `: ${lastError.message}` : '';
      throw new DeadlineError(`timed out after ${options.timeoutMs} ms${reason}`);
    }
    await delay(options.intervalMs ?? 250);
  }
}
