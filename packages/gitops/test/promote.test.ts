// A promotion against a real Git server on loopback (git's own http-backend behind the stack's
// server code): commit and push, idempotency, racing promotions, a refused push, pull-request
// branches, and the history a rollback reads.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from '@jest/globals';
import { UserError } from '@kubeline/runtime';
import { makeContract, type ImageContract } from '@kubeline/image';
import { createGitHttpServer } from '../../../test/stack/git-http.js';
import {
  Checkout,
  gitEnvironment,
  parseRepository,
  HEALTH_NOTES,
  findRollbackTarget,
  promote,
  recordHealthy,
  type Promotion,
} from '../src/index.js';

const USER = 'kubeline';
const PASSWORD = 'p4ss-w0rd-for-tests';
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-git-root-'));
let server: Server;
let base = '';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_AUTHOR_NAME: 't',
      GIT_AUTHOR_EMAIL: 't@t',
      GIT_COMMITTER_NAME: 't',
      GIT_COMMITTER_EMAIL: 't@t',
    },
  }).trim();

const KUSTOMIZATION = `# production overlay
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - ../../base # shared
images:
  - name: registry.local/web # the app
    newTag: "1.0"
`;

let repoCount = 0;
/** A bare repository with one commit on main holding `files`. */
function createRepo(files: Record<string, string>): string {
  const name = `r${++repoCount}`;
  const bare = path.join(root, 'org', `${name}.git`);
  fs.mkdirSync(bare, { recursive: true });
  git(bare, 'init', '--quiet', '--bare', '--initial-branch=main');
  git(bare, 'config', 'http.receivepack', 'true');
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-git-seed-'));
  git(work, 'init', '--quiet', '--initial-branch=main');
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(work, f)), { recursive: true });
    fs.writeFileSync(path.join(work, f), text);
  }
  git(work, 'add', '.');
  git(work, 'commit', '--quiet', '-m', 'seed');
  git(work, 'push', '--quiet', bare, 'main');
  return `${base}/org/${name}.git`;
}

const contract = (hex: string): ImageContract =>
  makeContract({
    name: 'registry.local/web',
    digest: `sha256:${hex.repeat(64)}`,
    tags: [],
    platforms: [],
    pushed: true,
    labels: {},
  });

async function checkout(url: string, password = PASSWORD): Promise<Checkout> {
  const { remote } = parseRepository(url);
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-gitops-work-'));
  const auth = { kind: 'token' as const, username: USER, token: password };
  return Checkout.init(path.join(work, 'repo'), remote, gitEnvironment(remote, auth, work), [password]);
}

const promotion = (c: ImageContract, extra: Partial<Promotion> = {}): Promotion => ({
  contract: c,
  paths: ['overlays/production/kustomization.yaml'],
  placement: { kind: 'auto' },
  branch: 'main',
  author: { name: 'kubeline', email: 'kubeline@localhost' },
  message: (changes) =>
    `Promote web\n\n${changes.length} change(s)\n\nKubeline-Image: ${c.name}@${c.digest}\n`,
  attempts: 5,
  ...extra,
});

/** The file as the server has it on a branch. */
function fileAt(url: string, branch: string, file: string): string {
  const bare = path.join(root, new URL(url).pathname);
  return git(bare, 'show', `${branch}:${file}`);
}

beforeAll(async () => {
  server = createGitHttpServer({ root, user: USER, password: PASSWORD });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  fs.rmSync(root, { recursive: true, force: true });
});

