#!/usr/bin/env bash
# Creates (or reuses) the kind cluster the e2e workflow tests against (external mode, see README.md).
#
#   kind-up.sh NAME API_PORT KUBECONFIG_OUT
#
# kind is built with Go (`go install`, cached by version like gobin/build.sh's tools); the node image
# is kind's own default for that release, pinned by digest (Kubernetes 1.34, RBAC on as kubeadm sets
# it). The apiserver is published on 127.0.0.1:API_PORT, the address the stack's kubeconfigs name.
#
# kind removes the control-plane taint of a one-node cluster; it is put back here, so that test
# workloads (which carry no tolerations) can only land on the kwok nodes, where kwok drives them
# Running/Ready (or never Ready: kwok-stages.ts) exactly as on the local stack, which has no other
# node. kind's own pods (coredns, local-path) tolerate that taint and keep running.
set -euo pipefail

KIND_VERSION=v0.30.0
# kind v0.30.0's default node image (pkg/apis/config/defaults/image.go of that release)
NODE_IMAGE=kindest/node:v1.34.0@sha256:7416a61b42b1662ca6ca89f02028ac133a309a2a30ba309614e8ec94d976dc5a
# kwok hands out pod IPs from 10.244.0.0/16 (kwok.ts --cidr): kind's own pods get another range
POD_SUBNET=10.240.0.0/16

die() { echo "kind-up.sh: $*" >&2; exit 2; }
[[ $# -eq 3 ]] || die "usage: kind-up.sh NAME API_PORT KUBECONFIG_OUT"
name=$1 port=$2 out=$3
[[ $name =~ ^[a-z0-9][a-z0-9-]*$ ]] || die "bad cluster name '$name'"
[[ $port =~ ^[0-9]+$ ]] || die "bad port '$port'"
command -v go >/dev/null 2>&1 || die "no Go toolchain on PATH (kind is built with go install)"

bin_dir="${KUBELINE_CACHE:-$HOME/.cache/kubeline}/gobin/kind-$KIND_VERSION"
kind=$bin_dir/kind
if [[ ! -x $kind ]]; then
  mkdir -p "$bin_dir"
  echo "kind-up.sh: building kind $KIND_VERSION" >&2
  GOBIN=$bin_dir GOFLAGS= GOTOOLCHAIN=${GOTOOLCHAIN:-local} go install "sigs.k8s.io/kind@$KIND_VERSION"
fi

node=$name-control-plane
if "$kind" get clusters 2>/dev/null | grep -x -- "$name" >/dev/null; then
  echo "kind-up.sh: reusing kind cluster $name" >&2
else
  config=$(mktemp)
  trap 'rm -f "$config"' EXIT
  cat >"$config" <<YAML
kind: Cluster
apiVersion: kind.x-k8s.io/v1alpha4
networking:
  apiServerAddress: 127.0.0.1
  apiServerPort: $port
  podSubnet: $POD_SUBNET
nodes:
  - role: control-plane
    image: $NODE_IMAGE
YAML
  "$kind" create cluster --name "$name" --config "$config" --wait 3m
fi

# the same kubectl call kind makes to remove the taint, the other way round
docker exec "$node" kubectl --kubeconfig=/etc/kubernetes/admin.conf \
  taint nodes "$node" node-role.kubernetes.io/control-plane=:NoSchedule --overwrite

mkdir -p "$(dirname "$out")"
(umask 077; "$kind" get kubeconfig --name "$name" >"$out.tmp")
mv -f "$out.tmp" "$out"
echo "kind-up.sh: $name ($("$kind" version)) on https://127.0.0.1:$port; admin kubeconfig $out" >&2
