// Native platform services for doctest, tools and fuzzing: OpenSSL and zlib.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <zlib.h>

#include <vector>

#include "platform/platform.h"

namespace platform {
namespace {
std::vector<Digest>& keys() {
  static std::vector<Digest> registered;
  return registered;
}
}  // namespace

Digest sha256(std::string_view data) {
  Digest out;
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), out.data());
  return out;
}

KeyHandle register_hmac_key(const Digest& key) {
  keys().push_back(key);
  return static_cast<KeyHandle>(keys().size() - 1);
}

Digest hmac_sha256(KeyHandle key, std::string_view message) {
  Digest out{};
  if (key < 0 || static_cast<size_t>(key) >= keys().size()) return out;
  unsigned int len = 0;
  const Digest& k = keys()[static_cast<size_t>(key)];
  HMAC(EVP_sha256(), k.data(), static_cast<int>(k.size()),
       reinterpret_cast<const unsigned char*>(message.data()), message.size(), out.data(), &len);
  return out;
}

std::string zlib_compress(std::string_view data) {
  uLongf bound = compressBound(static_cast<uLong>(data.size()));
  std::string out(bound, '\0');
  if (compress2(reinterpret_cast<Bytef*>(out.data()), &bound,
                reinterpret_cast<const Bytef*>(data.data()), static_cast<uLong>(data.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK)
    return {};
  out.resize(bound);
  return out;
}

InflateStatus zlib_decompress(std::string_view data, size_t max_output, std::string& out) {
  z_stream zs{};
  if (inflateInit(&zs) != Z_OK) return InflateStatus::corrupt;
  out.assign(max_output + 1, '\0');  // one spare byte tells "exactly max" from "more"
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  size_t produced = out.size() - zs.avail_out;
  bool trailing = zs.avail_in != 0;
  inflateEnd(&zs);
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
