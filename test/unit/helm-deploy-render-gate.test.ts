// The render gate over real unix sockets, and the built bundle run as helm runs its post-renderer:
// a relay that sends the manifests on its stdin to the gate and prints only a whole answer.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { postRender } from '../../actions/helm-deploy/src/post-renderer.js';
import { RenderGate } from '../../actions/helm-deploy/src/render-gate.js';
import { readAnswer } from '../../actions/helm-deploy/src/render-relay.js';
import { NODE, ROOT } from '../support/processes.js';

const BUNDLE = path.join(ROOT, 'actions', 'helm-deploy', 'dist', 'index.js');
const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: "1"\n';
const DIGEST = `sha256:${'a'.repeat(64)}`;
const PINNED = {
  annotations: { a: 'b' },
  namespace: 'apps',
  image: {
    name: '127.0.0.1:5000/web',
    digest: DIGEST,
    ref: `127.0.0.1:5000/web@${DIGEST}`,
    tags: [],
    platforms: [],
    pushed: true,
    labels: {},
  },
};
const render = (m: string) => postRender(m, { annotations: { a: 'b' }, namespace: 'apps' });

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const settledWithin = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then((v) => ({ v })), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

/** The built bundle run as helm runs its post-renderer, relaying to `socket`. */
function relay(socket: string, manifests = MANIFEST) {
  const child = spawn(NODE, [BUNDLE], {
    env: { PATH: process.env.PATH, KUBELINE_HELM_RENDER_RELAY: socket },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.on('error', () => undefined);
  child.stdin.end(manifests);
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { exited, out: () => ({ stdout, stderr }) };
}

describe('the relay at a held gate', () => {
  it('hands the post-rendered manifests back only once opened; later ones pass at once', async () => {
    const gate = await RenderGate.listen(dir, 'ahead', render, true);
    expect(path.dirname(gate.path)).toBe(dir);
    expect(path.basename(gate.path)).toMatch(/^render-ahead-\d+\.sock$/);
    expect(fs.statSync(gate.path).mode & 0o777).toBe(0o600);
    const rendered = gate.whenRendered(new AbortController().signal);
    const p = relay(gate.path);
    expect((await rendered)?.resources).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'web', namespace: 'apps' },
    ]);
    expect(await settledWithin(p.exited, 300)).toBe('pending');
    expect(gate.letThrough).toBe(false);
    gate.open();
    expect(await p.exited).toBe(0);
    expect(gate.letThrough).toBe(true);
    expect(p.out().stdout).toBe(
      '---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\n  annotations:\n    a: b\ndata:\n  a: "1"\n',
    );
    const later = relay(gate.path, MANIFEST.replace('web', 'api'));
    expect(await later.exited).toBe(0);
    expect(later.out().stdout).toContain('name: api');
    expect(gate.report?.resources[0]?.name).toBe('api');
    gate.close();
  }, 30_000);

  it('fails, handing nothing back, when the gate closes; its socket is gone', async () => {
    const gate = await RenderGate.listen(dir, 'ahead', render, true);
    const p = relay(gate.path);
    await gate.whenRendered(new AbortController().signal);
    gate.close();
    expect(await p.exited).toBe(1);
    expect(p.out()).toEqual({
      stdout: '',
      stderr: 'kubeline: the deploy did not go ahead; nothing was applied\n',
    });
    expect(gate.letThrough).toBe(false);
    expect(fs.existsSync(gate.path)).toBe(false);
    gate.open(); // a closed gate stays closed
    expect(await relay(gate.path).exited).toBe(1);
  }, 30_000);

  it('refuses manifests that do not pull the pinned digest at once, even while held', async () => {
    const gate = await RenderGate.listen(dir, 'ahead', (m) => postRender(m, PINNED), true);
    const tagged =
      'apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers:\n    - name: web\n      image: 127.0.0.1:5000/web:v2\n';
    const p = relay(gate.path, tagged);
    expect(await p.exited).toBe(1);
    expect(p.out().stdout).toBe('');
    expect(p.out().stderr).toBe(
      `kubeline: Pod/web container web runs 127.0.0.1:5000/web:v2, not the pinned digest ${DIGEST}\n`,
    );
    expect(gate.report?.error).toContain('not the pinned digest');
    expect(gate.letThrough).toBe(false);
    gate.close();
  }, 30_000);

  it('turns a rendering away, in one line, when post-rendering itself throws', async () => {
    const gate = await RenderGate.listen(
      dir,
      'x',
      () => {
        throw new Error('boom\nstack');
      },
      false,
    );
    const p = relay(gate.path);
    expect(await p.exited).toBe(1);
    expect(p.out().stderr).toBe('kubeline: post-rendering failed: boom\n');
    gate.close();
  }, 30_000);
});

describe('the relay alone', () => {
  it('fails at once, never hangs, when nothing listens at the path', async () => {
    const none = relay(path.join(dir, 'none.sock'));
    expect(await none.exited).toBe(1);
    expect(none.out().stderr).toBe('kubeline: the deploy did not go ahead; nothing was applied\n');
    fs.writeFileSync(path.join(dir, 'file.sock'), 'not a socket');
    expect(await relay(path.join(dir, 'file.sock')).exited).toBe(1);
  }, 30_000);

  it('prints nothing of an answer cut short', async () => {
    const cut = path.join(dir, 'cut.sock');
    // Says 100 bytes, sends fewer: a connection cut mid-answer.
    const server = net.createServer({ allowHalfOpen: true }, (s) =>
      s.resume().on('end', () => s.end('apply 100\n---\nkind: ConfigMap\n')),
    );
    await new Promise<void>((r) => server.listen(cut, r));
    const p = relay(cut);
    expect(await p.exited).toBe(1);
    expect(p.out().stdout).toBe('');
    server.close();
  }, 30_000);

  it('reads only a whole answer', () => {
    expect(readAnswer(Buffer.from('apply 3\nabc'))).toEqual({ manifests: Buffer.from('abc') });
    expect(readAnswer(Buffer.from('apply 0\n'))).toEqual({ manifests: Buffer.alloc(0) });
    expect(readAnswer(Buffer.from('refused\nno digest'))).toEqual({ error: 'no digest' });
    for (const cut of [
      'apply 4\nabc',
      'apply 3',
      'apply\nabc',
      'apply 3 x\nabc',
      'go\n',
      '',
      'refused 2\nab',
    ])
      expect(readAnswer(Buffer.from(cut))).toEqual({
        error: 'the deploy did not go ahead; nothing was applied',
      });
  });
});

describe('the gate socket path', () => {
  it('is 0600 in the socket dir it is given; closing removes the socket, not the dir', async () => {
    const gate = await RenderGate.listen(dir, 'upgrade', render, false);
    expect(path.dirname(gate.path)).toBe(dir);
    expect(fs.statSync(gate.path).mode & 0o777).toBe(0o600);
    expect(await relay(gate.path).exited).toBe(0);
    gate.close();
    expect(fs.existsSync(gate.path)).toBe(false);
    expect(fs.existsSync(dir)).toBe(true);
  }, 30_000);

  it('stops waiting for a rendering when told to', async () => {
    const gate = await RenderGate.listen(dir, 'x', render, false);
    const stop = new AbortController();
    const waiting = gate.whenRendered(stop.signal);
    stop.abort();
    expect(await waiting).toBeUndefined();
    gate.close();
  });
});
