#pragma once
// Text encodings Django's signing uses: URL-safe base64 without padding,
// and base62 timestamps.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace encoding {

std::string b64url_encode(std::string_view bytes);
// Strict: only the URL-safe alphabet, no padding, no whitespace. Django's
// signer only ever emits that, and the value is signature-checked before we
// decode it, so leniency would buy nothing.
std::optional<std::string> b64url_decode(std::string_view text);

std::string b62_encode(int64_t value);
std::optional<int64_t> b62_decode(std::string_view text);

}  // namespace encoding
