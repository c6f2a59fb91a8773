// Who deployed what from where, recorded on every rendered resource by the post-renderer, in the
// same apply as the resources themselves: no separate annotate step that can race or be skipped.
import type { PlatformName } from '@kubeline/runtime';

export const ANNOTATION_PREFIX = 'kubeline.dev/';

/** The CI run's log: GitHub's run (and attempt) page, GitLab's job page. */
export function runUrl(platform: PlatformName, env: NodeJS.ProcessEnv): string | undefined {
  if (platform === 'github' && env.GITHUB_RUN_ID && env.GITHUB_REPOSITORY) {
    const server = env.GITHUB_SERVER_URL || 'https://github.com';
    const attempt = env.GITHUB_RUN_ATTEMPT ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : '';
    return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`;
  }
  if (platform === 'gitlab') return env.CI_JOB_URL || undefined;
  return undefined;
}

export function releaseAnnotations(
  platform: PlatformName,
  env: NodeJS.ProcessEnv,
  imageDigest: string | undefined,
): Record<string, string> {
  const values: Record<string, string | undefined> = {
    commit: env.GITHUB_SHA || env.CI_COMMIT_SHA,
    'run-url': runUrl(platform, env),
    actor: env.GITHUB_ACTOR || env.GITLAB_USER_LOGIN || (platform === 'cli' ? env.USER : undefined),
    'image-digest': imageDigest,
  };
  return Object.fromEntries(
    Object.entries(values)
      .filter((e): e is [string, string] => Boolean(e[1]))
      .map(([k, v]) => [`${ANNOTATION_PREFIX}${k}`, v]),
  );
}
