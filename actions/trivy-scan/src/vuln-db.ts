// The trivy vulnerability DB: kept in the cache between runs, downloaded only when trivy itself would
// (stale or missing), from a list of mirrors tried in order, retrying rate limits before moving on.
// The scan then runs with --skip-db-update, so a warm cache means no request to any DB registry.
import fs from 'node:fs';
import path from 'node:path';
import { UserError, exec, formatDuration, log, parseDuration, retry } from '@kubeline/runtime';
import { quietFlags } from './trivy-args.js';

/** trivy-db's schema version trivy 0.5x–0.70 reads (`db.SchemaVersion`). */
const DB_SCHEMA_VERSION = 2;
/** trivy skips an update for an hour after a download even when NextUpdate has passed. */
const RECENT_DOWNLOAD_MS = 60 * 60 * 1000;

export interface DbMetadata {
  Version?: number;
  NextUpdate?: string;
  UpdatedAt?: string;
  DownloadedAt?: string;
}

export type DbState = 'missing' | 'stale' | 'fresh';

export function readDbMetadata(cacheDir: string): DbMetadata | undefined {
  try {
    return JSON.parse(fs.readFileSync(path.join(cacheDir, 'db', 'metadata.json'), 'utf8')) as DbMetadata;
  } catch {
    return undefined;
  }
}

/** The same rule trivy applies before it downloads (pkg/db: NeedsUpdate). */
export function dbState(meta: DbMetadata | undefined, cacheDir: string, now = new Date()): DbState {
  if (!meta || !fs.existsSync(path.join(cacheDir, 'db', 'trivy.db'))) return 'missing';
  if (meta.Version !== DB_SCHEMA_VERSION) return 'stale';
  const t = now.getTime();
  if (meta.NextUpdate && t < Date.parse(meta.NextUpdate)) return 'fresh';
  if (meta.DownloadedAt && t < Date.parse(meta.DownloadedAt) + RECENT_DOWNLOAD_MS) return 'fresh';
  return 'stale';
}

class RateLimited extends Error {}

/** Why a download failed, in a few words from trivy's error output. */
export function downloadFailureReason(stderr: string): string {
  const reasons: Array<[RegExp, string]> = [
    [/TOOMANYREQUESTS|429 Too Many Requests/i, 'rate limited: TOOMANYREQUESTS'],
    [/connection refused/i, 'connection refused'],
    [/no such host/i, 'host not found'],
    [/i\/o timeout|deadline exceeded|timed out/i, 'timed out'],
    [/x509|certificate/i, 'TLS certificate not trusted (see registry-ca)'],
    [/UNAUTHORIZED|DENIED|\b401\b|\b403\b/, 'access denied'],
    [/MANIFEST_UNKNOWN|NAME_UNKNOWN|\b404\b|not found/i, 'not found'],
  ];
  for (const [pattern, reason] of reasons) if (pattern.test(stderr)) return reason;
  const last = stderr.trim().split('\n').pop()?.trim() ?? '';
  return last.length > 120 ? `${last.slice(0, 117)}...` : last || 'failed';
}

/** `undefined`: trivy's own freshness rule; a number: also no older than that (ms); `any`: whatever is cached. */
export type MaxAge = number | 'any' | undefined;

export function maxAgeOf(input: string): MaxAge {
  if (!input) return undefined;
  return input === 'any' ? 'any' : parseDuration(input);
}

export interface DbRequest {
  trivy: string;
  cacheDir: string;
  mirrors: string[];
  caFile?: string;
  timeoutMs: number;
  maxAge?: MaxAge;
}

/** Built longer ago than db-max-age allows. */
function tooOld(meta: DbMetadata | undefined, maxAge: MaxAge, now = Date.now()): boolean {
  if (typeof maxAge !== 'number' || !meta?.UpdatedAt) return false;
  return now - Date.parse(meta.UpdatedAt) > maxAge;
}

function staleness(meta: DbMetadata | undefined, maxAge: MaxAge): string {
  if (tooOld(meta, maxAge)) return `older than db-max-age (${formatDuration(maxAge as number)})`;
  return `past its NextUpdate ${meta?.NextUpdate ?? '(none)'}, trivy's freshness rule`;
}

async function downloadFrom(req: DbRequest, repository: string): Promise<void> {
  const args = ['image', '--download-db-only', '--no-progress', '--cache-dir', req.cacheDir];
  args.push('--db-repository', repository, ...quietFlags(req.caFile));
  await retry(
    async () => {
      const r = await exec(req.trivy, args, { allowFailure: true, timeoutMs: req.timeoutMs });
      if (r.code === 0) return;
      const reason = downloadFailureReason(r.stderr);
      throw reason.startsWith('rate limited') ? new RateLimited(reason) : new Error(reason);
    },
    {
      retryable: (e) => e instanceof RateLimited,
      onRetry: (_e, attempt, ms) =>
        log.warning(
          `${repository} is rate limiting (attempt ${attempt}); retrying in ${Math.round(ms / 1000)}s`,
        ),
    },
  );
}

/**
 * Makes sure a DB fresh enough for `maxAge` is in the cache. A stale one that no mirror can refresh
 * fails closed (a scan against old data passes what it should not), unless `maxAge` is `any`; no DB
 * at all is an error naming every mirror tried.
 */
export async function ensureVulnDb(req: DbRequest): Promise<'cached' | 'downloaded' | 'stale'> {
  const meta = readDbMetadata(req.cacheDir);
  const cached = dbState(meta, req.cacheDir);
  const state = cached === 'fresh' && tooOld(meta, req.maxAge) ? 'stale' : cached;
  if (state === 'fresh') {
    log.info(`trivy DB: cached in ${req.cacheDir} (updated ${meta?.UpdatedAt ?? '?'}); no download`);
    return 'cached';
  }
  const failures: string[] = [];
  for (const repository of req.mirrors) {
    log.info(`trivy DB: ${state}; downloading from ${repository}`);
    try {
      await downloadFrom(req, repository);
      const got = readDbMetadata(req.cacheDir);
      if (tooOld(got, req.maxAge))
        throw new Error(`served a DB built ${got?.UpdatedAt}, older than db-max-age`);
      return 'downloaded';
    } catch (e) {
      failures.push(`${repository} (${(e as Error).message})`);
      log.warning(`trivy DB: ${repository} failed: ${(e as Error).message}`);
    }
  }
  if (state === 'stale' && req.maxAge === 'any') {
    log.warning(
      `trivy DB: every mirror failed; scanning with the cached DB${meta?.UpdatedAt ? ` of ${meta.UpdatedAt}` : ''} (db-max-age: any)`,
    );
    return 'stale';
  }
  if (state === 'stale')
    throw new UserError(
      `the cached trivy vulnerability DB (built ${meta?.UpdatedAt ?? '?'}) is stale — ${staleness(meta, req.maxAge)} — and no mirror could refresh it: ${failures.join('; ')}; db-max-age: any scans with it anyway`,
    );
  throw new UserError(
    `no trivy vulnerability DB in the cache and none could be downloaded from db-repository: ${failures.join('; ')}`,
  );
}
