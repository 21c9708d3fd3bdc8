#include "signing/signing.h"

#include <array>
#include <cmath>

#include "util/encoding.h"

namespace signing {

const char* describe(Error e) {
  switch (e) {
    case Error::malformed: return "malformed signed value";
    case Error::bad_signature: return "signature does not match";
    case Error::expired: return "signature expired";
    case Error::from_the_future: return "timestamp is in the future";
    case Error::too_large: return "payload too large";
    case Error::not_json: return "payload is not a JSON object";
  }
  return "unknown";
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < a.size(); ++i) diff |= static_cast<unsigned char>(a[i] ^ b[i]);
  return diff == 0;
}

namespace {
// log2(k) for the counts compression_cannot_help meets (at most 97): made
// once, not per signature (libm's log2 is a call of ~50 instructions in WASM).
constexpr size_t kMaxEstimated = 96;
const std::array<double, kMaxEstimated + 2> kLog2 = [] {
  std::array<double, kMaxEstimated + 2> t{};
  for (size_t k = 1; k < t.size(); ++k) t[k] = std::log2(static_cast<double>(k));
  return t;
}();
}  // namespace

// True when zlib provably cannot save the two bytes Django requires, so the
// (costly) compression attempt can be skipped with the same outcome. Holds
// for short texts in which no 3-byte sequence repeats: deflate then finds no
// match (its minimum is 3) and must emit every byte as a literal, and every
// block type costs at least the bound below. Stored and fixed-Huffman
// blocks cost >= n + 8 bytes with the zlib wrapper; a dynamic block costs
// its header (>= 46 bits plus half a bit per code length sent) plus, by
// Shannon, n * entropy bits for the literals. If the bound were ever wrong
// the only effect would be an uncompressed cookie, which Django reads too.
bool compression_cannot_help(std::string_view data) {
  const size_t n = data.size();
  if (n > kMaxEstimated) return false;
  uint32_t trigrams[kMaxEstimated];
  size_t used = 0;
  for (size_t i = 0; i + 2 < n; ++i) {
    uint32_t t = static_cast<uint8_t>(data[i]) << 16 | static_cast<uint8_t>(data[i + 1]) << 8 |
                 static_cast<uint8_t>(data[i + 2]);
    for (size_t k = 0; k < used; ++k)
      if (trigrams[k] == t) return false;
    trigrams[used++] = t;
  }
  uint8_t seen[256] = {};
  uint8_t symbols[kMaxEstimated];
  size_t distinct_bytes = 0;
  for (unsigned char c : data)
    if (seen[c]++ == 0) symbols[distinct_bytes++] = c;
  // sum over symbols of f * log2(total / f), the end-of-block symbol (f = 1) included
  const double log2_total = kLog2[n + 1];
  double literal_bits = log2_total;
  for (size_t k = 0; k < distinct_bytes; ++k) {
    const uint8_t f = seen[symbols[k]];
    literal_bits += f * (log2_total - kLog2[f]);
  }
  const size_t distinct = distinct_bytes + 1;  // the end-of-block symbol
  const double header_bits = 46 + distinct / 2.0;
  const double dynamic_bytes = 6 + std::ceil((header_bits + literal_bits) / 8);
  return dynamic_bytes >= static_cast<double>(n) - 1;
}

namespace {
platform::KeyHandle derive(std::string_view salt, std::string_view secret) {
  std::string material;
  material.reserve(salt.size() + 6 + secret.size());
  material.append(salt).append("signer").append(secret);
  return platform::register_hmac_key(platform::sha256(material));
}
}  // namespace

TimestampSigner::TimestampSigner(std::string_view salt, std::string_view secret,
                                 const std::vector<std::string>& fallback_secrets, Limits limits)
    : limits_(limits) {
  keys_.push_back(derive(salt, secret));
  for (const auto& fallback : fallback_secrets) keys_.push_back(derive(salt, fallback));
}

std::string TimestampSigner::signature_with(platform::KeyHandle key, std::string_view value) const {
  platform::Digest mac = platform::hmac_sha256(key, value);
  return encoding::b64url_encode(std::string_view(reinterpret_cast<const char*>(mac.data()), mac.size()));
}

std::string TimestampSigner::sign_serialized(std::string_view json, int64_t now, bool compress) const {
  std::string value;
  if (compress && compression_cannot_help(json)) {
    ++compressions_skipped_;
  } else if (compress) {
    std::string deflated = platform::zlib_compress(json);
    // Django keeps the compressed form only when it saves more than one byte.
    if (!deflated.empty() && deflated.size() < json.size() - 1 && json.size() > 1) {
      value = "." + encoding::b64url_encode(deflated);
    }
  }
  if (value.empty()) value = encoding::b64url_encode(json);
  value += ':';
  value += encoding::b62_encode(now);
  std::string sig = signature_with(keys_[0], value);
  value += ':';
  value += sig;
  return value;
}

std::string TimestampSigner::sign_object(const pyjson::Json& object, int64_t now, bool compress) const {
  return sign_serialized(pyjson::dumps(object), now, compress);
}

Result<Unsigned> TimestampSigner::unsign_object(std::string_view token, double now, int64_t max_age) const {
  Result<Unsigned> r;
  size_t sig_sep = token.rfind(':');
  if (sig_sep == std::string_view::npos) return r;
  std::string_view value = token.substr(0, sig_sep);
  std::string_view sig = token.substr(sig_sep + 1);

  // Every key is tried, even after a match, so timing reveals nothing about
  // which key (current or fallback) signed the value.
  int matched = -1;
  for (size_t i = 0; i < keys_.size(); ++i) {
    bool equal = constant_time_equal(sig, signature_with(keys_[i], value));
    if (equal && matched < 0) matched = static_cast<int>(i);
  }
  if (matched < 0) { r.error = Error::bad_signature; return r; }

  size_t ts_sep = value.rfind(':');
  if (ts_sep == std::string_view::npos) return r;
  std::optional<int64_t> ts = encoding::b62_decode(value.substr(ts_sep + 1));
  if (!ts) return r;
  if (max_age >= 0 && now - static_cast<double>(*ts) > static_cast<double>(max_age)) {
    r.error = Error::expired;
    return r;
  }
  if (static_cast<double>(*ts) - now > static_cast<double>(limits_.max_future_skew_seconds)) {
    r.error = Error::from_the_future;
    return r;
  }

  std::string_view payload = value.substr(0, ts_sep);
  bool compressed = !payload.empty() && payload[0] == '.';
  if (compressed) payload.remove_prefix(1);
  // base64 expands 3 bytes to 4; anything longer than this cannot fit.
  if (!compressed && payload.size() > limits_.max_payload_bytes / 3 * 4 + 4) {
    r.error = Error::too_large;
    return r;
  }
  std::optional<std::string> raw = encoding::b64url_decode(payload);
  if (!raw) return r;
  std::string inflated;
  if (compressed) {
    switch (platform::zlib_decompress(*raw, limits_.max_payload_bytes, inflated)) {
      case platform::InflateStatus::ok: break;
      case platform::InflateStatus::too_large: r.error = Error::too_large; return r;
      case platform::InflateStatus::corrupt: return r;
    }
  } else {
    inflated = std::move(*raw);
  }
  if (inflated.size() > limits_.max_payload_bytes) { r.error = Error::too_large; return r; }
  std::optional<pyjson::Json> parsed = pyjson::loads_latin1(inflated);
  if (!parsed || !parsed->is_object()) { r.error = Error::not_json; return r; }
  r.value = Unsigned{std::move(*parsed), *ts, matched > 0};
  return r;
}

}  // namespace signing
