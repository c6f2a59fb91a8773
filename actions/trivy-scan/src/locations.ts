// Where trivy-scan reads and writes on each platform.
import fs from 'node:fs';
import path from 'node:path';
import { InputError, runnerTemp, toolCacheDir, type PlatformName } from '@kubeline/runtime';

/** The checked-out repository: where annotations are relative to and ignore files are looked for. */
export function workspaceDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.GITHUB_WORKSPACE || env.CI_PROJECT_DIR || process.cwd();
}

/**
 * Where the reports go: GitLab's artifact paths are relative to the job's working directory, so
 * there (as the runtime does for its dotenv and summary); elsewhere a new folder per run.
 */
export function reportsFolder(
  given: string,
  platform: PlatformName,
  env: NodeJS.ProcessEnv = process.env,
): string {
  if (given || platform === 'gitlab') {
    // On GitLab, under kubeline-outputs/: the component keeps that folder as the job's artifacts.
    const dir = path.resolve(given || path.join('kubeline-outputs', 'trivy-scan'));
    fs.mkdirSync(dir, { recursive: true });
    return dir;
  }
  fs.mkdirSync(runnerTemp(env), { recursive: true });
  return fs.mkdtempSync(path.join(runnerTemp(env), 'trivy-scan-'));
}

/** Per trivy version: another version may read another DB schema or layer-cache format. */
export function trivyCacheDir(
  given: string,
  trivyVersion: string,
  env: NodeJS.ProcessEnv = process.env,
): string {
  return given ? path.resolve(given) : path.join(toolCacheDir(env), 'trivy', 'cache', trivyVersion);
}

/**
 * The cache folder when it lies inside the scanned folder (GitLab keeps it in the project so its
 * `cache:` can save it): trivy must not read its own DB as the project's files.
 */
export function cacheInside(scanned: string, cacheDir: string): string[] {
  const rel = path.relative(path.resolve(scanned), cacheDir);
  return rel !== '' && !rel.startsWith('..') && !path.isAbsolute(rel) ? [cacheDir] : [];
}

const IGNORE_FILES = ['.trivyignore.yaml', '.trivyignore.yml', '.trivyignore'];

/** The `ignore-file` input, else the workspace's own ignore file when it has one. */
export function findIgnoreFile(given: string, workspace: string): string | undefined {
  if (given) {
    const file = path.resolve(given);
    if (!fs.existsSync(file)) throw new InputError('ignore-file', given, 'it must be an existing file');
    return file;
  }
  return IGNORE_FILES.map((f) => path.join(workspace, f)).find((f) => fs.existsSync(f));
}
