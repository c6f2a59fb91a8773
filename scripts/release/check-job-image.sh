#!/usr/bin/env bash
# On the release tag: the tagged commit pins the job image by digest (release/job-image.json, written
# by release-prepare.yml), for this version, and the registry serves that digest as <image>:<version>.
#
#   scripts/release/check-job-image.sh v0.1.0
set -euo pipefail

tag=${1:?usage: check-job-image.sh <tag>}
read -r image version digest < <(node -e '
const r = require("./release/job-image.json");
console.log(r.image, r.version, r.digest ?? "null");
')
if [[ $tag != "v$version" ]]; then
  echo "check-job-image: release/job-image.json is for $version, not $tag" >&2
  exit 1
fi
if [[ ! $digest =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "check-job-image: release/job-image.json pins no digest; run release-prepare.yml to release" >&2
  exit 1
fi
served=$(docker buildx imagetools inspect "$image:$version" --format '{{json .Manifest}}' |
  node -e 'let s = ""; process.stdin.on("data", (d) => (s += d)).on("end", () => console.log(JSON.parse(s).digest))')
if [[ $served != "$digest" ]]; then
  echo "check-job-image: $image:$version is $served, the components pin $digest" >&2
  exit 1
fi
echo "check-job-image: $image:$version is $digest, as pinned"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  echo "ref=$image@$digest" >> "$GITHUB_OUTPUT"
fi
