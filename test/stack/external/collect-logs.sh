#!/usr/bin/env bash
# Gathers what explains a failed external-mode e2e run into OUT_DIR (the workflow uploads it).
# Best effort: a piece that cannot be had is noted and the rest still collected. Copies no
# credential: no kubeconfig, nothing of .stack/pki, no registry password or htpasswd.
#
#   collect-logs.sh OUT_DIR
set -euo pipefail

out=${1:?usage: collect-logs.sh OUT_DIR}
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
stack=$(cd "$here/../../.." && pwd)/.stack
name=${KIND_CLUSTER_NAME:-kubeline}
node=$name-control-plane
mkdir -p "$out/containers" "$out/cluster" "$out/host"

try() { "$@" || echo "collect-logs: '$*' failed ($?)" >&2; }
# kubectl inside the kind node, with the node's own admin kubeconfig (no credential leaves it)
kubectl_in_node() { docker exec "$node" kubectl --kubeconfig=/etc/kubernetes/admin.conf "$@"; }
to() { local file=$1; shift; try "$@" >"$file" 2>&1; }

to "$out/cluster/nodes.txt" kubectl_in_node get nodes -o wide --show-labels
to "$out/cluster/describe-nodes.txt" kubectl_in_node describe nodes
to "$out/cluster/pods.txt" kubectl_in_node get pods --all-namespaces -o wide
to "$out/cluster/deployments.txt" kubectl_in_node get deployments,replicasets --all-namespaces -o wide
to "$out/cluster/events.txt" kubectl_in_node get events --all-namespaces --sort-by=.lastTimestamp

kind=$(compgen -G "${KUBELINE_CACHE:-$HOME/.cache/kubeline}/gobin/kind-*/kind" | tail -n 1 || true)
if [[ -n $kind ]]; then
  try "$kind" export logs "$out/kind" --name "$name"
fi

for c in registry auth-registry buildkitd prometheus; do
  to "$out/containers/$c.log" docker logs "kubeline-$c"
done
to "$out/containers/ps.txt" docker ps --all

# host daemons of the stack (kwok, tool-mirror): .stack/logs holds their output only
if [[ -d $stack/logs ]]; then
  try cp -r "$stack/logs/." "$out/host/"
fi
to "$out/host/listening.txt" ss -ltnp
echo "collect-logs: $(find "$out" -type f | wc -l) files in $out"
