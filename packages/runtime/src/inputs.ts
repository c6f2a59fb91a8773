import { InputError, UserError } from './errors.js';
import { formatDuration, parseDuration } from './duration.js';
import { addSecret } from './log.js';
import type { ActionMeta } from './action-meta.js';

/** Turns the raw text of one input into a typed value, or throws an InputError. */
export interface InputParser<T> {
  parse(raw: string, name: string): T;
  /** What the value looks like, for `--help` and docs. */
  readonly type: string;
  /** Values that must be masked in every log. */
  readonly secret?: boolean;
}

const TRUE = ['true', 'yes', 'on', '1'];
const FALSE = ['false', 'no', 'off', '0'];

function parser<T>(type: string, parse: (raw: string, name: string) => T, secret = false): InputParser<T> {
  return { type, parse, secret };
}

/** Splits on newlines or commas; blank items and `#` comment lines are dropped. */
export function splitList(raw: string): string[] {
  return raw
    .split(/\r?\n|,/)
    .map((s) => s.trim())
    .filter((s) => s !== '' && !s.startsWith('#'));
}

/**
 * A list given as a JSON array (how a GitLab component passes a `type: array` input) becomes one item
 * per line, which every list parser reads. Any other text is left as it is.
 */
export function listFromJsonArray(raw: string): string {
  const text = raw.trim();
  if (!text.startsWith('[')) return raw;
  try {
    const items: unknown = JSON.parse(text);
    if (Array.isArray(items) && items.every((i) => ['string', 'number', 'boolean'].includes(typeof i)))
      return items.map(String).join('\n');
  } catch {
    // not JSON: a list parser reports it
  }
  return raw;
}

/** A single-line input never carries a line break or a NUL (they would smuggle extra lines/args). */
function singleLine(v: string, name: string): string {
  if (/[\r\n\0]/.test(v)) throw new InputError(name, v, 'it must be a single line');
  return v;
}

/** setTimeout's largest delay. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export const input = {
  string: (opts: { pattern?: RegExp; allowed?: string } = {}) =>
    parser<string>('string', (raw, name) => {
      const v = singleLine(raw.trim(), name);
      if (opts.pattern && v !== '' && !opts.pattern.test(v))
        throw new InputError(name, v, opts.allowed ?? `it must match ${opts.pattern}`);
      return v;
    }),
  /** Kept verbatim (no trimming): YAML documents, scripts, certificates. */
  multiline: () => parser<string>('multiline text', (raw) => raw),
  secret: () =>
    parser<string>(
      'secret',
      (raw, name) => {
        // Never echoed: the message names the input only.
        if (/[\0]/.test(raw)) throw new UserError(`input "${name}": the secret contains a NUL character`);
        return raw.trim();
      },
      true,
    ),
  boolean: () =>
    parser<boolean>('boolean', (raw, name) => {
      const v = raw.trim().toLowerCase();
      if (TRUE.includes(v)) return true;
      if (FALSE.includes(v)) return false;
      throw new InputError(name, raw, 'allowed: true or false');
    }),
  number: (opts: { min?: number; max?: number; integer?: boolean } = {}) =>
    parser<number | undefined>('number', (raw, name) => {
      const v = raw.trim();
      if (v === '') return undefined;
      const n = Number(v);
      const range = `${opts.integer ? 'an integer' : 'a number'}${opts.min !== undefined ? ` ≥ ${opts.min}` : ''}${opts.max !== undefined ? ` ≤ ${opts.max}` : ''}`;
      if (!Number.isFinite(n) || (opts.integer && !Number.isInteger(n)))
        throw new InputError(name, v, `allowed: ${range}`);
      if ((opts.min !== undefined && n < opts.min) || (opts.max !== undefined && n > opts.max))
        throw new InputError(name, v, `allowed: ${range}`);
      return n;
    }),
  list: () => parser<string[]>('list (newline or comma separated)', (raw) => splitList(raw)),
  /** Durations like `90s`, `5m`, `1h`; returned in milliseconds. */
  duration: (opts: { min?: number; max?: number } = {}) =>
    parser<number | undefined>('duration (e.g. 90s, 5m)', (raw, name) => {
      const v = raw.trim();
      if (v === '') return undefined;
      const ms = parseDuration(v);
      // No timer runs longer than Node's (24.8 days): a longer one would fire at once.
      const max = Math.min(opts.max ?? MAX_TIMER_MS, MAX_TIMER_MS);
      if (!Number.isFinite(ms)) throw new InputError(name, v, 'allowed: a duration such as 90s, 5m or 1h30m');
      if ((opts.min !== undefined && ms < opts.min) || ms > max)
        throw new InputError(
          name,
          v,
          `allowed: a duration from ${formatDuration(opts.min ?? 0)} to ${formatDuration(max)}`,
        );
      return ms;
    }),
  enum: <const T extends string>(options: readonly T[]) =>
    parser<T>(options.join(' | '), (raw, name) => {
      const v = raw.trim();
      if (v.length > 200) throw new InputError(name, v, `allowed: ${options.join(', ')}`);
      if (!(options as readonly string[]).includes(v))
        throw new InputError(name, v, `allowed: ${options.join(', ')}`);
      return v as T;
    }),
  json: <T = unknown>() =>
    parser<T | undefined>('JSON', (raw, name) => {
      const v = raw.trim();
      if (v === '') return undefined;
      try {
        return JSON.parse(v) as T;
      } catch (e) {
        throw new InputError(
          name,
          v.length > 80 ? `${v.slice(0, 77)}...` : v,
          `it must be JSON (${(e as Error).message})`,
        );
      }
    }),
  url: (opts: { protocols?: string[] } = {}) =>
    parser<URL | undefined>('URL', (raw, name) => {
      const v = singleLine(raw.trim(), name);
      if (v === '') return undefined;
      const protocols = opts.protocols ?? ['http:', 'https:'];
      let u: URL;
      try {
        u = new URL(v);
      } catch {
        throw new InputError(
          name,
          v,
          `it must be an absolute URL (${protocols.map((p) => p.slice(0, -1)).join(' or ')})`,
        );
      }
      if (!protocols.includes(u.protocol))
        throw new InputError(name, v, `allowed schemes: ${protocols.map((p) => p.slice(0, -1)).join(', ')}`);
      return u;
    }),
};

