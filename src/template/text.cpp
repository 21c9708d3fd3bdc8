// Python string and number semantics on UTF-8 byte strings.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "template/detail.h"

namespace tmpl::detail {

uint32_t decode_utf8(std::string_view s, size_t i, size_t& len) {
  const auto c0 = static_cast<unsigned char>(s[i]);
  len = 1;
  if (c0 < 0x80) return c0;
  size_t need;
  uint32_t cp, min;
  if (c0 >= 0xC2 && c0 <= 0xDF) { need = 1; cp = c0 & 0x1F; min = 0x80; }
  else if (c0 >= 0xE0 && c0 <= 0xEF) { need = 2; cp = c0 & 0x0F; min = 0x800; }
  else if (c0 >= 0xF0 && c0 <= 0xF4) { need = 3; cp = c0 & 0x07; min = 0x10000; }
  else return c0;
  if (i + need >= s.size()) return c0;
  for (size_t k = 1; k <= need; ++k) {
    const auto c = static_cast<unsigned char>(s[i + k]);
    if ((c & 0xC0) != 0x80) return c0;
    cp = (cp << 6) | (c & 0x3F);
  }
  if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return c0;
  len = need + 1;
  return cp;
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

size_t char_count(std::string_view s) {
  size_t n = 0;
  for (size_t i = 0, len; i < s.size(); i += len) {
    decode_utf8(s, i, len);
    ++n;
  }
  return n;
}

size_t space_at(std::string_view s, size_t i) {
  const auto c = static_cast<unsigned char>(s[i]);
  if (c < 0x80) return (c == ' ' || (c >= 0x09 && c <= 0x0D) || (c >= 0x1C && c <= 0x1F)) ? 1 : 0;
  size_t len;
  const uint32_t cp = decode_utf8(s, i, len);
  const bool space = cp == 0x85 || cp == 0xA0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) ||
                     cp == 0x2028 || cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000;
  return space && len > 1 ? len : 0;
}

std::string_view strip(std::string_view s, bool left, bool right) {
  size_t b = 0;
  while (left && b < s.size()) {
    const size_t n = space_at(s, b);
    if (n == 0) break;
    b += n;
  }
  size_t e = s.size();
  while (right && e > b) {
    // Step back to the start of the last character.
    size_t start = e - 1;
    while (start > b && (static_cast<unsigned char>(s[start]) & 0xC0) == 0x80 && e - start < 4) --start;
    const size_t n = space_at(s, start);
    if (n == 0 || start + n != e) break;
    e = start;
  }
  return s.substr(b, e - b);
}

std::vector<std::string_view> split_ws(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t i = 0;
  while (i < s.size()) {
    size_t n;
    while (i < s.size() && (n = space_at(s, i)) > 0) i += n;
    if (i >= s.size()) break;
    const size_t start = i;
    while (i < s.size() && space_at(s, i) == 0) ++i;
    parts.push_back(s.substr(start, i - start));
  }
  return parts;
}

bool is_word_byte(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c >= 0x80;
}

bool is_digit(char c) { return c >= '0' && c <= '9'; }

namespace {

// digitpart := digit (['_'] digit)*  -- PEP 515 underscores.
size_t scan_digitpart(std::string_view s, size_t i) {
  if (i >= s.size() || !is_digit(s[i])) return 0;
  size_t j = i + 1;
  while (j < s.size()) {
    if (is_digit(s[j])) {
      ++j;
    } else if (s[j] == '_' && j + 1 < s.size() && is_digit(s[j + 1])) {
      j += 2;
    } else {
      break;
    }
  }
  return j - i;
}

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char c = a[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != b[i]) return false;
  }
  return true;
}

}  // namespace

bool parse_int(std::string_view s, Int& out) {
  s = strip(s);
  bool neg = false;
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) neg = s[i++] == '-';
  const size_t n = scan_digitpart(s, i);
  if (n == 0 || i + n != s.size()) return false;
  constexpr Int kMax = static_cast<Int>((static_cast<unsigned __int128>(1) << 127) - 1);
  Int v = 0;
  for (; i < s.size(); ++i) {
    if (s[i] == '_') continue;
    const int d = s[i] - '0';
    if (v > kMax / 10 || (v == kMax / 10 && d > kMax % 10)) return false;  // folded at compile time
    v = v * 10 + d;
  }
  out = neg ? -v : v;
  return true;
}

