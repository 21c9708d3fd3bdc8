#include "http/cookie.h"

#include "util/time.h"

namespace cookie {
namespace {

std::string_view strip(std::string_view s) {
  // Python's str.strip() with no argument strips ASCII whitespace (and more,
  // but only ASCII can appear in a header that reached us intact).
  auto ws = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'; };
  while (!s.empty() && ws(s.front())) s.remove_prefix(1);
  while (!s.empty() && ws(s.back())) s.remove_suffix(1);
  return s;
}

bool is_octal(char c) { return c >= '0' && c <= '7'; }

}  // namespace

std::string unquote(std::string_view s) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return std::string(s);
  s = s.substr(1, s.size() - 2);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 >= s.size()) {
      out += s[i];
      continue;
    }
    if (i + 3 < s.size() + 0 && is_octal(s[i + 1]) && is_octal(s[i + 2]) && is_octal(s[i + 3]) &&
        s[i + 1] <= '3') {
      out += static_cast<char>(((s[i + 1] - '0') << 6) | ((s[i + 2] - '0') << 3) | (s[i + 3] - '0'));
      i += 3;
    } else {
      out += s[i + 1];
      ++i;
    }
  }
  return out;
}

Lookup find(std::string_view header, std::string_view name, const Limits& limits) {
  Lookup result;
  if (header.size() > limits.max_header_bytes) {
    result.over_limit = true;
    return result;
  }
  size_t count = 0;
  while (true) {
    size_t semi = header.find(';');
    std::string_view chunk = header.substr(0, semi);
    if (++count > limits.max_cookies) {
      result.over_limit = true;
      result.value.reset();
      return result;
    }
    size_t eq = chunk.find('=');
    std::string_view key = eq == std::string_view::npos ? std::string_view() : chunk.substr(0, eq);
    std::string_view val = eq == std::string_view::npos ? chunk : chunk.substr(eq + 1);
    key = strip(key);
    val = strip(val);
    if ((!key.empty() || !val.empty()) && key == name) result.value = unquote(val);
    if (semi == std::string_view::npos) break;
    header.remove_prefix(semi + 1);
  }
  return result;
}

namespace {
// printf's %0*lld: the sign, then zeros up to `width` characters in all.
// By hand because printf would be compiled on every isolate's first request
// (V8 compiles WebAssembly function by function, on first call).
void append_padded(std::string& out, int64_t v, int width) {
  char digits[20];
  int n = 0;
  uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
  do {
    digits[n++] = static_cast<char>('0' + u % 10);
    u /= 10;
  } while (u);
  if (v < 0) out += '-';
  for (int len = n + (v < 0); len < width; ++len) out += '0';
  while (n) out += digits[--n];
}
}  // namespace

std::string http_date(int64_t t) {
  static constexpr const char* days[] = {"Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"};
  static constexpr const char* months[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  int64_t day_number = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t secs = t - day_number * 86400;
  const timeutil::CivilDate date = timeutil::civil_from_days(day_number);
  int64_t weekday = ((day_number % 7) + 7) % 7;
  // "%s, %02d %s %04lld %02d:%02d:%02d GMT"
  std::string out;
  out.reserve(32);
  out.append(days[weekday]).append(", ");
  append_padded(out, date.day, 2);
  out.append(" ").append(months[date.month - 1]).append(" ");
  append_padded(out, date.year, 4);
  out += ' ';
  append_padded(out, secs / 3600, 2);
  out += ':';
  append_padded(out, secs / 60 % 60, 2);
  out += ':';
  append_padded(out, secs % 60, 2);
  out.append(" GMT");
  return out;
}

std::string format(const SetCookie& c) {
  std::string out;
  out.reserve(c.name.size() + c.value.size() + 128);
  out += c.name;
  out += '=';
  out += c.value.empty() ? "\"\"" : c.value;
  if (c.domain) out.append("; Domain=").append(*c.domain);
  if (c.expires) out.append("; expires=").append(*c.expires);
  if (c.http_only) out += "; HttpOnly";
  if (c.max_age) out.append("; Max-Age=").append(std::to_string(*c.max_age));
  out.append("; Path=").append(c.path);
  switch (c.same_site) {
    case SameSite::unset: break;
    case SameSite::lax: out += "; SameSite=Lax"; break;
    case SameSite::strict: out += "; SameSite=Strict"; break;
    case SameSite::none: out += "; SameSite=None"; break;
  }
  if (c.secure) out += "; Secure";
  return out;
}

std::optional<SizeProblem> check_browser_limits(const SetCookie& c) {
  SizeProblem p;
  p.name_value_bytes = c.name.size() + (c.value.empty() ? 2 : c.value.size());
  if (c.domain) p.largest_attribute_bytes = c.domain->size();
  if (c.path.size() > p.largest_attribute_bytes) p.largest_attribute_bytes = c.path.size();
  if (p.name_value_bytes > 4096 || p.largest_attribute_bytes > 1024) return p;
  return std::nullopt;
}

bool is_token(std::string_view s) {
  if (s.empty()) return false;
  for (unsigned char c : s) {
    if (c <= 0x20 || c >= 0x7F) return false;
    switch (c) {
      case '(': case ')': case '<': case '>': case '@': case ',': case ';': case ':':
      case '\\': case '"': case '/': case '[': case ']': case '?': case '=': case '{': case '}':
        return false;
      default: break;
    }
  }
  return true;
}

bool is_cookie_octets(std::string_view s) {
  for (unsigned char c : s) {
    if (c < 0x21 || c > 0x7E || c == '"' || c == ',' || c == ';' || c == '\\') return false;
  }
  return true;
}

}  // namespace cookie
