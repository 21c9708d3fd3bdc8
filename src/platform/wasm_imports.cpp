// Platform services inside WASM that only the runtime has: imported from the
// JS shim (js-shim/platform.js), which calls node:zlib and
// crypto.getRandomValues. Buffers are always owned by the core;
// the shim only reads and writes inside them.
#include "platform/platform.h"

#define LL_IMPORT(name) __attribute__((import_module("ll"), import_name(name)))

extern "C" {
LL_IMPORT("random") void ll_random(uint8_t* out, size_t len);
// Both return the output length, or -1 (corrupt input), or -2 (output larger than cap).
LL_IMPORT("deflate") int32_t ll_deflate(const char* in, size_t len, char* out, size_t cap);
LL_IMPORT("inflate") int32_t ll_inflate(const char* in, size_t len, char* out, size_t cap);
}

namespace platform {

void random_bytes(uint8_t* out, size_t n) { ll_random(out, n); }

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
