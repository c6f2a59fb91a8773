import { UserError } from '@kubeline/runtime';
import { formatReference, imageName } from '@kubeline/image';
import type { PushMode } from './builder.js';
import type { TagPolicy } from './inputs.js';
import type { TaggedRef } from './targets.js';

export interface ExistingTag {
  ref: TaggedRef;
  digest: string;
}

/**
 * Under the immutable policy a tag that exists already may only be confirmed, never moved, and the
 * new digest is only known after the build: such builds push by digest first and tag afterwards.
 */
export function choosePushMode(push: boolean, policy: TagPolicy, existing: ExistingTag[]): PushMode {
  if (!push) return 'none';
  return policy === 'immutable' && existing.length > 0 ? 'digest' : 'tags';
}

/** Existing tags that point somewhere other than the new digest. */
export function movedTags(existing: ExistingTag[], digest: string): ExistingTag[] {
  return existing.filter((e) => e.digest !== digest);
}

/** The one-line refusal; it says what was left in the registry, so nothing half-pushed goes unreported. */
export function refuseMove(
  moved: ExistingTag[],
  digest: string,
  leftBehind: 'untagged' | 'nothing',
): UserError {
  const first = moved[0]!;
  const more = moved.length > 1 ? ` (and ${moved.length - 1} more tag${moved.length > 2 ? 's' : ''})` : '';
  const left =
    leftBehind === 'untagged'
      ? `the new image was pushed untagged as ${imageName(first.ref)}@${digest}`
      : 'nothing was pushed';
  return new UserError(
    `tag-policy immutable: ${formatReference(first.ref)} already points to ${first.digest}, not this build's ${digest}${more}; no tag was moved and ${left}`,
  );
}
