// What the fakes of SaaS APIs share: a loopback HTTP server that records every request (so tests
// can see where the token went) and answers with faults on demand (a status N times, a hang).
import http, { type IncomingHttpHeaders } from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { recordRun } from '../support/secret-audit.js';

export interface RecordedRequest {
  method: string;
  /** Path and query, as sent (percent-encoding kept). */
  path: string;
  /** The credential header as sent: `token …` (GitHub), `PRIVATE-TOKEN …` / `JOB-TOKEN …` (GitLab). */
  auth: string;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export interface Reply {
  status: number;
  body?: unknown;
}

export interface Fault {
  /** Answer with this status (and the fake's usual error body for it, or `message`). */
  status?: number;
  message?: string;
  /** Answer with this body instead (with `status`, default 200): a stale read, a race. */
  body?: unknown;
  /** Never answer; the connection stays open until the fake closes. */
  hang?: boolean;
  /** Answer (as usual, or with the fault) only after this long: a slow API, a window for a race. */
  delayMs?: number;
  /** How many matching requests get the fault; default 1. */
  times?: number;
  /** Only requests whose `METHOD /path` (query left off) matches; default every request. */
  on?: RegExp;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  /** Queues a fault; faults are consumed in the order they were injected. */
  inject(fault: Fault): void;
  /** Forgets recorded requests and faults not yet consumed (between tests). */
  reset(): void;
  close(): Promise<void>;
}

export interface Handler {
  /** The credential header of a request, as recorded in `auth`. */
  auth(headers: IncomingHttpHeaders): string;
  route(req: RecordedRequest, url: URL): Reply;
  /** The API's error body for a status, for injected faults. */
  errorBody(status: number, message?: string): unknown;
}

export async function startRecordingServer(handler: Handler): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const faults: Array<Fault & { left: number }> = [];
  const server = http.createServer((req, res) => {
    let text = '';
    req.on('data', (d: Buffer) => (text += d.toString()));
    req.on('end', async () => {
      let body: Record<string, unknown>;
      try {
        body = text ? (JSON.parse(text) as Record<string, unknown>) : {};
      } catch {
        body = { unparsed: text };
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        auth: handler.auth(req.headers),
        headers: req.headers,
        body,
      };
      requests.push(recorded);
      // What kubeline sent a SaaS (Deployment statuses, pull request texts) joins the planted-secret
      // audit; the credential header is left out, it is meant to carry the token.
      recordRun(`fake API ${recorded.method} ${recorded.path}`, {}, text, '');
      const url = new URL(req.url ?? '/', 'http://fake');
      const where = `${recorded.method} ${url.pathname}`;
      const fault = faults.find((f) => f.left > 0 && (!f.on || f.on.test(where)));
      if (fault) fault.left--;
      if (fault?.hang) return;
      if (fault?.delayMs) await new Promise((resolve) => setTimeout(resolve, fault.delayMs));
      const reply =
        fault?.body !== undefined
          ? { status: fault.status ?? 200, body: fault.body }
          : fault?.status
            ? { status: fault.status, body: handler.errorBody(fault.status, fault.message) }
            : handler.route(recorded, url);
      res.setHeader('content-type', 'application/json');
      res.writeHead(reply.status).end(reply.body === undefined ? '' : JSON.stringify(reply.body));
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    inject: (fault) => faults.push({ ...fault, left: fault.times ?? 1 }),
    reset: () => {
      requests.length = 0;
      faults.length = 0;
    },
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Hung requests hold their connections open; close() alone would wait for them.
        server.closeAllConnections();
      }),
  };
}
