// A lock across jest workers for e2e files that must not overlap: jest runs two files at once, and
// the example pipelines name fixed namespaces (`web`, `web-staging`) that each file recreates.
import { linkSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { stackDir } from '../../stack/paths.js';

const lockFile = (name: string) => join(stackDir, 'locks', `${name}.lock`);

/** The holder's pid, or undefined when the file is gone or its holder has exited (a killed run). */
function liveHolder(file: string): number | undefined {
  let pid: number;
  try {
    pid = Number(readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
  // kill(0) would signal our own process group and so read as "alive": no valid holder there
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  try {
    process.kill(pid, 0);
    return pid;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM' ? pid : undefined;
  }
}

/** link() is atomic and fails on an existing name, and the file holds our pid from its first instant. */
function tryTake(file: string): boolean {
  const mine = `${file}.${process.pid}`;
  writeFileSync(mine, String(process.pid));
  try {
    linkSync(mine, file);
    return true;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    return false;
  } finally {
    rmSync(mine, { force: true });
  }
}

/**
 * Holds `name` from before the file's first test; the file calls release() at the end of its own
 * afterAll, once what it shares is cleaned up. A holder that died is taken over, never waited for.
 */
export function useExclusive(name: string, waitMs = 20 * 60_000): { release(): void } {
  const file = lockFile(name);
  let held = false;
  beforeAll(async () => {
    mkdirSync(dirname(file), { recursive: true });
    const deadline = Date.now() + waitMs;
    while (!tryTake(file)) {
      const holder = liveHolder(file);
      if (holder === undefined) rmSync(file, { force: true });
      else if (Date.now() > deadline)
        throw new Error(`e2e: "${name}" still held by pid ${holder} after ${waitMs / 1000} s`);
      else await sleep(500);
    }
    held = true;
  }, waitMs + 10_000);
  return {
    release() {
      if (held && liveHolder(file) === process.pid) rmSync(file, { force: true });
      held = false;
    },
  };
}
