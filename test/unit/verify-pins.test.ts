// scripts/verify-pins.ts run for real against loopback servers: a mirror laid out like kubeline's
// (<tool>/v<version>/<file>, with the upstreams' checksums files beside), an upstream URL template,
// injected 503s, and a server that never answers.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serveDir, type Served } from '../support/http-fixture.js';
import { ROOT, runTs, type Ran } from '../support/processes.js';

const SCRIPT = path.join(ROOT, 'scripts', 'verify-pins.ts');
const sha256 = (data: string) => crypto.createHash('sha256').update(data).digest('hex');

interface Fake {
  tool: string;
  version: string;
  platform: string;
  file: string;
  data: string;
}

/** The fake tools: helm (.sha256sum beside each archive), kubectl (bare .sha256), cosign (one list). */
const FAKES: Fake[] = [
  {
    tool: 'helm',
    version: '3.17.3',
    platform: 'linux-x64',
    file: 'helm-v3.17.3-linux-amd64.tar.gz',
    data: 'helm x64',
  },
  { tool: 'kubectl', version: '1.33.9', platform: 'linux-x64', file: 'kubectl', data: 'kubectl x64' },
  { tool: 'cosign', version: '3.1.3', platform: 'linux-x64', file: 'cosign-linux-amd64', data: 'cosign x64' },
  {
    tool: 'cosign',
    version: '3.1.3',
    platform: 'linux-arm64',
    file: 'cosign-linux-arm64',
    data: 'cosign arm64',
  },
];

const dirs: string[] = [];
const servers: Array<{ close(): Promise<void> }> = [];
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
  dirs.forEach((d) => fs.rmSync(d, { recursive: true, force: true }));
});

function write(file: string, text: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, text);
}

/** A mirror directory holding `fakes` and their checksums files, and a manifest pinning them. */
function mirrorDir(fakes: Fake[] = FAKES): { dir: string; manifest: string; file(f: Fake): string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-verify-pins-'));
  dirs.push(dir);
  const tools: Record<string, { default: string; versions: Record<string, Record<string, object>> }> = {};
  const file = (f: Fake) => path.join(dir, 'mirror', f.tool, `v${f.version}`, f.file);
  const cosignList: string[] = [];
  for (const f of fakes) {
    write(file(f), f.data);
    const tool = (tools[f.tool] ??= { default: f.version, versions: {} });
    (tool.versions[f.version] ??= {})[f.platform] = { file: f.file, sha256: sha256(f.data) };
    if (f.tool === 'helm') write(`${file(f)}.sha256sum`, `${sha256(f.data)}  ${f.file}\n`);
    if (f.tool === 'kubectl') write(`${file(f)}.sha256`, sha256(f.data));
    if (f.tool === 'cosign') cosignList.push(`${sha256(f.data)}  ${f.file}`);
  }
  if (cosignList.length)
    write(path.join(dir, 'mirror', 'cosign', 'v3.1.3', 'cosign_checksums.txt'), cosignList.join('\n') + '\n');
  const manifest = path.join(dir, 'manifest.json');
  write(manifest, JSON.stringify({ tools }, null, 2));
  return { dir, manifest, file };
}

async function serve(dir: string): Promise<Served> {
  const served = await serveDir(path.join(dir, 'mirror'));
  servers.push(served);
  return served;
}

const run = (...args: string[]): Promise<Ran> => runTs(SCRIPT, { KUBELINE_RETRY_BASE_MS: '10' }, args);
const lines = (r: Ran) => (r.stdout + r.stderr).trim().split('\n');

it('passes when every asset and every published checksums file match the pins', async () => {
  const m = mirrorDir();
  const served = await serve(m.dir);
  const r = await run('--mirror', served.url, '--manifest', m.manifest);
  expect(r.stderr).toBe('');
  expect(lines(r)).toEqual(
    expect.arrayContaining([
      `ok    helm 3.17.3 linux-x64: sha256 ${sha256('helm x64')}, as helm-v3.17.3-linux-amd64.tar.gz.sha256sum lists`,
      `ok    kubectl 1.33.9 linux-x64: sha256 ${sha256('kubectl x64')}, as kubectl.sha256 lists`,
      `ok    cosign 3.1.3 linux-arm64: sha256 ${sha256('cosign arm64')}, as cosign_checksums.txt lists`,
      `verify-pins: 4 verified, 0 failed, 0 skipped of 4 (mirror ${served.url})`,
    ]),
  );
  expect(r.code).toBe(0);
  // the shared checksums file is fetched once for both cosign assets
  expect(served.requests.filter((p) => p.endsWith('cosign_checksums.txt'))).toHaveLength(1);
});

