// The Prometheus client against a real loopback server answering as /api/v1/query does.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from '@jest/globals';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Prometheus, PrometheusError } from '../src/prometheus.js';

interface Seen {
  method?: string;
  url?: string;
  headers: IncomingMessage['headers'];
  body: string;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

let server: Server;
let base: URL;
let handler: Handler;
let seen: Seen[] = [];

const TOKEN = 'prom-t0ken-5ecret-value';

const json =
  (status: number, body: unknown): Handler =>
  (_req, res) => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
const vector = (...values: string[]) =>
  json(200, {
    status: 'success',
    data: {
      resultType: 'vector',
      result: values.map((v, i) => ({ metric: { pod: `web-${i}` }, value: [1767261600.123, v] })),
    },
  });

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      seen.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      handler(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = new URL(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  handler = vector('1');
});

/** The PrometheusError a query ends in. */
async function failure(p: Prometheus, promql = 'sum(up)'): Promise<PrometheusError> {
  const err = await p.query(promql).then(
    (v) => new Error(`no error: the query answered ${v}`),
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PrometheusError);
  return err as PrometheusError;
}

describe('Prometheus.query: answers', () => {
  test('a vector with one sample is its number; the request is a form POST to /api/v1/query', async () => {
    handler = vector('99.5');
    const p = new Prometheus(base);
    await expect(p.query('sum(rate(x{a="b"}[60s])) / 2 * 100')).resolves.toBe(99.5);
    expect(seen).toHaveLength(1);
    const req = seen[0]!;
    expect(req.method).toBe('POST');
    expect(req.url).toBe('/api/v1/query');
    expect(req.headers['content-type']).toMatch(/^application\/x-www-form-urlencoded/);
    expect(req.body.startsWith('query=')).toBe(true);
    const form = new URLSearchParams(req.body);
    expect(form.get('query')).toBe('sum(rate(x{a="b"}[60s])) / 2 * 100');
    expect(form.get('timeout')).toBe('10s');
    expect(req.headers.authorization).toBeUndefined();
  });

  test('a base URL with a path prefix (and trailing slashes) keeps the prefix', async () => {
    const p = new Prometheus(new URL('prometheus//', base));
    expect(p.url).toBe(`${base.href}prometheus`);
    await expect(p.query('up')).resolves.toBe(1);
    expect(seen[0]!.url).toBe('/prometheus/api/v1/query');
  });

  test('an empty vector is no data', async () => {
    handler = vector();
    await expect(new Prometheus(base).query('up')).resolves.toBeUndefined();
  });

  test('NaN (0/0: no requests) is no data', async () => {
    handler = vector('NaN');
    await expect(new Prometheus(base).query('up')).resolves.toBeUndefined();
  });

  test('+Inf (histogram_quantile above the last bucket) is a number, so it breaks a max', async () => {
    handler = vector('+Inf');
    await expect(new Prometheus(base).query('histogram_quantile(0.99, x)')).resolves.toBe(Infinity);
    handler = vector('-Inf');
    await expect(new Prometheus(base).query('x')).resolves.toBe(-Infinity);
  });

  test('a scalar is its number', async () => {
    handler = json(200, { status: 'success', data: { resultType: 'scalar', result: [1767261600, '0.25'] } });
    await expect(new Prometheus(base).query('scalar(x)')).resolves.toBe(0.25);
  });

  test('two series are refused: bounds apply to one number', async () => {
    handler = vector('1', '2');
    const err = await failure(new Prometheus(base), 'rate(x[1m])');
    expect(err.message).toBe(
      'query returned 2 series, one is needed (aggregate it, e.g. sum(...)): rate(x[1m])',
    );
  });

  test('a matrix or a string result is refused', async () => {
    handler = json(200, { status: 'success', data: { resultType: 'matrix', result: [] } });
    expect((await failure(new Prometheus(base))).message).toBe(
      'query returned a matrix result, not a number',
    );
    handler = json(200, { status: 'success' });
    expect((await failure(new Prometheus(base))).message).toContain('a missing result');
  });
});

describe('Prometheus.query: errors', () => {
  test('HTTP 400 with an error is refused with the reason', async () => {
    handler = json(400, {
      status: 'error',
      errorType: 'bad_data',
      error: 'parse error at char 5: unexpected',
    });
    const err = await failure(new Prometheus(base), 'sum(');
    expect(err.message).toBe(
      `Prometheus ${base.href.replace(/\/$/, '')} refused the query (HTTP 400): parse error at char 5: unexpected`,
    );
  });

  test('HTTP 200 with status error is refused too', async () => {
    handler = json(200, { status: 'error', error: 'query timed out in expression evaluation' });
    expect((await failure(new Prometheus(base))).message).toContain(
      'refused the query (HTTP 200): query timed out',
    );
  });

  test('an error without a reason says so; a long reason is cut', async () => {
    handler = json(503, {});
    expect((await failure(new Prometheus(base))).message).toContain('(HTTP 503): no reason given');
    handler = json(422, { status: 'error', error: 'e'.repeat(5000) });
    expect((await failure(new Prometheus(base))).message.length).toBeLessThan(400);
  });

  test('a non-JSON answer (a proxy error page) is an error with the status', async () => {
    handler = (_req, res) => {
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end('<html><body>Bad Gateway</body></html>');
    };
    expect((await failure(new Prometheus(base))).message).toBe(
      `Prometheus ${base.href.replace(/\/$/, '')} answered HTTP 502 without JSON`,
    );
  });

  test('a server that never answers is an error within the timeout', async () => {
    handler = () => {};
    const started = performance.now();
    const err = await failure(new Prometheus(base, { timeoutMs: 300 }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.message).toContain('could not be queried: no answer within 300ms');
    expect(new URLSearchParams(seen[0]!.body).get('timeout')).toBe('1s');
  });

  test('a server that sends headers and then stalls the body is an error within the timeout', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"status":"success","data":');
    };
    const started = performance.now();
    const err = await failure(new Prometheus(base, { timeoutMs: 300 }));
    expect(performance.now() - started).toBeLessThan(2000);
    expect(err.message).toContain('no answer within 300ms');
  });

  test('a caller abort ends the query as an error', async () => {
    handler = () => {};
    const ac = new AbortController();
    const pending = new Prometheus(base, { timeoutMs: 30_000 }).query('up', ac.signal);
    setTimeout(() => ac.abort(), 50);
    await expect(pending).rejects.toBeInstanceOf(PrometheusError);
  });

  test('connection refused (a closed port) is an error naming the code', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await failure(new Prometheus(new URL(`http://127.0.0.1:${port}`)));
    expect(err.message).toBe(`Prometheus http://127.0.0.1:${port} could not be queried: ECONNREFUSED`);
  });
});

describe('Prometheus.query: the token', () => {
  test('is sent as a bearer Authorization header, not in the URL or the body', async () => {
    handler = vector('3');
    await expect(new Prometheus(base, { token: TOKEN }).query('up')).resolves.toBe(3);
    expect(seen[0]!.headers.authorization).toBe(`Bearer ${TOKEN}`);
    expect(seen[0]!.url).not.toContain(TOKEN);
    expect(seen[0]!.body).not.toContain(TOKEN);
  });

  test('never appears in an error message', async () => {
    const p = new Prometheus(base, { token: TOKEN, timeoutMs: 300 });
    const handlers: Handler[] = [
      json(400, { status: 'error', error: 'parse error' }),
      json(401, { status: 'error', error: 'unauthorized' }),
      (_req, res) => {
        res.writeHead(502);
        res.end('bad gateway');
      },
      vector('1', '2'),
      () => {},
    ];
    for (const h of handlers) {
      handler = h;
      const err = await failure(p);
      expect(err.message).not.toContain(TOKEN);
      expect(err.details.join('\n')).not.toContain(TOKEN);
    }
    expect(seen.every((s) => s.headers.authorization === `Bearer ${TOKEN}`)).toBe(true);
  });
});
