import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { runTs } from '../support/processes.js';

const PROBE = path.join(import.meta.dirname, 'fixtures', 'compile-cache-probe.ts');

function toolCache(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cc-'));
}

async function probe(env: NodeJS.ProcessEnv): Promise<string | null> {
  const r = await runTs(PROBE, env);
  expect(r.code).toBe(0);
  return (JSON.parse(r.stdout) as { directory: string | null }).directory;
}

describe('enableCompileCache', () => {
  it('keeps compiled code in a 0700 folder of the tool cache, filled by the run', async () => {
    const cache = toolCache();
    const dir = path.join(cache, 'kubeline-compile-cache');
    expect(await probe({ RUNNER_TOOL_CACHE: cache })).toBe(dir);
    expect(fs.statSync(dir).mode & 0o777).toBe(0o700);
    const entries = fs.readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(entries.length).toBeGreaterThan(0);
  });

  it('uses no folder that others can write to: its files would become our code', async () => {
    const cache = toolCache();
    const dir = path.join(cache, 'kubeline-compile-cache');
    fs.mkdirSync(dir);
    fs.chmodSync(dir, 0o777);
    expect(await probe({ RUNNER_TOOL_CACHE: cache })).toBeNull();
    expect(fs.readdirSync(dir)).toEqual([]);
  });

  it('uses no symlink in its place', async () => {
    const cache = toolCache();
    const elsewhere = fs.mkdtempSync(path.join(os.tmpdir(), 'kubeline-cc-elsewhere-'));
    fs.chmodSync(elsewhere, 0o700);
    fs.symlinkSync(elsewhere, path.join(cache, 'kubeline-compile-cache'));
    expect(await probe({ RUNNER_TOOL_CACHE: cache })).toBeNull();
    expect(fs.readdirSync(elsewhere)).toEqual([]);
  });

  it('KUBELINE_COMPILE_CACHE=off turns it off', async () => {
    const cache = toolCache();
    expect(await probe({ RUNNER_TOOL_CACHE: cache, KUBELINE_COMPILE_CACHE: 'off' })).toBeNull();
    expect(fs.existsSync(path.join(cache, 'kubeline-compile-cache'))).toBe(false);
  });
});
