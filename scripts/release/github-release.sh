#!/usr/bin/env bash
# Creates the GitHub release of an existing tag, its notes being the tag's CHANGELOG.md section
# (scripts/changelog.ts, which also checks the tag against package.json). Needs gh and GH_TOKEN.
#
#   scripts/release/github-release.sh v0.1.0
set -euo pipefail

tag=${1:?usage: github-release.sh <vX.Y.Z tag>}
notes=$(mktemp)
trap 'rm -f "$notes"' EXIT
node scripts/changelog.ts "$tag" > "$notes"
prerelease=()
[[ $tag == *-* ]] && prerelease=(--prerelease)
gh release create "$tag" --verify-tag --title "$tag" --notes-file "$notes" "${prerelease[@]}"
