#!/usr/bin/env bash
# Build (once) the Go-built binaries of kubeline's local test bed, cached by version.
#
#   build.sh [name ...]          build the named tools (default: all, in the order below)
#   build.sh --print-path NAME   print NAME's cached path; exit 1 if it is not built yet
#   build.sh --list              print "name version" for every known tool
#
# Each binary lands in ${KUBELINE_CACHE:-$HOME/.cache/kubeline}/gobin/<name>-<version>/<name>
# and is only built when that file is missing. A build writes a temp file next to it and
# renames it into place, so an interrupted build never leaves a half binary. Concurrent
# invocations serialise on a lock file (never two Go builds at once on a 2-core machine).
# Output: one line per tool, "<name> <version> <path> (cached|built in Ns)"; Go's own
# messages go to stderr.
#
# Versions come from versions.env beside this script. Tools whose upstream go.mod has
# replace/exclude directives (`go install mod@ver` refuses those), and tools that share one
# build list so that Go's cache compiles their common packages once (kwok and Flux's
# controllers), are built from the wrapper module in the directory named by the tool spec
# below (go.mod + go.sum committed).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache_root="${KUBELINE_CACHE:-$HOME/.cache/kubeline}/gobin"

# Build order of the default run: Kubernetes first (most urgent for the rest of the team).
ALL_TOOLS=(
  kube-apiserver kube-controller-manager kube-scheduler
  kwok kwokctl
  etcd
  buildkitd buildctl
  docker-buildx
  cosign cosign3
  trivy
  actionlint
  source-controller kustomize-controller helm-controller
)

die() { echo "build.sh: $*" >&2; exit 2; }

# versions.env: NAME_VERSION=vX.Y.Z lines (parsed, not sourced).
declare -A V=()
while IFS= read -r line || [[ -n $line ]]; do
  line=${line%%#*}; line=${line//[[:space:]]/}
  [[ -z $line ]] && continue
  [[ $line =~ ^([A-Z0-9_]+)_VERSION=(v[0-9][0-9A-Za-z.+-]*)$ ]] || die "bad line in versions.env: $line"
  V[${BASH_REMATCH[1]}]=${BASH_REMATCH[2]}
done <"$here/versions.env"
ver_of() { [[ -n ${V[$1]:-} ]] || die "versions.env has no ${1}_VERSION"; echo "${V[$1]}"; }

# tool_spec NAME sets:
#   ver      version (from versions.env)
#   module   Go module the version belongs to
#   pkg      main package to build
#   wrapper  directory (relative to this script) of a wrapper module, or "" for `go install pkg@ver`
#   ldflags  extra -ldflags (besides -s -w), tags, cgo (CGO_ENABLED), goexp (GOEXPERIMENT)
tool_spec() {
  local name=$1
  ldflags="" tags="" cgo=0 goexp="" wrapper=""
  case $name in
    kube-apiserver | kube-controller-manager | kube-scheduler)
      ver=$(ver_of KUBERNETES) module=k8s.io/kubernetes pkg=k8s.io/kubernetes/cmd/$name wrapper=kubernetes
      local mm=${ver#v}; local major=${mm%%.*}; mm=${mm#*.}; local minor=${mm%%.*} p
      for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
        ldflags+=" -X $p.gitVersion=$ver -X $p.gitMajor=$major -X $p.gitMinor=$minor -X $p.gitTreeState=clean"
      done
      ;;
    kwok | kwokctl)
      # built from the wrapper it shares with Flux's controllers (controllers/: one build list)
      ver=$(ver_of KWOK) module=sigs.k8s.io/kwok pkg=sigs.k8s.io/kwok/cmd/$name wrapper=controllers
      ;;
    etcd)
      # server/v3's go.mod replaces its sibling modules with ../ paths: wrapper module.
      ver=$(ver_of ETCD) module=go.etcd.io/etcd/server/v3 pkg=go.etcd.io/etcd/server/v3 wrapper=etcd
      ;;
    buildkitd | buildctl)
      # buildkit's go.mod has exclude directives: wrapper module (copies them).
      ver=$(ver_of BUILDKIT) module=github.com/moby/buildkit pkg=github.com/moby/buildkit/cmd/$name wrapper=buildkit
      ldflags="-X github.com/moby/buildkit/version.Version=$ver -X github.com/moby/buildkit/version.Package=github.com/moby/buildkit"
      # upstream's Dockerfile builds buildkitd with CGO_ENABLED=0 and these tags
      if [[ $name == buildkitd ]]; then tags="osusergo netgo static_build seccomp"; fi
      ;;
    docker-buildx)
      ver=$(ver_of BUILDX) module=github.com/docker/buildx pkg=github.com/docker/buildx/cmd/buildx
      ldflags="-X github.com/docker/buildx/version.Version=$ver -X github.com/docker/buildx/version.Package=github.com/docker/buildx"
      ;;
    cosign | cosign3)
      # cosign: the 2.x line; cosign3: the 3.x line (new bundle format), both for cross-major tests
      if [[ $name == cosign3 ]]; then ver=$(ver_of COSIGN3); else ver=$(ver_of COSIGN); fi
      pkg=github.com/sigstore/cosign/${ver%%.*}/cmd/cosign
      module=${pkg%/cmd/cosign}
      [[ $ver == v1.* ]] && module=github.com/sigstore/cosign pkg=github.com/sigstore/cosign/cmd/cosign
      ldflags="-X sigs.k8s.io/release-utils/version.gitVersion=$ver"
      ;;
    trivy)
      # wrapper module: `go install ...@ver` dies on the proxy's 403 for trivy's version list
      ver=$(ver_of TRIVY) module=github.com/aquasecurity/trivy pkg=github.com/aquasecurity/trivy/cmd/trivy wrapper=trivy
      ldflags="-X github.com/aquasecurity/trivy/pkg/version/app.ver=${ver#v}"
      goexp=jsonv2 # trivy imports encoding/json/v2 (upstream goreleaser sets GOEXPERIMENT=jsonv2)
      ;;
    actionlint)
      # checks the example workflows (with: keys against local action.yml files, expressions)
      ver=$(ver_of ACTIONLINT) module=github.com/rhysd/actionlint pkg=github.com/rhysd/actionlint/cmd/actionlint
      ldflags="-X github.com/rhysd/actionlint.version=$ver"
      ;;
    source-controller | kustomize-controller | helm-controller)
      # Flux's controllers (main package in the module root); their go.mod files have replace
      # lines (`./api` among them). One wrapper for the three and kwok: the packages they share
      # compile once (see README.md)
      local key=${name%%-*}
      ver=$(ver_of "${key^^}_CONTROLLER") module=github.com/fluxcd/$name pkg=github.com/fluxcd/$name wrapper=controllers
      ;;
    *) die "unknown tool '$name' (known: ${ALL_TOOLS[*]})" ;;
  esac
}

