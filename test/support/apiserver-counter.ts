// A counting proxy in front of the stack's apiserver. The apiserver's own counters cannot tell one
// client from another (and other users of the stack count in them too), so the client measured (a
// bench pipeline's steps, an e2e test's bundle) gets a kubeconfig of its own pointing here — TLS on
// loopback with a throwaway certificate (helm-deploy rightly refuses plain HTTP); the proxy speaks
// TLS to the apiserver with the admin kubeconfig's client certificate — and every request is counted
// exactly, by verb and resource as apiserver_request_total names them, with the namespaces it touched.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import YAML from 'yaml';

export type Requests = Record<string, number>;

export interface CountedRequest {
  /** `<VERB> <resource>[/<subresource>]`, or `<METHOD> /<path>` for non-resource URLs. */
  key: string;
  namespace?: string;
}

/** What apiserver_request_total would count a request as (GET/LIST/WATCH, POST, PUT, PATCH, DELETE…). */
export function countedRequest(method: string, url: string): CountedRequest {
  const u = new URL(url, 'http://counter');
  const parts = u.pathname.split('/').filter(Boolean);
  const group = parts[0] === 'api' ? 1 : parts[0] === 'apis' ? 2 : -1;
  const rest = group > 0 ? parts.slice(group + 1) : [];
  if (!rest.length) return { key: `${method} /${parts.slice(0, 2).join('/')}` };
  let namespace: string | undefined;
  let tail = rest;
  if (rest[0] === 'namespaces' && rest.length >= 3 && !['status', 'finalize'].includes(rest[2]!)) {
    namespace = rest[1];
    tail = rest.slice(2);
  } else if (rest[0] === 'namespaces') {
    namespace = rest[1];
  }
  const [resource, name, subresource] = tail;
  const what = subresource ? `${resource}/${subresource}` : resource!;
  const watch = ['true', '1'].includes(u.searchParams.get('watch') ?? '');
  const verb =
    method === 'GET'
      ? watch
        ? 'WATCH'
        : name
          ? 'GET'
          : 'LIST'
      : method === 'DELETE' && !name
        ? 'DELETECOLLECTION'
        : method;
  return { key: `${verb} ${what}`, namespace };
}

export interface ServingCert {
  cert: Buffer;
  key: Buffer;
}

/** A self-signed certificate for 127.0.0.1 (openssl), valid a day: the proxies' serving certificate. */
export function servingCert(dir: string): ServingCert {
  const [cert, key] = [path.join(dir, 'proxy.crt'), path.join(dir, 'proxy.key')];
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', key, '-out', cert],
    { encoding: 'utf8' },
  ); // prettier-ignore
  if (r.status !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  return { cert: fs.readFileSync(cert), key: fs.readFileSync(key) };
}

interface AdminKubeconfig {
  clusters: Array<{ cluster: { server: string; 'certificate-authority-data': string } }>;
  users: Array<{ user: { 'client-certificate-data': string; 'client-key-data': string } }>;
}

interface Tally {
  counts: Requests;
  namespaces: Set<string>;
  /** Requests that could not reach the apiserver (the proxy answered 502). */
  failures: string[];
  /** TLS connections the client opened: a client that keeps them alive opens few. */
  connections: number;
}

export class RequestCounter {
  private constructor(
    readonly tally: Tally,
    private readonly server: https.Server,
    private readonly agent: https.Agent,
    readonly kubeconfig: string,
  ) {}

  /** Starts a proxy to the apiserver of `adminKubeconfig`; its own kubeconfig is written into `dir`. */
  static async start(adminKubeconfig: string, serving: ServingCert, dir: string): Promise<RequestCounter> {
    const admin = YAML.parse(fs.readFileSync(adminKubeconfig, 'utf8')) as AdminKubeconfig;
    const { server: upstream, 'certificate-authority-data': ca } = admin.clusters[0]!.cluster;
    const user = admin.users[0]!.user;
    const b64 = (s: string) => Buffer.from(s, 'base64');
    const agent = new https.Agent({
      keepAlive: true,
      ca: b64(ca),
      cert: b64(user['client-certificate-data']),
      key: b64(user['client-key-data']),
    });
    const target = new URL(upstream);
    const tally: Tally = { counts: {}, namespaces: new Set(), failures: [], connections: 0 };
    const server = https.createServer(serving, (req, res) => {
      const counted = countedRequest(req.method ?? 'GET', req.url ?? '/');
      tally.counts[counted.key] = (tally.counts[counted.key] ?? 0) + 1;
      if (counted.namespace) tally.namespaces.add(counted.namespace);
      const up = https.request(
        {
          agent,
          hostname: target.hostname,
          port: target.port,
          method: req.method,
          path: req.url,
          headers: { ...req.headers, host: target.host },
        },
        (answer) => {
          res.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(res);
        },
      );
      up.on('error', (e) => {
        tally.failures.push(`${counted.key}: ${e.message}`);
        if (!res.headersSent) res.writeHead(502);
        res.end();
      });
      req.pipe(up);
    });
    server.on('secureConnection', () => (tally.connections += 1));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as { port: number };
    const kubeconfig = path.join(dir, 'counted.kubeconfig');
    fs.writeFileSync(
      kubeconfig,
      YAML.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [
          {
            name: 'counted',
            cluster: {
              server: `https://127.0.0.1:${port}`,
              'certificate-authority-data': serving.cert.toString('base64'),
            },
          },
        ],
        users: [{ name: 'counted', user: {} }],
        contexts: [{ name: 'counted', context: { cluster: 'counted', user: 'counted' } }],
        'current-context': 'counted',
      }),
      { mode: 0o600 },
    );
    return new RequestCounter(tally, server, agent, kubeconfig);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.agent.destroy();
  }
}
