#!/usr/bin/env bash
# Builds the WASM core with one or both toolchains and stages the module the
# Worker deploys at build/worker/core.wasm. wrangler.toml's [build] runs this.
#   scripts/build-wasm.sh            both toolchains, deploy the WASI module (faster; BENCHMARKS.md)
#   scripts/build-wasm.sh wasi       only WASI, and deploy it
#   scripts/build-wasm.sh emscripten only Emscripten, and deploy it
# Build settings for the Django project behind the Worker (ORIGIN; README,
# "Putting it in front of Django"), from the environment, paths relative to
# the repository:
#   ORIGIN_TEMPLATE_DIRS  its template folders in Django's search order,
#                         ':'-separated (default: the example origin's)
#   ORIGIN_TEMPLATES      the templates the edge renders, ':'-separated (index.html)
#   ORIGIN_ROUTES         its route table, from `manage.py dump_routes`
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
origin_settings=(
  "-DLL_ORIGIN_TEMPLATE_DIRS=$(echo "${ORIGIN_TEMPLATE_DIRS:-examples/django-origin/templates:examples/django-origin/catalog/templates}" | tr ':' ';')"
  "-DLL_ORIGIN_TEMPLATES=$(echo "${ORIGIN_TEMPLATES:-index.html}" | tr ':' ';')"
  "-DLL_ORIGIN_ROUTES=${ORIGIN_ROUTES:-examples/django-origin/routes.json}"
)
# Configures when there is no build yet or an origin setting changed.
configured() {
  local cache="build/$1/CMakeCache.txt" setting name value line
  [ -f "$cache" ] || return 1
  for setting in "${origin_settings[@]}"; do
    name=${setting#-D}; name=${name%%=*}; value=${setting#*=}
    line=$(grep -m1 "^$name:" "$cache") || return 1
    [ "${line#*=}" = "$value" ] || return 1
  done
}
build() {
  local preset=$1
  echo "building $preset (cmake; the first build takes a few minutes)"
  if ! configured "$preset"; then cmake --preset "$preset" "${origin_settings[@]}" >/dev/null; fi
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
