#!/usr/bin/env bash
# Builds the WASM core with one or both toolchains and stages the module the
# Worker deploys at build/worker/core.wasm. wrangler.toml's [build] runs this.
#   scripts/build-wasm.sh            both toolchains, deploy the WASI module (faster; BENCHMARKS.md)
#   scripts/build-wasm.sh wasi       only WASI, and deploy it
#   scripts/build-wasm.sh emscripten only Emscripten, and deploy it
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
build() {
  local preset=$1
  echo "building $preset (cmake; the first build takes a few minutes)"
  if [ ! -f "build/$preset/CMakeCache.txt" ]; then cmake --preset "$preset" >/dev/null; fi
  cmake --build --preset "$preset" >/dev/null
}

case "$which" in
  all) build wasm-wasi; build wasm-emscripten; deploy=wasm-wasi ;;
  wasi) build wasm-wasi; deploy=wasm-wasi ;;
  emscripten) build wasm-emscripten; deploy=wasm-emscripten ;;
  *) echo "usage: $0 [all|wasi|emscripten]" >&2; exit 2 ;;
esac

mkdir -p build/worker
cp "build/$deploy/src/core.wasm" build/worker/core.wasm.tmp
mv build/worker/core.wasm.tmp build/worker/core.wasm
echo "built build/worker/core.wasm from $deploy ($(wc -c < build/worker/core.wasm) bytes)"
