// The pull request (GitHub) or merge request (GitLab) that proposes a promotion branch: what a
// client promises, and the one way every call to a forge's API is bounded, retried and worded.
import {
  KubelineError,
  TransientError,
  UserError,
  addSecret,
  isTransient,
  isTransientStatus,
  mask,
  retry,
} from '@kubeline/runtime';

export type AutoMergeMethod = 'merge' | 'squash' | 'rebase';

export interface ChangeRequest {
  /** The branch the change is proposed into. */
  base: string;
  /** The branch holding the change; one open request per head and base. */
  head: string;
  title: string;
  body: string;
  /** Added to the request's labels; labels someone else put on it stay. */
  labels: string[];
  /** GitHub: `login` or `org/team`; GitLab: `username`. Added to those already requested. */
  reviewers: string[];
  autoMerge: false | AutoMergeMethod;
  /** Opens the request as a draft; a request that already exists keeps its draft state. */
  draft?: boolean;
}

export interface ChangeRequestResult {
  url: string;
  number: number;
  /** False when an open request for the same head and base was updated instead. */
  created: boolean;
  /** `unavailable`: asked for, but the forge refused (not allowed in the project, not mergeable…). */
  autoMerge: 'enabled' | 'off' | 'unavailable';
  /** Why auto-merge is unavailable, or a note on how it was enabled: one line, for a warning. */
  autoMergeReason?: string;
}

export interface ChangeRequests {
  openOrUpdate(req: ChangeRequest): Promise<ChangeRequestResult>;
}

/** A forge's API said no, did not answer, or could not be reached: one line, never the token. */
export class ForgeApiError extends KubelineError {
  constructor(
    message: string,
    /** The HTTP status, when there was an answer. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** How a client reads the errors its HTTP layer throws. */
export interface ApiFailure {
  /** Absent when no answer came (connection refused, reset). */
  status?: number;
  message: string;
  /** Whether trying again may help, when the status alone does not say (a reset, a rate limit). */
  transient?: boolean;
}

export interface ForgeApi {
  /** Where calls go, for messages: `GitHub repository acme/shop`. */
  where: string;
  token: string;
  timeoutMs: number;
  /** Undefined for an error that is not the API's (a bug): it is thrown as it is. */
  failure(err: unknown): ApiFailure | undefined;
  /** What the token needs, for an answer that refuses it (401, 403, 404); '' when nothing to say. */
  hint(status: number, needs: string | undefined): string;
}

/**
 * `fetch failed: connect ECONNREFUSED …`: an error with the causes under it. Duck-typed: errors from
 * another realm (undici's, under jest's VM) are not `instanceof Error` here.
 */
export function withCauses(err: unknown): string {
  const parts: string[] = [];
  for (let e = err as { message?: unknown; cause?: unknown } | undefined, i = 0; e && i < 4; i++) {
    if (typeof e.message === 'string' && e.message && !parts.includes(e.message)) parts.push(e.message);
    e = e.cause as typeof e;
  }
  return parts.join(': ') || String(err);
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}

/** Masked twice: by every registered secret, and by this token even if it was never registered. */
function scrub(api: ForgeApi, text: string): string {
  return mask(api.token ? text.split(api.token).join('***') : text);
}

function seconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Registers the token as a secret: no log line may carry it. */
export function registerToken(token: string): string {
  if (!token.trim()) throw new KubelineError('the forge API token is empty');
  addSecret(token);
  return token;
}

/** `cannot <operation> in <where>: HTTP <status>: <reason> (<what the token needs>)`, masked. */
export function forgeApiError(
  api: ForgeApi,
  what: { operation: string; needs?: string },
  reason: string,
  status?: number,
  withHint = true,
): ForgeApiError {
  const hint = status && withHint ? api.hint(status, what.needs) : '';
  const http = status ? `HTTP ${status}: ` : '';
  const text = `cannot ${what.operation} in ${api.where}: ${http}${oneLine(reason)}${hint ? ` (${hint})` : ''}`;
  return new ForgeApiError(scrub(api, text), status);
}

/** The API root: http(s), no credentials, no query, no trailing slash. */
export function apiBaseUrl(given: string | undefined, fallback: string, forge: string): string {
  const raw = given || fallback;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new UserError(`${forge} API URL ${JSON.stringify(raw)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new UserError(`${forge} API URL ${JSON.stringify(raw)} must be http(s)`);
  if (url.username || url.password || url.search || url.hash)
    throw new UserError(`${forge} API URL must carry no credentials, query or fragment`);
  return url.href.replace(/\/+$/, '');
}

/**
 * One API call: each attempt bounded by `timeoutMs`, answers that mean "later" (429, 5xx) and dropped
 * connections retried with backoff, anything else a ForgeApiError naming the operation, the status
 * and what the token needs. A server that does not answer is not retried: the bound is the bound.
 */
export async function callApi<T>(
  api: ForgeApi,
  what: { operation: string; needs?: string },
  call: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  let attempts = 0;
  try {
    return await retry(async (attempt) => {
      attempts = attempt;
      const signal = AbortSignal.timeout(api.timeoutMs);
      try {
        return await call(signal);
      } catch (err) {
        if (signal.aborted) throw forgeApiError(api, what, `no answer within ${seconds(api.timeoutMs)}`);
        const f = api.failure(err);
        if (!f) throw err;
        const transient =
          f.transient ?? (f.status === undefined ? isTransient(err) : isTransientStatus(f.status));
        const e = forgeApiError(api, what, f.message, f.status, !transient);
        if (transient) throw new TransientError(e.message, f.status);
        throw e;
      }
    });
  } catch (err) {
    if (err instanceof TransientError)
      throw new ForgeApiError(`${err.message} (${attempts} attempt${attempts === 1 ? '' : 's'})`, err.status);
    throw err;
  }
}
