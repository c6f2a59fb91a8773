// The DB mirror loop against a stand-in trivy (a real process): order, rate-limit retries, the
// error naming every mirror, and the stale-cache fallback. The real trivy and registry: test/e2e.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UserError } from '@kubeline/runtime';
import { ensureVulnDb } from '../../actions/trivy-scan/src/vuln-db.js';

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-trivy-mirrors-'));
const calls = path.join(work, 'calls.log');
const trivy = path.join(work, 'trivy');
// Answers like trivy --download-db-only would for a few kinds of mirror, named by their repository.
fs.writeFileSync(
  trivy,
  `#!/bin/sh
repo=""; cache=""
while [ $# -gt 0 ]; do
  case "$1" in --db-repository) repo="$2"; shift;; --cache-dir) cache="$2"; shift;; esac; shift
done
echo "$repo" >> "${calls}"
case "$repo" in
  *ratelimited*) echo "FATAL OCI repository error: GET https://$repo: TOOMANYREQUESTS: retry later" >&2; exit 1;;
  *down*) echo "FATAL dial tcp 127.0.0.1:1: connect: connection refused" >&2; exit 1;;
  *olddb*) mkdir -p "$cache/db"; : > "$cache/db/trivy.db"
          echo '{"Version":2,"NextUpdate":"2999-01-01T00:00:00Z","UpdatedAt":"2000-01-01T00:00:00Z"}' > "$cache/db/metadata.json";;
  *good*) mkdir -p "$cache/db"; : > "$cache/db/trivy.db"
          echo '{"Version":2,"NextUpdate":"2999-01-01T00:00:00Z","UpdatedAt":"2099-01-01T00:00:00Z"}' > "$cache/db/metadata.json";;
esac
`,
  { mode: 0o755 },
);

const cacheDir = () => fs.mkdtempSync(path.join(work, 'cache-'));
const tried = () => fs.readFileSync(calls, 'utf8').trim().split('\n');

beforeAll(() => {
  process.env.KUBELINE_RETRY_BASE_MS = '5';
  process.env.KUBELINE_RETRY_ATTEMPTS = '3';
});
beforeEach(() => fs.writeFileSync(calls, ''));
afterAll(() => fs.rmSync(work, { recursive: true, force: true }));

describe('ensureVulnDb', () => {
  it('retries a rate-limited mirror, then moves on to the next in order', async () => {
    const dir = cacheDir();
    const mirrors = ['127.0.0.1:1/down/db:2', '127.0.0.1:2/ratelimited/db:2', '127.0.0.1:3/good/db:2'];
    await expect(ensureVulnDb({ trivy, cacheDir: dir, mirrors, timeoutMs: 10_000 })).resolves.toBe(
      'downloaded',
    );
    expect(tried()).toEqual([mirrors[0], mirrors[1], mirrors[1], mirrors[1], mirrors[2]]);
  });

  it('a fresh cached DB downloads nothing', async () => {
    const dir = cacheDir();
    await ensureVulnDb({ trivy, cacheDir: dir, mirrors: ['127.0.0.1:3/good/db:2'], timeoutMs: 10_000 });
    fs.writeFileSync(calls, '');
    await expect(
      ensureVulnDb({ trivy, cacheDir: dir, mirrors: ['127.0.0.1:1/down/db:2'], timeoutMs: 10_000 }),
    ).resolves.toBe('cached');
    expect(fs.readFileSync(calls, 'utf8')).toBe('');
  });

  it('no cache and no mirror: one error naming every mirror and why', async () => {
    const mirrors = ['127.0.0.1:1/down/db:2', '127.0.0.1:2/ratelimited/db:2'];
    const err = await ensureVulnDb({ trivy, cacheDir: cacheDir(), mirrors, timeoutMs: 10_000 }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toBe(
      'no trivy vulnerability DB in the cache and none could be downloaded from db-repository: ' +
        '127.0.0.1:1/down/db:2 (connection refused); 127.0.0.1:2/ratelimited/db:2 (rate limited: TOOMANYREQUESTS)',
    );
  });

  /** A cached DB with this metadata. */
  function cachedDb(meta: object): string {
    const dir = cacheDir();
    fs.mkdirSync(path.join(dir, 'db'));
    fs.writeFileSync(path.join(dir, 'db', 'trivy.db'), '');
    fs.writeFileSync(path.join(dir, 'db', 'metadata.json'), JSON.stringify({ Version: 2, ...meta }));
    return dir;
  }
  const down = ['127.0.0.1:1/down/db:2'];

  it('a stale cache that no mirror can refresh fails the scan closed, saying why it is stale', async () => {
    const dir = cachedDb({ NextUpdate: '2000-01-01T00:00:00Z', UpdatedAt: '1999-12-31T18:00:00Z' });
    const err = await ensureVulnDb({ trivy, cacheDir: dir, mirrors: down, timeoutMs: 10_000 }).catch(
      (e) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toBe(
      "the cached trivy vulnerability DB (built 1999-12-31T18:00:00Z) is stale — past its NextUpdate 2000-01-01T00:00:00Z, trivy's freshness rule — and no mirror could refresh it: 127.0.0.1:1/down/db:2 (connection refused); db-max-age: any scans with it anyway",
    );
  });

  it('db-max-age: any scans with a stale cache, with a warning, when every mirror fails', async () => {
    const dir = cachedDb({ NextUpdate: '2000-01-01T00:00:00Z' });
    await expect(
      ensureVulnDb({ trivy, cacheDir: dir, mirrors: down, timeoutMs: 10_000, maxAge: 'any' }),
    ).resolves.toBe('stale');
  });

  it('db-max-age: a DB trivy calls fresh but built too long ago is refreshed, or fails the scan', async () => {
    const old = {
      NextUpdate: '2999-01-01T00:00:00Z',
      UpdatedAt: new Date(Date.now() - 3 * 3600_000).toISOString(),
    };
    const maxAge = 2 * 3600_000;
    // fresh by trivy's rule: no download without db-max-age
    await expect(
      ensureVulnDb({ trivy, cacheDir: cachedDb(old), mirrors: down, timeoutMs: 10_000 }),
    ).resolves.toBe('cached');
    expect(fs.readFileSync(calls, 'utf8')).toBe('');
    // 3 h old against 2 h: refreshed from a good mirror
    await expect(
      ensureVulnDb({
        trivy,
        cacheDir: cachedDb(old),
        mirrors: ['127.0.0.1:1/good/db:2'],
        timeoutMs: 10_000,
        maxAge,
      }),
    ).resolves.toBe('downloaded');
    // and with every mirror down, refused
    const err = await ensureVulnDb({
      trivy,
      cacheDir: cachedDb(old),
      mirrors: down,
      timeoutMs: 10_000,
      maxAge,
    }).catch((e) => e);
    expect(err.message).toMatch(
      /is stale — older than db-max-age \(120m0s\) — and no mirror could refresh it/,
    );
  });

  it('db-max-age: a mirror serving a DB that is already too old counts as failed', async () => {
    // this mirror serves a DB built in 2000
    const err = await ensureVulnDb({
      trivy,
      cacheDir: cacheDir(),
      mirrors: ['127.0.0.1:1/olddb/db:2'],
      timeoutMs: 10_000,
      maxAge: 24 * 3600_000,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(UserError);
    expect(err.message).toMatch(
      /olddb\/db:2 \(served a DB built 2000-01-01T00:00:00Z, older than db-max-age\)/,
    );
  });
});
