#pragma once
// django.core.signing's TimestampSigner with sign_object/unsign_object, the
// wire format of signed-cookie sessions (salt ..."backends.signed_cookies") and
// of SessionBase.encode() for server-side stores (salt "...SessionStore").
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "platform/platform.h"
#include "util/pyjson.h"

namespace signing {

enum class Error {
  malformed,        // no separator, bad base62/base64, not a zlib stream
  bad_signature,    // no key produced this signature
  expired,          // older than max_age
  from_the_future,  // timestamp further ahead than the allowed clock skew
  too_large,        // decompressed payload over the cap
  not_json,         // signature fine, payload not JSON (or not an object)
};
const char* describe(Error e);

struct Unsigned {
  pyjson::Json object;
  int64_t timestamp = 0;
  bool used_fallback_key = false;  // verified by a SECRET_KEY_FALLBACKS entry: re-sign on next save
};

template <typename T>
struct Result {
  std::optional<T> value;
  Error error = Error::malformed;
  bool ok() const { return value.has_value(); }
};

struct Limits {
  size_t max_payload_bytes = 64 * 1024;  // after decompression
  int64_t max_future_skew_seconds = 300;
};

// One salt, one current key and its fallbacks, with the HMAC keys derived once
// (K = SHA256(salt + "signer" + secret)) and registered with the platform.
class TimestampSigner {
 public:
  TimestampSigner(std::string_view salt, std::string_view secret,
                  const std::vector<std::string>& fallback_secrets, Limits limits = {});

  // signing.dumps(obj, salt, compress=True): "[.]b64(json):b62(ts):b64(hmac)"
  std::string sign_object(const pyjson::Json& object, int64_t now, bool compress = true) const;
  // The same, for an already serialized JSON text.
  std::string sign_serialized(std::string_view json, int64_t now, bool compress = true) const;
  // signing.loads(...); max_age < 0 means no age limit (SessionBase.decode).
  Result<Unsigned> unsign_object(std::string_view token, double now, int64_t max_age) const;

  std::string signature(std::string_view value) const { return signature_with(keys_[0], value); }

  // How many sign_*() calls skipped zlib because compression_cannot_help()
  // proved it useless (tests observe the shortcut through this).
  uint64_t compressions_skipped() const { return compressions_skipped_; }

 private:
  std::string signature_with(platform::KeyHandle key, std::string_view value) const;
  std::vector<platform::KeyHandle> keys_;  // [current, *fallbacks]
  Limits limits_;
  mutable uint64_t compressions_skipped_ = 0;
};

// True when zlib provably cannot make `data` shorter by the two bytes Django
// requires (len(zlib.compress(data)) < len(data) - 1), so sign_*() skips the
// compression attempt with the same outcome. Only ever true for short texts
// in which no 3-byte sequence repeats; the bound is explained in signing.cpp.
bool compression_cannot_help(std::string_view data);

// secrets.compare_digest for equal-length ASCII tokens: time depends only on length.
bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace signing
