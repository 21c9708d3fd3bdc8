// Invariant: for any key and message, the core's SHA-256 and HMAC-SHA256
// (platform/crypto.cpp, BearSSL), and BearSSL's HMAC with a key of any length,
// equal OpenSSL's. The first byte splits the input into key and message.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <cstring>
#include <string>

#include "bearssl_hmac.h"
#include "platform/platform.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  size_t split = data[0] % size;
  std::string key(reinterpret_cast<const char*>(data + 1), split > 0 ? split - 1 : 0);
  std::string msg(reinterpret_cast<const char*>(data + (split > 0 ? split : 1)), size - (split > 0 ? split : 1));

  uint8_t expected[32];
  SHA256(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), expected);
  platform::Digest got = platform::sha256(msg);
  if (std::memcmp(got.data(), expected, 32) != 0) __builtin_trap();

  // The core's keys: 32-byte digests, registered once.
  platform::Digest core_key = platform::sha256(key);
  unsigned int len = 0;
  HMAC(EVP_sha256(), core_key.data(), 32, reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), expected, &len);
  got = platform::hmac_sha256(platform::register_hmac_key(core_key), msg);
  if (len != 32 || std::memcmp(got.data(), expected, 32) != 0) __builtin_trap();

  // BearSSL itself with the raw key (any length, as RFC 4231 uses).
  br_hmac_key_context kc;
  br_hmac_key_init(&kc, &br_sha256_vtable, key.data(), key.size());
  br_hmac_context ctx;
  br_hmac_init(&ctx, &kc, 0);
  br_hmac_update(&ctx, msg.data(), msg.size());
  uint8_t out[32];
  br_hmac_out(&ctx, out);
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const uint8_t*>(msg.data()), msg.size(),
       expected, &len);
  if (std::memcmp(out, expected, 32) != 0) __builtin_trap();
  return 0;
}
