#include "config/settings.h"

#include <cctype>
#include <charconv>

#include "session/backend.h"

namespace config {

std::string_view engine_short_name(std::string_view dotted) {
  size_t dot = dotted.rfind('.');
  return dot == std::string_view::npos ? dotted : dotted.substr(dot + 1);
}

namespace {

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

bool has_control_chars(const std::string& s) {
  for (unsigned char c : s)
    if (c < 0x20 || c == 0x7F) return true;
  return false;
}

class Reader {
 public:
  explicit Reader(const pyjson::Json& env) : env_(env) {}
  const Error* error() const { return failed_ ? &error_ : nullptr; }

  const pyjson::Json* raw(const char* name) {
    if (!env_.is_object()) return nullptr;
    auto it = env_.find(name);
    return it == env_.end() || it->is_null() ? nullptr : &*it;
  }

  std::optional<std::string> string(const char* name) {
    const pyjson::Json* v = raw(name);
    if (!v) return std::nullopt;
    if (!v->is_string()) return fail(name, "must be a string"), std::nullopt;
    const auto& s = *v->get_ptr<const std::string*>();
    if (has_control_chars(s)) return fail(name, "must not contain control characters"), std::nullopt;
    return s;
  }

  void boolean(const char* name, bool& out) {
    const pyjson::Json* v = raw(name);
    if (!v) return;
    if (v->is_boolean()) { out = *v->get_ptr<const bool*>(); return; }
    if (v->is_string()) {
      std::string s = lower(*v->get_ptr<const std::string*>());
      if (s == "true" || s == "1" || s == "yes" || s == "on") { out = true; return; }
      if (s == "false" || s == "0" || s == "no" || s == "off") { out = false; return; }
    }
    fail(name, "must be a boolean (True/False, true/false, 1/0)");
  }

  void integer(const char* name, int64_t& out, int64_t min, int64_t max) {
    const pyjson::Json* v = raw(name);
    if (!v) return;
    int64_t n = 0;
    bool ok = false;
    if (v->is_number_integer()) { n = v->is_number_unsigned() ? static_cast<int64_t>(*v->get_ptr<const uint64_t*>()) : *v->get_ptr<const int64_t*>(); ok = !(v->is_number_unsigned() && *v->get_ptr<const uint64_t*>() > static_cast<uint64_t>(max)); }
    else if (v->is_string()) {
      const auto& s = *v->get_ptr<const std::string*>();
      auto r = std::from_chars(s.data(), s.data() + s.size(), n);
      ok = !s.empty() && r.ec == std::errc() && r.ptr == s.data() + s.size();
    }
    if (!ok || n < min || n > max) { fail(name, "must be an integer number of seconds between " + std::to_string(min) + " and " + std::to_string(max)); return; }
    out = n;
  }

  void fail(const char* name, std::string message) {
    if (failed_) return;
    failed_ = true;
    error_ = Error{name, std::move(message)};
  }

