// A Git server for the stack: smart HTTP served by git's own git-http-backend (CGI) behind Node's
// HTTP server, with Basic auth on every repository request. Repositories are bare directories under
// one root (`<owner>/<name>.git`, up to three segments); the server never creates one, refuses any
// path that could leave the root, and bounds each CGI child in time (killed when the client goes).
import { spawn } from 'node:child_process';
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync, realpathSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { join, sep } from 'node:path';

export const gitHttpBackend = '/usr/lib/git-core/git-http-backend';

export interface GitHttpOptions {
  /** Directory holding the bare repositories (GIT_PROJECT_ROOT). */
  root: string;
  user: string;
  password: string;
  /** A CGI child still running after this long is killed (default 120 s). */
  timeoutMs?: number;
  /** Larger request bodies are refused (default 256 MiB). */
  maxBodyBytes?: number;
  /** More concurrent CGI children are answered 503 (default 16). */
  maxChildren?: number;
  backend?: string;
  log?: (line: string) => void;
}

export type GitRoute =
  | { kind: 'health' }
  | { kind: 'git'; repo: string; pathInfo: string; query: string; write: boolean }
  | { kind: 'refused'; status: number; reason: string };

const SEGMENT = '[A-Za-z0-9][A-Za-z0-9_.-]*';
const REPO_PATH = new RegExp(
  `^/((?:${SEGMENT}/){0,2}${SEGMENT}\\.git)/(info/refs|git-upload-pack|git-receive-pack)$`,
);
const SERVICES = new Set(['git-upload-pack', 'git-receive-pack']);

/** What a request asks for, decided from its raw (undecoded) target alone. */
export function routeOf(method: string, target: string): GitRoute {
  const queryAt = target.indexOf('?');
  const path = queryAt < 0 ? target : target.slice(0, queryAt);
  const query = queryAt < 0 ? '' : target.slice(queryAt + 1);
  if (path === '/healthz') return method === 'GET' ? { kind: 'health' } : refused(405, 'GET only');
  // Nothing encoded, no empty, `.` or `..` segment, no backslash: the path is used as it is written.
  if (/[%\\]|\/\/|(^|\/)\.\.?(\/|$)/.test(path)) return refused(400, 'path refused');
  const match = REPO_PATH.exec(path);
  if (!match) return refused(404, 'not a repository path (<owner>/<name>.git/…, smart HTTP only)');
  const [, repo, endpoint] = match as unknown as [string, string, string];
  if (endpoint === 'info/refs') {
    if (method !== 'GET') return refused(405, 'GET only');
    const service = new URLSearchParams(query).get('service');
    if (!service || !SERVICES.has(service))
      return refused(403, 'smart HTTP only (service=git-upload-pack|git-receive-pack)');
    return {
      kind: 'git',
      repo,
      pathInfo: `/${repo}/info/refs`,
      query: `service=${service}`,
      write: service === 'git-receive-pack',
    };
  }
  if (method !== 'POST') return refused(405, 'POST only');
  return {
    kind: 'git',
    repo,
    pathInfo: `/${repo}/${endpoint}`,
    query: '',
    write: endpoint === 'git-receive-pack',
  };
}

function refused(status: number, reason: string): GitRoute {
  return { kind: 'refused', status, reason };
}

const digest = (text: string) => createHash('sha256').update(text).digest();

/** The user when the Authorization header carries the right Basic credentials. */
export function authorizedUser(
  header: string | undefined,
  user: string,
  password: string,
): string | undefined {
  const match = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header?.trim() ?? '');
  if (!match?.[1]) return undefined;
  const given = Buffer.from(match[1], 'base64').toString('utf8');
  return timingSafeEqual(digest(given), digest(`${user}:${password}`)) ? user : undefined;
}

/** The repository's real directory when it is a bare repository inside the root. */
function repositoryDir(root: string, repo: string): string | undefined {
  let real: string;
  try {
    real = realpathSync(join(root, repo));
  } catch {
    return undefined;
  }
  const realRoot = realpathSync(root);
  if (!real.startsWith(realRoot + sep) || !existsSync(join(real, 'HEAD'))) return undefined;
  return real;
}

/** Splits a CGI response head ("Status: 200 OK", header lines) from its body. */
export function splitCgiHead(
  data: Buffer,
): { status: number; headers: Record<string, string>; body: Buffer } | undefined {
  const crlf = data.indexOf('\r\n\r\n');
  const lf = data.indexOf('\n\n');
  const [end, skip] = crlf >= 0 && (lf < 0 || crlf < lf) ? [crlf, 4] : lf >= 0 ? [lf, 2] : [-1, 0];
  if (end < 0) return undefined;
  let status = 200;
  const headers: Record<string, string> = {};
  for (const line of data.subarray(0, end).toString('latin1').split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon).trim();
    const value = line.slice(colon + 1).trim();
    if (name.toLowerCase() === 'status') status = parseInt(value, 10) || 502;
    else headers[name] = value;
  }
  return { status, headers, body: data.subarray(end + skip) };
}

function answer(
  res: ServerResponse,
  status: number,
  text: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', ...headers });
  res.end(`${text}\n`);
}