describe('promote', () => {
  test('commits the digest, keeps comments, and a second run of the same digest commits nothing', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const c = contract('a');
    const first = await promote(await checkout(url), promotion(c));
    expect(first.changed).toBe(true);
    expect(first.pushedTo).toBe('main');
    const text = fileAt(url, 'main', 'overlays/production/kustomization.yaml');
    expect(text).toContain(`digest: ${c.digest}`);
    expect(text).toContain('# the app');
    expect(text).toContain('# shared');
    expect(text).not.toContain('newTag');
    const bare = path.join(root, new URL(url).pathname);
    expect(git(bare, 'rev-parse', 'main')).toBe(first.commit);
    expect(git(bare, 'log', '-1', '--format=%an <%ae>', 'main')).toBe('kubeline <kubeline@localhost>');

    const again = await promote(await checkout(url), promotion(c));
    expect(again).toMatchObject({ changed: false, commit: first.commit, changes: [] });
    expect(git(bare, 'rev-list', '--count', 'main')).toBe('2');
  });

  test('two promotions racing on one branch: both land, neither is lost, no force push', async () => {
    const url = createRepo({
      'overlays/production/kustomization.yaml': KUSTOMIZATION,
      'overlays/staging/kustomization.yaml': KUSTOMIZATION,
    });
    const [a, b] = await Promise.all([
      checkout(url).then((co) => promote(co, promotion(contract('b')))),
      checkout(url).then((co) =>
        promote(co, promotion(contract('c'), { paths: ['overlays/staging/kustomization.yaml'] })),
      ),
    ]);
    expect(a.changed && b.changed).toBe(true);
    expect(fileAt(url, 'main', 'overlays/production/kustomization.yaml')).toContain(contract('b').digest);
    expect(fileAt(url, 'main', 'overlays/staging/kustomization.yaml')).toContain(contract('c').digest);
    const bare = path.join(root, new URL(url).pathname);
    // seed + two promotions, one on top of the other: a linear history
    expect(git(bare, 'rev-list', '--count', 'main')).toBe('3');
    expect(a.attempts + b.attempts).toBeGreaterThanOrEqual(2);
  });

  test('ten promotions of one file racing: the last writer wins, every push fast-forwards', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const hexes = ['1', '2', '3', '4', '5', '6', '7', '8', '9', 'e'];
    const results = await Promise.all(
      hexes.map(async (h) => promote(await checkout(url), promotion(contract(h), { attempts: 20 }))),
    );
    const bare = path.join(root, new URL(url).pathname);
    const landed = results.filter((r) => r.changed).length;
    expect(Number(git(bare, 'rev-list', '--count', 'main'))).toBe(1 + landed);
    const final = fileAt(url, 'main', 'overlays/production/kustomization.yaml');
    expect(hexes.some((h) => final.includes(contract(h).digest))).toBe(true);
    // every pushed commit is in main's first-parent line: nothing was overwritten
    const line = git(bare, 'rev-list', '--first-parent', 'main').split('\n');
    for (const r of results.filter((x) => x.changed)) expect(line).toContain(r.commit);
  });

  test('a wrong password fails in one line without the password, and nothing is pushed', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const err = await promote(await checkout(url, 'wrong-secret-value'), promotion(contract('d'))).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(UserError);
    expect((err as Error).message).toMatch(/fetch of main .* failed/);
    expect((err as Error).message).not.toContain('wrong-secret-value');
    expect((err as Error).message.split('\n')).toHaveLength(1);
  });

  test('a missing branch is named', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    await expect(
      promote(await checkout(url), promotion(contract('d'), { branch: 'release' })),
    ).rejects.toThrow(/branch release does not exist/);
  });

  test('pull-request mode pushes to its own branch; main is untouched; the next promotion builds on it', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const head = 'kubeline/promote/production/web';
    const first = await promote(await checkout(url), promotion(contract('a'), { headBranch: head }));
    expect(first).toMatchObject({ changed: true, pushedTo: head });
    expect(fileAt(url, 'main', 'overlays/production/kustomization.yaml')).toBe(KUSTOMIZATION.trim());
    const second = await promote(await checkout(url), promotion(contract('b'), { headBranch: head }));
    const bare = path.join(root, new URL(url).pathname);
    expect(git(bare, 'rev-parse', `${second.commit}^`)).toBe(first.commit);
    expect(fileAt(url, head, 'overlays/production/kustomization.yaml')).toContain(contract('b').digest);
  });

  test('the history names the image promoted before the current one', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    for (const h of ['a', 'b']) await promote(await checkout(url), promotion(contract(h)));
    const co = await checkout(url);
    const tip = (await co.fetch('main'))!;
    const { current, previous } = await findRollbackTarget(co, tip, [
      'overlays/production/kustomization.yaml',
    ]);
    expect(current.digest).toBe(contract('b').digest);
    expect(previous.digest).toBe(contract('a').digest);
  });

  test('a wanted digest: the promotion that wrote it, never the current one, never one none wrote', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    for (const h of ['a', 'b', 'c']) await promote(await checkout(url), promotion(contract(h)));
    const co = await checkout(url);
    const tip = (await co.fetch('main'))!;
    const files = ['overlays/production/kustomization.yaml'];
    const back = await findRollbackTarget(co, tip, files, undefined, {
      kind: 'digest',
      digest: contract('a').digest,
    });
    expect(back.current.digest).toBe(contract('c').digest);
    expect(back.previous).toMatchObject({ name: contract('a').name, digest: contract('a').digest });
    await expect(
      findRollbackTarget(co, tip, files, undefined, { kind: 'digest', digest: contract('c').digest }),
    ).rejects.toThrow(
      `the image in overlays/production/kustomization.yaml is already ${contract('c').digest}: nothing to roll back`,
    );
    await expect(
      findRollbackTarget(co, tip, files, undefined, { kind: 'digest', digest: contract('d').digest }),
    ).rejects.toThrow(
      `no promotion in the last 500 commits that touch overlays/production/kustomization.yaml wrote ${contract('d').digest}: nothing was changed`,
    );
  });
});

