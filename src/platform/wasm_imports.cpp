// Platform services inside WASM: imported from the JS shim (js-shim/platform.js),
// which calls node:crypto and node:zlib. Buffers are always owned by the core;
// the shim only reads and writes inside them.
#include "platform/platform.h"

#define LL_IMPORT(name) __attribute__((import_module("ll"), import_name(name)))

extern "C" {
LL_IMPORT("sha256") void ll_sha256(const char* data, size_t len, uint8_t* out);
LL_IMPORT("hmac_key") int32_t ll_hmac_key(const uint8_t* key, size_t len);
LL_IMPORT("hmac_sha256") void ll_hmac_sha256(int32_t key, const char* msg, size_t len, uint8_t* out);
// Both return the output length, or -1 (corrupt input), or -2 (output larger than cap).
LL_IMPORT("deflate") int32_t ll_deflate(const char* in, size_t len, char* out, size_t cap);
LL_IMPORT("inflate") int32_t ll_inflate(const char* in, size_t len, char* out, size_t cap);
}

namespace platform {

Digest sha256(std::string_view data) {
  Digest out;
  ll_sha256(data.data(), data.size(), out.data());
  return out;
}

KeyHandle register_hmac_key(const Digest& key) { return ll_hmac_key(key.data(), key.size()); }

Digest hmac_sha256(KeyHandle key, std::string_view message) {
  Digest out;
  ll_hmac_sha256(key, message.data(), message.size(), out.data());
  return out;
}

std::string zlib_compress(std::string_view data) {
  // zlib's compressBound for level 6 streams; the zlib wrapper adds 6 bytes.
  size_t cap = data.size() + (data.size() >> 12) + (data.size() >> 14) + (data.size() >> 25) + 13 + 6;
  std::string out(cap, '\0');
  int32_t n = ll_deflate(data.data(), data.size(), out.data(), cap);
  if (n < 0) return {};
  out.resize(static_cast<size_t>(n));
  return out;
}

InflateStatus zlib_decompress(std::string_view data, size_t max_output, std::string& out) {
  out.assign(max_output, '\0');
  int32_t n = ll_inflate(data.data(), data.size(), out.data(), max_output);
  if (n < 0) {
    out.clear();
    return n == -2 ? InflateStatus::too_large : InflateStatus::corrupt;
  }
  out.resize(static_cast<size_t>(n));
  return InflateStatus::ok;
}

}  // namespace platform
