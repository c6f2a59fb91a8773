// One stack:up at a time (jest's global set-up and a person may race): an O_EXCL lock file
// holding the owner's PID; a lock whose owner is dead is taken over.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stackDir } from './paths.js';
import { pollUntil } from './wait.js';

const lockFile = join(stackDir, 'up.lock');

function ownerAlive(): boolean {
  try {
    process.kill(Number(readFileSync(lockFile, 'utf8')), 0);
    return true;
  } catch {
    return false;
  }
}

function tryLock(): boolean {
  try {
    writeFileSync(lockFile, String(process.pid), { flag: 'wx' });
    return true;
  } catch {
    if (ownerAlive()) return false;
    rmSync(lockFile, { force: true });
    return false; // retried on the next poll
  }
}

export async function withStackLock<T>(body: () => Promise<T>): Promise<T> {
  await pollUntil(tryLock, { timeoutMs: 60 * 60_000, intervalMs: 500 });
  try {
    return await body();
  } finally {
    rmSync(lockFile, { force: true });
  }
}
