// Who deployed what from where, recorded on every rendered resource by the post-renderer, in the
// same apply as the resources themselves: no separate annotate step that can race or be skipped.
import { runUrl, type PlatformName } from '@kubeline/runtime';

export const ANNOTATION_PREFIX = 'kubeline.dev/';

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
