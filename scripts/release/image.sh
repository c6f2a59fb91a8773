#!/usr/bin/env bash
# Builds the job image (Containerfile) for linux/amd64 and linux/arm64 and pushes it as
# <image>:<version>; prints the pushed digest reference and, on GitHub, sets the step outputs
# `digest` and `ref` (<image>@<digest>) for signing.
#
#   scripts/release/image.sh ghcr.io/kubeline/kubeline 0.1.0
set -euo pipefail

image=${1:?usage: image.sh <image name> <version>}
version=${2:?usage: image.sh <image name> <version>}
meta=$(mktemp)
trap 'rm -f "$meta"' EXIT

docker buildx build -f Containerfile \
  --platform linux/amd64,linux/arm64 \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.revision=$(git rev-parse HEAD)" \
  --tag "$image:$version" \
  --metadata-file "$meta" \
  --push \
  .
digest=$(node -e 'console.log(JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"))["containerimage.digest"] ?? "")' "$meta")
if [[ ! $digest =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "image: buildx reported no pushed digest (got '$digest')" >&2
  exit 1
fi
echo "image: pushed $image:$version as $image@$digest"
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
  echo "digest=$digest" >> "$GITHUB_OUTPUT"
  echo "ref=$image@$digest" >> "$GITHUB_OUTPUT"
fi
