// Daemons of the stack: started detached in their own process group, recorded in a PID file
// (pid + kernel start time, so a recycled PID is never mistaken for ours), stopped by group.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { logFile, paths } from './paths.js';
import { pollUntil } from './wait.js';

export interface DaemonSpec {
  name: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
  cwd?: string;
}

export interface PidRecord {
  pid: number;
  startTicks: string;
  argv: string[];
}

const startMarker = '\n==== ';

// Exits seen by this process, so a health wait can fail fast instead of running out its deadline.
const exited = new Map<string, number | string>();

function pidFile(name: string): string {
  return join(paths.pids, `${name}.json`);
}

function procStartTicks(pid: number): { ticks: string; state: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '?', ticks: fields[19] ?? '' };
  } catch {
    return undefined;
  }
}

export function readPidRecord(name: string): PidRecord | undefined {
  try {
    return JSON.parse(readFileSync(pidFile(name), 'utf8')) as PidRecord;
  } catch {
    return undefined;
  }
}

export function isRecordAlive(record: PidRecord): boolean {
  const proc = procStartTicks(record.pid);
  return proc !== undefined && proc.state !== 'Z' && proc.ticks === record.startTicks;
}

export function isDaemonRunning(name: string): boolean {
  const record = readPidRecord(name);
  return record !== undefined && isRecordAlive(record);
}

export function daemonExit(name: string): number | string | undefined {
  return exited.get(name);
}

export async function startDaemon(spec: DaemonSpec): Promise<PidRecord> {
  mkdirSync(paths.pids, { recursive: true });
  mkdirSync(paths.logs, { recursive: true });
  const [file, ...args] = spec.argv;
  if (!file) throw new Error(`${spec.name}: empty argv`);
  const log = openSync(logFile(spec.name), 'a');
  writeFileSync(log, `${startMarker}${new Date().toISOString()} ${spec.argv.join(' ')}\n`);
  exited.delete(spec.name);
  const child = spawn(file, args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    detached: true, // own session and process group: stopped as a group, survives this CLI
    stdio: ['ignore', log, log],
  });
  closeSync(log);
  child.on('exit', (code, signal) => exited.set(spec.name, code ?? signal ?? 'unknown'));
  await Promise.race([
    once(child, 'spawn'),
    once(child, 'error').then(([error]) => {
      throw new Error(`${spec.name}: cannot start ${file}: ${(error as Error).message}`);
    }),
  ]);
  child.unref();
  const pid = child.pid!;
  const record = { pid, startTicks: procStartTicks(pid)?.ticks ?? '', argv: spec.argv };
  writeFileSync(pidFile(spec.name), JSON.stringify(record) + '\n');
  return record;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Live (non-zombie) members of a process group: a daemon's children must be gone too. */
function groupMembers(pgid: number): number[] {
  const members: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const [state, , pgrp] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(pgrp) === pgid && state !== 'Z') members.push(Number(entry));
    } catch {
      // exited while scanning
    }
  }
  return members;
}

/** Stops the daemon's whole process group (TERM, then KILL after graceMs); true when it was running. */
export async function stopDaemon(name: string, graceMs = 15_000): Promise<boolean> {
  const record = readPidRecord(name);
  rmSync(pidFile(name), { force: true });
  if (!record || !isRecordAlive(record)) return false;
  signalGroup(record.pid, 'SIGTERM');
  const stopped = await pollUntil(() => !isRecordAlive(record) && groupMembers(record.pid).length === 0, {
    timeoutMs: graceMs,
    intervalMs: 100,
  }).catch(() => false);
  if (!stopped) {
    signalGroup(record.pid, 'SIGKILL');
    await pollUntil(() => groupMembers(record.pid).length === 0, { timeoutMs: 5_000, intervalMs: 100 }).catch(
      () => false,
    );
  }
  return true;
}

/** The last lines this daemon logged since its latest start (each start writes a ==== marker). */
export function logTail(name: string, lines = 25): string {
  const file = logFile(name);
  if (!existsSync(file)) return `(no log at ${file})`;
  const text = readFileSync(file, 'utf8');
  const run = text
    .slice(text.lastIndexOf(startMarker) + 1)
    .trimEnd()
    .split('\n');
  return run.slice(-lines).join('\n');
}
