import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { KubelineError, TransientError, isTransientStatus, log, retry } from '@kubeline/runtime';

/** Downloaded bytes whose sha256 is not the pinned one: never extracted, never cached. */
export class ChecksumError extends KubelineError {
  constructor(url: string, expected: string, actual: string) {
    super(`checksum mismatch for ${url}: expected sha256 ${expected}, got ${actual}; nothing was installed`);
  }
}

/**
 * Streams `url` to `dest` while hashing it, retrying transient failures, then checks the sha256.
 * A mismatch deletes the file before throwing, so a bad download can never be used later.
 */
export async function downloadVerified(url: string, dest: string, sha256: string): Promise<void> {
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const actual = await retry(
    async () => {
      const res = await fetch(url, { redirect: 'follow', signal: AbortSignal.timeout(10 * 60_000) }).catch(
        (e: Error) => {
          throw new TransientError(
            `cannot reach ${url}: ${(e.cause as Error | undefined)?.message ?? e.message}`,
          );
        },
      );
      if (!res.ok || !res.body) {
        const msg = `download of ${url} failed: HTTP ${res.status} ${res.statusText}`;
        if (isTransientStatus(res.status)) throw new TransientError(msg, res.status);
        throw new KubelineError(msg);
      }
      const hash = crypto.createHash('sha256');
      const tap = new Transform({
        transform(chunk: Buffer, _enc, done) {
          hash.update(chunk);
          done(null, chunk);
        },
      });
      await pipeline(
        Readable.fromWeb(res.body as import('node:stream/web').ReadableStream),
        tap,
        fs.createWriteStream(dest, { mode: 0o600 }),
      );
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
