import { KubelineError, UserError, formatDuration } from '@kubeline/runtime';

/** The API server answered with an error Status (404, 409, 422, 5xx, …). */
export class KubeApiError extends KubelineError {
  constructor(
    message: string,
    readonly status: number,
    readonly reason?: string,
  ) {
    super(message);
  }
}

/** The credentials were rejected (401) or lack a permission (403): the user's to fix. */
export class KubeAccessError extends UserError {
  constructor(
    message: string,
    readonly status: 401 | 403,
    readonly forbidden?: ForbiddenRequest,
  ) {
    super(message);
  }
}

/** No HTTP answer at all: connection refused, unknown host, TLS failure, timeout. */
export class ClusterUnreachableError extends KubelineError {
  constructor(
    readonly server: string,
    readonly reason: string,
  ) {
    super(`cannot reach the Kubernetes API at ${server}: ${reason}`);
  }
}

/** The HTTP status behind an error from client-node or from this module, if there was one. */
export function apiStatus(err: unknown): number | undefined {
  const e = err as { status?: unknown; code?: unknown; statusCode?: unknown } | undefined;
  // an HTTP status only: a DOMException's legacy `code` (a TimeoutError's is 23) is not one
  for (const v of [e?.status, e?.code, e?.statusCode])
    if (typeof v === 'number' && v >= 100 && v <= 599) return v;
  return undefined;
}

export const isNotFound = (err: unknown): boolean => apiStatus(err) === 404;
export const isConflict = (err: unknown): boolean => apiStatus(err) === 409;

/** A read whose 404 means "there is none": undefined then; every other error still throws. */
export async function unlessNotFound<T>(read: Promise<T>): Promise<T | undefined> {
  try {
    return await read;
  } catch (e) {
    if (isNotFound(e)) return undefined;
    throw e;
  }
}

export interface ForbiddenRequest {
  user: string;
  verb: string;
  /** kubectl's spelling: `pods`, `deployments.apps`, `deployments.apps/scale`. */
  resource: string;
  /** Undefined for a cluster-scoped request. */
  namespace?: string;
}

const FORBIDDEN =
  /User "([^"]*)" cannot (\S+) resource "([^"]+)" in API group "([^"]*)"(?: in the namespace "([^"]*)")?/;

/** Reads who was refused what from the API server's RBAC message. */
export function parseForbidden(message: string): ForbiddenRequest | undefined {
  const m = FORBIDDEN.exec(message);
  if (!m) return undefined;
  const [, user = '', verb = '', res = '', group = '', namespace] = m;
  const [base, sub] = res.split('/', 2);
  return { user, verb, resource: `${base}${group ? `.${group}` : ''}${sub ? `/${sub}` : ''}`, namespace };
}

/** One line: `forbidden: <user> cannot <verb> <resource> in namespace <ns>`. */
export function explainForbidden(message: string): string {
  const f = parseForbidden(message);
  if (!f) return `forbidden: ${message}`;
  const where = f.namespace ? `in namespace ${f.namespace}` : 'cluster-wide';
  return `forbidden: ${f.user} cannot ${f.verb} ${f.resource} ${where}`;
}

interface StatusBody {
  message?: string;
  reason?: string;
}

function statusBody(body: unknown): StatusBody {
  if (typeof body === 'string') {
    try {
      return JSON.parse(body) as StatusBody;
    } catch {
      return { message: body.trim().split('\n')[0] };
    }
  }
  return body && typeof body === 'object' ? (body as StatusBody) : {};
}

/** Node's and undici's network error codes sit somewhere in the cause chain (or an AggregateError). */
export function networkError(err: unknown): { code: string; message: string; hostname?: string } | undefined {
  const seen = new Set<unknown>();
  const queue: unknown[] = [err];
  while (queue.length) {
    const e = queue.shift() as
      | { code?: unknown; message?: string; hostname?: string; cause?: unknown; errors?: unknown[] }
      | undefined;
    if (!e || typeof e !== 'object' || seen.has(e)) continue;
    seen.add(e);
    if (typeof e.code === 'string') return { code: e.code, message: e.message ?? '', hostname: e.hostname };
    queue.push(e.cause, ...(Array.isArray(e.errors) ? e.errors : []));
  }
  return undefined;
}

const CERT_CODE = /CERT|SELF_SIGNED|UNABLE_TO_(GET|VERIFY)/;
const TLS_CODE = /ERR_SSL|ERR_TLS|EPROTO/;

export function unreachableReason(code: string, message: string, server: string): string {
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return `host ${hostOf(server)} not found`;
  if (code === 'EAI_AGAIN') return `DNS lookup of ${hostOf(server)} failed (temporary)`;
  if (code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') return 'connection timed out';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return 'no route to host';
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return 'connection reset';
  if (CERT_CODE.test(code))
    return `its TLS certificate is not trusted (${message || code}); check certificate-authority-data in the kubeconfig`;
  if (TLS_CODE.test(code)) return `TLS handshake failed (${message || code})`;
  return `${code}${message ? `: ${message}` : ''}`;
}

function hostOf(server: string): string {
  try {
    return new URL(server).hostname;
  } catch {
    return server;
  }
}

export interface ErrorContext {
  server: string;
  /** The kubeconfig user, named when the credentials are rejected. */
  user?: string;
  /** What was being done, for errors the API server did not describe. */
  action?: string;
  /** The bound on each request, named when one runs out. */
  timeoutMs?: number;
}

/** Turns anything client-node throws into a one-line kubeline error; unknown errors pass through. */
export function explainKubeError(err: unknown, ctx: ErrorContext): Error {
  if (err instanceof KubelineError) return err;
  const status = apiStatus(err);
  if (status !== undefined) {
    const body = statusBody((err as { body?: unknown }).body);
    if (status === 401)
      return new KubeAccessError(
        `the Kubernetes API at ${ctx.server} rejected the credentials${ctx.user ? ` of kubeconfig user "${ctx.user}"` : ''} (401 Unauthorized): the token or client certificate is invalid or expired`,
        401,
      );
    if (status === 403) {
      const message = body.message ?? `${ctx.action ?? 'request'} was refused`;
      return new KubeAccessError(explainForbidden(message), 403, parseForbidden(message));
    }
    const what = body.message ?? `${ctx.action ?? 'request'} failed with HTTP ${status}`;
    return new KubeApiError(what, status, body.reason);
  }
  const net = networkError(err);
  if (net)
    return new ClusterUnreachableError(ctx.server, unreachableReason(net.code, net.message, ctx.server));
  if ((err as Error | undefined)?.name === 'TimeoutError')
    return new ClusterUnreachableError(
      ctx.server,
      ctx.timeoutMs
        ? `no answer${ctx.action ? ` to ${ctx.action}` : ''} within ${formatDuration(ctx.timeoutMs)} (KUBELINE_KUBE_REQUEST_TIMEOUT_MS)`
        : 'the request timed out',
    );
  // fetch refuses some targets before any socket exists (e.g. a port it blocks): no code, only a cause.
  const e = err as { message?: string; cause?: { message?: string } } | undefined;
  if ((err as Error | undefined)?.name === 'TypeError' && e?.message === 'fetch failed')
    return new ClusterUnreachableError(ctx.server, e.cause?.message ?? 'the request failed');
  return err instanceof Error ? err : new Error(String(err));
}
