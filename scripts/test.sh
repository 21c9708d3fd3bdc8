#!/usr/bin/env bash
# Every test: installs what is missing, builds the native core and both WASM
# modules, then runs the doctest suite (ctest) and the Node suite (node --test:
# both modules through the shim, the Django interoperability tests with real
# Django, the example Django origin under gunicorn, wrangler dev / workerd
# integration, the template corpus, the browser).
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== dependencies (apt and npm packages that are missing)"
scripts/install-deps.sh
scripts/dev-vars.sh

echo "== native build + doctest"
[ -f build/native/CMakeCache.txt ] || cmake --preset native >/dev/null
cmake --build --preset native
ctest --preset native

echo "== sanitizers: the doctest suite under ASan+UBSan, and under valgrind for leaks"
[ -f build/native-asan/CMakeCache.txt ] || cmake --preset native-asan >/dev/null
cmake --build --preset native-asan
ctest --preset native-asan
valgrind --quiet --error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite,indirect \
  build/native/tests/native/unit_tests --no-intro=true --minimal=true

echo "== fuzz smoke: each libFuzzer target for a fixed number of runs (long runs: see README)"
[ -f build/native-fuzz/CMakeCache.txt ] || cmake --preset native-fuzz >/dev/null
cmake --build --preset native-fuzz
for target in $(ls tests/fuzz/*_fuzz.cpp | xargs -n1 basename | sed 's/\.cpp$//'); do
  work=$(mktemp -d)
  # Seeds: tests/fuzz/corpus/<target>/, and directories named in <target>.seeds.
  seeds=()
  [ -d tests/fuzz/corpus/"$target" ] && seeds+=(tests/fuzz/corpus/"$target")
  [ -f tests/fuzz/corpus/"$target".seeds ] && seeds+=($(grep -v '^#' tests/fuzz/corpus/"$target".seeds))
  if ! build/native-fuzz/tests/fuzz/"$target" -runs="${FUZZ_RUNS:-20000}" -max_len=4096 -seed=1 \
      "$work" "${seeds[@]}" > "$work.log" 2>&1; then
    tail -40 "$work.log"; echo "fuzz target $target failed"; exit 1
  fi
  echo "$target: $(grep -E '^Done' "$work.log")"
  rm -rf "$work" "$work.log"
done

echo "== WASM builds (WASI, Emscripten, and the test-only trap build)"
scripts/build-wasm.sh
echo "-- building the test-only trap module (wasm-wasi-test)"
[ -f build/wasm-wasi-test/CMakeCache.txt ] || cmake --preset wasm-wasi-test >/dev/null
cmake --build --preset wasm-wasi-test >/dev/null

echo "== Node suite (node --test tests/node/: several minutes, one file at a time)"
node --test --test-concurrency=1 tests/node/