bool parse_float(std::string_view s, double& out) {
  s = strip(s);
  size_t i = 0;
  const bool neg = i < s.size() && s[i] == '-';
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  const std::string_view rest = s.substr(i);
  if (iequals(rest, "inf") || iequals(rest, "infinity")) {
    out = neg ? -HUGE_VAL : HUGE_VAL;
    return true;
  }
  if (iequals(rest, "nan")) {
    out = std::nan("");
    return true;
  }
  const size_t int_len = scan_digitpart(s, i);
  size_t j = i + int_len;
  size_t frac_len = 0;
  if (j < s.size() && s[j] == '.') {
    frac_len = scan_digitpart(s, j + 1);
    j += 1 + frac_len;
  }
  if (int_len == 0 && frac_len == 0) return false;
  if (j < s.size() && (s[j] == 'e' || s[j] == 'E')) {
    size_t k = j + 1;
    if (k < s.size() && (s[k] == '+' || s[k] == '-')) ++k;
    const size_t exp_len = scan_digitpart(s, k);
    if (exp_len == 0) return false;
    j = k + exp_len;
  }
  if (j != s.size()) return false;
  std::string digits;
  digits.reserve(s.size());
  for (char c : s) {
    if (c != '_') digits += c;
  }
  out = std::strtod(digits.c_str(), nullptr);
  return true;
}

// Debian's wasm32 compiler-rt builds __umodti3/__modti3 with a stack
// protector wasi-libc cannot link, so 128-bit division is done by hand.
void divmod_u128(UInt a, UInt b, UInt& quotient, UInt& remainder) {
  quotient = 0;
  remainder = 0;
  for (int bit = 127; bit >= 0; --bit) {
    remainder = (remainder << 1) | ((a >> bit) & 1);
    if (remainder >= b) {
      remainder -= b;
      quotient |= UInt(1) << bit;
    }
  }
}

void append_int(std::string& out, Int v) {
  UInt u = v < 0 ? -static_cast<UInt>(v) : static_cast<UInt>(v);
  if (v < 0) out += '-';
  // Split off 19-digit groups so the digits come from 64-bit arithmetic.
  constexpr uint64_t kGroup = 10000000000000000000ull;
  uint64_t groups[3];
  int n = 0;
  while (u >= kGroup) {
    UInt q, r;
    divmod_u128(u, kGroup, q, r);
    groups[n++] = static_cast<uint64_t>(r);
    u = q;
  }
  out += std::to_string(static_cast<uint64_t>(u));
  while (n > 0) {
    const std::string digits = std::to_string(groups[--n]);
    out.append(19 - digits.size(), '0');
    out += digits;
  }
}

namespace {

// Shortest round-tripping digits of a finite, non-zero |v|: "d1d2..." and the
// decimal exponent of d1 (v = d1.d2... * 10^exp).
void shortest_digits(double v, std::string& digits, int& exp) {
  char buf[40];
  for (int precision = 0; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision, v);
    if (std::strtod(buf, nullptr) == v || precision == 16) break;
  }
  const char* e = std::strchr(buf, 'e');
  digits.clear();
  for (const char* p = buf; p < e; ++p) {
    if (is_digit(*p)) digits += *p;
  }
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  exp = std::atoi(e + 1);
}

void append_exponent(std::string& out, int exp, bool pad) {
  out += exp < 0 ? '-' : '+';
  const int a = exp < 0 ? -exp : exp;
  if (pad && a < 10) out += '0';
  append_int(out, a);
}

}  // namespace

void append_float_repr(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "nan";
    return;
  }
  if (std::signbit(v)) out += '-';
  v = std::fabs(v);
  if (std::isinf(v)) {
    out += "inf";
    return;
  }
  if (v == 0) {
    out += "0.0";
    return;
  }
  std::string digits;
  int exp;
  shortest_digits(v, digits, exp);
  const int decpt = exp + 1;  // digits before the decimal point
  const int n = static_cast<int>(digits.size());
  if (decpt > -4 && decpt <= 16) {
    if (decpt <= 0) {
      out += "0.";
      out.append(static_cast<size_t>(-decpt), '0');
      out += digits;
    } else if (decpt >= n) {
      out += digits;
      out.append(static_cast<size_t>(decpt - n), '0');
      out += ".0";
    } else {
      out.append(digits, 0, static_cast<size_t>(decpt));
      out += '.';
      out.append(digits, static_cast<size_t>(decpt), std::string::npos);
    }
    return;
  }
  out += digits[0];
  if (n > 1) {
    out += '.';
    out.append(digits, 1, std::string::npos);
  }
  out += 'e';
  append_exponent(out, exp, true);
}

