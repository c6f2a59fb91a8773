// Webhooks around a canary, as Flagger has them: pre-rollout (before any traffic), rollout (each
// step, a failure fails that step's measurement), confirm-promotion (a gate polled until it says
// yes), post-rollout and rollback (told of the outcome). Each call is bounded; a URL's credentials
// never reach a log line.
import { parseDocument } from 'yaml';
import { InputError, jobSignal, parseDuration, yamlErrorLine } from '@kubeline/runtime';

export const HOOK_TYPES = [
  'pre-rollout',
  'rollout',
  'confirm-promotion',
  'post-rollout',
  'rollback',
] as const;
export type HookType = (typeof HOOK_TYPES)[number];

export interface Webhook {
  name: string;
  type: HookType;
  url: URL;
  timeoutMs: number;
  metadata: Record<string, string>;
}

export interface HookPayload {
  name: string;
  namespace: string;
  phase: string;
  image: string;
  step?: number;
  weight?: number;
  result?: string;
  reason?: string;
}

export interface HookAnswer {
  ok: boolean;
  /** One line: the status and the start of the body, or why there was no answer. */
  detail: string;
}

const NAME = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** Without user:password: what logs and errors may show of a webhook URL. */
export const shownUrl = (u: URL) => `${u.protocol}//${u.host}${u.pathname}`;

function hookAt(item: unknown, i: number, input: string, shown: string): Webhook {
  const fail = (why: string): never => {
    throw new InputError(input, shown, `item ${i + 1}: ${why}`);
  };
  if (typeof item !== 'object' || item === null || Array.isArray(item))
    return fail('each webhook is a mapping {name, type, url, timeout, metadata}');
  const h = item as Record<string, unknown>;
  for (const key of Object.keys(h))
    if (!['name', 'type', 'url', 'timeout', 'metadata'].includes(key))
      fail(`unknown key "${key}" (allowed: name, type, url, timeout, metadata)`);
  if (typeof h.name !== 'string' || !NAME.test(h.name))
    fail('"name" must be lowercase letters, digits and dashes');
  if (!HOOK_TYPES.includes(h.type as HookType)) fail(`"type" must be one of ${HOOK_TYPES.join(', ')}`);
  let url: URL | undefined;
  try {
    url = new URL(String(h.url));
  } catch {
    fail('"url" must be an absolute http(s) URL');
  }
  if (!['http:', 'https:'].includes(url!.protocol)) fail('"url" must be http or https');
  const timeoutMs = h.timeout === undefined ? 30_000 : parseDuration(String(h.timeout));
  if (!Number.isFinite(timeoutMs) || timeoutMs < 100 || timeoutMs > 3_600_000)
    fail('"timeout" must be a duration such as 10s or 5m (at most 1h)');
  const metadata = h.metadata ?? {};
  if (
    typeof metadata !== 'object' ||
    Array.isArray(metadata) ||
    Object.values(metadata as object).some((v) => typeof v !== 'string')
  )
    fail('"metadata" must map names to strings');
  return {
    name: h.name as string,
    type: h.type as HookType,
    url: url!,
    timeoutMs,
    metadata: metadata as Record<string, string>,
  };
}

/** The `webhooks` input: a YAML list; no aliases (no billion laughs). */
export function parseWebhooks(raw: string, input = 'webhooks'): Webhook[] {
  const text = raw.trim();
  if (!text) return [];
  const shown = text.length > 60 ? `${text.slice(0, 57)}...` : text;
  const doc = parseDocument(text, { uniqueKeys: true });
  if (doc.errors.length)
    throw new InputError(input, shown, `it must be a YAML list${yamlErrorLine(doc.errors[0]!, text)}`);
  let value: unknown;
  try {
    value = doc.toJS({ maxAliasCount: 0 });
  } catch (e) {
    throw new InputError(
      input,
      shown,
      `it must be a YAML list without aliases (${(e as Error).message.split('\n')[0]})`,
    );
  }
  if (!Array.isArray(value))
    throw new InputError(input, shown, 'it must be a YAML list of {name, type, url, timeout, metadata}');
  if (value.length > 20) throw new InputError(input, shown, 'at most 20 webhooks');
  return value.map((item, i) => hookAt(item, i, input, shown));
}

/** One POST of the payload (Flagger's shape: name, namespace, phase, metadata); 2xx is yes. */
export async function callWebhook(
  hook: Webhook,
  payload: HookPayload,
  signal?: AbortSignal,
): Promise<HookAnswer> {
  const signals = [AbortSignal.timeout(hook.timeoutMs), jobSignal, ...(signal ? [signal] : [])];
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (hook.url.username || hook.url.password)
    headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(hook.url.username)}:${decodeURIComponent(hook.url.password)}`).toString('base64')}`;
  try {
    const res = await fetch(shownUrl(hook.url) + hook.url.search, {
      method: 'POST',
      headers,
      body: JSON.stringify({ ...payload, metadata: hook.metadata }),
      signal: AbortSignal.any(signals),
    });
    const body = (await res.text()).replace(/\s+/g, ' ').trim().slice(0, 200);
    return { ok: res.ok, detail: `HTTP ${res.status}${body ? `: ${body}` : ''}` };
  } catch (e) {
    const err = e as Error & { cause?: { code?: string } };
    return {
      ok: false,
      detail:
        err.name === 'TimeoutError'
          ? `no answer within ${hook.timeoutMs}ms`
          : (err.cause?.code ?? err.message),
    };
  }
}
