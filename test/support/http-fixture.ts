import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';

export interface Served {
  url: string;
  /** Request paths in arrival order. */
  requests: string[];
  /** Answer the next N requests for a path with this status instead of the file. */
  failNext(pathname: string, status: number, times: number): void;
  close(): Promise<void>;
}

/**
 * A static file server on 127.0.0.1 with injectable failures: the mirror a runner would talk to.
 * With `basicAuth`, every request without those credentials gets 401 (a private chart repository).
 */
export async function serveDir(
  dir: string,
  basicAuth?: { username: string; password: string },
): Promise<Served> {
  const expected = basicAuth
    ? `Basic ${Buffer.from(`${basicAuth.username}:${basicAuth.password}`).toString('base64')}`
    : undefined;
  const requests: string[] = [];
  const failures = new Map<string, { status: number; times: number }>();
  const server = http.createServer((req, res) => {
    const pathname = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    requests.push(pathname);
    if (expected && req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="charts"' }).end('unauthorized');
      return;
    }
    const f = failures.get(pathname);
    if (f && f.times > 0) {
      f.times--;
      res.writeHead(f.status).end('injected failure');
      return;
    }
    const file = path.join(dir, pathname);
    if (!file.startsWith(dir) || !fs.existsSync(file) || !fs.statSync(file).isFile()) {
      res.writeHead(404).end('not found');
      return;
    }
    res.writeHead(200, { 'content-length': fs.statSync(file).size });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    failNext: (p, status, times) => failures.set(p, { status, times }),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
