#!/usr/bin/env bash
# `npm test`: sets up what a fresh clone lacks, then runs every check (scripts/test.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --system
export PATH="$PWD/node_modules/.bin:$PATH"
exec node node_modules/tsx/dist/cli.mjs scripts/test.ts "$@"
