#include "util/pyjson.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>

namespace pyjson {
namespace {

void append_u16(std::string& out, unsigned cp) {
  static constexpr char digits[] = "0123456789abcdef";
  out += "\\u";
  out += digits[(cp >> 12) & 15];
  out += digits[(cp >> 8) & 15];
  out += digits[(cp >> 4) & 15];
  out += digits[cp & 15];
}

// Decodes one UTF-8 sequence; invalid bytes become U+FFFD so hostile strings
// set by application code still serialize to valid JSON.
unsigned next_codepoint(std::string_view s, size_t& i) {
  auto b = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
  unsigned c = b(i);
  if (c < 0x80) { ++i; return c; }
  int len = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
  if (len == 0 || c > 0xF4 || i + len > s.size()) { ++i; return 0xFFFD; }
  unsigned cp = c & (0x3F >> (len - 1));
  for (int k = 1; k < len; ++k) {
    unsigned cc = b(i + k);
    if ((cc & 0xC0) != 0x80) { ++i; return 0xFFFD; }
    cp = (cp << 6) | (cc & 0x3F);
  }
  static constexpr unsigned min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < min_for_len[len] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) { ++i; return 0xFFFD; }
  i += len;
  return cp;
}

void dump_string(std::string_view s, std::string& out) {
  out += '"';
  for (size_t i = 0; i < s.size();) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c >= 0x20 && c < 0x7F && c != '"' && c != '\\') {  // ensure_ascii escapes DEL too
      out += static_cast<char>(c);
      ++i;
      continue;
    }
    unsigned cp = next_codepoint(s, i);
    switch (cp) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      default:
        if (cp >= 0x10000) {
          cp -= 0x10000;
          append_u16(out, 0xD800 | (cp >> 10));
          append_u16(out, 0xDC00 | (cp & 0x3FF));
        } else {
          append_u16(out, cp);
        }
    }
  }
  out += '"';
}

}  // namespace

std::string float_repr(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return std::signbit(v) ? "-0.0" : "0.0";
  // Shortest round-trip digits (the first precision that reads back exactly;
  // printf rounds correctly, so it is also the closest such string), then
  // Python's layout: scientific when the decimal exponent is < -4 or >= 16,
  // else positional with at least ".0". Emscripten's libc++ has no
  // floating-point std::to_chars, so this uses printf/strtod everywhere.
  char buf[40];
  for (int precision = 0; precision < 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*e", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  std::string_view sci(buf);
  bool negative = sci[0] == '-';
  if (negative) sci.remove_prefix(1);
  size_t epos = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, epos))
    if (c != '.') digits += c;
  int exp10 = std::atoi(std::string(sci.substr(epos + 1)).c_str());
  std::string out = negative ? "-" : "";
  if (exp10 < -4 || exp10 >= 16) {
    out += digits[0];
    if (digits.size() > 1) {
      out += '.';
      out += digits.substr(1);
    }
    char e[16];
    std::snprintf(e, sizeof e, "e%c%02d", exp10 < 0 ? '-' : '+', std::abs(exp10));
    out += e;
  } else if (exp10 < 0) {
    out += "0.";
    out.append(static_cast<size_t>(-exp10 - 1), '0');
    out += digits;
  } else {
    size_t int_len = static_cast<size_t>(exp10) + 1;
    if (digits.size() <= int_len) {
      out += digits;
      out.append(int_len - digits.size(), '0');
      out += ".0";
    } else {
      out += digits.substr(0, int_len);
      out += '.';
      out += digits.substr(int_len);
    }
  }
  return out;
}

void dump_to(const Json& v, std::string& out) {
  switch (v.type()) {
    case Json::value_t::null: out += "null"; break;
    case Json::value_t::boolean: out += *v.get_ptr<const bool*>() ? "true" : "false"; break;
    case Json::value_t::number_integer: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, *v.get_ptr<const int64_t*>());
      out.append(buf, r.ptr);
      break;
    }
    case Json::value_t::number_unsigned: {
      char buf[24];
      auto r = std::to_chars(buf, buf + sizeof buf, *v.get_ptr<const uint64_t*>());
      out.append(buf, r.ptr);
      break;
    }
    case Json::value_t::number_float: out += float_repr(*v.get_ptr<const double*>()); break;
    case Json::value_t::string: dump_string(*v.get_ptr<const std::string*>(), out); break;
    case Json::value_t::array: {
      out += '[';
      bool first = true;
      for (const auto& item : *v.get_ptr<const Json::array_t*>()) {
        if (!first) out += ',';
        first = false;
        dump_to(item, out);
      }
      out += ']';
      break;
    }
    case Json::value_t::object: {
      out += '{';
      bool first = true;
      for (const auto& [key, item] : *v.get_ptr<const Json::object_t*>()) {
        if (!first) out += ',';
        first = false;
        dump_string(key, out);
        out += ':';
        dump_to(item, out);
      }
      out += '}';
      break;
    }
    case Json::value_t::binary:
      if (is_big_int(v)) {
        const auto& digits = *v.get_ptr<const Json::binary_t*>();
        out.append(digits.begin(), digits.end());
      } else {
        out += "null";
      }
      break;
    case Json::value_t::discarded: out += "null"; break;
  }
}

