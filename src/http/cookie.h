#pragma once
// Cookie header parsing as django.http.cookie.parse_cookie does it, and
// Set-Cookie formatting as Django's HttpResponse.set_cookie + Morsel emit it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace cookie {

struct Limits {
  size_t max_header_bytes = 8192;
  size_t max_cookies = 64;
};

// Returns the value of one cookie by name (a later duplicate wins, as in
// Django). Parsing stops at the limits: the cookie is then treated as absent.
struct Lookup {
  std::optional<std::string> value;
  bool over_limit = false;
};
Lookup find(std::string_view header, std::string_view name, const Limits& limits = {});

// http.cookies._unquote
std::string unquote(std::string_view value);

// email.utils.formatdate(t, usegmt=True): "Tue, 28 Nov 2023 22:13:20 GMT"
std::string http_date(int64_t unix_seconds);

enum class SameSite { unset, lax, strict, none };

struct SetCookie {
  std::string name;
  std::string value;  // written as "" when empty, like Morsel
  std::optional<std::string> domain;
  std::optional<std::string> expires;
  bool http_only = false;
  std::optional<int64_t> max_age;
  std::string path = "/";
  SameSite same_site = SameSite::unset;
  bool secure = false;
};

// Attributes in Morsel's alphabetical order:
// Domain, expires, HttpOnly, Max-Age, Path, SameSite, Secure.
std::string format(const SetCookie& c);

// RFC 6265bis limits browsers enforce: name+value over 4096 bytes drops the
// whole cookie, an attribute value over 1024 bytes drops the attribute.
struct SizeProblem {
  size_t name_value_bytes = 0;
  size_t largest_attribute_bytes = 0;
};
std::optional<SizeProblem> check_browser_limits(const SetCookie& c);

// True for bytes that may appear in a cookie name (RFC 6265 token).
bool is_token(std::string_view s);
// True for a value that can be sent without quoting (RFC 6265 cookie-octets).
bool is_cookie_octets(std::string_view s);

}  // namespace cookie
