#!/usr/bin/env bash
# Publish kubeline's fictional trivy vulnerability DB to a local OCI registry.
#
#   publish.sh REGISTRY/REPO:TAG   build (once) and push; prints "REF DIGEST pushed|up-to-date"
#   publish.sh --print-bin         build (once) and print the trivydb binary's path (push,
#                                  image, check; see README.md)
#   publish.sh --print-db-dir      build (once) and print the DB directory
#                                  (trivy.db, metadata.json, db.tar.gz)
#
# The binaries and the DB are cached under ${KUBELINE_CACHE:-$HOME/.cache/kubeline}/trivydb/<key>/,
# where <key> hashes this module's sources, the Go version and the pinned trivy version, so
# they are rebuilt only when one of those changes (older keys are then removed). A push is
# skipped when the tag already points at the same manifest (the same cached DB always packs
# to the same digest).
# Only loopback registries are accepted. Go's own messages go to stderr.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root="${KUBELINE_CACHE:-$HOME/.cache/kubeline}/trivydb"
versions_env="$here/../gobin/versions.env"

die() { echo "publish.sh: $*" >&2; exit 2; }

find_go() {
  if [[ -n ${GO:-} ]]; then echo "$GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  [[ -x /usr/local/go/bin/go ]] && { echo /usr/local/go/bin/go; return; }
  die "no Go toolchain found (set GO=/path/to/go)"
}

trivy_version() {
  [[ -f $versions_env ]] || return 0
  sed -n 's/^[[:space:]]*TRIVY_VERSION=\(v[^[:space:]#]*\).*/\1/p' "$versions_env"
}

go=$(find_go)
export PATH="$(dirname "$go"):$PATH" # trivydb-build: trivy-db's GHSA source runs `go list std`
export GOTOOLCHAIN=${GOTOOLCHAIN:-local} GOWORK=off
trivy_ver=$(trivy_version)

cache_key() {
  (
    cd "$here"
    for f in go.mod go.sum $(find . -name '*.go' | LC_ALL=C sort); do printf '== %s\n' "$f"; cat "$f"; done
    "$go" version
    echo "trivy $trivy_ver"
  ) | sha256sum | cut -c1-16
}

# The DB must use the trivy-db the pinned trivy was built with (same schema and bucket layout).
check_trivy_db_pin() {
  if [[ -z $trivy_ver ]]; then
    echo "publish.sh: warning: no TRIVY_VERSION in $versions_env; trivy-db pin not checked" >&2
    return 0
  fi
  local trivy_mod want have
  trivy_mod=$(cd /tmp && GOFLAGS= "$go" list -m -f '{{.GoMod}}' "github.com/aquasecurity/trivy@$trivy_ver") \
    || die "cannot read trivy $trivy_ver's go.mod from the Go module proxy"
  want=$(awk '$1 == "github.com/aquasecurity/trivy-db" { print $2 }' "$trivy_mod")
  have=$(cd "$here" && GOFLAGS=-mod=readonly "$go" list -m -f '{{.Version}}' github.com/aquasecurity/trivy-db)
  [[ $want == "$have" ]] || die "trivy $trivy_ver requires trivy-db $want but $here/go.mod pins $have;" \
    "run: (cd $here && go get github.com/aquasecurity/trivy-db@$want && go mod tidy)"
}

key=$(cache_key)
dir="$cache_root/$key"
bin="$dir/trivydb"
builder="$dir/trivydb-build"
db="$dir/db"

ensure_built() {
  [[ -x $bin && -x $builder && -f $db/db.tar.gz ]] && return 0
  mkdir -p "$dir"
  exec 9>"$cache_root/.lock"
  flock 9 # one build at a time (2-core machines)
  if [[ ! -x $bin || ! -x $builder ]]; then
    check_trivy_db_pin
    local start=$SECONDS tmp
    tmp=$(mktemp -d "$dir/.bin.XXXXXX")
    (cd "$here" && CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
      "$go" build -trimpath -ldflags "-s -w" -o "$tmp/trivydb" . &&
      CGO_ENABLED=0 GOFLAGS="-mod=readonly -buildvcs=false" \
        "$go" build -trimpath -ldflags "-s -w" -o "$tmp/trivydb-build" ./builder) \
      || { rm -rf "$tmp"; die "go build failed"; }
    mv -f "$tmp/trivydb-build" "$builder" && mv -f "$tmp/trivydb" "$bin" && rmdir "$tmp"
    echo "publish.sh: built $bin and $builder in $((SECONDS - start))s" >&2
  fi
  if [[ ! -f $db/db.tar.gz ]]; then
    local start=$SECONDS tmp
    tmp=$(mktemp -d "$dir/.db.XXXXXX")
    "$builder" --out "$tmp" >&2 || { rm -rf "$tmp"; die "DB build failed"; }
    rm -rf "$db" && mv "$tmp" "$db"
    echo "publish.sh: built $db in $((SECONDS - start))s" >&2
    local old
    for old in "$cache_root"/*/; do [[ ${old%/} == "$dir" ]] || rm -rf -- "${old%/}"; done
  fi
  exec 9>&-
}

case ${1:-} in
  --print-bin) ensure_built; echo "$bin" ;;
  --print-db-dir) ensure_built; echo "$db" ;;
  -h | --help) sed -n '2,15p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' ;;
  "") die "usage: publish.sh REGISTRY/REPO:TAG | --print-bin | --print-db-dir (see --help)" ;;
  -*) die "unknown option $1 (see --help)" ;;
  *)
    [[ $# -eq 1 ]] || die "usage: publish.sh REGISTRY/REPO:TAG"
    ensure_built
    "$bin" push --db "$db" "$1"
    ;;
esac