cached_path() { echo "$cache_root/$1-$ver/$1"; }

find_go() {
  if [[ -n ${GO:-} ]]; then echo "$GO"; return; fi
  if command -v go >/dev/null 2>&1; then command -v go; return; fi
  [[ -x /usr/local/go/bin/go ]] && { echo /usr/local/go/bin/go; return; }
  die "no Go toolchain found (set GO=/path/to/go)"
}

# --- temp files are removed whatever happens ---
cleanup_paths=()
cleanup() { local p; for p in "${cleanup_paths[@]}"; do rm -rf -- "$p"; done; }
# The go command runs in a process group of its own (setsid) as a background job we wait
# for, so that a signal to this script (Ctrl-C, or a caller's timeout sending SIGTERM to
# our pid only) stops that whole build, compiler and linker included, instead of leaving
# it running orphaned. (A background job of a script is never a group leader, so setsid
# does not fork: $! is the new group's id.)
child=""
on_signal() {
  if [[ -n $child ]]; then
    kill -TERM -- "-$child" 2>/dev/null || kill -TERM "$child" 2>/dev/null || true
    wait "$child" 2>/dev/null || true
  fi
  exit "$1"
}
trap cleanup EXIT
trap 'on_signal 130' INT
trap 'on_signal 143' TERM
run_go() { # run_go DIR VAR=VAL... GO ARGS...: run the go command in DIR with that environment
  local dir=$1; shift
  setsid env -C "$dir" "$@" &
  child=$!
  local rc=0
  wait "$child" || rc=$?
  child=""
  return "$rc"
}

locked=0
take_lock() {
  ((locked)) && return 0
  mkdir -p "$cache_root"
  exec 9>"$cache_root/.lock"
  if ! flock -n 9; then
    echo "build.sh: waiting for another build.sh holding $cache_root/.lock" >&2
    flock 9
  fi
  locked=1
}

