#!/usr/bin/env bash
# `npm run demo`: sets up what a fresh clone lacks, brings the local stack up, then runs the pipeline.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/ensure-deps.sh --system
export PATH="$PWD/node_modules/.bin:$PATH"
exec node node_modules/tsx/dist/cli.mjs scripts/demo.ts "$@"
