// Plain HTTP(S) requests for health checks: client certs, private CAs and unix sockets included.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface HttpOptions {
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  /** Accept any server certificate: only for components whose serving cert is self-made at start. */
  insecure?: boolean;
  socketPath?: string;
  headers?: Record<string, string>;
  timeoutMs?: number;
}

export interface HttpResponse {
  status: number;
  body: string;
}

export function httpGet(url: string, options: HttpOptions = {}): Promise<HttpResponse> {
  const target = new URL(url);
  const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolvePromise, reject) => {
    const req = request(
      target,
      {
        method: 'GET',
        ca: options.ca,
        cert: options.cert,
        key: options.key,
        rejectUnauthorized: !options.insecure,
        socketPath: options.socketPath,
        headers: options.headers,
        timeout: options.timeoutMs ?? 3_000,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () =>
      req.destroy(new Error(`GET ${url}: no answer in ${options.timeoutMs ?? 3_000} ms`)),
    );
    req.on('error', reject);
    req.end();
  });
}

/** GET that must answer 200; returns the body. */
export async function expectOk(url: string, options: HttpOptions = {}): Promise<string> {
  const res = await httpGet(url, options);
  if (res.status !== 200) throw new Error(`GET ${url}: HTTP ${res.status} ${res.body.slice(0, 200)}`);
  return res.body;
}

export function basicAuth(user: string, password: string): Record<string, string> {
  return { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` };
}