export function createGitHttpServer(options: GitHttpOptions): Server {
  const log = options.log ?? (() => {});
  const timeoutMs = options.timeoutMs ?? 120_000;
  const maxBody = options.maxBodyBytes ?? 256 * 1024 * 1024;
  const maxChildren = options.maxChildren ?? 16;
  let children = 0;

  function runBackend(
    req: IncomingMessage,
    res: ServerResponse,
    route: Extract<GitRoute, { kind: 'git' }>,
    user: string,
  ): void {
    const protocol = req.headers['git-protocol'];
    const env: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: options.root,
      GIT_PROJECT_ROOT: options.root,
      GIT_HTTP_EXPORT_ALL: '1',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      // every repository accepts pushes from the authenticated user
      GIT_CONFIG_COUNT: '1',
      GIT_CONFIG_KEY_0: 'http.receivepack',
      GIT_CONFIG_VALUE_0: 'true',
      GATEWAY_INTERFACE: 'CGI/1.1',
      SERVER_PROTOCOL: `HTTP/${req.httpVersion}`,
      REQUEST_METHOD: req.method,
      PATH_INFO: route.pathInfo,
      QUERY_STRING: route.query,
      REMOTE_USER: user,
      REMOTE_ADDR: req.socket.remoteAddress ?? '',
      ...(req.headers['content-type'] ? { CONTENT_TYPE: req.headers['content-type'] } : {}),
      ...(req.headers['content-length'] ? { CONTENT_LENGTH: req.headers['content-length'] } : {}),
      ...(req.headers['content-encoding'] ? { HTTP_CONTENT_ENCODING: req.headers['content-encoding'] } : {}),
      ...(typeof protocol === 'string' && /^[A-Za-z0-9=:.,_-]*$/.test(protocol)
        ? { GIT_PROTOCOL: protocol }
        : {}),
    };
    const child = spawn(options.backend ?? gitHttpBackend, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    children++;
    let finished = false;
    let killed = false;
    const stop = (why: string) => {
      if (finished) return;
      finished = killed = true;
      log(`${req.method} ${req.url}: ${why}: killing git-http-backend (pid ${child.pid})`);
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => {
      stop(`no end after ${timeoutMs} ms`);
      answer(res, 504, 'git-http-backend took too long');
    }, timeoutMs);
    res.on('close', () => {
      // (go-git closes as soon as it has read the final flush-pkt: the backend is exiting anyway)
      if (!res.writableFinished) stop('client closed the connection before the answer ended');
    });
    child.on('error', (error) => {
      finished = true;
      answer(res, 502, `cannot run git-http-backend: ${error.message}`);
    });
    child.on('close', (code, signal) => {
      children--;
      finished = true;
      clearTimeout(timer);
      if (code !== 0 && !killed) log(`${req.method} ${req.url}: git-http-backend exited ${code ?? signal}`);
    });
    child.stderr.on('data', (chunk: Buffer) => log(`git-http-backend: ${chunk.toString('utf8').trimEnd()}`));

    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
      if (received > maxBody) {
        stop(`request body over ${maxBody} bytes`);
        answer(res, 413, 'request body too large');
        req.destroy();
      }
    });
    child.stdin.on('error', () => {}); // the backend may stop reading early; its answer says why
    req.pipe(child.stdin);

    let head: Buffer | undefined = Buffer.alloc(0);
    child.stdout.on('data', (chunk: Buffer) => {
      let body = chunk;
      if (head !== undefined) {
        head = Buffer.concat([head, chunk]);
        const split = splitCgiHead(head);
        if (!split) {
          if (head.length > 64 * 1024) stop('no CGI header end in 64 KiB');
          return;
        }
        head = undefined;
        if (res.headersSent) return;
        res.writeHead(split.status, split.headers);
        body = split.body;
      }
      if (body.length > 0 && !res.write(body)) {
        child.stdout.pause();
        res.once('drain', () => child.stdout.resume());
      }
    });
    child.stdout.on('end', () => {
      if (head !== undefined) answer(res, 502, 'git-http-backend gave no answer');
      else res.end();
    });
  }

  return createServer((req, res) => {
    const started = Date.now();
    const route = routeOf(req.method ?? 'GET', req.url ?? '/');
    const user =
      route.kind === 'git'
        ? authorizedUser(req.headers.authorization, options.user, options.password)
        : undefined;
    res.on('finish', () =>
      log(`${req.method} ${req.url} ${res.statusCode} ${Date.now() - started}ms ${user ?? '-'}`),
    );
    if (route.kind === 'health') return answer(res, 200, 'ok');
    if (route.kind === 'refused') return answer(res, route.status, route.reason);
    if (!user)
      return answer(res, 401, 'authentication required', {
        'www-authenticate': 'Basic realm="kubeline-stack-git", charset="UTF-8"',
      });
    if (!repositoryDir(options.root, route.repo)) return answer(res, 404, 'no such repository');
    if (children >= maxChildren) return answer(res, 503, 'busy', { 'retry-after': '1' });
    runBackend(req, res, route, user);
  });
}
