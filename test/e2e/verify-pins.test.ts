// verify-pins against the stack's tool mirror: every pin the mirror's manifest holds is downloaded,
// hashed and compared with the checksums file the mirror publishes in the upstream's shape; one altered pin fails the run, naming both.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from '@jest/globals';
import { repoRoot } from '../stack/paths.js';
import { NODE, TSX, runProcess } from '../support/processes.js';
import { removeScratch, scratchDir } from './harness/scratch.js';
import { loadStackEnv } from './harness/stack-env.js';

const env = loadStackEnv();
const script = join(repoRoot, 'scripts', 'verify-pins.ts');

const verifyPins = (manifest: string) =>
  runProcess(NODE, [TSX, script, '--mirror', env.TOOLS_MIRROR, '--manifest', manifest, '--only-available']);

afterAll(removeScratch);

describe('verify-pins on the stack mirror', () => {
  test('every pin the mirror serves matches its download and the checksums file', async () => {
    const r = await verifyPins(env.TOOLS_MANIFEST);
    expect(r.code).toBe(0);
    const summary = /verify-pins: (\d+) verified, (\d+) failed, (\d+) skipped of (\d+)/.exec(r.stdout);
    expect(summary).not.toBeNull();
    expect(Number(summary![1])).toBeGreaterThanOrEqual(5);
    expect(summary![2]).toBe('0');
    expect(r.stdout).toMatch(
      /^ok {4}helm 3\.\d+\.\d+ linux-x64: sha256 [0-9a-f]{64}, as helm-v3\.\d+\.\d+-linux-amd64\.tar\.gz\.sha256sum lists$/m,
    );
    // the mirror publishes every upstream's checksums file: each pin is checked against one
    expect(r.stdout).not.toContain('no checksums file');
  }, 300_000);

  test('an altered pin fails the run with the expected and actual sha256', async () => {
    const manifest = JSON.parse(readFileSync(env.TOOLS_MANIFEST, 'utf8')) as {
      tools: { kubectl: { default: string; versions: Record<string, Record<string, { sha256: string }>> } };
    };
    const kubectl = manifest.tools.kubectl;
    const asset = kubectl.versions[kubectl.default]!['linux-x64']!;
    const real = asset.sha256;
    asset.sha256 = 'f'.repeat(64);
    const file = join(scratchDir('manifest'), 'manifest.json');
    writeFileSync(file, JSON.stringify(manifest));
    const r = await verifyPins(file);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      `FAIL  kubectl ${kubectl.default} linux-x64: sha256 mismatch: expected ${'f'.repeat(64)}, actual ${real}`,
    );
  }, 300_000);
});