it('fails a tampered asset, naming tool, version, platform, the pin and what was downloaded', async () => {
  const m = mirrorDir();
  const arm = FAKES[3]!;
  fs.writeFileSync(m.file(arm), 'cosign arm64, but not the one pinned');
  const served = await serve(m.dir);
  const r = await run('--mirror', served.url, '--manifest', m.manifest);
  expect(r.code).toBe(1);
  const failed = lines(r).filter((l) => l.startsWith('FAIL'));
  expect(failed).toEqual([
    `FAIL  cosign 3.1.3 linux-arm64: sha256 mismatch: expected ${sha256('cosign arm64')}, actual ${sha256('cosign arm64, but not the one pinned')} (${served.url}/cosign/v3.1.3/cosign-linux-arm64)`,
  ]);
  expect(lines(r).at(-1)).toBe(`verify-pins: 3 verified, 1 failed, 0 skipped of 4 (mirror ${served.url})`);
});

it('fails a pin that the published checksums file contradicts, even when the download matches it', async () => {
  const m = mirrorDir();
  const list = path.join(m.dir, 'mirror', 'cosign', 'v3.1.3', 'cosign_checksums.txt');
  const other = sha256('what upstream really published');
  fs.writeFileSync(list, fs.readFileSync(list, 'utf8').replace(sha256('cosign x64'), other));
  const served = await serve(m.dir);
  const r = await run('--mirror', served.url, '--manifest', m.manifest);
  expect(r.code).toBe(1);
  expect(lines(r).filter((l) => l.startsWith('FAIL'))).toEqual([
    `FAIL  cosign 3.1.3 linux-x64: ${served.url}/cosign/v3.1.3/cosign_checksums.txt lists ${other} for cosign-linux-amd64, not the pinned ${sha256('cosign x64')}`,
  ]);
});

it('fails when a checksums file does not list the asset at all', async () => {
  const m = mirrorDir();
  fs.writeFileSync(`${m.file(FAKES[0]!)}.sha256sum`, `${sha256('x')}  helm-v3.17.3-linux-arm64.tar.gz\n`);
  const served = await serve(m.dir);
  const r = await run('--mirror', served.url, '--manifest', m.manifest);
  expect(r.code).toBe(1);
  expect(lines(r).filter((l) => l.startsWith('FAIL'))).toEqual([
    `FAIL  helm 3.17.3 linux-x64: ${served.url}/helm/v3.17.3/helm-v3.17.3-linux-amd64.tar.gz.sha256sum lists no sha256 for helm-v3.17.3-linux-amd64.tar.gz`,
  ]);
});

it('retries a 503 until the asset is served', async () => {
  const m = mirrorDir();
  const served = await serve(m.dir);
  served.failNext('/kubectl/v1.33.9/kubectl', 503, 2);
  const r = await run('--mirror', served.url, '--manifest', m.manifest);
  expect(r.code).toBe(0);
  expect(served.requests.filter((p) => p === '/kubectl/v1.33.9/kubectl')).toHaveLength(3);
  expect(lines(r).filter((l) => l.startsWith('retry'))).toHaveLength(2);
  expect(lines(r)).toContain(
    `ok    kubectl 1.33.9 linux-x64: sha256 ${sha256('kubectl x64')}, as kubectl.sha256 lists`,
  );
});

it('gives up on a 503 that outlasts the retries, in one line', async () => {
  const m = mirrorDir();
  const served = await serve(m.dir);
  served.failNext('/kubectl/v1.33.9/kubectl', 503, 100);
  const r = await run('--mirror', served.url, '--manifest', m.manifest);
  expect(r.code).toBe(1);
  expect(lines(r).filter((l) => l.startsWith('FAIL'))).toEqual([
    `FAIL  kubectl 1.33.9 linux-x64: ${served.url}/kubectl/v1.33.9/kubectl: HTTP 503`,
  ]);
});

