#!/usr/bin/env bash
# Every test: installs what is missing, builds the native core and both WASM
# modules, then runs the doctest suite (ctest) and the Node suite (node --test:
# both modules through the shim, the Django interoperability tests with real
# Django, wrangler dev / workerd integration, the template corpus, the browser).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh

echo "== native build + doctest"
[ -f build/native/CMakeCache.txt ] || cmake --preset native >/dev/null
cmake --build --preset native
ctest --preset native

echo "== WASM builds (WASI, Emscripten, and the test-only trap build)"
scripts/build-wasm.sh
[ -f build/wasm-wasi-test/CMakeCache.txt ] || cmake --preset wasm-wasi-test >/dev/null
cmake --build --preset wasm-wasi-test >/dev/null

echo "== Node suite"
node --test --test-concurrency=1 tests/node/
