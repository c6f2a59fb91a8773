// One private folder per run for the files an action must not leave behind: keys, registry logins,
// pulled charts, values. Created on first use, removed when the main step ends and again by the
// post step (a main step that was killed never reached its own clean-up). A unix socket needs a
// short path: when the work dir is too deep for one, a socket dir under the system temp dir stands
// in, owned and removed the same way.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { KubelineError } from './errors.js';
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

/** Linux keeps a socket's path in 108 bytes, its NUL included. */
const MAX_SOCKET_PATH_BYTES = 107;
/** Room a socket dir leaves for the socket's own name, after its separator. */
export const SOCKET_NAME_BYTES = 32;

export function leavesRoomForSocket(dir: string): boolean {
  return Buffer.byteLength(dir) + 1 + SOCKET_NAME_BYTES <= MAX_SOCKET_PATH_BYTES;
}

/** A fresh 0700 folder short enough for unix sockets, under the system's temp dir. */
export function createSocketDir(action: string, base = os.tmpdir()): string {
  const longest = path.join(base, `${workDirPrefix(action)}XXXXXX`);
  if (!leavesRoomForSocket(longest))
    throw new KubelineError(
      `TMPDIR: the temp dir path ${base} is too long for a unix socket (${MAX_SOCKET_PATH_BYTES} bytes with the socket's name); set TMPDIR to a shorter path`,
    );
  return createWorkDir(action, base);
}

/** Removes a socket dir this action created under the system's temp dir. */
export function removeSocketDir(dir: string | undefined, action: string, base = os.tmpdir()): boolean {
  return removeWorkDir(dir, action, base);
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
