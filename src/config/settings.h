#pragma once
// Django's session settings, read from the Worker's environment with Django's
// names and defaults. Parsed once per isolate; a value that cannot be parsed is
// an error naming the setting, never a silent default.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/cookie.h"
#include "util/pyjson.h"

namespace config {

// Django's default SESSION_ENGINE.
inline constexpr const char* kDefaultEngine = "django.contrib.sessions.backends.db";
inline constexpr std::string_view kSignedCookiesEngine = "django.contrib.sessions.backends.signed_cookies";
// The last part of a dotted engine name ("signed_cookies"), for log lines.
std::string_view engine_short_name(std::string_view dotted);

struct Settings {
  std::string secret_key;
  std::vector<std::string> secret_key_fallbacks;
  std::string engine = kDefaultEngine;  // a registered engine's dotted name (session::find_engine)
  std::string cookie_name = "sessionid";
  int64_t cookie_age = 1209600;
  std::optional<std::string> cookie_domain;
  std::string cookie_path = "/";
  bool cookie_secure = false;
  bool cookie_httponly = true;
  cookie::SameSite cookie_samesite = cookie::SameSite::lax;
  bool save_every_request = false;
  bool expire_at_browser_close = false;
  // ORIGIN: the Django site behind the Worker ("https://host[:port]", no
  // trailing slash). Unset: the Worker answers everything itself.
  std::optional<std::string> origin;
  int64_t origin_timeout = 30;  // ORIGIN_TIMEOUT: seconds to the origin's response headers
  // REQUEST_LOG: the shim's one JSON line per request. Off by default, as
  // Django logs no successful request: Workers Logs (and `wrangler dev`)
  // record every invocation anyway, and a line costs a console.log per request.
  bool request_log = false;
};

struct Error {
  std::string setting;
  std::string message;  // never contains the value of a secret
  std::string to_string() const { return setting + ": " + message; }
};

struct Parsed {
  std::optional<Settings> settings;
  Error error;
};

// env: a JSON object of the Worker's plain variables and secrets (strings,
// or booleans/numbers from wrangler.toml [vars]).
Parsed parse(const pyjson::Json& env);

}  // namespace config