export type InputSpec<Name extends string> = { [K in Name]: InputParser<unknown> };
export type InputValues<S> = { [K in keyof S]: S[K] extends InputParser<infer T> ? T : never };

/**
 * Where an input's raw text comes from. GitHub sets `INPUT_<NAME>` keeping dashes; GitLab and
 * shells cannot name variables with dashes, so `INPUT_<NAME_WITH_UNDERSCORES>` is read too.
 */
export function rawInput(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const upper = name.replace(/ /g, '_').toUpperCase();
  return env[`INPUT_${upper}`] ?? env[`INPUT_${upper.replace(/-/g, '_')}`];
}

/** Reads and validates every input an action declares, applying action.yml defaults off GitHub. */
export function readInputs<S extends InputSpec<string>>(
  meta: ActionMeta,
  spec: S,
  env: NodeJS.ProcessEnv = process.env,
): InputValues<S> {
  const values: Record<string, unknown> = {};
  for (const [name, p] of Object.entries(spec)) {
    const decl = meta.inputs[name];
    if (!decl) throw new Error(`bug: input ${name} is parsed but not declared in ${meta.name}/action.yml`);
    const given = rawInput(name, env);
    const text = given !== undefined && p.type.startsWith('list') ? listFromJsonArray(given) : given;
    const raw = text === undefined || text === '' ? (decl.default ?? '') : text;
    if (decl.required && raw.trim() === '')
      throw new UserError(`input "${name}" is required: ${decl.description}`);
    if (p.secret) addSecret(raw.trim());
    values[name] = p.parse(raw, name);
  }
  return values as InputValues<S>;
}

/**
 * A username and password given as two inputs: both or neither. The message names the missing one
 * (never the password's value).
 */
export function credentialPair(
  username: string,
  password: string,
  names: { username: string; password: string },
): { username: string; password: string } | undefined {
  if (!username && !password) return undefined;
  if (!password) throw new InputError(names.password, '', `it is required when ${names.username} is set`);
  if (!username) throw new InputError(names.username, '', `it is required when ${names.password} is set`);
  return { username, password };
}
