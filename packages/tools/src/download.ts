import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import path from 'node:path';
import { KubelineError, TransientError, isTransientStatus, log, retry } from '@kubeline/runtime';

/** Downloaded bytes whose sha256 is not the pinned one: never extracted, never cached. */
export class ChecksumError extends KubelineError {
  constructor(url: string, expected: string, actual: string) {
    super(`checksum mismatch for ${url}: expected sha256 ${expected}, got ${actual}; nothing was installed`);
  }
}

const MAX_REDIRECTS = 5;
const TIMEOUT_MS = 10 * 60_000;

/**
 * One GET, following redirects. node:http(s) rather than fetch: once @actions/tool-cache has loaded
 * its own undici, that undici becomes fetch's global dispatcher, and Node's built-in fetch then fails
 * on later downloads in the same process (seen: an assertion in Parser.finish).
 */
function get(url: URL, redirects = 0): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    // loaded on first use, as are crypto and stream below: a run whose tools are cached never needs them
    const lib =
      url.protocol === 'http:'
        ? process.getBuiltinModule('node:http')
        : process.getBuiltinModule('node:https');
    const req = lib.get(url, { timeout: TIMEOUT_MS }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirects >= MAX_REDIRECTS)
          return reject(new KubelineError(`download of ${url} redirected too often`));
        return resolve(get(new URL(res.headers.location, url), redirects + 1));
      }
      resolve(res);
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) =>
      reject(new TransientError(`cannot reach ${url}: ${e.code ?? e.message}`)),
    );
  });
}

/**
 * Streams `url` to `dest` while hashing it, retrying transient failures, then checks the sha256.
 * A mismatch deletes the file before throwing, so a bad download can never be used later.
 */
export async function downloadVerified(url: string, dest: string, sha256: string): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const actual = await retry(
    async () => {
      const res = await get(new URL(url));
      const status = res.statusCode ?? 0;
      if (status !== 200) {
        res.resume();
        const msg = `download of ${url} failed: HTTP ${status} ${res.statusMessage ?? ''}`.trimEnd();
        if (isTransientStatus(status)) throw new TransientError(msg, status);
        throw new KubelineError(msg);
      }
      const hash = process.getBuiltinModule('node:crypto').createHash('sha256');
      const { Transform } = process.getBuiltinModule('node:stream');
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      try {
        const { pipeline } = process.getBuiltinModule('node:stream/promises');
        await pipeline(res, tap, fs.createWriteStream(dest, { mode: 0o600 }));
      } catch (e) {
        throw new TransientError(`download of ${url} broke off: ${(e as Error).message}`);
      }
      return hash.digest('hex');
    },
    {
      onRetry: (err, attempt, ms) =>
        log.warning(`${(err as Error).message}; retry ${attempt} in ${Math.round(ms)}ms`),
    },
  ).catch((e: unknown) => {
    fs.rmSync(dest, { force: true });
    if (e instanceof TransientError) throw new KubelineError(`${e.message} (gave up after retries)`);
    throw e;
  });
  if (actual !== sha256) {
    fs.rmSync(dest, { force: true });
    throw new ChecksumError(url, sha256, actual);
  }
}
