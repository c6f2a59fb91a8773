import fs from 'node:fs';
import path from 'node:path';
import { runnerTemp } from '@kubeline/runtime';

const PREFIX = 'kubeline-cosign-';

/** A 0700 folder under the runner temp dir for keys, logins and predicates of one run. */
export function createWorkDir(): string {
  const base = runnerTemp();
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, PREFIX));
  fs.chmodSync(dir, 0o700);
  return dir;
}

/** Removes a work dir; a path that is not one of ours (a tampered state value) is left alone. */
export function removeWorkDir(dir: string | undefined): void {
  if (dir && path.basename(dir).startsWith(PREFIX)) fs.rmSync(dir, { recursive: true, force: true });
}
