// Running the stack's CLI tools (docker, buildx, trivy, cosign, kubectl) from tests: argv only.
import { mkdirSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { CommandError, runCommand, type CommandResult } from '../../stack/command.js';
import { scratchDir } from './scratch.js';
import { loadStackEnv, stackTool, toolEnv } from './stack-env.js';

export { CommandError };

export interface RunOptions {
  cwd?: string;
  input?: string;
}

export function run(
  argv: string[],
  env: Record<string, string> = {},
  options: RunOptions = {},
): Promise<CommandResult> {
  return runCommand(argv, {
    env: toolEnv(env),
    cwd: options.cwd,
    input: options.input,
    timeoutMs: 5 * 60_000,
  });
}

/** Runs a command that must fail; returns its error for assertions. */
export async function runExpectingFailure(
  argv: string[],
  env: Record<string, string> = {},
): Promise<CommandError> {
  try {
    await run(argv, env);
  } catch (error) {
    if (error instanceof CommandError) return error;
    throw error;
  }
  throw new Error(`${argv.join(' ')} succeeded but was expected to fail`);
}

/**
 * A fresh DOCKER_CONFIG (no saved logins) with buildx as CLI plugin and a `remote` builder on
 * BUILDKIT_HOST: each test starts logged out of every registry.
 */
export async function freshDockerConfig(builder = 'e2e'): Promise<Record<string, string>> {
  const dir = scratchDir('docker-config');
  mkdirSync(join(dir, 'cli-plugins'));
  symlinkSync(stackTool('docker-buildx'), join(dir, 'cli-plugins', 'docker-buildx'));
  const env = { DOCKER_CONFIG: dir, BUILDX_BUILDER: builder };
  await run(
    ['docker', 'buildx', 'create', '--name', builder, '--driver', 'remote', loadStackEnv().BUILDKIT_HOST],
    env,
  );
  return env;
}

/**
 * `trivy image` on a registry reference with only the stack's DB: leaving out --skip-version-check or
 * --disable-telemetry makes trivy call out to the internet (seen with strace).
 */
export function offlineTrivyImage(ref: string, cacheDir: string, format = 'json'): string[] {
  return [
    stackTool('trivy'),
    'image',
    '--image-src',
    'remote',
    '--cache-dir',
    cacheDir,
    '--db-repository',
    loadStackEnv().TRIVY_DB_REPOSITORY,
    '--skip-java-db-update',
    '--skip-version-check',
    '--disable-telemetry',
    '--offline-scan',
    '--scanners',
    'vuln',
    '--format',
    format,
    '--no-progress',
    ref,
  ];
}