// django.utils.numberformat.format with USE_THOUSAND_SEPARATOR off: floats
// whose repr uses an exponent go through Decimal('{:f}'), or '{:e}' once the
// digits plus exponent pass 200.
void append_float_localized(std::string& out, double v) {
  std::string repr;
  append_float_repr(repr, v);
  if (repr.find('e') == std::string::npos) {
    out += repr;
    return;
  }
  if (std::signbit(v)) out += '-';
  std::string digits;
  int exp;
  shortest_digits(std::fabs(v), digits, exp);
  const int n = static_cast<int>(digits.size());
  const int dec_exp = exp - (n - 1);  // Decimal's exponent: value = digits * 10^dec_exp
  if ((dec_exp < 0 ? -dec_exp : dec_exp) + n > 200) {
    out += digits[0];
    if (n > 1) {
      out += '.';
      out.append(digits, 1, std::string::npos);
    }
    out += 'e';
    append_exponent(out, exp, false);
    return;
  }
  if (dec_exp >= 0) {
    out += digits;
    out.append(static_cast<size_t>(dec_exp), '0');
    return;
  }
  const int int_digits = n + dec_exp;
  if (int_digits <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-int_digits), '0');
    out += digits;
  } else {
    out.append(digits, 0, static_cast<size_t>(int_digits));
    out += '.';
    out.append(digits, static_cast<size_t>(int_digits), std::string::npos);
  }
}

void append_escaped(std::string& out, std::string_view s) {
  size_t start = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    const char* rep;
    switch (s[i]) {
      case '&': rep = "&amp;"; break;
      case '<': rep = "&lt;"; break;
      case '>': rep = "&gt;"; break;
      case '"': rep = "&quot;"; break;
      case '\'': rep = "&#x27;"; break;
      default: continue;
    }
    out.append(s.data() + start, i - start);
    out += rep;
    start = i + 1;
  }
  out.append(s.data() + start, s.size() - start);
}

namespace {

// Characters Python's str.isprintable() rejects, beyond ASCII controls:
// separators, format characters and private use (approximation of the
// Unicode database for the ranges that matter in practice).
bool is_unprintable(uint32_t cp) {
  if (cp < 0x20 || (cp >= 0x7F && cp <= 0xA0) || cp == 0xAD) return true;
  if (cp < 0x600) return cp == 0x378 || cp == 0x379 || (cp >= 0x380 && cp <= 0x383) || cp == 0x38B ||
                         cp == 0x38D || cp == 0x3A2;
  return (cp >= 0x600 && cp <= 0x605) || cp == 0x61C || cp == 0x6DD || cp == 0x70F || cp == 0x180E ||
         cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200F) || (cp >= 0x2028 && cp <= 0x202F) ||
         (cp >= 0x205F && cp <= 0x206F) || cp == 0x3000 || (cp >= 0xD800 && cp <= 0xF8FF) ||
         cp == 0xFEFF || (cp >= 0xFFF0 && cp <= 0xFFFB) || cp == 0xFFFE || cp == 0xFFFF ||
         (cp >= 0xE0000 && cp <= 0xE0FFF) || cp >= 0xF0000;
}

void append_hex(std::string& out, uint32_t v, int width) {
  static const char kHex[] = "0123456789abcdef";
  for (int shift = (width - 1) * 4; shift >= 0; shift -= 4) out += kHex[(v >> shift) & 0xF];
}

}  // namespace

