#!/usr/bin/env bash
# The main job: install what is missing, build the WASM core, prepare local
# storage, and serve the worker under `wrangler dev` on http://localhost:8787.
# Extra arguments go to `wrangler dev` (e.g. --var ORIGIN:http://127.0.0.1:8000,
# as scripts/dev-with-origin.sh does).
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== dependencies (apt and npm packages that are missing)"
scripts/install-deps.sh --no-test-deps
scripts/dev-vars.sh
echo "== building the WASM core (scripts/build-wasm.sh)"
scripts/build-wasm.sh
echo "== applying the D1 migrations to local storage (.wrangler/state)"
npx wrangler d1 migrations apply DB --local >/dev/null
echo "== wrangler dev on http://localhost:${PORT:-8787}/"
exec npx wrangler dev --ip 127.0.0.1 --port "${PORT:-8787}" "$@"
