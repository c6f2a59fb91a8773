// One private folder per run for the files an action must not leave behind: keys, registry logins,
// pulled charts, values. Created on first use, removed when the main step ends and again by the
// post step (a main step that was killed never reached its own clean-up).
import fs from 'node:fs';
import path from 'node:path';
import { runnerTemp } from './platform.js';

const PREFIX = 'kubeline-';

export function workDirPrefix(action: string): string {
  return `${PREFIX}${action}-`;
}

/** A fresh 0700 folder under the job's temp dir, named after the action. */
export function createWorkDir(action: string, base = runnerTemp()): string {
  fs.mkdirSync(base, { recursive: true });
  const dir = fs.mkdtempSync(path.join(base, workDirPrefix(action)));
  fs.chmodSync(dir, 0o700);
  return dir;
}

/**
 * Removes a work dir this action created. The path comes back from a state file, so anything that
 * is not one of ours — another folder, a symlink, a path outside the temp dir — is left alone.
 */
export function removeWorkDir(dir: string | undefined, action: string, base = runnerTemp()): boolean {
  if (!dir || !isOwnWorkDir(dir, action, base)) return false;
  fs.rmSync(dir, { recursive: true, force: true });
  return true;
}

function isOwnWorkDir(dir: string, action: string, base: string): boolean {
  if (!path.isAbsolute(dir) || path.dirname(dir) !== path.resolve(base)) return false;
  if (!path.basename(dir).startsWith(workDirPrefix(action))) return false;
  try {
    const st = fs.lstatSync(dir);
    return st.isDirectory() && (process.getuid === undefined || st.uid === process.getuid());
  } catch {
    return false;
  }
}
