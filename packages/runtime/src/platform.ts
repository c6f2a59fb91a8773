import os from 'node:os';
import path from 'node:path';

export type PlatformName = 'github' | 'gitlab' | 'cli';

/** Where the action runs decides how outputs, summaries, secrets and state are handled. */
export function detectPlatform(env: NodeJS.ProcessEnv = process.env): PlatformName {
  const forced = env.KUBELINE_PLATFORM;
  if (forced === 'github' || forced === 'gitlab' || forced === 'cli') return forced;
  if (env.GITHUB_ACTIONS === 'true') return 'github';
  // gitlab-ci-local (and some runners' shells) set GitLab's predefined CI_* variables but not GITLAB_CI.
  if (env.GITLAB_CI === 'true' || (env.CI_PIPELINE_ID && env.CI_JOB_ID && env.CI_PROJECT_DIR))
    return 'gitlab';
  return 'cli';
}

/**
 * A temp dir private to this job: RUNNER_TEMP on GitHub; else one per GitLab job (parallel jobs on
 * one shell runner share /tmp, and a post step must only ever see its own job's files), or per user.
 */
export function runnerTemp(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNNER_TEMP) return env.RUNNER_TEMP;
  const owner = env.CI_JOB_ID ? `job-${env.CI_JOB_ID}` : `uid-${process.getuid?.() ?? 0}`;
  return path.join(os.tmpdir(), `kubeline-${owner}`);
}

/** The tool cache: RUNNER_TOOL_CACHE on GitHub, else a per-user cache that survives between runs. */
export function toolCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.RUNNER_TOOL_CACHE) return env.RUNNER_TOOL_CACHE;
  const base =
    env.KUBELINE_CACHE || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'kubeline');
  return path.join(base, 'tool-cache');
}

/** @actions/tool-cache reads these two variables; outside GitHub we point them at our own dirs. */
export function prepareRunnerDirs(env: NodeJS.ProcessEnv = process.env): void {
  env.RUNNER_TEMP ||= runnerTemp(env);
  env.RUNNER_TOOL_CACHE ||= toolCacheDir(env);
}

/**
 * Where reports meant for the job's artifacts go: the job's working directory on GitLab (artifact
 * paths are relative to it), the job's temp dir elsewhere.
 */
export function reportDir(env: NodeJS.ProcessEnv = process.env): string {
  return detectPlatform(env) === 'gitlab' ? process.cwd() : runnerTemp(env);
}

/** The CI run's log: GitHub's run (and attempt) page, GitLab's job page. */
export function runUrl(platform: PlatformName, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (platform === 'github' && env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY) {
    const server = env.GITHUB_SERVER_URL || 'https://github.com';
    const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : '';
    return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`;
  }
  if (platform === 'gitlab') return env.CI_JOB_URL || undefined;
  return undefined;
}
