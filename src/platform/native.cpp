// Native platform services for doctest, tools, fuzzing and benchmarks:
// OpenSSL and zlib, with the per-key HMAC state and the zlib streams set up
// once and reset per call (initialising a deflate stream costs far more than
// compressing a session).
#define OPENSSL_SUPPRESS_DEPRECATED  // HMAC_CTX: the cheapest keyed reuse in OpenSSL 3
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <vector>

#include "platform/platform.h"

namespace platform {
namespace {
struct HmacKey {
  Digest key;
  HMAC_CTX* ctx;
};
// One keyed context per distinct key for the life of the process (a key is
// registered again by every signer built with it), freed at exit.
struct Registry {
  std::vector<HmacKey> keys;
  ~Registry() {
    for (auto& k : keys) HMAC_CTX_free(k.ctx);
  }
};
std::vector<HmacKey>& keys() {
  static Registry registry;
  return registry.keys;
}
struct Streams {
  z_stream deflater{};
  z_stream inflater{};
  Streams() {
    deflateInit(&deflater, Z_DEFAULT_COMPRESSION);
    inflateInit(&inflater);
  }
  ~Streams() {
    deflateEnd(&deflater);
    inflateEnd(&inflater);
  }
};
Streams& streams() {
  thread_local Streams s;
  return s;
}
}  // namespace

Digest sha256(std::string_view data) {
  Digest out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

KeyHandle register_hmac_key(const Digest& key) {
  for (size_t i = 0; i < keys().size(); ++i)
    if (keys()[i].key == key) return static_cast<KeyHandle>(i);
  HMAC_CTX* ctx = HMAC_CTX_new();
  HMAC_Init_ex(ctx, key.data(), static_cast<int>(key.size()), EVP_sha256(), nullptr);
  keys().push_back({key, ctx});
  return static_cast<KeyHandle>(keys().size() - 1);
}

Digest hmac_sha256(KeyHandle key, std::string_view message) {
  Digest out{};
  if (key < 0 || static_cast<size_t>(key) >= keys().size()) return out;
  HMAC_CTX* ctx = keys()[static_cast<size_t>(key)].ctx;
  unsigned int len = 0;
  HMAC_Init_ex(ctx, nullptr, 0, nullptr, nullptr);  // same key, fresh state
  HMAC_Update(ctx, reinterpret_cast<const unsigned char*>(message.data()), message.size());
  HMAC_Final(ctx, out.data(), &len);
  return out;
}

std::string zlib_compress(std::string_view data) {
  z_stream& zs = streams().deflater;
  deflateReset(&zs);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) return {};
  out.resize(out.size() - zs.avail_out);
  return out;
}

InflateStatus zlib_decompress(std::string_view data, size_t max_output, std::string& out) {
  z_stream& zs = streams().inflater;
  inflateReset(&zs);
  out.assign(max_output + 1, '\0');  // one spare byte tells "exactly max" from "more"
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  size_t produced = out.size() - zs.avail_out;
  bool trailing = zs.avail_in != 0;
  if (rc == Z_STREAM_END && !trailing) {
    if (produced > max_output) return InflateStatus::too_large;
    out.resize(produced);
    return InflateStatus::ok;
  }
  out.clear();
  if (produced > max_output) return InflateStatus::too_large;
  return InflateStatus::corrupt;
}

}  // namespace platform
