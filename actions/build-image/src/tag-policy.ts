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
 * Under the immutable policy a tag may only be confirmed, never moved, and the new digest is only
 * known after the build: such builds push by digest and tag afterwards, once the registry has been
 * asked again — a build of the same new tag that finished meanwhile must not be overwritten. (The
 * registry API has no conditional tag write: what is left is the moment between that check and the
 * tag, and the read-back after it.)
 */
export function choosePushMode(
  push: boolean,
  policy: TagPolicy,
  existing: ExistingTag[],
  canPushByDigest: boolean,
): PushMode {
  if (!push) return 'none';
  if (policy === 'mutable') return 'tags';
  if (canPushByDigest) return 'digest';
  // buildx's docker driver pushes tags with the image: new tags can still be pushed that way (only
  // the second look is lost), but an existing one would be moved before it could be checked.
  if (existing.length === 0) return 'tags';
  throw new UserError(
    `tag-policy immutable: ${formatReference(existing[0]!.ref)} exists already, and the docker driver cannot push by digest to compare the new image with it before tagging; use a BuildKit builder (buildx-builder, buildkit-host, or docker/setup-buildx-action) or tag-policy: mutable`,
  );
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
  when = 'already',
): UserError {
  const first = moved[0]!;
  const more = moved.length > 1 ? ` (and ${moved.length - 1} more tag${moved.length > 2 ? 's' : ''})` : '';
  const left =
    leftBehind === 'untagged'
      ? `the new image was pushed untagged as ${imageName(first.ref)}@${digest}`
      : 'nothing was pushed';
  return new UserError(
    `tag-policy immutable: ${formatReference(first.ref)} ${when === 'already' ? 'already points' : `was pointed ${when}`} to ${first.digest}, not this build's ${digest}${more}; no tag was moved and ${left}`,
  );
}
