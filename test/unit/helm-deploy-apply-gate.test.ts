// The apply gate over real unix sockets, and the built post-renderer held at it as helm runs it:
// a process reading manifests on stdin that hands them back only on "go".
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ApplyGate, awaitGo } from '../../actions/helm-deploy/src/apply-gate.js';
import { NODE, ROOT } from '../support/processes.js';

const BUNDLE = path.join(ROOT, 'actions', 'helm-deploy', 'dist', 'index.js');
const MANIFEST = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: web\ndata:\n  a: "1"\n';

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'gate-'));
});
afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

const settledWithin = <T>(p: Promise<T>, ms: number) =>
  Promise.race([p.then((v) => ({ v })), new Promise<'pending'>((r) => setTimeout(() => r('pending'), ms))]);

describe('apply gate', () => {
  it('holds a waiting post-renderer until opened, then lets it and later ones through', async () => {
    const gate = (await ApplyGate.listen(path.join(dir, 'g.sock')))!;
    expect(fs.statSync(gate.path).mode & 0o777).toBe(0o600);
    const waiting = awaitGo(gate.path);
    expect(await settledWithin(waiting, 200)).toBe('pending');
    expect(gate.letThrough).toBe(false);
    gate.open();
    expect(await waiting).toBe(true);
    expect(gate.letThrough).toBe(true);
    expect(await awaitGo(gate.path)).toBe(true);
    gate.close();
  });

  it('turns a waiting post-renderer away when closed, and removes its socket', async () => {
    const gate = (await ApplyGate.listen(path.join(dir, 'g.sock')))!;
    const waiting = awaitGo(gate.path);
    await new Promise((r) => setTimeout(r, 50));
    gate.close();
    expect(await waiting).toBe(false);
    expect(gate.letThrough).toBe(false);
    expect(fs.existsSync(gate.path)).toBe(false);
    gate.open(); // a closed gate stays closed
    expect(await awaitGo(gate.path)).toBe(false);
  });

  it('answers false, never hangs, when nothing listens at the path', async () => {
    expect(await awaitGo(path.join(dir, 'none.sock'))).toBe(false);
    fs.writeFileSync(path.join(dir, 'file.sock'), 'not a socket');
    expect(await awaitGo(path.join(dir, 'file.sock'))).toBe(false);
  });

  it('is not opened on a path too long for a socket', async () => {
    expect(await ApplyGate.listen(path.join(dir, `${'x'.repeat(120)}.sock`))).toBeUndefined();
  });
});

/** The built bundle run as helm runs its post-renderer, with a gate in its config. */
function postRenderer(gatePath: string) {
  const config = path.join(dir, 'post-render.json');
  const report = path.join(dir, 'report.json');
  fs.writeFileSync(
    config,
    JSON.stringify({ annotations: { a: 'b' }, namespace: 'apps', report, gate: gatePath }),
  );
  const child = spawn(NODE, [BUNDLE], {
    env: { PATH: process.env.PATH, KUBELINE_HELM_POST_RENDER: config },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.stdin.end(MANIFEST);
  const exited = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  return { exited, report, out: () => ({ stdout, stderr }) };
}

describe('the post-renderer at the gate', () => {
  it('hands the manifests back only after go, and writes its report then', async () => {
    const gate = (await ApplyGate.listen(path.join(dir, 'g.sock')))!;
    const p = postRenderer(gate.path);
    expect(await settledWithin(p.exited, 1500)).toBe('pending');
    expect(fs.existsSync(p.report)).toBe(false);
    gate.open();
    expect(await p.exited).toBe(0);
    expect(p.out().stdout).toContain('name: web');
    expect(p.out().stdout).toContain('a: b');
    expect(JSON.parse(fs.readFileSync(p.report, 'utf8')).resources).toEqual([
      { apiVersion: 'v1', kind: 'ConfigMap', name: 'web', namespace: 'apps' },
    ]);
    gate.close();
  }, 30_000);

  it('fails, handing nothing back, when the gate closes', async () => {
    const gate = (await ApplyGate.listen(path.join(dir, 'g.sock')))!;
    const p = postRenderer(gate.path);
    await settledWithin(p.exited, 1000);
    gate.close();
    expect(await p.exited).toBe(1);
    expect(p.out().stdout).toBe('');
    expect(p.out().stderr).toContain('did not go ahead; nothing was applied');
    expect(fs.existsSync(p.report)).toBe(false);
  }, 30_000);
});
