#!/usr/bin/env bash
# Pins the pushed job image by digest in release/job-image.json and regenerates what derives from it
# (every templates/<action>.yml `job-image` default and the README's CI/CD Catalog section), so the
# release commit and its tag carry the digest the components run.
#
#   scripts/release/pin-job-image.sh ghcr.io/kubeline/kubeline 0.1.0 sha256:<64 hex>
set -euo pipefail

image=${1:?usage: pin-job-image.sh <image name> <version> <digest>}
version=${2:?usage: pin-job-image.sh <image name> <version> <digest>}
digest=${3:?usage: pin-job-image.sh <image name> <version> <digest>}
if [[ ! $digest =~ ^sha256:[0-9a-f]{64}$ ]]; then
  echo "pin-job-image: '$digest' is not sha256:<64 hex>" >&2
  exit 1
fi
package_version=$(node -p 'require("./package.json").version')
if [[ $version != "$package_version" ]]; then
  echo "pin-job-image: version $version is not package.json's $package_version" >&2
  exit 1
fi

mkdir -p release
node -e '
const [image, version, digest] = process.argv.slice(1);
require("fs").writeFileSync("release/job-image.json", JSON.stringify({ image, version, digest }, null, 2) + "\n");
' "$image" "$version" "$digest"
node_modules/.bin/tsx scripts/gen.ts
echo "pin-job-image: components run $image:$version@$digest"
