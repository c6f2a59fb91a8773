import { InputError, UserError } from '@kubeline/runtime';
import { formatReference, imageName, parseReference, type ImageRef } from '@kubeline/image';
import type { TagPolicy } from './inputs.js';

export type TaggedRef = ImageRef & { tag: string };

const BARE_TAG = /^[\w][\w.-]{0,127}$/;

function parseRepository(text: string): ImageRef | undefined {
  if (!text) return undefined;
  const ref = parseReference(text, 'repository');
  if (ref.tag || ref.digest)
    throw new InputError(
      'repository',
      text,
      'it must be a repository without a tag or digest, e.g. ghcr.io/acme/web',
    );
  return ref;
}

function parseTag(entry: string, repository: ImageRef | undefined): TaggedRef {
  if (repository && BARE_TAG.test(entry)) return { ...repository, tag: entry };
  const ref = parseReference(entry, 'tags');
  if (ref.digest)
    throw new InputError('tags', entry, 'a tag cannot carry a digest: the digest is what the build produces');
  if (!ref.tag)
    throw new InputError(
      'tags',
      entry,
      repository
        ? 'it must be a tag or a full reference with a tag'
        : 'it needs a tag (name:tag), or set repository and give bare tags',
    );
  return ref as TaggedRef;
}

/**
 * Every reference the build pushes to. `defaults` supplies bare tags (from the git context) when the
 * tags input is empty. The immutable policy refuses `latest`: it moves with every build.
 */
export function resolveTargets(opts: {
  tags: string[];
  repository: string;
  policy: TagPolicy;
  defaults: () => string[];
}): TaggedRef[] {
  const repository = parseRepository(opts.repository);
  let entries = opts.tags;
  if (entries.length === 0) {
    if (!repository)
      throw new UserError(
        'input "tags" is empty: give tags, or a repository to push tags derived from git to',
      );
    entries = opts.defaults();
    if (entries.length === 0)
      throw new UserError('input "tags" is empty and there is no git commit to derive a tag from: give tags');
  }
  const seen = new Map<string, TaggedRef>();
  for (const entry of entries) {
    const ref = parseTag(entry, repository);
    if (opts.policy === 'immutable' && ref.tag === 'latest')
      throw new InputError(
        'tags',
        entry,
        'tag-policy immutable refuses `latest` (it moves with every build); use a version or sha tag, or tag-policy: mutable',
      );
    seen.set(formatReference(ref), ref);
  }
  return [...seen.values()];
}

/** Repositories in the order first named; the first is the image contract's name. */
export function repositoriesOf(targets: TaggedRef[]): string[] {
  return [...new Set(targets.map((t) => imageName(t)))];
}
