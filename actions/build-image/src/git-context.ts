import { exec } from '@kubeline/runtime';
import { sourceUrl, type GitContext } from './default-tags.js';

/** The source as GitHub or GitLab describe it in the job's environment; undefined elsewhere. */
export function contextFromEnv(env: NodeJS.ProcessEnv): GitContext | undefined {
  if (env.GITHUB_SHA) {
    const ref = env.GITHUB_REF ?? '';
    const m = /^refs\/(heads|tags|pull)\/(.+?)(?:\/(?:merge|head))?$/.exec(ref);
    const kind = m
      ? ({ heads: 'branch', tags: 'tag', pull: 'pull' } as const)[m[1] as 'heads' | 'tags' | 'pull']
      : undefined;
    return {
      sha: env.GITHUB_SHA,
      ...(kind ? { ref: { kind, name: m![2]! } } : {}),
      ...(env.GITHUB_REPOSITORY
        ? { source: `${env.GITHUB_SERVER_URL || 'https://github.com'}/${env.GITHUB_REPOSITORY}` }
        : {}),
    };
  }
  if (env.CI_COMMIT_SHA) {
    const ref: GitContext['ref'] = env.CI_COMMIT_TAG
      ? { kind: 'tag', name: env.CI_COMMIT_TAG }
      : env.CI_MERGE_REQUEST_IID
        ? { kind: 'pull', name: env.CI_MERGE_REQUEST_IID }
        : env.CI_COMMIT_BRANCH
          ? { kind: 'branch', name: env.CI_COMMIT_BRANCH }
          : undefined;
    return {
      sha: env.CI_COMMIT_SHA,
      ...(ref ? { ref } : {}),
      ...(env.CI_PROJECT_URL ? { source: env.CI_PROJECT_URL } : {}),
    };
  }
  return undefined;
}

async function git(dir: string, args: string[]): Promise<string | undefined> {
  try {
    const r = await exec('git', ['-C', dir, ...args], {
      silent: true,
      allowFailure: true,
      timeoutMs: 10_000,
    });
    return r.code === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
  } catch {
    return undefined; // no git on this machine: the build simply has no git context
  }
}

/** `git log --format=%D` of HEAD: `HEAD -> main, tag: v1.2.3, origin/main` → the branch and a tag, semver first. */
export function refFromDecorations(decorations: string): GitContext['ref'] {
  const names = decorations.split(',').map((d) => d.trim());
  const tags = names.filter((n) => n.startsWith('tag: ')).map((n) => n.slice(5));
  const tag = tags.find((t) => /^v?\d+\.\d+\.\d+/.test(t)) ?? tags[0];
  if (tag) return { kind: 'tag', name: tag };
  const branch = names.find((n) => n.startsWith('HEAD -> '))?.slice(8);
  return branch ? { kind: 'branch', name: branch } : undefined;
}

/**
 * The CI environment's view of the source, else the checkout the context folder lives in. The commit
 * time comes from the checkout either way (GitHub does not put it in the environment).
 */
export async function readGitContext(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<GitContext> {
  const fromEnv = contextFromEnv(env);
  if (fromEnv) {
    const time = env.CI_COMMIT_TIMESTAMP || (await git(dir, ['show', '-s', '--format=%cI', fromEnv.sha!]));
    return { ...fromEnv, ...(time ? { time } : {}) };
  }
  const [head, remote] = await Promise.all([
    git(dir, ['log', '-1', '--format=%H %cI%n%D', 'HEAD']),
    git(dir, ['config', '--get', 'remote.origin.url']),
  ]);
  if (!head) return {};
  const [line = '', decorations = ''] = head.split('\n');
  const [sha, time] = line.split(' ');
  const ref = refFromDecorations(decorations);
  const source = remote ? sourceUrl(remote) : undefined;
  return { sha, time, ...(ref ? { ref } : {}), ...(source ? { source } : {}) };
}
