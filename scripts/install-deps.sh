#!/usr/bin/env bash
# Installs what the project needs on Debian 12, skipping what is present:
# the WASI toolchain, Emscripten, CMake, headers, OpenSSL/zlib for the native
# build, Django, gunicorn and Chromium for the tests (and the example Django
# origin), and the npm packages from package-lock.json (wrangler, playwright-core).
#   scripts/install-deps.sh                   everything
#   scripts/install-deps.sh --no-test-deps    without Django, gunicorn and Chromium (scripts/dev.sh)
#   scripts/install-deps.sh --no-test-deps --origin
#                                             ... but with Django and gunicorn (scripts/dev-with-origin.sh)
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  clang lld wasi-libc libc++-dev-wasm32 libclang-rt-dev-wasm32 emscripten binaryen
  cmake make g++ nlohmann-json3-dev doctest-dev libssl-dev zlib1g-dev pkg-config
  libclang-rt-14-dev valgrind
  python3-django gunicorn chromium nodejs npm ca-certificates
)
no_test_deps=0; origin=0
for arg in "$@"; do
  case "$arg" in
    --no-test-deps) no_test_deps=1 ;;
    --origin) origin=1 ;;
    *) echo "usage: $0 [--no-test-deps] [--origin]" >&2; exit 2 ;;
  esac
done
if [ "$no_test_deps" = 1 ]; then
  packages=("${packages[@]/chromium}")
  if [ "$origin" = 0 ]; then
    packages=("${packages[@]/python3-django}")
    packages=("${packages[@]/gunicorn}")
  fi
fi

missing=()
for p in "${packages[@]}"; do
  [ -z "$p" ] && continue
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# Node.js may come from outside Debian (as on these machines): keep it if it runs.
if command -v node >/dev/null && command -v npm >/dev/null; then
  missing=("${missing[@]/nodejs}"); missing=("${missing[@]/npm}")
fi
missing=($(printf '%s\n' "${missing[@]}" | grep -v '^$' || true))
if [ ${#missing[@]} -gt 0 ]; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  echo "-- apt-get update"
  $SUDO apt-get update -qq
  echo "-- apt-get install (${#missing[@]} packages, can take several minutes on a fresh machine): ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "-- npm ci (wrangler, playwright-core, bootstrap from package-lock.json)"
  npm ci --no-audit --no-fund --loglevel=error
fi
