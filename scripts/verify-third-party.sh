#!/usr/bin/env bash
# Re-fetches the vendored third-party sources from Debian and checks them:
# the upstream tarball's SHA-256, and every vendored file against the fetched
# tree and third_party/<name>/SHA256SUMS. Needs a deb-src line for bookworm
# (added here, in a separate sources file, if missing) and network access to
# Debian's archive.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
if ! grep -rqs '^Types:.*deb-src' /etc/apt/sources.list.d/ && ! grep -qs '^deb-src' /etc/apt/sources.list; then
  echo "adding a deb-src entry (/etc/apt/sources.list.d/debian-src.sources)"
  sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources | $SUDO tee /etc/apt/sources.list.d/debian-src.sources >/dev/null
  $SUDO apt-get update -qq
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# bearssl: package version, upstream tarball checksum, vendored files.
version=0.6+dfsg.1-3
tarball_sha=102a625bd8f6155260867a50c508df8d8c3f796985dd744df1a68e5cd1a79004
echo "fetching bearssl $version"
(cd "$work" && apt-get source --download-only "bearssl=$version" >/dev/null 2>&1)
echo "$tarball_sha  $work/bearssl_0.6+dfsg.1.orig.tar.xz" | sha256sum -c --quiet
tar -C "$work" -xf "$work/bearssl_0.6+dfsg.1.orig.tar.xz"
upstream=$(find "$work" -maxdepth 1 -type d -name 'bearssl-*' | head -1)
(cd third_party/bearssl && sha256sum -c --quiet SHA256SUMS)
status=0
while read -r _ file; do
  if ! cmp -s "third_party/bearssl/$file" "$upstream/$file"; then
    echo "third_party/bearssl/$file differs from upstream"; status=1
  fi
done < third_party/bearssl/SHA256SUMS
[ $status -eq 0 ] && echo "third_party/bearssl: $(wc -l < third_party/bearssl/SHA256SUMS) files match bearssl $version"
exit $status