it('times out a server that never answers, or stalls mid-body, with a clear line within the bound', async () => {
  const m = mirrorDir([FAKES[0]!, FAKES[1]!]);
  const hung = http.createServer((req, res) => {
    // kubectl: the request is never answered; helm: headers and a first chunk, then nothing
    if (req.url?.startsWith('/helm/')) res.writeHead(200, { 'content-length': 1000 }).write('helm');
  });
  await new Promise<void>((resolve) => hung.listen(0, '127.0.0.1', resolve));
  servers.push({
    close: () => {
      hung.closeAllConnections();
      return new Promise((resolve) => hung.close(() => resolve()));
    },
  });
  const url = `http://127.0.0.1:${(hung.address() as AddressInfo).port}`;
  const started = Date.now();
  const r = await run('--mirror', url, '--manifest', m.manifest, '--timeout', '1');
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(r.code).toBe(1);
  expect(lines(r).sort()).toEqual([
    `FAIL  helm 3.17.3 linux-x64: ${url}/helm/v3.17.3/helm-v3.17.3-linux-amd64.tar.gz: timed out after 1 s`,
    `FAIL  kubectl 1.33.9 linux-x64: ${url}/kubectl/v1.33.9/kubectl: timed out after 1 s`,
    `verify-pins: 0 verified, 2 failed, 0 skipped of 2 (mirror ${url})`,
  ]);
});

describe('--only-available', () => {
  it('skips and lists what the mirror does not hold, and checks the rest', async () => {
    const m = mirrorDir();
    fs.rmSync(m.file(FAKES[3]!));
    fs.rmSync(`${m.file(FAKES[0]!)}.sha256sum`);
    const served = await serve(m.dir);
    const r = await run('--mirror', served.url, '--manifest', m.manifest, '--only-available');
    expect(r.code).toBe(0);
    expect(lines(r)).toEqual(
      expect.arrayContaining([
        `skip  cosign 3.1.3 linux-arm64: not on the mirror (${served.url}/cosign/v3.1.3/cosign-linux-arm64)`,
        `ok    helm 3.17.3 linux-x64: sha256 ${sha256('helm x64')}, no checksums file on the mirror`,
        `verify-pins: 3 verified, 0 failed, 1 skipped of 4 (mirror ${served.url})`,
      ]),
    );
  });

  it('fails when the mirror holds none of the pinned assets', async () => {
    const m = mirrorDir();
    const empty = await serveDir(fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-verify-pins-empty-')));
    servers.push(empty);
    const r = await run('--mirror', empty.url, '--manifest', m.manifest, '--only-available');
    expect(r.code).toBe(1);
    expect(lines(r).slice(-2)).toEqual([
      `verify-pins: 0 verified, 0 failed, 4 skipped of 4 (mirror ${empty.url})`,
      'verify-pins: nothing was verified',
    ]);
  });

  it('fails a missing asset without it', async () => {
    const m = mirrorDir();
    fs.rmSync(m.file(FAKES[3]!));
    const served = await serve(m.dir);
    const r = await run('--mirror', served.url, '--manifest', m.manifest);
    expect(r.code).toBe(1);
    expect(lines(r)).toContain(
      `FAIL  cosign 3.1.3 linux-arm64: ${served.url}/cosign/v3.1.3/cosign-linux-arm64: HTTP 404`,
    );
  });

  it('is refused without a mirror, in one line', async () => {
    const r = await run('--only-available');
    expect(r.code).toBe(1);
    expect(lines(r)).toEqual(['verify-pins: --only-available applies to a mirror: give --mirror <url>']);
  });
});

it('downloads from the manifest’s upstream template ({version}, {os}, {arch}, {file}) without a mirror', async () => {
  const m = mirrorDir([FAKES[1]!]);
  const served = await serve(m.dir);
  // upstream kubectl's layout: …/v<version>/bin/<os>/<arch>/kubectl, its .sha256 beside it
  const upstream = path.join(m.dir, 'mirror', 'dl', 'v1.33.9', 'bin', 'linux', 'amd64');
  fs.mkdirSync(upstream, { recursive: true });
  for (const f of ['kubectl', 'kubectl.sha256'])
    fs.copyFileSync(path.join(m.dir, 'mirror', 'kubectl', 'v1.33.9', f), path.join(upstream, f));
  const manifest = JSON.parse(fs.readFileSync(m.manifest, 'utf8')) as {
    tools: Record<string, { upstream?: string }>;
  };
  manifest.tools.kubectl!.upstream = `${served.url}/dl/v{version}/bin/{os}/{arch}/kubectl`;
  fs.writeFileSync(m.manifest, JSON.stringify(manifest));
  const r = await run('--manifest', m.manifest);
  expect(lines(r)).toEqual([
    `ok    kubectl 1.33.9 linux-x64: sha256 ${sha256('kubectl x64')}, as kubectl.sha256 lists`,
    'verify-pins: 1 verified, 0 failed, 0 skipped of 1 (upstream)',
  ]);
  expect(r.code).toBe(0);
  expect(served.requests).toEqual([
    '/dl/v1.33.9/bin/linux/amd64/kubectl',
    '/dl/v1.33.9/bin/linux/amd64/kubectl.sha256',
  ]);
});
