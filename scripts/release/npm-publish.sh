#!/usr/bin/env bash
# Publishes the root package from the tarball `npm pack` makes, with provenance: what is published is
# the file that was packed, nothing rebuilt. A pre-release version goes to the `next` dist-tag.
# Extra arguments go to `npm publish` (`--dry-run` to try it locally).
#
#   scripts/release/npm-publish.sh [--dry-run]
set -euo pipefail

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
file=$(npm pack --silent --pack-destination "$out" --json |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s)[0].filename))')
version=$(node -p 'require("./package.json").version')
tag=latest
[[ $version == *-* ]] && tag=next
echo "npm-publish: $file as $tag"
npm publish "$out/$file" --provenance --access public --tag "$tag" "$@"
