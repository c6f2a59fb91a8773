import crypto from 'node:crypto';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { ChecksumError, installTool, loadManifest, type ToolsManifest } from '@kubeline/tools';
import { InputError, KubelineError } from '@kubeline/runtime';
import { helmArchive, realBinary } from '../../../test/support/real-binaries.js';
import { serveDir, type Served } from '../../../test/support/http-fixture.js';
import { ROOT, runTs } from '../../../test/support/processes.js';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');

let mirrorDir: string;
let server: Served;
let manifest: ToolsManifest;
let toolCache: string;

beforeAll(async () => {
  // A mirror laid out as <tool>/v<version>/<file>, holding real helm and kubectl binaries.
  mirrorDir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-mirror-'));
  fs.mkdirSync(path.join(mirrorDir, 'helm', 'v3.17.3'), { recursive: true });
  fs.mkdirSync(path.join(mirrorDir, 'kubectl', 'v1.33.9'), { recursive: true });
  const helmTgz = helmArchive(realBinary('helm', 'v31'), path.join(mirrorDir, 'helm', 'v3.17.3'), '3.17.3');
  fs.copyFileSync(realBinary('kubectl', 'v33'), path.join(mirrorDir, 'kubectl', 'v1.33.9', 'kubectl'));
  manifest = {
    tools: {
      helm: {
        default: '3.17.3',
        versions: {
          '3.17.3': {
            'linux-x64': {
              file: path.basename(helmTgz),
              binary: 'linux-amd64/helm',
              sha256: sha256(helmTgz),
            },
          },
        },
      },
      // kubectl's entry is the bundled one: the real upstream hash must match the real binary.
      kubectl: loadManifest().tools.kubectl!,
    },
  };
  server = await serveDir(mirrorDir);
});

afterAll(async () => {
  await server.close();
});

beforeEach(() => {
  toolCache = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-toolcache-'));
  process.env.RUNNER_TOOL_CACHE = toolCache;
  process.env.RUNNER_TEMP = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-temp-'));
  process.env.KUBELINE_RETRY_BASE_MS = '20';
  server.requests.length = 0;
});

const cachedVersions = (tool: string) =>
  fs.existsSync(path.join(toolCache, tool)) ? fs.readdirSync(path.join(toolCache, tool)) : [];

