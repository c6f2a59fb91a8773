import { addSecret, createLogger } from './log.js';
import type { PlatformName } from './platform.js';

let realWrite: ((text: string) => void) | undefined;

/**
 * @actions/* libraries print GitHub workflow commands (`::debug::`, `::add-mask::`) on stdout. Off
 * GitHub those would pollute the CLI's JSON and GitLab's log, so we translate them, and on the CLI
 * everything printed goes to stderr. Returns a writer for the real stdout (the CLI's JSON result).
 */
export function guardStdout(platform: PlatformName): (text: string) => void {
  if (realWrite) return realWrite;
  const original = process.stdout.write.bind(process.stdout) as (chunk: string) => boolean;
  realWrite = (text) => void original(text);
  if (platform === 'github') return realWrite;
  const logger = createLogger(platform);
  const passThrough =
    platform === 'cli' ? (t: string) => process.stderr.write(t) : (t: string) => original(t);
  process.stdout.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    const text = typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString();
    const plain: string[] = [];
    for (const line of text.split(/(?<=\n)/)) {
      const m = /^::([a-z-]+)(?: [^:]*)?::(.*)\n?$/.exec(line);
      if (!m) plain.push(line);
      else if (m[1] === 'add-mask') addSecret(m[2]);
      else if (m[1] === 'debug') logger.debug(m[2] ?? '');
      else if (m[1] === 'warning') logger.warning(m[2] ?? '');
      else if (m[1] === 'error') logger.error(m[2] ?? '');
      else if (m[1] === 'notice') logger.info(m[2] ?? '');
    }
    if (plain.length) passThrough(plain.join(''));
    const cb = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
    cb?.();
    return true;
  }) as typeof process.stdout.write;
  return realWrite;
}