# (runs in an `||` list, where set -e is off: every step that can fail says so itself)
build_one() {
  local name=$1
  tool_spec "$name"
  local out; out=$(cached_path "$name")
  if [[ -x $out ]]; then echo "$name $ver $out (cached)"; return 0; fi
  take_lock
  if [[ -x $out ]]; then echo "$name $ver $out (cached)"; return 0; fi # built while we waited

  local go; go=$(find_go)
  local dir=${out%/*}
  mkdir -p "$dir"
  local tmp; tmp=$(mktemp "$dir/.$name.tmp.XXXXXX")
  cleanup_paths+=("$tmp")

  # go's own scratch dir goes under ours too, so an interrupted build leaves nothing behind
  local gotmp; gotmp=$(mktemp -d "$cache_root/.gotmp-$name.XXXXXX")
  cleanup_paths+=("$gotmp")
  # GOGC=400: the compiler and linker spend less time collecting garbage (a cold buildctl build:
  # ~4% less CPU; kube-apiserver's link, the largest, peaks at 1.9 GB, next to 24 GB here)
  local -a env=(CGO_ENABLED="$cgo" GOTOOLCHAIN="${GOTOOLCHAIN:-local}" GOEXPERIMENT="$goexp" GOTMPDIR="$gotmp" GOGC="${GOGC:-400}")
  local -a flags=(-p 2 -trimpath -ldflags "-s -w${ldflags:+ $ldflags}")
  if [[ -n $tags ]]; then flags+=(-tags "$tags"); fi
  local start=$SECONDS

  if [[ -n $wrapper ]]; then
    local wdir=$here/$wrapper
    [[ -f $wdir/go.mod ]] || die "$name: wrapper module $wdir/go.mod missing"
    # the wrapper must pin the same version as versions.env
    if ! grep -Eq "^[[:space:]]*(require[[:space:]]+)?${module//./\\.}[[:space:]]+${ver//./\\.}([[:space:]]|$)" "$wdir/go.mod"; then
      die "$name: $wdir/go.mod does not require $module $ver (versions.env); regenerate the wrapper (see README.md)"
    fi
    # Build in a scratch copy so -mod=mod can never rewrite the committed go.mod/go.sum.
    local work; work=$(mktemp -d "$cache_root/.work-$name.XXXXXX")
    cleanup_paths+=("$work")
    cp "$wdir"/go.mod "$wdir"/go.sum "$work"/ || return 1
    run_go "$work" "${env[@]}" GOFLAGS=-mod=mod GOWORK=off "$go" build "${flags[@]}" -o "$tmp" "$pkg" \
      || { echo "build.sh: building $name $ver failed" >&2; return 1; }
  else
    local gobin; gobin=$(mktemp -d "$dir/.gobin.XXXXXX")
    cleanup_paths+=("$gobin")
    # go install pkg@version ignores any surrounding module; -mod is not accepted there.
    run_go "$gobin" "${env[@]}" GOFLAGS= GOWORK=off GOBIN="$gobin" "$go" install "${flags[@]}" "$pkg@$ver" \
      || { echo "build.sh: building $name $ver failed" >&2; return 1; }
    local built=${pkg##*/}
    [[ -f $gobin/$built ]] || die "$name: go install produced no $gobin/$built"
    mv -f "$gobin/$built" "$tmp" || return 1
  fi
  chmod 0755 "$tmp" || return 1
  mv -f "$tmp" "$out" || return 1 # atomic rename within one directory
  echo "$name $ver $out (built in $((SECONDS - start))s)"
}

case ${1:-} in
  --print-path)
    [[ $# -eq 2 ]] || die "usage: build.sh --print-path NAME"
    tool_spec "$2"
    p=$(cached_path "$2")
    if [[ -x $p ]]; then echo "$p"; exit 0; fi
    echo "build.sh: $2 $ver is not built yet ($p); run test/stack/gobin/build.sh $2" >&2
    exit 1
    ;;
  --list)
    for t in "${ALL_TOOLS[@]}"; do tool_spec "$t"; echo "$t $ver"; done
    exit 0
    ;;
  -h | --help)
    sed -n '2,7p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
    exit 0
    ;;
  -*) die "unknown option $1 (see --help)" ;;
esac

tools=("$@")
[[ ${#tools[@]} -gt 0 ]] || tools=("${ALL_TOOLS[@]}")
for t in "${tools[@]}"; do tool_spec "$t"; done # fail fast on unknown names
rc=0
for t in "${tools[@]}"; do
  build_one "$t" || rc=1
done
exit $rc
