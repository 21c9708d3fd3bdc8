#pragma once
// The platform services the core needs: SHA-256 and HMAC-SHA256 (BearSSL,
// inside the module: platform/crypto.cpp), and what it may not implement
// itself: zlib and the CSPRNG. In WASM those come from the JS shim (node:zlib
// and crypto.getRandomValues in workerd); natively from zlib and getrandom().
// Only the link target decides which file implements them.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

namespace platform {

using Digest = std::array<uint8_t, 32>;

Digest sha256(std::string_view data);

// HMAC keys are registered once per isolate (key derivation is per-isolate
// work) and then named by a small handle on every request.
using KeyHandle = int32_t;
KeyHandle register_hmac_key(const Digest& key);
Digest hmac_sha256(KeyHandle key, std::string_view message);

// Fills out with bytes from the platform CSPRNG.
void random_bytes(uint8_t* out, size_t n);

// zlib stream (RFC 1950), level 6, windowBits 15, memLevel 8: what Python's
// zlib.compress produces, so our compressed cookies match Django's bytes.
std::string zlib_compress(std::string_view data);

enum class InflateStatus { ok, corrupt, too_large };
InflateStatus zlib_decompress(std::string_view data, size_t max_output, std::string& out);

}  // namespace platform
