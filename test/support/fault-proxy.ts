// A fault-injecting reverse proxy on loopback in front of a real server (the stack's registry):
// each request passes through untouched, or is answered 503, or has its connection dropped, as a
// rule decides. Faults are real network behaviour the client sees; the server behind is real.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export type Fault = 'pass' | 'unavailable' | 'drop';

export interface SeenRequest {
  method: string;
  path: string;
  userAgent: string;
  fault: Fault;
}

export interface FaultProxy {
  /** `127.0.0.1:<port>`, to use as a registry host. */
  host: string;
  seen: SeenRequest[];
  close(): Promise<void>;
}

/**
 * `rule` sees each request and how many earlier requests had the same method and path.
 * `target` is the origin behind, e.g. `http://127.0.0.1:5000`.
 */
export async function startFaultProxy(
  target: string,
  rule: (req: { method: string; path: string; userAgent: string }, earlier: number) => Fault,
): Promise<FaultProxy> {
  const seen: SeenRequest[] = [];
  const counts = new Map<string, number>();
  const origin = new URL(target);
  const server = http.createServer((req, res) => {
    const method = req.method ?? 'GET';
    const path = req.url ?? '/';
    const userAgent = String(req.headers['user-agent'] ?? '');
    const key = `${method} ${path}`;
    const earlier = counts.get(key) ?? 0;
    counts.set(key, earlier + 1);
    const fault = rule({ method, path, userAgent }, earlier);
    seen.push({ method, path, userAgent, fault });
    if (fault === 'drop') return req.socket.destroy();
    if (fault === 'unavailable') {
      req.resume();
      res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '0' }).end('injected 503\n');
      return;
    }
    const upstream = http.request(
      // the Host header stays the proxy's: the registry's upload Locations then point back through it
      { host: origin.hostname, port: origin.port, method, path, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    seen,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
