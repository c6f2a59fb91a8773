// Runs kubeline's GitLab component in a real GitLab pipeline engine (gitlab-ci-local, shell executor):
// the component is included with inputs, its dotenv outputs reach a later job.
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadManifest } from '@kubeline/tools';
import { helmArchive, realBinary } from '../support/real-binaries.js';
import { serveDir, type Served } from '../support/http-fixture.js';
import { ROOT, runProcess } from '../support/processes.js';

let server: Served;
let manifestFile: string;
let project: string;

/** A throwaway clone of the tracked tree (gitlab-ci-local wants a git project with an origin). */
async function cloneProject(): Promise<string> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-glc-'));
  const files = (await runProcess('git', ['ls-files', '-z'])).stdout.split('\0').filter(Boolean);
  for (const f of files) {
    if (!fs.existsSync(path.join(ROOT, f))) continue;
    fs.mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    fs.copyFileSync(path.join(ROOT, f), path.join(dir, f));
  }
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
  const git = (...args: string[]) =>
    runProcess('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {}, dir);
  await git('init', '-q', '-b', 'main');
  await git('add', '-A');
  await git('commit', '-qm', 'snapshot');
  await git('remote', 'add', 'origin', 'https://gitlab.example/kubeline/kubeline.git');
  await git('update-ref', 'refs/remotes/origin/main', 'HEAD');
  await git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/main');
  return dir;
}

beforeAll(async () => {
  const mirror = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-mirror-'));
  fs.mkdirSync(path.join(mirror, 'helm', 'v4.1.4'), { recursive: true });
  const tgz = helmArchive(realBinary('helm', 'v33'), path.join(mirror, 'helm', 'v4.1.4'), '4.1.4');
  const sha = crypto.createHash('sha256').update(fs.readFileSync(tgz)).digest('hex');
  fs.mkdirSync(path.join(mirror, 'kubectl', 'v1.33.9'), { recursive: true });
  fs.copyFileSync(realBinary('kubectl', 'v33'), path.join(mirror, 'kubectl', 'v1.33.9', 'kubectl'));
  manifestFile = path.join(mirror, 'manifest.json');
  const helm = {
    default: '4.1.4',
    versions: {
      '4.1.4': { 'linux-x64': { file: path.basename(tgz), binary: 'linux-amd64/helm', sha256: sha } },
    },
  };
  fs.writeFileSync(manifestFile, JSON.stringify({ tools: { helm, kubectl: loadManifest().tools.kubectl } }));
  server = await serveDir(mirror);
  project = await cloneProject();
}, 120_000);

afterAll(() => server.close());

it('workflows-examples/gitlab/setup-tools.gitlab-ci.yml passes outputs between jobs via dotenv', async () => {
  const r = await runProcess(
    path.join(ROOT, 'node_modules', '.bin', 'gitlab-ci-local'),
    [
      '--file',
      'workflows-examples/gitlab/setup-tools.gitlab-ci.yml',
      '--force-shell-executor',
      '--variable',
      'KUBELINE_CLI=node bin/kubeline.js',
      '--variable',
      `KUBELINE_TOOLS_MIRROR=${server.url}`,
      '--variable',
      `KUBELINE_TOOLS_MANIFEST=${manifestFile}`,
      '--variable',
      `RUNNER_TOOL_CACHE=${path.join(project, '.tool-cache')}`,
    ],
    { PATH: `${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}` },
    project,
  );
  const log = r.stdout + r.stderr;
  expect(log).toMatch(/use-tools\s+> helm 4\.1\.4 at \/\S+\/helm\/4\.1\.4\/x64\/helm/);
  expect(log).toMatch(/use-tools\s+> v4\.1\.4/);
  expect(r.code).toBe(0);
  const dotenv = fs.readFileSync(path.join(project, 'kubeline-setup-tools.env'), 'utf8');
  expect(dotenv).toMatch(/^SETUP_TOOLS_KUBECTL_VERSION=1\.33\.9$/m);
}, 180_000);
