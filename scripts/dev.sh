#!/usr/bin/env bash
# The main job: install what is missing, build the WASM core, prepare local
# storage, and serve the worker under `wrangler dev` on http://localhost:8787.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh --no-test-deps
scripts/build-wasm.sh
npx wrangler d1 migrations apply DB --local >/dev/null
exec npx wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" "$@"