describe('the health record and last-good', () => {
  const FILES = ['overlays/production/kustomization.yaml'];
  const author = { name: 'kubeline', email: 'kubeline@localhost' };
  /** Promotes each image in turn (in `environment`, when given); returns the commits. */
  async function promoteAll(url: string, hexes: string[], environment?: string): Promise<string[]> {
    const commits: string[] = [];
    for (const h of hexes) {
      const c = contract(h);
      const env = environment ? `Kubeline-Environment: ${environment}\n` : '';
      const message = () => `Promote web\n\nKubeline-Image: ${c.name}@${c.digest}\n${env}`;
      commits.push((await promote(await checkout(url), promotion(c, { message }))).commit);
    }
    return commits;
  }
  const lastGood = async (url: string, environment?: string) => {
    const co = await checkout(url);
    const tip = (await co.fetch('main'))!;
    return findRollbackTarget(co, tip, FILES, environment, { kind: 'last-good' });
  };
  test('skips the unrecorded promotions since the one recorded healthy', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const [a] = await promoteAll(url, ['a']);
    await recordHealthy(await checkout(url), { commit: a!, author });
    await promoteAll(url, ['b', 'c']);
    const back = await lastGood(url);
    expect(back.current.digest).toBe(contract('c').digest);
    expect(back.target.sha).toBe(a);
    expect(back.previous.digest).toBe(contract('a').digest);
    // previous would have been b
    const co = await checkout(url);
    const prev = await findRollbackTarget(co, (await co.fetch('main'))!, FILES);
    expect(prev.previous.digest).toBe(contract('b').digest);
  });

  test('the current image recorded healthy does not count; nothing recorded is one line', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const [, b] = await promoteAll(url, ['a', 'b']);
    await expect(lastGood(url)).rejects.toThrow(
      `no earlier promotion of ${FILES[0]} with another image than ${contract('b').digest} was recorded healthy in refs/notes/kubeline (gitops-promote records one when wait-for sees it roll out): nothing was changed`,
    );
    await recordHealthy(await checkout(url), { commit: b!, author });
    await expect(lastGood(url)).rejects.toThrow(/^no earlier promotion of /);
  });

  test('only a record for the environment asked for counts', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const [a, b] = await promoteAll(url, ['a', 'b', 'c'], 'production');
    await recordHealthy(await checkout(url), { commit: a!, environment: 'production', author });
    await recordHealthy(await checkout(url), { commit: b!, environment: 'staging', author });
    expect((await lastGood(url, 'production')).target.sha).toBe(a);
    expect((await lastGood(url)).target.sha).toBe(b);
  });

  test('a record pushed meanwhile by another run is kept: the note is made again on it', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const [a, b] = await promoteAll(url, ['a', 'b']);
    const slow = await checkout(url);
    // the other run's record lands between this run's fetch of the notes and its push
    const push = slow.pushRef.bind(slow);
    let raced = 0;
    slow.pushRef = async (ref: string) => {
      if (raced++ === 0) await recordHealthy(await checkout(url), { commit: a!, author });
      return push(ref);
    };
    await recordHealthy(slow, { commit: b!, author });
    expect(raced).toBe(2);
    const bare = path.join(root, new URL(url).pathname);
    expect(git(bare, 'notes', `--ref=${HEALTH_NOTES}`, 'show', a!)).toMatch(/^Kubeline-Healthy: - \S+Z$/);
    expect(git(bare, 'notes', `--ref=${HEALTH_NOTES}`, 'show', b!)).toMatch(/^Kubeline-Healthy: - \S+Z$/);
    // the branch the controller follows did not move
    expect(git(bare, 'rev-parse', 'main')).toBe(b);
  });
});

