// scripts/release/pin-job-image.sh in a scratch copy of the project: the digest lands in
// release/job-image.json, every component's job-image default and the README, and the generated files
// check clean afterwards; a malformed digest or another version changes nothing.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';
import { ROOT, TSX, NODE, runProcess } from '../support/processes.js';

const PIN = path.join(ROOT, 'scripts', 'release', 'pin-job-image.sh');
const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;
let dir: string;

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-pin-'));
  for (const entry of ['package.json', 'README.md', 'release', 'scripts', 'templates', 'packages', 'actions'])
    fs.cpSync(path.join(ROOT, entry), path.join(dir, entry), {
      recursive: true,
      filter: (src) => !/\/(dist|node_modules|test)(\/|$)/.test(path.relative(ROOT, src)),
    });
  fs.symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

const pin = (...args: string[]) =>
  runProcess('bash', [PIN, ...args], { PATH: `${path.dirname(NODE)}:${process.env.PATH}` }, dir);
const jobImage = (action: string) => {
  const [header] = YAML.parseAllDocuments(
    fs.readFileSync(path.join(dir, 'templates', `${action}.yml`), 'utf8'),
  );
  return (header!.toJS() as { spec: { inputs: Record<string, { default: string }> } }).spec.inputs[
    'job-image'
  ]!.default;
};

it('refuses a malformed digest or another version, in one line, changing nothing', async () => {
  const before = fs.readFileSync(path.join(dir, 'release', 'job-image.json'), 'utf8');
  let r = await pin('ghcr.io/kubeline/kubeline', '0.1.0', 'sha256:abc');
  expect([r.code, r.stderr.trim()]).toEqual([1, "pin-job-image: 'sha256:abc' is not sha256:<64 hex>"]);
  r = await pin('ghcr.io/kubeline/kubeline', '9.9.9', DIGEST);
  expect([r.code, r.stderr.trim()]).toEqual([1, "pin-job-image: version 9.9.9 is not package.json's 0.1.0"]);
  expect(fs.readFileSync(path.join(dir, 'release', 'job-image.json'), 'utf8')).toBe(before);
}, 60_000);

it('pins the digest into release/job-image.json, every component and the README', async () => {
  const r = await pin('ghcr.io/kubeline/kubeline', '0.1.0', DIGEST);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(JSON.parse(fs.readFileSync(path.join(dir, 'release', 'job-image.json'), 'utf8'))).toEqual({
    image: 'ghcr.io/kubeline/kubeline',
    version: '0.1.0',
    digest: DIGEST,
  });
  for (const action of ['build-image', 'cosign-sign', 'helm-deploy', 'trivy-scan'])
    expect(jobImage(action)).toBe(`ghcr.io/kubeline/kubeline:0.1.0@${DIGEST}`);
  const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
  expect(readme).toContain(`pinned by digest: \`ghcr.io/kubeline/kubeline:0.1.0@${DIGEST}\``);
  expect(readme).not.toContain('by tag until the first release');
  const check = await runProcess(NODE, [TSX, 'scripts/gen.ts', '--check'], {}, dir);
  expect([check.code, check.stderr]).toEqual([0, '']);
}, 120_000);
