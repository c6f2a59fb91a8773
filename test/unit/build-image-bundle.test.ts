// build-image's committed bundle on bad input: each mistake is exit 1 and one line naming it, before
// any tool is installed or any registry is asked.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ROOT, runBundle } from '../support/processes.js';

const fixture = path.join(ROOT, 'test', 'fixtures', 'build-image');
const made: string[] = [];
afterAll(() => made.forEach((dir) => fs.rmSync(dir, { recursive: true, force: true })));

function step(inputs: Record<string, string>) {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bi-'));
  made.push(temp);
  const vars = Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v]));
  // A tool mirror that does not exist: any attempt to install buildx would fail differently.
  return runBundle('build-image', {
    RUNNER_TEMP: temp,
    RUNNER_TOOL_CACHE: path.join(temp, 'cache'),
    KUBELINE_TOOLS_MIRROR: 'http://127.0.0.1:9',
    ...vars,
  });
}

describe('actions/build-image/dist on bad input', () => {
  it.each([
    [
      { context: fixture, tags: 'Registry.example.com/App:v1' },
      'input "tags": "Registry.example.com/App:v1" is not valid; allowed: [registry/]repository[:tag][@sha256:<64 hex>], lowercase repository',
    ],
    [
      { context: fixture, tags: '127.0.0.1:5000/app:latest' },
      'input "tags": "127.0.0.1:5000/app:latest" is not valid; tag-policy immutable refuses `latest` (it moves with every build); use a version or sha tag, or tag-policy: mutable',
    ],
    [
      { context: fixture, repository: '127.0.0.1:5000/app', tags: 'latest' },
      'input "tags": "latest" is not valid; tag-policy immutable refuses `latest` (it moves with every build); use a version or sha tag, or tag-policy: mutable',
    ],
    [
      { context: '/nonexistent/ctx', tags: '127.0.0.1:5000/app:v1' },
      'build context /nonexistent/ctx does not exist (input "context")',
    ],
    [
      { context: fixture, file: path.join(fixture, 'Dockerfile.missing'), tags: '127.0.0.1:5000/app:v1' },
      `Dockerfile ${path.join(fixture, 'Dockerfile.missing')} does not exist (input "file")`,
    ],
    [
      { context: fixture, tags: '127.0.0.1:5000/app:v1', 'registry-password': 'hunter2-not-shown' },
      'input "registry-username": "" is not valid; it is required when registry-password is set',
    ],
    [
      { context: fixture, tags: '127.0.0.1:5000/app:v1', 'registry-ca': '/nonexistent/ca.pem' },
      'input "registry-ca": "/nonexistent/ca.pem" is not valid; give a PEM certificate or the path of an existing one',
    ],
  ])('%j', async (inputs, message) => {
    const r = await step(inputs);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toEqual([`error: build-image: ${message}`]);
    expect(r.stdout.trim()).toBe('{}');
    expect(r.stdout + r.stderr).not.toContain('hunter2-not-shown');
  });
});

describe('actions/build-image/dist post step', () => {
  it('removes a login and work folder a cancelled main step left behind', async () => {
    const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-bi-post-'));
    made.push(temp);
    // The login lives inside the run's work dir, which the runtime records in the step state.
    const work = fs.mkdtempSync(path.join(temp, 'kubeline-build-image-'));
    const login = fs.mkdtempSync(path.join(work, 'kubeline-docker-'));
    fs.writeFileSync(path.join(login, 'config.json'), '{"auths":{}}');
    fs.mkdirSync(path.join(temp, 'state'));
    fs.writeFileSync(
      path.join(temp, 'state', 'build-image.json'),
      JSON.stringify({ 'kubeline-work-dir': work }),
    );
    const r = await runBundle('build-image', { RUNNER_TEMP: temp, KUBELINE_PHASE: 'post' });
    expect(r.code).toBe(0);
    expect(fs.existsSync(login)).toBe(false);
    expect(fs.existsSync(work)).toBe(false);
  });
});
