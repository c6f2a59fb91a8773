#!/usr/bin/env bash
# The few Ubuntu packages the e2e tests need on a GitHub-hosted runner, beyond what the image has.
#
# Not test/stack/install-debian.sh: that one brings the local stack's own services (Debian docker.io,
# runc, docker-registry, prometheus), and on a runner docker.io and runc conflict with the
# preinstalled docker-ce/containerd.io that kind runs on. Here the registries, buildkitd and
# Prometheus run as containers instead (test/stack/external/up.ts).
#
#   busybox-static  /bin/busybox: the static binary test images are built FROM scratch with
#                   (harness/images.ts), and `busybox httpd` serves the tool mirror (mirror.ts)
#   buildah         the daemonless builder build-image's tests exercise
#   apache2-utils   htpasswd (bcrypt) for the authenticated registry (registries.ts)
#   file            to check that /bin/busybox really is static
set -euo pipefail

packages=(busybox-static buildah apache2-utils file)

missing=()
for p in "${packages[@]}"; do
  if [[ $(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null || true) != installed ]]; then
    missing+=("$p")
  fi
done
if [[ ${#missing[@]} -eq 0 ]]; then
  echo "runner-packages: all ${#packages[@]} packages present"
else
  echo "runner-packages: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  sudo -n apt-get update -qq
  sudo -n apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# what the tests and the mirror rely on, checked rather than assumed
fail() { echo "runner-packages: $*" >&2; exit 1; }
case $(file -L /bin/busybox) in
  *'statically linked'* | *'static-pie linked'*) ;;
  *) fail "/bin/busybox is not statically linked: test images FROM scratch need it to be" ;;
esac
busybox --list | grep -x httpd >/dev/null || fail "busybox has no httpd applet"  # not -q: no SIGPIPE
buildah --version || fail "buildah does not run"
command -v htpasswd >/dev/null || fail "no htpasswd"
