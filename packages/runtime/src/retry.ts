import { setTimeout as sleep } from 'node:timers/promises';
import { jobSignal, throwIfCancelled } from './cancel.js';
import { envNumber } from './env-number.js';
import { KubelineError } from './errors.js';

/**
 * An error worth retrying: the network dropped, or the server said "later". One that outlasts its
 * retries is an expected failure (one line, no stack), not a bug.
 */
export class TransientError extends KubelineError {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EPIPE',
  'EAI_AGAIN',
  'UND_ERR_SOCKET',
]);

export function isTransientStatus(status: number): boolean {
  return status === 408 || status === 429 || (status >= 500 && status <= 599);
}

export function isTransient(err: unknown): boolean {
  if (err instanceof TransientError) return true;
  const e = err as { code?: string; cause?: { code?: string } } | undefined;
  return TRANSIENT_CODES.has(e?.code ?? '') || TRANSIENT_CODES.has(e?.cause?.code ?? '');
}

export interface RetryOptions {
  attempts?: number;
  /** First wait; doubles each time up to maxDelayMs, with jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  retryable?: (err: unknown) => boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Retries transient failures with exponential backoff; anything else fails at once. */
export async function retry<T>(what: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts =
    opts.attempts ?? envNumber('KUBELINE_RETRY_ATTEMPTS', 4, { min: 1, max: 20, integer: true });
  const base = opts.baseDelayMs ?? envNumber('KUBELINE_RETRY_BASE_MS', 1000, { min: 0, max: 60_000 });
  const max = opts.maxDelayMs ?? 15_000;
  const retryable = opts.retryable ?? isTransient;
  for (let attempt = 1; ; attempt++) {
    try {
      return await what(attempt);
    } catch (err) {
      if (attempt >= attempts || !retryable(err)) throw err;
      const delay = Math.min(max, base * 2 ** (attempt - 1)) * (0.8 + Math.random() * 0.4);
      opts.onRetry?.(err, attempt, delay);
      // A cancelled job does not sit out a backoff.
      await sleep(delay, undefined, { signal: jobSignal }).catch(() => throwIfCancelled());
    }
  }
}
