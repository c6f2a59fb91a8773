import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadManifest } from '@kubeline/tools';
import { helmArchive, realBinary } from '../support/real-binaries.js';
import { serveDir, type Served } from '../support/http-fixture.js';
import { NODE, ROOT, runBundle, runProcess } from '../support/processes.js';

const sha256 = (file: string) => crypto.createHash('sha256').update(fs.readFileSync(file)).digest('hex');
const CLI = path.join(ROOT, 'bin', 'kubeline.js');

let server: Served;
let manifestFile: string;

beforeAll(async () => {
  // A mirror with kubeline's layout and a manifest for its repackaged helm archives (what an air-gapped
  // organisation would run); kubectl keeps the bundled upstream hash.
  const mirror = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-mirror-'));
  const entries: Record<string, unknown> = {};
  for (const [version, layer] of [
    ['3.17.3', 'v31'],
    ['4.1.4', 'v33'],
  ] as const) {
    const dir = path.join(mirror, 'helm', `v${version}`);
    fs.mkdirSync(dir, { recursive: true });
    const tgz = helmArchive(realBinary('helm', layer), dir, version);
    entries[version] = {
      'linux-x64': { file: path.basename(tgz), binary: 'linux-amd64/helm', sha256: sha256(tgz) },
    };
  }
  fs.mkdirSync(path.join(mirror, 'kubectl', 'v1.33.9'), { recursive: true });
  fs.copyFileSync(realBinary('kubectl', 'v33'), path.join(mirror, 'kubectl', 'v1.33.9', 'kubectl'));
  manifestFile = path.join(mirror, 'manifest.json');
  fs.writeFileSync(
    manifestFile,
    JSON.stringify({
      tools: { helm: { default: '3.17.3', versions: entries }, kubectl: loadManifest().tools.kubectl },
    }),
  );
  server = await serveDir(mirror);
});

afterAll(() => server.close());

function isolated(): NodeJS.ProcessEnv {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-st-'));
  return {
    RUNNER_TEMP: path.join(dir, 'temp'),
    RUNNER_TOOL_CACHE: path.join(dir, 'cache'),
    KUBELINE_RETRY_BASE_MS: '10',
  };
}

describe('actions/setup-tools/dist (the committed bundle)', () => {
  it('an unknown version exits 1 with one line naming the input', async () => {
    const r = await runBundle('setup-tools', { ...isolated(), INPUT_HELM: '9.9.9' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([
      'error: setup-tools: input "helm": "9.9.9" is not valid; allowed: default, 4.2.0, 4.1.4, 3.17.3 or a major/minor prefix of one',
    ]);
  });

  it('a malformed mirror URL and an unsupported platform are one-line input errors', async () => {
    const bad = await runBundle('setup-tools', {
      ...isolated(),
      INPUT_HELM: 'default',
      INPUT_MIRROR: 'mirror.local/tools',
    });
    expect(bad.stderr.trim()).toBe(
      'error: setup-tools: input "mirror": "mirror.local/tools" is not valid; it must be an absolute URL (http or https)',
    );
    const arch = await runBundle('setup-tools', {
      ...isolated(),
      INPUT_HELM: 'default',
      INPUT_PLATFORM: 'linux-s390x',
      INPUT_MIRROR: server.url,
    });
    expect(arch.code).toBe(1);
    expect(arch.stderr.trim()).toBe(
      'error: setup-tools: input "platform": "linux-s390x" is not valid; helm 3.17.3 is pinned for: linux-arm64, linux-x64',
    );
  });

  it('installs helm 4 and kubectl from the mirror; outputs are JSON on stdout; nothing is fetched twice', async () => {
    const env = {
      ...isolated(),
      INPUT_HELM: '4',
      INPUT_KUBECTL: 'default',
      INPUT_MIRROR: server.url,
      INPUT_MANIFEST: manifestFile,
      PATH: '/usr/bin:/bin',
    };
    server.requests.length = 0;
    const r = await runBundle('setup-tools', env);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    expect(out['helm-version']).toBe('4.1.4');
    expect(out['kubectl-version']).toBe('1.33.9');
    expect(fs.existsSync(out['helm-path']!)).toBe(true);
    expect(server.requests).toEqual([
      '/helm/v4.1.4/helm-v4.1.4-linux-amd64.tar.gz',
      '/kubectl/v1.33.9/kubectl',
    ]);
    const again = await runBundle('setup-tools', env);
    expect(JSON.parse(again.stdout)).toEqual(out);
    expect(server.requests).toHaveLength(2);
  });

  it('on GitHub writes outputs, PATH additions and a summary table', async () => {
    const env = isolated();
    const files = Object.fromEntries(
      ['GITHUB_OUTPUT', 'GITHUB_PATH', 'GITHUB_STEP_SUMMARY'].map((k) => [
        k,
        path.join(env.RUNNER_TEMP!, '..', k),
      ]),
    );
    for (const f of Object.values(files)) fs.writeFileSync(f, '');
    const r = await runBundle('setup-tools', {
      ...env,
      ...files,
      GITHUB_ACTIONS: 'true',
      INPUT_HELM: '3.17.3',
      KUBELINE_TOOLS_MIRROR: server.url,
      KUBELINE_TOOLS_MANIFEST: manifestFile,
    });
    expect(r.code).toBe(0);
    expect(fs.readFileSync(files.GITHUB_OUTPUT!, 'utf8')).toMatch(
      /helm-version<<ghadelimiter_[\w-]+\n3\.17\.3\n/,
    );
    expect(fs.readFileSync(files.GITHUB_PATH!, 'utf8')).toContain(
      path.join(env.RUNNER_TOOL_CACHE!, 'helm', '3.17.3', 'x64'),
    );
    expect(fs.readFileSync(files.GITHUB_STEP_SUMMARY!, 'utf8')).toMatch(
      /\| helm \| 3\.17\.3 \| download \(sha256 verified\) \|/,
    );
  });
});

describe('the kubeline CLI', () => {
  it('lists actions, and --help prints inputs and outputs from action.yml', async () => {
    const list = await runProcess(NODE, [CLI, '--help']);
    expect(list.stdout).toMatch(/^ {2}setup-tools {6}Installs helm/m);
    const help = await runProcess(NODE, [CLI, 'setup-tools', '--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('  --mirror\n');
    expect(help.stdout).toContain('  helm-path: Absolute path of the installed helm.');
  });

  it('runs an action with --flags as its inputs', async () => {
    const r = await runProcess(
      NODE,
      [CLI, 'setup-tools', '--helm', '3', '--mirror', server.url, `--manifest=${manifestFile}`],
      isolated(),
    );
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout)['helm-version']).toBe('3.17.3');
  });

  it('rejects an unknown flag and names the allowed ones', async () => {
    const r = await runProcess(NODE, [CLI, 'setup-tools', '--hlem', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'error: kubeline: unknown input --hlem; inputs: --helm, --kubectl, --trivy, --cosign, --buildx, --mirror, --manifest, --platform\n',
    );
  });

  it('refuses to run on Node older than 24', async () => {
    const r = await runProcess('/usr/bin/node', [CLI, 'setup-tools']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(
      /^error: kubeline: Node \d+\.\d+\.\d+ is too old: kubeline needs Node 24 or newer\n$/,
    );
  });
});

describe('generated files', () => {
  it('action.generated.ts and the README tables match action.yml', async () => {
    const r = await runProcess(NODE, [
      path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs'),
      path.join(ROOT, 'scripts', 'gen.ts'),
      '--check',
    ]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
  });
});
