#!/usr/bin/env bash
# Installs what the project needs on Debian 12, skipping what is present:
# the WASI toolchain, Emscripten, CMake, headers, OpenSSL/zlib for the native
# build, Django and Chromium for the tests, and the npm packages from
# package-lock.json (wrangler, playwright-core).
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(
  clang lld wasi-libc libc++-dev-wasm32 libclang-rt-dev-wasm32 emscripten binaryen
  cmake make g++ nlohmann-json3-dev doctest-dev libssl-dev zlib1g-dev pkg-config
  libclang-rt-14-dev valgrind
  python3-django chromium nodejs npm ca-certificates
)
if [ "${1:-}" = "--no-test-deps" ]; then
  packages=("${packages[@]/python3-django}")
  packages=("${packages[@]/chromium}")
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
  echo "installing: ${missing[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if [ ! -d node_modules/wrangler ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
