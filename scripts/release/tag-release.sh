#!/usr/bin/env bash
# Commits the job image pin (release/job-image.json and what `npm run gen` derived from it) and tags
# that commit v<version>; pushes the branch and the tag in one atomic push. Run after
# pin-job-image.sh, from the release branch's checkout.
#
#   scripts/release/tag-release.sh 0.1.0 [remote]
set -euo pipefail

version=${1:?usage: tag-release.sh <version> [remote]}
remote=${2:-origin}
tag="v$version"
branch=$(git rev-parse --abbrev-ref HEAD)
if [[ $branch == HEAD ]]; then
  echo "tag-release: not on a branch; check out the branch the release commit goes to" >&2
  exit 1
fi
if git rev-parse --verify --quiet "refs/tags/$tag" > /dev/null; then
  echo "tag-release: tag $tag exists already" >&2
  exit 1
fi
digest=$(node -p 'require("./release/job-image.json").digest')
git add release/job-image.json templates README.md
git commit -q -m "release: $tag runs the job image by digest $digest"
git tag -a "$tag" -m "$tag"
git push --atomic "$remote" "HEAD:refs/heads/$branch" "refs/tags/$tag"
echo "tag-release: pushed $branch and $tag ($(git rev-parse --short HEAD))"