bool is_big_int(const Json& v) {
  if (!v.is_binary()) return false;
  const auto& b = *v.get_ptr<const Json::binary_t*>();
  return b.has_subtype() && b.subtype() == kBigIntSubtype;
}

std::string dumps(const Json& value) {
  std::string out;
  dump_to(value, out);
  return out;
}

namespace {

// Python's json writes NaN, Infinity and -Infinity as bare tokens and reads
// them back; nlohmann's lexer has no such tokens. They are rewritten, outside
// strings, into number texts Python's json.dumps can never produce (it never
// pads exponents), and the SAX handler below turns those texts back into the
// non-finite values.
constexpr std::string_view kNanText = "-0.0e+0000000001";
constexpr std::string_view kInfText = "-0.0e+0000000002";
constexpr std::string_view kNegInfText = "-0.0e+0000000003";

bool is_integer_text(std::string_view t) {
  if (!t.empty() && t[0] == '-') t.remove_prefix(1);
  if (t.empty()) return false;
  for (char c : t)
    if (c < '0' || c > '9') return false;
  return true;
}

// Whether the text needs the slower SAX path: non-finite tokens, integers
// long enough to overflow 64 bits, or exponents that may overflow a double.
bool needs_sax(std::string_view in) {
  bool in_string = false, escaped = false;
  size_t run = 0;
  for (char c : in) {
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == 'N' || c == 'I') return true;
    else if ((c == 'e' || c == 'E') && run > 0) return true;
    run = (c >= '0' && c <= '9') || (run > 0 && c == '.') ? run + 1 : 0;
    if (run >= 19) return true;
  }
  return false;
}

bool rewrite_non_finite(std::string_view in, std::string& out) {
  bool in_string = false, escaped = false, changed = false;
  out.clear();
  out.reserve(in.size() + 32);
  for (size_t i = 0; i < in.size(); ++i) {
    char c = in[i];
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      out += c;
      continue;
    }
    std::string_view rest = in.substr(i);
    if (c == '"') in_string = true;
    else if ((c >= '0' && c <= '9') || (c == '-' && i + 1 < in.size() && in[i + 1] >= '0' && in[i + 1] <= '9')) {
      // A float too large for a double is infinite in Python (1E400 loads
      // as inf); nlohmann refuses it, so it becomes the Infinity token.
      size_t end = i + 1;
      while (end < in.size() && std::strchr("0123456789.eE+-", in[end]) && in[end] != '\0') ++end;
      std::string token(in.substr(i, end - i));
      if (token.find_first_of("eE") != std::string::npos && std::isinf(std::strtod(token.c_str(), nullptr))) {
        out += token[0] == '-' ? kNegInfText : kInfText;
        changed = true;
      } else {
        out += token;
      }
      i = end - 1;
      continue;
    }
    else if (rest.substr(0, 3) == "NaN") { out += kNanText; i += 2; changed = true; continue; }
    else if (rest.substr(0, 8) == "Infinity") { out += kInfText; i += 7; changed = true; continue; }
    else if (rest.substr(0, 9) == "-Infinity") { out += kNegInfText; i += 8; changed = true; continue; }
    out += c;
  }
  return changed;
}

// Json::sax_parse without its binary formats: it picks the reader by a
// runtime argument, so every SAX type given to it also brings a CBOR/
// MessagePack/UBJSON/BSON reader into the module (~10 KB each).
template <typename Sax>
bool sax_parse_json(std::string_view text, Sax* sax) {
  auto input = nlohmann::detail::input_adapter(text.data(), text.data() + text.size());
  return nlohmann::detail::parser<Json, decltype(input)>(std::move(input), nullptr, true, false).sax_parse(sax, true);
}

class NonFiniteAwareParser : public nlohmann::detail::json_sax_dom_parser<Json> {
 public:
  explicit NonFiniteAwareParser(Json& root) : json_sax_dom_parser(root, false) {}
  bool number_float(double value, const std::string& text) {
    if (text == kNanText) value = std::numeric_limits<double>::quiet_NaN();
    else if (text == kInfText) value = std::numeric_limits<double>::infinity();
    else if (text == kNegInfText) value = -std::numeric_limits<double>::infinity();
    else if (is_integer_text(text)) {
      // The lexer fell back to a double because the integer overflowed.
      Json::binary_t digits(std::vector<std::uint8_t>(text.begin(), text.end()), kBigIntSubtype);
      return json_sax_dom_parser::binary(digits);
    }
    return json_sax_dom_parser::number_float(value, text);
  }
};

// The usual session as Django writes it ({"num_visits":12}) and the Worker's
// environment as the shim sends it: a flat object of plain ASCII keys and
// integers, plain ASCII strings, true, false or null, no whitespace. Parsed
// here into exactly what the general parser makes (positive integers
// unsigned, negative signed, as nlohmann's lexer does) with a few allocations
// instead of ~17; anything else (escapes, non-ASCII, floats, nesting,
// duplicate keys, 19+ digits) is left to the general parser, and so are
// objects of more than max_keys keys (each key is looked up to refuse
// duplicates, a linear search in an ordered_json).
constexpr size_t kMaxFlatSessionKeys = 16;
constexpr size_t kMaxFlatEnvKeys = 64;

