#!/usr/bin/env bash
# Makes a fresh clone ready: npm packages (including Node 24 itself, from npm) and, with --system,
# the Debian packages the real test stack needs. Idempotent and quick when nothing changed.
set -euo pipefail
cd "$(dirname "$0")/.."

stamp=node_modules/.kubeline-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [ ! -x node_modules/.bin/node ] || [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  echo "ensure-deps: installing npm packages" >&2
  # npm 11 leaves other platforms' optional bindings out of the lock and then `npm ci` refuses it;
  # `npm install` honours the same locked versions, and we put the lock file back untouched.
  if ! npm ci --no-audit --no-fund --loglevel=error 2>/dev/null; then
    lock=$(mktemp)
    cp package-lock.json "$lock"
    npm install --no-audit --no-fund --loglevel=error
    cp "$lock" package-lock.json && rm -f "$lock"
  fi
  echo "$want" > "$stamp"
fi

# An external cluster (KUBELINE_E2E_EXTERNAL=1, e.g. kind on a GitHub runner) brings its own services.
if [ "${1:-}" = "--system" ] && [ "${KUBELINE_E2E_EXTERNAL:-}" != "1" ]; then
  bash test/stack/install-debian.sh
fi
