// The stack's Git server (test/stack/git-http.ts) without the stack: its routing of raw paths, the
// CGI head parser, a real push and clone through git-http-backend in a temp root, and the time
// bound on the CGI child (killed at its deadline and when the client goes away).
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, test } from '@jest/globals';
import { createGitHttpServer, routeOf, splitCgiHead, type GitHttpOptions } from '../stack/git-http.js';
import { pollUntil } from '../stack/wait.js';

const run = promisify(execFile);
const temp = mkdtempSync(join(tmpdir(), 'kubeline-git-http-'));
afterAll(() => rmSync(temp, { recursive: true, force: true }));

const credentials = { user: 'kubeline', password: 'unit-secret' };
const authorization = `Basic ${Buffer.from('kubeline:unit-secret').toString('base64')}`;

async function serve(
  options: Partial<GitHttpOptions> & { root: string },
): Promise<{ server: Server; url: string }> {
  const server = createGitHttpServer({ ...credentials, ...options });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

function get(url: string, auth?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers: auth ? { authorization: auth } : {} }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

describe('routeOf', () => {
  test.each([
    ['GET', '/healthz', 'health'],
    ['GET', '/a/b.git/info/refs?service=git-upload-pack', 'git'],
    ['GET', '/a/b/c.git/info/refs?service=git-receive-pack', 'git'],
    ['POST', '/b.git/git-receive-pack', 'git'],
  ])('%s %s is %s', (method, target, kind) => {
    expect(routeOf(method, target).kind).toBe(kind);
  });

  test('a push is a write, a fetch is not', () => {
    expect(routeOf('GET', '/a/b.git/info/refs?service=git-receive-pack')).toMatchObject({ write: true });
    expect(routeOf('POST', '/a/b.git/git-receive-pack')).toMatchObject({ write: true });
    expect(routeOf('POST', '/a/b.git/git-upload-pack')).toMatchObject({ write: false });
  });

  test.each([
    ['/a/../b.git/info/refs?service=git-upload-pack', 400],
    ['/../b.git/git-upload-pack', 400],
    ['/a/%2e%2e/b.git/git-upload-pack', 400],
    ['/a//b.git/git-upload-pack', 400],
    ['/a\\..\\b.git/git-upload-pack', 400],
    ['/./b.git/git-upload-pack', 400],
    ['/a/b/c/d.git/git-upload-pack', 404],
    ['/.hidden.git/git-upload-pack', 404],
    ['/a/b.git/HEAD', 404],
    ['/a/b.git/objects/info/packs', 404],
  ])('%s is refused with %d', (target, status) => {
    expect(routeOf('POST', target)).toMatchObject({ kind: 'refused', status });
  });

  test('dumb HTTP and wrong methods are refused', () => {
    expect(routeOf('GET', '/a/b.git/info/refs')).toMatchObject({ kind: 'refused', status: 403 });
    expect(routeOf('POST', '/a/b.git/info/refs?service=git-upload-pack')).toMatchObject({ status: 405 });
    expect(routeOf('GET', '/a/b.git/git-upload-pack')).toMatchObject({ status: 405 });
  });
});

test('splitCgiHead reads the status and headers, and keeps the body', () => {
  const split = splitCgiHead(Buffer.from('Status: 404 Not Found\r\nContent-Type: text/plain\r\n\r\nnope'));
  expect(split).toMatchObject({ status: 404, headers: { 'Content-Type': 'text/plain' } });
  expect(split?.body.toString()).toBe('nope');
  expect(splitCgiHead(Buffer.from('Content-Type: x\n\nbody'))?.status).toBe(200);
  expect(splitCgiHead(Buffer.from('Content-Type: x\r\n'))).toBeUndefined();
});

test('a real push and clone through git-http-backend, with Basic auth', async () => {
  const root = join(temp, 'root');
  mkdirSync(join(root, 'o'), { recursive: true });
  await run('git', ['init', '--quiet', '--bare', '--initial-branch=main', join(root, 'o', 'r.git')]);
  const { server, url } = await serve({ root });
  try {
    const env = {
      PATH: process.env.PATH,
      HOME: temp,
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_COUNT: '3',
      GIT_CONFIG_KEY_0: 'http.extraHeader',
      GIT_CONFIG_VALUE_0: `Authorization: ${authorization}`,
      GIT_CONFIG_KEY_1: 'user.name',
      GIT_CONFIG_VALUE_1: 'unit',
      GIT_CONFIG_KEY_2: 'user.email',
      GIT_CONFIG_VALUE_2: 'unit@kubeline.invalid',
    };
    const work = join(temp, 'work');
    await run('git', ['init', '--quiet', '--initial-branch=main', work], { env });
    writeFileSync(join(work, 'f'), 'x\n');
    await run('git', ['add', 'f'], { cwd: work, env });
    await run('git', ['commit', '--quiet', '-m', 'one'], { cwd: work, env });
    await run('git', ['push', '--quiet', `${url}/o/r.git`, 'HEAD:refs/heads/main'], {
      cwd: work,
      env,
      timeout: 30_000,
    });
    const clone = join(temp, 'clone');
    await run('git', ['clone', '--quiet', `${url}/o/r.git`, clone], { env, timeout: 30_000 });
    expect(readFileSync(join(clone, 'f'), 'utf8')).toBe('x\n');

    expect((await get(`${url}/o/r.git/info/refs?service=git-upload-pack`)).status).toBe(401);
    expect((await get(`${url}/o/missing.git/info/refs?service=git-upload-pack`, authorization)).status).toBe(
      404,
    );
    expect(existsSync(join(root, 'o', 'missing.git'))).toBe(false);
  } finally {
    server.close();
  }
});

describe('the CGI child', () => {
  const root = join(temp, 'slow-root');
  mkdirSync(join(root, 'o', 'r.git'), { recursive: true });
  writeFileSync(join(root, 'o', 'r.git', 'HEAD'), 'ref: refs/heads/main\n');
  const pidFile = join(temp, 'backend.pid');
  const backend = join(temp, 'slow-backend.sh');
  writeFileSync(backend, `#!/bin/sh\necho $$ > '${pidFile}'\nexec sleep 60\n`);
  chmodSync(backend, 0o755);

  const backendPid = async () =>
    Number(
      await pollUntil(() => existsSync(pidFile) && readFileSync(pidFile, 'utf8').trim(), {
        timeoutMs: 10_000,
      }),
    );
  const alive = (pid: number) =>
    existsSync(`/proc/${pid}`) && !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));

  test('is killed at its deadline, and the client gets 504', async () => {
    rmSync(pidFile, { force: true });
    const { server, url } = await serve({ root, backend, timeoutMs: 1_000 });
    try {
      const started = Date.now();
      const answer = await get(`${url}/o/r.git/info/refs?service=git-upload-pack`, authorization);
      expect(answer.status).toBe(504);
      expect(Date.now() - started).toBeLessThan(10_000);
      const pid = await backendPid();
      await pollUntil(() => !alive(pid), { timeoutMs: 5_000 });
    } finally {
      server.close();
    }
  });

  test('is killed when the client goes away', async () => {
    rmSync(pidFile, { force: true });
    const { server, url } = await serve({ root, backend, timeoutMs: 60_000 });
    try {
      const req = request(`${url}/o/r.git/info/refs?service=git-upload-pack`, { headers: { authorization } });
      req.on('error', () => {});
      req.end();
      const pid = await backendPid();
      expect(alive(pid)).toBe(true);
      req.destroy();
      await pollUntil(() => !alive(pid), { timeoutMs: 5_000 });
    } finally {
      server.close();
    }
  });
});