 private:
  const pyjson::Json& env_;
  bool failed_ = false;
  Error error_;
};

}  // namespace

Parsed parse(const pyjson::Json& env) {
  Parsed result;
  Settings s;
  Reader r(env);
  if (!env.is_object()) {
    result.error = {"environment", "must be an object of variables"};
    return result;
  }

  if (auto key = r.string("SECRET_KEY")) s.secret_key = *key;
  if (s.secret_key.empty()) r.fail("SECRET_KEY", "is not set; set it with `wrangler secret put SECRET_KEY` (or in .dev.vars for local development)");

  if (auto fallbacks = r.string("SECRET_KEY_FALLBACKS")) {
    if (!fallbacks->empty() && (*fallbacks)[0] == '[') {
      std::optional<pyjson::Json> parsed = pyjson::parse(*fallbacks);
      bool ok = parsed && parsed->is_array();
      if (ok)
        for (const auto& item : *parsed) ok = ok && item.is_string() && !item.get_ptr<const std::string*>()->empty();
      if (!ok) r.fail("SECRET_KEY_FALLBACKS", "must be a JSON array of non-empty strings");
      else for (const auto& item : *parsed) s.secret_key_fallbacks.push_back(*item.get_ptr<const std::string*>());
    } else if (!fallbacks->empty()) {
      s.secret_key_fallbacks.push_back(*fallbacks);
    }
  }

  if (auto engine = r.string("SESSION_ENGINE")) {
    if (session::find_engine(*engine)) {
      s.engine = *engine;
    } else {
      std::string known;
      for (const std::string& name : session::engine_names()) known += (known.empty() ? "" : ", ") + name;
      r.fail("SESSION_ENGINE", "unknown engine '" + *engine + "'; use one of " + known);
    }
  }

  if (auto name = r.string("SESSION_COOKIE_NAME")) {
    if (!cookie::is_token(*name)) r.fail("SESSION_COOKIE_NAME", "must be a non-empty cookie token (no spaces, separators or control characters)");
    s.cookie_name = *name;
  }
  r.integer("SESSION_COOKIE_AGE", s.cookie_age, 0, 400LL * 24 * 3600);
  if (auto domain = r.string("SESSION_COOKIE_DOMAIN")) {
    if (domain->find(';') != std::string::npos || domain->size() > 1024) r.fail("SESSION_COOKIE_DOMAIN", "must be a domain name (no ';', at most 1024 bytes)");
    else if (!domain->empty() && lower(*domain) != "none") s.cookie_domain = *domain;
  }
  if (auto path = r.string("SESSION_COOKIE_PATH")) {
    if (path->empty() || (*path)[0] != '/' || path->find(';') != std::string::npos || path->size() > 1024) r.fail("SESSION_COOKIE_PATH", "must start with '/' and contain no ';' (at most 1024 bytes)");
    s.cookie_path = *path;
  }
  r.boolean("SESSION_COOKIE_SECURE", s.cookie_secure);
  r.boolean("SESSION_COOKIE_HTTPONLY", s.cookie_httponly);
  if (const pyjson::Json* v = r.raw("SESSION_COOKIE_SAMESITE")) {
    std::string value = v->is_string() ? lower(*v->get_ptr<const std::string*>()) : v->is_boolean() && !*v->get_ptr<const bool*>() ? "false" : "?";
    if (value == "lax") s.cookie_samesite = cookie::SameSite::lax;
    else if (value == "strict") s.cookie_samesite = cookie::SameSite::strict;
    else if (value == "none") s.cookie_samesite = cookie::SameSite::none;
    else if (value == "false") s.cookie_samesite = cookie::SameSite::unset;
    else r.fail("SESSION_COOKIE_SAMESITE", "must be 'Lax', 'Strict', 'None' or False");
  }
  r.boolean("SESSION_SAVE_EVERY_REQUEST", s.save_every_request);
  r.boolean("SESSION_EXPIRE_AT_BROWSER_CLOSE", s.expire_at_browser_close);

  if (const pyjson::Json* v = r.raw("SESSION_SERIALIZER")) {
    if (!v->is_string() || *v->get_ptr<const std::string*>() != "django.contrib.sessions.serializers.JSONSerializer")
      r.fail("SESSION_SERIALIZER", "only django.contrib.sessions.serializers.JSONSerializer is supported");
  }
  if (auto origin = r.string("ORIGIN")) {
    std::string url = *origin;
    while (!url.empty() && url.back() == '/') url.pop_back();
    std::string_view scheme_end = "://";
    size_t sep = url.find(scheme_end);
    std::string scheme = sep == std::string::npos ? "" : lower(url.substr(0, sep));
    std::string authority = sep == std::string::npos ? "" : url.substr(sep + scheme_end.size());
    bool ok = (scheme == "http" || scheme == "https") && !authority.empty() && url.size() <= 1024 &&
              authority.find_first_of("/?#@ \\") == std::string::npos;
    if (!url.empty() && !ok)
      r.fail("ORIGIN", "must be the origin's base URL, http(s)://host[:port] with no path, query or credentials");
    else if (!url.empty() && s.engine != kSignedCookiesEngine)
      r.fail("ORIGIN", "needs SESSION_ENGINE = django.contrib.sessions.backends.signed_cookies: the origin cannot read "
                       "sessions kept in the Worker's KV or D1, so the two would overwrite each other's cookie");
    else if (!url.empty())
      s.origin = scheme + url.substr(sep);
  }
  r.integer("ORIGIN_TIMEOUT", s.origin_timeout, 1, 300);
  r.boolean("REQUEST_LOG", s.request_log);

  if (s.cookie_name.rfind("__Host-", 0) == 0 && (!s.cookie_secure || s.cookie_path != "/" || s.cookie_domain))
    r.fail("SESSION_COOKIE_NAME", "a __Host- cookie needs SESSION_COOKIE_SECURE, SESSION_COOKIE_PATH '/' and no SESSION_COOKIE_DOMAIN");
  if (s.cookie_name.rfind("__Secure-", 0) == 0 && !s.cookie_secure)
    r.fail("SESSION_COOKIE_NAME", "a __Secure- cookie needs SESSION_COOKIE_SECURE");

  if (const Error* e = r.error()) {
    result.error = *e;
    return result;
  }
  result.settings = std::move(s);
  return result;
}

}  // namespace config
