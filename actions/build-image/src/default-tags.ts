import type { TagPolicy } from './inputs.js';

/** What the build knows about its source, from GitHub, GitLab or the local git checkout. */
export interface GitContext {
  sha?: string;
  /** The ref being built: a branch, a git tag, or a pull/merge request number. */
  ref?: { kind: 'branch' | 'tag' | 'pull'; name: string };
  /** Web address of the repository, without credentials. */
  source?: string;
  /** Commit time, ISO 8601. */
  time?: string;
}

const SEMVER = /^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?)$/;

/** A docker tag allows `[A-Za-z0-9_.-]`, no leading `.` or `-`, at most 128 characters. */
export function sanitizeTag(text: string): string {
  return text
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128);
}

/**
 * Tags for a build whose `tags` input is empty. Under the immutable policy only tags that never move:
 * `sha-<7>` and a semver version; the mutable policy adds the branch or `pr-<n>`.
 */
export function defaultTags(ctx: GitContext, policy: TagPolicy): string[] {
  const tags: string[] = [];
  if (ctx.ref?.kind === 'tag') {
    const semver = SEMVER.exec(ctx.ref.name);
    // `+build` metadata is not allowed in a docker tag; docker's convention turns it into `_`.
    tags.push(semver ? semver[1]!.replace(/\+/g, '_') : sanitizeTag(ctx.ref.name));
  }
  if (ctx.sha) tags.push(`sha-${ctx.sha.slice(0, 7)}`);
  if (policy === 'mutable' && ctx.ref?.kind === 'branch') tags.push(sanitizeTag(ctx.ref.name));
  if (policy === 'mutable' && ctx.ref?.kind === 'pull') tags.push(`pr-${ctx.ref.name}`);
  return [...new Set(tags.filter((t) => t !== '' && t !== 'latest'))];
}

/** The OCI annotation labels from the source; `version` is the first tag pushed. */
export function ociLabels(
  ctx: GitContext,
  version: string | undefined,
  created: Date,
): Record<string, string> {
  const labels: Record<string, string> = { 'org.opencontainers.image.created': created.toISOString() };
  if (ctx.source) labels['org.opencontainers.image.source'] = ctx.source;
  if (ctx.sha) labels['org.opencontainers.image.revision'] = ctx.sha;
  if (version) labels['org.opencontainers.image.version'] = version;
  return labels;
}

/**
 * A git remote as a web address: `git@host:o/r.git` and `ssh://git@host/o/r` become
 * `https://host/o/r`; user names and tokens in https remotes are dropped.
 */
export function sourceUrl(remote: string): string | undefined {
  const text = remote.trim();
  const scp = /^[\w.-]+@([\w.-]+):(?!\/)(.+?)(?:\.git)?\/?$/.exec(text);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return undefined;
  }
  if (!['https:', 'http:', 'ssh:', 'git:'].includes(url.protocol)) return undefined;
  const scheme = url.protocol === 'http:' ? 'http' : 'https';
  const pathname = url.pathname.replace(/\.git\/?$/, '').replace(/\/$/, '');
  return `${scheme}://${url.hostname}${url.protocol === 'ssh:' || url.protocol === 'git:' || !url.port ? '' : `:${url.port}`}${pathname}`;
}

/**
 * The `created` label: SOURCE_DATE_EPOCH, else the commit time, else now. A fixed time keeps a rebuild
 * of the same commit byte-identical, so an immutable tag is confirmed rather than refused.
 */
export function createdAt(ctx: GitContext, env: NodeJS.ProcessEnv, now: Date = new Date()): Date {
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  if (env.SOURCE_DATE_EPOCH && Number.isInteger(epoch)) return new Date(epoch * 1000);
  const commit = ctx.time ? new Date(ctx.time) : undefined;
  return commit && !Number.isNaN(commit.getTime()) ? commit : now;
}
