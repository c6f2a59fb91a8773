import { command } from './github-commands.js';
import { detectPlatform, type PlatformName } from './platform.js';

const MASK = '***';
const secrets = new Set<string>();

/**
 * Registers a value that must never be printed. On GitHub the runner masks it too; on GitLab and
 * the CLI our own writers are the only guard, so every line we print passes through `mask`.
 */
export function addSecret(value: string | undefined): void {
  if (!value) return;
  for (const v of [value, ...value.split(/\r?\n/)]) {
    const t = v.trim();
    if (t.length >= 3) secrets.add(t);
  }
  if (detectPlatform() === 'github') process.stdout.write(command('add-mask', value));
}

export function mask(text: string): string {
  let out = text;
  // Longest first, so a secret containing another is replaced whole.
  for (const s of [...secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(MASK);
  return out;
}

/** Only for tests. */
export function clearSecrets(): void {
  secrets.clear();
}

export interface Logger {
  info(message: string): void;
  debug(message: string): void;
  warning(message: string, where?: { file?: string; line?: number }): void;
  error(message: string, where?: { file?: string; line?: number }): void;
  group<T>(title: string, fn: () => Promise<T>): Promise<T>;
}

function writeLine(stream: NodeJS.WriteStream, text: string): void {
  stream.write(mask(text) + '\n');
}

/** GitHub wants workflow commands on stdout; the CLI keeps stdout for the JSON result. */
export function createLogger(platform: PlatformName = detectPlatform()): Logger {
  const out = platform === 'cli' ? process.stderr : process.stdout;
  const debugOn = process.env.RUNNER_DEBUG === '1' || process.env.KUBELINE_DEBUG === '1';
  if (platform === 'github') {
    return {
      info: (m) => writeLine(out, m),
      debug: (m) => out.write(command('debug', mask(m))),
      warning: (m, w) => out.write(command('warning', mask(m), { file: w?.file, line: w?.line })),
      error: (m, w) => out.write(command('error', mask(m), { file: w?.file, line: w?.line })),
      group: async (title, fn) => {
        writeLine(out, `::group::${title}`);
        try {
          return await fn();
        } finally {
          writeLine(out, '::endgroup::');
        }
      },
    };
  }
  const where = (w?: { file?: string; line?: number }) =>
    w?.file ? ` (${w.file}${w.line ? `:${w.line}` : ''})` : '';
  return {
    info: (m) => writeLine(out, m),
    debug: (m) => {
      if (debugOn) writeLine(out, `debug: ${m}`);
    },
    warning: (m, w) => writeLine(out, `warning: ${m}${where(w)}`),
    error: (m, w) => writeLine(out, `error: ${m}${where(w)}`),
    group: async (title, fn) => {
      writeLine(out, `── ${title}`);
      return fn();
    },
  };
}

export const log: Logger = {
  info: (m) => createLogger().info(m),
  debug: (m) => createLogger().debug(m),
  warning: (m, w) => createLogger().warning(m, w),
  error: (m, w) => createLogger().error(m, w),
  group: (t, fn) => createLogger().group(t, fn),
};
