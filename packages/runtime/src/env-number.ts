// Tuning knobs read from the environment (KUBELINE_RETRY_ATTEMPTS, …): a value that is not a number
// in range is a one-line error naming the variable, never a NaN that silently disables a bound.
import { UserError } from './errors.js';

export interface EnvNumberRule {
  min: number;
  max: number;
  integer?: boolean;
}

export function envNumber(
  name: string,
  fallback: number,
  rule: EnvNumberRule,
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return fallback;
  const n = Number(raw.trim());
  const ok = Number.isFinite(n) && n >= rule.min && n <= rule.max && (!rule.integer || Number.isInteger(n));
  if (!ok)
    throw new UserError(
      `environment variable ${name}: ${JSON.stringify(raw)} is not valid; allowed: ${rule.integer ? 'an integer' : 'a number'} from ${rule.min} to ${rule.max}`,
    );
  return n;
}