std::optional<Json> parse_flat_object(std::string_view s, size_t max_keys) {
  if (s.size() < 2 || s.front() != '{' || s.back() != '}') return std::nullopt;
  Json out = Json::object();
  if (s.size() == 2) return out;
  // A string with no escapes and only printable ASCII: the same text decoded.
  auto plain_string = [&](size_t& i) -> std::optional<std::string_view> {
    if (s[i] != '"') return std::nullopt;
    size_t start = ++i;
    for (; i < s.size() && s[i] != '"'; ++i) {
      unsigned char c = static_cast<unsigned char>(s[i]);
      if (c < 0x20 || c >= 0x80 || c == '\\') return std::nullopt;
    }
    if (i == s.size()) return std::nullopt;
    return s.substr(start, i++ - start);
  };
  auto literal = [&](size_t& i, std::string_view word) {
    if (s.substr(i, word.size()) != word) return false;
    i += word.size();
    return true;
  };
  size_t i = 1;
  for (;;) {
    std::optional<std::string_view> key = plain_string(i);
    if (!key || i + 1 >= s.size() || s[i] != ':') return std::nullopt;
    ++i;
    if (out.size() == max_keys || out.contains(*key)) return std::nullopt;
    Json value;
    if (s[i] == '"') {
      std::optional<std::string_view> text = plain_string(i);
      if (!text) return std::nullopt;
      value = std::string(*text);
    } else if (literal(i, "true")) {
      value = true;
    } else if (literal(i, "false")) {
      value = false;
    } else if (!literal(i, "null")) {
      bool negative = s[i] == '-';
      if (negative) ++i;
      size_t digits_start = i;
      uint64_t n = 0;
      for (; i < s.size() && s[i] >= '0' && s[i] <= '9'; ++i) n = n * 10 + static_cast<uint64_t>(s[i] - '0');
      size_t digits = i - digits_start;
      if (digits == 0 || digits > 18 || (digits > 1 && s[digits_start] == '0')) return std::nullopt;
      if (negative) value = -static_cast<int64_t>(n);
      else value = n;
    }
    if (i >= s.size() || (s[i] != ',' && s[i] != '}')) return std::nullopt;
    out[std::string(*key)] = std::move(value);
    if (s[i] == '}') {
      if (i + 1 != s.size()) return std::nullopt;
      return out;
    }
    ++i;
    if (i >= s.size()) return std::nullopt;
  }
}

}  // namespace

std::optional<Json> loads_latin1(std::string_view bytes, int max_depth) {
  if (max_depth >= 1) {
    if (std::optional<Json> flat = parse_flat_object(bytes, kMaxFlatSessionKeys)) return flat;
  }
  // Depth is checked before parsing: nlohmann recurses per level, and a
  // hostile payload of 100k '[' would exhaust the WASM stack.
  int depth = 0;
  bool in_string = false, escaped = false;
  bool high_bytes = false;
  for (unsigned char c : bytes) {
    if (c >= 0x80) high_bytes = true;
    if (c == 0) return std::nullopt;  // never valid JSON text; nlohmann would stop there
    if (in_string) {
      if (escaped) escaped = false;
      else if (c == '\\') escaped = true;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') in_string = true;
    else if (c == '[' || c == '{') {
      if (++depth > max_depth) return std::nullopt;
    } else if (c == ']' || c == '}') --depth;
  }
  std::string utf8;
  if (high_bytes) {  // latin-1 → UTF-8, exactly what bytes.decode("latin-1") means
    utf8.reserve(bytes.size() * 2);
    for (unsigned char c : bytes) {
      if (c < 0x80) utf8 += static_cast<char>(c);
      else {
        utf8 += static_cast<char>(0xC0 | (c >> 6));
        utf8 += static_cast<char>(0x80 | (c & 0x3F));
      }
    }
    bytes = utf8;
  }
  std::string rewritten;
  if (needs_sax(bytes)) {
    rewrite_non_finite(bytes, rewritten);
    Json parsed;
    NonFiniteAwareParser handler(parsed);
    if (!sax_parse_json(rewritten, &handler) || handler.is_errored())
      return std::nullopt;
    return parsed;
  }
  return parse(bytes);
}

std::optional<Json> parse(std::string_view text) {
  // The Worker's environment arrives as such an object (JSON.stringify of
  // its plain variables): configuring an isolate then never runs, nor makes
  // V8 compile, the general parser.
  if (std::optional<Json> flat = parse_flat_object(text, kMaxFlatEnvKeys)) return flat;
  Json parsed;
  nlohmann::detail::json_sax_dom_parser<Json> handler(parsed, false);
  if (!sax_parse_json(text, &handler) || handler.is_errored())
    return std::nullopt;
  return parsed;
}

}  // namespace pyjson