/** A proxy in front of the Git server that answers 503 to the first `failures` requests. */
async function flakyProxy(
  failures: number,
): Promise<{ url: string; seen: () => number; close: () => Promise<void> }> {
  let seen = 0;
  const target = new URL(base);
  const proxy = createServer((req, res) => {
    seen++;
    if (seen <= failures) {
      res.writeHead(503).end('try later');
      return;
    }
    const upstream = request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(proxy.address() as AddressInfo).port}`,
    seen: () => seen,
    close: () => new Promise((resolve) => proxy.close(() => resolve())),
  };
}

describe('a Git server that answers 503', () => {
  const saved = process.env.KUBELINE_RETRY_BASE_MS;
  beforeAll(() => {
    process.env.KUBELINE_RETRY_BASE_MS = '10';
  });
  afterAll(() => {
    if (saved === undefined) delete process.env.KUBELINE_RETRY_BASE_MS;
    else process.env.KUBELINE_RETRY_BASE_MS = saved;
  });

  test('for a while: the fetch and push are retried and the promotion lands', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const proxy = await flakyProxy(2);
    try {
      const viaProxy = url.replace(base, proxy.url);
      const r = await promote(await checkout(viaProxy), promotion(contract('f')));
      expect(r.changed).toBe(true);
      expect(proxy.seen()).toBeGreaterThan(2);
      expect(fileAt(url, 'main', 'overlays/production/kustomization.yaml')).toContain(contract('f').digest);
    } finally {
      await proxy.close();
    }
  });

  test('for good: one line naming the server, after bounded retries, nothing pushed', async () => {
    const url = createRepo({ 'overlays/production/kustomization.yaml': KUSTOMIZATION });
    const proxy = await flakyProxy(1_000);
    try {
      const err = await promote(await checkout(url.replace(base, proxy.url)), promotion(contract('f'))).catch(
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(UserError);
      expect((err as Error).message).toMatch(
        /^git fetch: .*503.* \(http:\/\/127\.0\.0\.1:\d+\/org\/r\d+\.git, gave up after retries\)$/,
      );
      expect(proxy.seen()).toBe(4); // KUBELINE_RETRY_ATTEMPTS' default
      expect(git(path.join(root, new URL(url).pathname), 'rev-list', '--count', 'main')).toBe('1');
    } finally {
      await proxy.close();
    }
  });
});