void append_repr_str(std::string& out, std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  out += quote;
  for (size_t i = 0, len; i < s.size(); i += len) {
    const uint32_t cp = decode_utf8(s, i, len);
    if (cp == static_cast<unsigned char>(quote) || cp == '\\') {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (len == 1 && cp >= 0x80) {
      out += s[i];  // invalid UTF-8 byte: keep as is
    } else if (!is_unprintable(cp)) {
      out.append(s.data() + i, len);
    } else if (cp < 0x100) {
      out += "\\x";
      append_hex(out, cp, 2);
    } else if (cp < 0x10000) {
      out += "\\u";
      append_hex(out, cp, 4);
    } else {
      out += "\\U";
      append_hex(out, cp, 8);
    }
  }
  out += quote;
}

// ---------------------------------------------------------------------------
// Case mapping for Latin (ASCII, Latin-1, Extended-A, most of Extended-B and
// Extended Additional), Greek, Cyrillic, Armenian and fullwidth Latin.
// Other scripts pass through unchanged.

namespace {

// Pairs laid out as (upper, lower) alternating from `first` to `last`.
struct AltRange {
  uint32_t first, last;
};
constexpr AltRange kAltRanges[] = {
    {0x0100, 0x012F}, {0x0132, 0x0137}, {0x014A, 0x0177}, {0x01DE, 0x01EF}, {0x01F8, 0x021F},
    {0x0222, 0x0233}, {0x0460, 0x0481}, {0x048A, 0x04BF}, {0x04D0, 0x052F}, {0x1E00, 0x1E95},
    {0x1EA0, 0x1EFF},
};
// Pairs laid out as (upper, lower) starting on an odd code point.
constexpr AltRange kOddAltRanges[] = {{0x0139, 0x0148}, {0x0179, 0x017E}, {0x01CD, 0x01DC}, {0x04C1, 0x04CE}};

// DŽ Dž dž, LJ Lj lj, NJ Nj nj, DZ Dz dz: upper, title and lower forms in a row.
bool digraph_base(uint32_t c, uint32_t& base) {
  if (c >= 0x1C4 && c <= 0x1CC) {
    base = 0x1C4 + (c - 0x1C4) / 3 * 3;
    return true;
  }
  if (c >= 0x1F1 && c <= 0x1F3) {
    base = 0x1F1;
    return true;
  }
  return false;
}

uint32_t simple_lower(uint32_t c) {
  uint32_t base;
  if (digraph_base(c, base)) return base + 2;
  if (c < 0x80) return (c >= 'A' && c <= 'Z') ? c + 32 : c;
  if ((c >= 0xC0 && c <= 0xDE && c != 0xD7) || (c >= 0x391 && c <= 0x3AB && c != 0x3A2) ||
      (c >= 0x410 && c <= 0x42F) || (c >= 0xFF21 && c <= 0xFF3A))
    return c + 32;
  if (c >= 0x531 && c <= 0x556) return c + 48;
  if (c >= 0x400 && c <= 0x40F) return c + 80;
  switch (c) {
    case 0x178: return 0xFF;
    case 0x386: return 0x3AC;
    case 0x388: case 0x389: case 0x38A: return c + 37;
    case 0x38C: return 0x3CC;
    case 0x38E: case 0x38F: return c + 63;
    case 0x4C0: return 0x4CF;
    default: break;
  }
  for (const auto& r : kAltRanges)
    if (c >= r.first && c <= r.last && (c - r.first) % 2 == 0) return c + 1;
  for (const auto& r : kOddAltRanges)
    if (c >= r.first && c <= r.last && (c - r.first) % 2 == 0) return c + 1;
  return c;
}

uint32_t simple_upper(uint32_t c) {
  uint32_t base;
  if (digraph_base(c, base)) return base;
  if (c < 0x80) return (c >= 'a' && c <= 'z') ? c - 32 : c;
  if ((c >= 0xE0 && c <= 0xFE && c != 0xF7) || (c >= 0x3B1 && c <= 0x3CB && c != 0x3C2) ||
      (c >= 0x430 && c <= 0x44F) || (c >= 0xFF41 && c <= 0xFF5A))
    return c - 32;
  if (c >= 0x561 && c <= 0x586) return c - 48;
  if (c >= 0x450 && c <= 0x45F) return c - 80;
  switch (c) {
    case 0xB5: return 0x39C;
    case 0xFF: return 0x178;
    case 0x131: return 'I';
    case 0x17F: return 'S';
    case 0x3C2: return 0x3A3;
    case 0x3AC: return 0x386;
    case 0x3AD: case 0x3AE: case 0x3AF: return c - 37;
    case 0x3CC: return 0x38C;
    case 0x3CD: case 0x3CE: return c - 63;
    case 0x4CF: return 0x4C0;
    default: break;
  }
  for (const auto& r : kAltRanges)
    if (c > r.first && c <= r.last && (c - r.first) % 2 == 1) return c - 1;
  for (const auto& r : kOddAltRanges)
    if (c > r.first && c <= r.last && (c - r.first) % 2 == 1) return c - 1;
  return c;
}

// Full uppercase mapping (a few characters expand to two).
void put_upper(std::string& out, uint32_t c) {
  if (c == 0xDF) { out += "SS"; return; }
  if (c == 0x149) { append_utf8(out, 0x2BC); out += 'N'; return; }
  append_utf8(out, simple_upper(c));
}

void put_title(std::string& out, uint32_t c) {
  if (c == 0xDF) { out += "Ss"; return; }
  uint32_t base;
  if (digraph_base(c, base)) { append_utf8(out, base + 1); return; }
  put_upper(out, c);
}

void put_lower(std::string& out, uint32_t c) {
  if (c == 0x130) { out += 'i'; append_utf8(out, 0x307); return; }
  append_utf8(out, simple_lower(c));
}

bool is_cased(uint32_t c) {
  return simple_lower(c) != c || simple_upper(c) != c || c == 0xDF || c == 0x130 || c == 0x138 || c == 0x149 ||
         c == 0xAA || c == 0xBA || c == 0x390 || c == 0x3B0;
}

// `put(out, cp, start, end)` for each character s[start, end); invalid
// UTF-8 bytes are copied through.
template <typename F>
void map_chars(std::string& out, std::string_view s, F put) {
  out.reserve(out.size() + s.size());
  for (size_t i = 0, len; i < s.size(); i += len) {
    const uint32_t cp = decode_utf8(s, i, len);
    if (len == 1 && cp >= 0x80) {
      out += s[i];
    } else {
      put(out, cp, i, i + len);
    }
  }
}

bool cased_before(std::string_view s, size_t start) {
  if (start == 0) return false;
  size_t i = start - 1, len;
  while (i > 0 && (static_cast<unsigned char>(s[i]) & 0xC0) == 0x80 && start - i < 4) --i;
  return is_cased(decode_utf8(s, i, len));
}

bool cased_after(std::string_view s, size_t end) {
  size_t len;
  return end < s.size() && is_cased(decode_utf8(s, end, len));
}

// Python lowercases a capital sigma that ends a word to the final form.
void put_lower_in(std::string& out, uint32_t cp, std::string_view s, size_t start, size_t end) {
  if (cp == 0x3A3 && cased_before(s, start) && !cased_after(s, end)) {
    append_utf8(out, 0x3C2);
  } else {
    put_lower(out, cp);
  }
}

}  // namespace

void append_upper(std::string& out, std::string_view s) {
  map_chars(out, s, [&](std::string& o, uint32_t cp, size_t, size_t) { put_upper(o, cp); });
}

void append_lower(std::string& out, std::string_view s) {
  map_chars(out, s, [&](std::string& o, uint32_t cp, size_t start, size_t end) { put_lower_in(o, cp, s, start, end); });
}

void append_title(std::string& out, std::string_view s) {
  bool previous_cased = false;
  map_chars(out, s, [&](std::string& o, uint32_t cp, size_t start, size_t end) {
    if (previous_cased) {
      put_lower_in(o, cp, s, start, end);
    } else {
      put_title(o, cp);
    }
    previous_cased = is_cased(cp);
  });
}

void append_capitalize(std::string& out, std::string_view s) {
  map_chars(out, s, [&](std::string& o, uint32_t cp, size_t start, size_t end) {
    if (start == 0) {
      put_title(o, cp);
    } else {
      put_lower_in(o, cp, s, start, end);
    }
  });
}

void append_capfirst(std::string& out, std::string_view s) {
  if (s.empty()) return;
  size_t len;
  const uint32_t cp = decode_utf8(s, 0, len);
  if (len == 1 && cp >= 0x80) {
    out += s[0];
  } else {
    put_upper(out, cp);
  }
  out.append(s.data() + len, s.size() - len);
}

bool is_combining(uint32_t cp) {
  return (cp >= 0x300 && cp <= 0x36F) || (cp >= 0x483 && cp <= 0x487) || (cp >= 0x591 && cp <= 0x5BD) ||
         (cp >= 0x610 && cp <= 0x61A) || (cp >= 0x64B && cp <= 0x65F) || cp == 0x670 ||
         (cp >= 0x6D6 && cp <= 0x6DC) || (cp >= 0x6DF && cp <= 0x6E4) || (cp >= 0x1AB0 && cp <= 0x1AFF) ||
         (cp >= 0x1DC0 && cp <= 0x1DFF) || (cp >= 0x20D0 && cp <= 0x20FF) || (cp >= 0xFE20 && cp <= 0xFE2F);
}

void append_quoted(std::string& out, std::string_view s, std::string_view safe) {
  static const char kHex[] = "0123456789ABCDEF";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                      c == '_' || c == '.' || c == '-' || c == '~' ||
                      (c < 0x80 && safe.find(ch) != std::string_view::npos);
    if (keep) {
      out += ch;
    } else {
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 0xF];
    }
  }
}

}  // namespace tmpl::detail
