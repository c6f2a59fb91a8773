// Temporary directories of one test file, under one root that the file removes in afterAll.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

let root: string | undefined;

export function scratchDir(prefix: string): string {
  root ??= mkdtempSync(join(tmpdir(), 'kubeline-e2e-'));
  return mkdtempSync(join(root, `${prefix}-`));
}

export function scratchFile(prefix: string, name: string): string {
  return join(scratchDir(prefix), name);
}

export function removeScratch(): void {
  if (root) rmSync(root, { recursive: true, force: true });
  root = undefined;
}
