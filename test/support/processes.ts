import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { recordRun } from './secret-audit.js';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
/** Node 24 from node_modules (jest itself may run on it too, but child scripts must). */
export const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
export const TSX = path.join(ROOT, 'node_modules', 'tsx', 'dist', 'cli.mjs');

export interface Ran {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a real process with a clean environment plus `env`, capturing everything it prints. */
export function runProcess(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
  cwd = ROOT,
): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const base: NodeJS.ProcessEnv = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      TMPDIR: process.env.TMPDIR,
    };
    const child = spawn(cmd, args, { cwd, env: { ...base, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      // every run of a shipped bundle goes into the planted-secret audit
      if (args[0] && /\/(actions\/[^/]+|bin)\/dist\//.test(args[0])) recordRun(args[0], env, stdout, stderr);
      resolve({ code: code ?? 1, stdout, stderr });
    });
  });
}

/** Runs a TypeScript file through tsx on Node 24. */
export function runTs(
  file: string,
  env: NodeJS.ProcessEnv = {},
  args: string[] = [],
  cwd = ROOT,
): Promise<Ran> {
  return runProcess(NODE, [TSX, file, ...args], env, cwd);
}

/** Runs an action's committed bundle exactly as a runner would. */
export function runBundle(action: string, env: NodeJS.ProcessEnv = {}, cwd = ROOT): Promise<Ran> {
  return runProcess(NODE, [path.join(ROOT, 'actions', action, 'dist', 'index.js')], env, cwd);
}

export interface SpawnedBundle {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  /** The exit code (null when killed by a signal it did not handle). */
  exited: Promise<number | null>;
}

/**
 * Starts an action's committed bundle without waiting for it (tests that signal it mid-run). Like
 * runProcess, its output and temp dir go into the planted-secret audit when it ends.
 */
export function spawnBundle(action: string, env: NodeJS.ProcessEnv): SpawnedBundle {
  const bundle = path.join(ROOT, 'actions', action, 'dist', 'index.js');
  const child = spawn(NODE, [bundle], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) =>
    child.on('close', (code) => {
      recordRun(bundle, env, stdout, stderr);
      resolve(code);
    }),
  );
  return { child, stdout: () => stdout, stderr: () => stderr, exited };
}
