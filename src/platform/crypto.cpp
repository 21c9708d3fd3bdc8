// SHA-256 and HMAC-SHA256 from BearSSL (third_party/bearssl, Debian's
// bearssl 0.6 source): the same vetted, constant-time C in the WASM modules
// and natively, so the code the doctest, sanitizer and fuzz runs exercise is
// the code that ships. Natively, OpenSSL is only the reference the tests and
// the differential fuzz target compare against.
#include <vector>

#include "bearssl_hash.h"
#include "bearssl_hmac.h"
#include "platform/platform.h"

namespace platform {
namespace {
struct HmacKey {
  Digest key;
  // BearSSL keeps the key's inner and outer pad states, so each message costs
  // its own blocks plus one outer block.
  br_hmac_key_context ctx;
};
// One entry per distinct key for the life of the isolate: a key is registered
// again by every signer built with it.
std::vector<HmacKey>& keys() {
  static std::vector<HmacKey> registry;
  return registry;
}
}  // namespace

Digest sha256(std::string_view data) {
  br_sha256_context ctx;
  br_sha256_init(&ctx);
  br_sha256_update(&ctx, data.data(), data.size());
  Digest out;
  br_sha256_out(&ctx, out.data());
  return out;
}

KeyHandle register_hmac_key(const Digest& key) {
  auto& registry = keys();
  for (size_t i = 0; i < registry.size(); ++i)
    if (registry[i].key == key) return static_cast<KeyHandle>(i);
  HmacKey entry{key, {}};
  br_hmac_key_init(&entry.ctx, &br_sha256_vtable, key.data(), key.size());
  registry.push_back(entry);
  return static_cast<KeyHandle>(registry.size() - 1);
}

Digest hmac_sha256(KeyHandle key, std::string_view message) {
  Digest out{};
  if (key < 0 || static_cast<size_t>(key) >= keys().size()) return out;
  br_hmac_context ctx;
  br_hmac_init(&ctx, &keys()[static_cast<size_t>(key)].ctx, 0);
  br_hmac_update(&ctx, message.data(), message.size());
  br_hmac_out(&ctx, out.data());
  return out;
}

}  // namespace platform