describe('installTool against a loopback mirror of real archives', () => {
  it('downloads, verifies, extracts and caches a real helm that runs', async () => {
    const got = await installTool({
      tool: 'helm',
      version: '3',
      manifest,
      mirror: server.url,
      reusePath: false,
    });
    expect(got).toMatchObject({ tool: 'helm', version: '3.17.3', source: 'download' });
    expect(server.requests).toEqual(['/helm/v3.17.3/helm-v3.17.3-linux-amd64.tar.gz']);
    const v = spawnSync(got.path, ['version', '--template', '{{.Version}}'], { encoding: 'utf8' });
    expect(v.stdout).toBe('v3.17.3');
    expect(cachedVersions('helm')).toEqual(['3.17.3']);
  });

  it('the bundled kubectl sha256 matches the real upstream binary (bare file, no archive)', async () => {
    const got = await installTool({
      tool: 'kubectl',
      version: 'default',
      manifest,
      mirror: server.url,
      reusePath: false,
    });
    expect(got.version).toBe('1.33.9');
    const v = spawnSync(got.path, ['version', '--client', '-o', 'json'], { encoding: 'utf8' });
    expect(JSON.parse(v.stdout).clientVersion.gitVersion).toBe('v1.33.9');
  });

  it('a second install is a cache hit with no download', async () => {
    await installTool({ tool: 'helm', version: '3.17.3', manifest, mirror: server.url, reusePath: false });
    server.requests.length = 0;
    const again = await installTool({
      tool: 'helm',
      version: '3.17.3',
      manifest,
      mirror: server.url,
      reusePath: false,
    });
    expect(again.source).toBe('cache');
    expect(server.requests).toEqual([]);
  });

  it('a checksum mismatch fails closed, names both hashes and caches nothing', async () => {
    const tampered = structuredClone(manifest);
    const asset = tampered.tools.helm!.versions['3.17.3']!['linux-x64']!;
    const real = asset.sha256;
    asset.sha256 = 'a'.repeat(64);
    const err = await installTool({
      tool: 'helm',
      version: '3.17.3',
      manifest: tampered,
      mirror: server.url,
      reusePath: false,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(ChecksumError);
    expect(err.message).toContain(`expected sha256 ${'a'.repeat(64)}, got ${real}`);
    expect(cachedVersions('helm')).toEqual([]);
    expect(fs.readdirSync(process.env.RUNNER_TEMP!)).toEqual([]);
  });

  it('retries a 503 and then succeeds', async () => {
    const p = '/helm/v3.17.3/helm-v3.17.3-linux-amd64.tar.gz';
    server.failNext(p, 503, 2);
    const got = await installTool({
      tool: 'helm',
      version: '3.17.3',
      manifest,
      mirror: server.url,
      reusePath: false,
    });
    expect(got.source).toBe('download');
    expect(server.requests).toEqual([p, p, p]);
  });

  it('gives up on a 404 at once, naming the URL', async () => {
    const broken = structuredClone(manifest);
    broken.tools.helm!.versions['3.17.3']!['linux-x64']!.file = 'missing.tar.gz';
    const err = await installTool({
      tool: 'helm',
      version: '3.17.3',
      manifest: broken,
      mirror: server.url,
      reusePath: false,
    }).catch((e) => e);
    expect(err).toBeInstanceOf(KubelineError);
    expect(err.message).toContain(`${server.url}/helm/v3.17.3/missing.tar.gz failed: HTTP 404`);
    expect(server.requests).toHaveLength(1);
  });

  it('an unsupported platform is an input error listing the pinned ones', async () => {
    const err = await installTool({
      tool: 'helm',
      version: '3.17.3',
      manifest,
      mirror: server.url,
      platform: 'linux-s390x',
    }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toBe(
      'input "platform": "linux-s390x" is not valid; helm 3.17.3 is pinned for: linux-x64',
    );
    expect(server.requests).toEqual([]);
  });

  it('an unknown version is an input error listing the pinned ones', async () => {
    const err = await installTool({ tool: 'helm', version: '9.9.9', manifest, mirror: server.url }).catch(
      (e) => e,
    );
    expect(err.message).toBe(
      'input "helm": "9.9.9" is not valid; allowed: default, 3.17.3 or a major/minor prefix of one',
    );
  });

  it('reuses a binary on PATH only when its version matches', async () => {
    const bin = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-path-'));
    fs.copyFileSync(realBinary('helm', 'v31'), path.join(bin, 'helm'));
    fs.chmodSync(path.join(bin, 'helm'), 0o755);
    const savedPath = process.env.PATH;
    process.env.PATH = `${bin}${path.delimiter}${savedPath}`;
    try {
      const same = await installTool({ tool: 'helm', version: '3.17.3', manifest, mirror: server.url });
      expect(same).toMatchObject({ source: 'path', path: path.join(bin, 'helm') });
      expect(server.requests).toEqual([]);
      const v4 = structuredClone(manifest);
      v4.tools.helm!.versions['3.17.4'] = v4.tools.helm!.versions['3.17.3']!;
      const other = await installTool({
        tool: 'helm',
        version: '3.17.4',
        manifest: v4,
        mirror: server.url,
      }).catch((e) => e);
      // 3.17.4 is not what is on PATH, so it is downloaded (and here fails: the mirror has no such file).
      expect(String(other.message)).toContain('/helm/v3.17.4/');
    } finally {
      process.env.PATH = savedPath;
    }
  });
});

describe('downloads in one process', () => {
  it('stay correct after @actions/tool-cache (and its own undici) was loaded, from an HTTP/1.0 server', async () => {
    // Like busybox httpd (the stack's mirror, and many simple mirrors): HTTP/1.0, body, then close.
    const kubectl = path.join(mirrorDir, 'kubectl', 'v1.33.9', 'kubectl');
    const body = fs.readFileSync(kubectl);
    const raw = net.createServer((socket) => {
      socket.once('data', () => {
        socket.write(
          `HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        socket.end(body);
      });
    });
    await new Promise<void>((resolve) => raw.listen(0, '127.0.0.1', resolve));
    try {
      const { port } = raw.address() as net.AddressInfo;
      const r = await runTs(path.join(ROOT, 'test/unit/fixtures/downloads-after-toolcache.ts'), {}, [
        `http://127.0.0.1:${port}/kubectl`,
        sha256(kubectl),
        '4',
      ]);
      expect(r.stderr).not.toContain('AssertionError');
      expect(r.stdout.trim()).toBe('ok 4');
      expect(r.code).toBe(0);
    } finally {
      raw.close();
    }
  });
});

describe('the bundled manifest', () => {
  it('pins both linux architectures with a sha256 for every tool and version', () => {
    const m = loadManifest();
    expect(Object.keys(m.tools).sort()).toEqual(['buildx', 'cosign', 'helm', 'kubectl', 'trivy']);
    for (const [tool, entry] of Object.entries(m.tools)) {
      expect(entry.upstream).toMatch(/^https:\/\//);
      for (const [version, platforms] of Object.entries(entry.versions)) {
        expect([tool, version, Object.keys(platforms).sort()]).toEqual([
          tool,
          version,
          ['linux-arm64', 'linux-x64'],
        ]);
      }
    }
    expect(Object.keys(m.tools.helm!.versions).some((v) => v.startsWith('4.'))).toBe(true);
  });
});
