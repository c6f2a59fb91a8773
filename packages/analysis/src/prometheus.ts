// A small Prometheus HTTP API client for instant queries: every call bounded in time, the token
// never in a URL or a message, and "no data" told apart from "could not ask".
import { KubelineError, jobSignal } from '@kubeline/runtime';

/** The query could not be answered (Prometheus away, a bad query, a timeout): an Error outcome. */
export class PrometheusError extends KubelineError {}

interface ApiAnswer {
  status?: string;
  error?: string;
  data?: { resultType?: string; result?: Array<{ value?: [number, string] }> | [number, string] };
}

export interface PrometheusOptions {
  token?: string;
  timeoutMs?: number;
}

/** A query's value: a number (±Infinity too), or undefined when Prometheus has no sample (empty vector, NaN). */
export type QueryValue = number | undefined;

export class Prometheus {
  private readonly base: string;
  constructor(
    url: URL,
    private readonly o: PrometheusOptions = {},
  ) {
    this.base = url.href.replace(/\/+$/, '');
  }

  get url(): string {
    return this.base;
  }

  /** One instant query. A vector must hold at most one series: bounds apply to one number. */
  async query(promql: string, signal?: AbortSignal): Promise<QueryValue> {
    const timeoutMs = this.o.timeoutMs ?? 10_000;
    const signals = [AbortSignal.timeout(timeoutMs), jobSignal, ...(signal ? [signal] : [])];
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}/api/v1/query`, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}),
        },
        body: new URLSearchParams({ query: promql, timeout: `${Math.ceil(timeoutMs / 1000)}s` }),
        signal: AbortSignal.any(signals),
      });
      // The body is read under the same signals: a server that stalls after its headers times out too.
      text = await res.text();
    } catch (e) {
      const err = e as Error & { cause?: { code?: string } };
      const why =
        err.name === 'TimeoutError' ? `no answer within ${timeoutMs}ms` : (err.cause?.code ?? err.message);
      throw new PrometheusError(`Prometheus ${this.base} could not be queried: ${why}`);
    }
    let answer: ApiAnswer;
    try {
      answer = JSON.parse(text) as ApiAnswer;
    } catch {
      throw new PrometheusError(`Prometheus ${this.base} answered HTTP ${res.status} without JSON`);
    }
    if (!res.ok || answer.status !== 'success')
      throw new PrometheusError(
        `Prometheus ${this.base} refused the query (HTTP ${res.status}): ${(answer.error ?? 'no reason given').slice(0, 300)}`,
      );
    return valueOf(answer, promql);
  }
}

function valueOf(answer: ApiAnswer, promql: string): QueryValue {
  const data = answer.data;
  let raw: string | undefined;
  if (data?.resultType === 'scalar') raw = (data.result as [number, string])[1];
  else if (data?.resultType === 'vector') {
    const series = data.result as Array<{ value?: [number, string] }>;
    if (series.length > 1)
      throw new PrometheusError(
        `query returned ${series.length} series, one is needed (aggregate it, e.g. sum(...)): ${promql.slice(0, 200)}`,
      );
    raw = series[0]?.value?.[1];
  } else throw new PrometheusError(`query returned a ${data?.resultType ?? 'missing'} result, not a number`);
  if (raw === undefined) return undefined;
  // Go spells infinities +Inf/-Inf (histogram_quantile above the last bucket): a value, not "no data".
  const n = raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw);
  return Number.isNaN(n) ? undefined : n;
}
