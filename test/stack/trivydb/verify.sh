#!/usr/bin/env bash
# Verify the fictional DB, the fixture image and the real trivy together, offline.
#
#   verify.sh REGISTRY/REPO:TAG    e.g. 127.0.0.1:5000/kubeline/trivy-db:2 (a running loopback registry)
#
# Publishes the DB (publish.sh), builds the fixture image tarball from test/fixtures/vuln-image,
# then runs `trivy image --input` and `trivy fs` (with and without --ignore-unfixed) against
# the DB in a fresh cache dir and checks every report against expected.json. Also checks that
# the first scan downloads the DB from the registry and later scans use the cache.
# trivy: $TRIVY, else test/stack/gobin/build.sh --print-path trivy. Exit 0 = all good.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
fixture=$(cd "$here/../../fixtures/vuln-image" && pwd)
die() { echo "verify.sh: $*" >&2; exit 1; }

[[ $# -eq 1 ]] || die "usage: verify.sh REGISTRY/REPO:TAG"
ref=$1
trivy=${TRIVY:-$("$here/../gobin/build.sh" --print-path trivy)} || die "trivy is not built"

"$here/publish.sh" "$ref"
bin=$("$here/publish.sh" --print-bin)

work=$(mktemp -d "${TMPDIR:-/tmp}/trivydb-verify.XXXXXX")
trap 'rm -rf "$work"' EXIT
"$bin" image --context "$fixture" --out "$work/fixture.tar" >/dev/null

# Every flag here keeps trivy off the network except the DB repository:
#   --skip-version-check + --disable-telemetry  no call to check.trivy.dev (both are needed)
#   --skip-java-db-update                       no Java DB download (only used for jars anyway)
#   --offline-scan                              no lookups of dependency metadata online
#   --scanners vuln                             no secret/misconfig scanning (misconfig downloads checks)
common=(--cache-dir "$work/cache" --db-repository "$ref" --skip-java-db-update
  --skip-version-check --disable-telemetry --offline-scan --scanners vuln --format json --no-progress)

scan() { # name mode [--ignore-unfixed] -- trivy args...
  local name=$1 mode=$2; shift 2
  local extra=()
  if [[ $1 == --ignore-unfixed ]]; then extra=(--ignore-unfixed); shift; fi
  [[ $1 == -- ]] && shift
  local start=$SECONDS
  "$trivy" "$@" "${common[@]}" "${extra[@]}" --output "$work/$name.json" 2>"$work/$name.log" \
    || { cat "$work/$name.log" >&2; die "$name: trivy failed"; }
  printf '%-22s %3ss  ' "$name" "$((SECONDS - start))"
  "$bin" check --expected "$fixture/expected.json" --mode "$mode" "${extra[@]}" "$work/$name.json"
}

scan image image -- image --input "$work/fixture.tar"
grep -q "Downloading vulnerability DB" "$work/image.log" || die "first scan did not download the DB"
scan image-ignore-unfixed image --ignore-unfixed -- image --input "$work/fixture.tar"
scan fs fs -- fs "$fixture"
scan fs-ignore-unfixed fs --ignore-unfixed -- fs "$fixture"
for log in image-ignore-unfixed fs fs-ignore-unfixed; do
  if grep -q "Downloading vulnerability DB" "$work/$log.log"; then die "$log downloaded the DB again"; fi
done
echo "ok: DB downloaded once from $ref, then used from the cache"
