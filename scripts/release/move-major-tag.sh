#!/usr/bin/env bash
# Points the major tag (v0 for 0.x, v1 for 1.x, …) at the commit of a release tag and force-pushes that
# one ref, so `uses: …@v0` gets the newest 0.x. The version tag itself is never moved or pushed here.
# A pre-release, or a release older than the newest of its major (a backported fix), leaves it alone.
#
#   scripts/release/move-major-tag.sh v0.1.0 [remote]
set -euo pipefail

tag=${1:-}
remote=${2:-origin}
if [[ $tag =~ ^v[0-9]+\.[0-9]+\.[0-9]+-[0-9A-Za-z.-]+$ ]]; then
  echo "move-major-tag: $tag is a pre-release; the major tag stays where it is"
  exit 0
fi
if [[ ! $tag =~ ^v([0-9]+)\.[0-9]+\.[0-9]+$ ]]; then
  echo "move-major-tag: '$tag' is not a release tag vMAJOR.MINOR.PATCH" >&2
  exit 1
fi
major="v${BASH_REMATCH[1]}"

if ! commit=$(git rev-parse --verify --quiet "refs/tags/$tag^{commit}"); then
  echo "move-major-tag: tag $tag does not exist in this clone" >&2
  exit 1
fi
newest=$(git tag --list "$major.*" | grep -E "^$major\.[0-9]+\.[0-9]+$" | sort -V | tail -n 1)
if [[ $newest != "$tag" ]]; then
  echo "move-major-tag: $newest is newer than $tag; $major stays where it is"
  exit 0
fi

git tag --force "$major" "$commit" > /dev/null
git push --quiet --force "$remote" "refs/tags/$major:refs/tags/$major"
echo "move-major-tag: $major -> $tag ($commit)"
