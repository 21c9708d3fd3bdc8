#include "util/encoding.h"

#include <array>
#include <limits>

namespace encoding {
namespace {

constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
constexpr char kB62[] = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

constexpr std::array<int8_t, 256> make_table(const char* alphabet, int size) {
  std::array<int8_t, 256> t{};
  for (auto& v : t) v = -1;
  for (int i = 0; i < size; ++i) t[static_cast<uint8_t>(alphabet[i])] = static_cast<int8_t>(i);
  return t;
}
constexpr auto kB64Index = make_table(kB64, 64);
constexpr auto kB62Index = make_table(kB62, 62);

}  // namespace

std::string b64url_encode(std::string_view in) {
  // Sized once and written by index: push_back per character is a call and a
  // capacity check each in the WASM build, where this runs for every
  // signature.
  std::string out((in.size() * 4 + 2) / 3, '\0');
  char* o = out.data();
  size_t i = 0;
  const auto* p = reinterpret_cast<const uint8_t*>(in.data());
  for (; i + 3 <= in.size(); i += 3) {
    uint32_t n = (p[i] << 16) | (p[i + 1] << 8) | p[i + 2];
    *o++ = kB64[(n >> 18) & 63];
    *o++ = kB64[(n >> 12) & 63];
    *o++ = kB64[(n >> 6) & 63];
    *o++ = kB64[n & 63];
  }
  size_t rest = in.size() - i;
  if (rest == 1) {
    uint32_t n = p[i] << 16;
    *o++ = kB64[(n >> 18) & 63];
    *o++ = kB64[(n >> 12) & 63];
  } else if (rest == 2) {
    uint32_t n = (p[i] << 16) | (p[i + 1] << 8);
    *o++ = kB64[(n >> 18) & 63];
    *o++ = kB64[(n >> 12) & 63];
    *o++ = kB64[(n >> 6) & 63];
  }
  return out;
}

std::optional<std::string> b64url_decode(std::string_view in) {
  if (in.size() % 4 == 1) return std::nullopt;  // no byte string encodes to that length
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    int v = kB64Index[static_cast<uint8_t>(c)];
    if (v < 0) return std::nullopt;
    acc = (acc << 6) | static_cast<uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((acc >> bits) & 0xFF);
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0) return std::nullopt;
  return out;
}

std::string b62_encode(int64_t value) {
  if (value == 0) return "0";
  bool negative = value < 0;
  uint64_t n = negative ? 0 - static_cast<uint64_t>(value) : static_cast<uint64_t>(value);
  char buf[16];
  int pos = sizeof buf;
  while (n > 0) {
    buf[--pos] = kB62[n % 62];
    n /= 62;
  }
  if (negative) buf[--pos] = '-';
  return std::string(buf + pos, sizeof buf - pos);
}

std::optional<int64_t> b62_decode(std::string_view text) {
  bool negative = !text.empty() && text[0] == '-';
  if (negative) text.remove_prefix(1);
  if (text.empty() || text.size() > 11) return std::nullopt;  // 62^11 > 2^63
  uint64_t n = 0;
  for (char c : text) {
    int v = kB62Index[static_cast<uint8_t>(c)];
    if (v < 0) return std::nullopt;
    n = n * 62 + static_cast<uint64_t>(v);
  }
  if (n > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return std::nullopt;
  return negative ? -static_cast<int64_t>(n) : static_cast<int64_t>(n);
}

}  // namespace encoding
