// config::parse: Django's session settings from the Worker environment
// (the SESSION_* settings, https://docs.djangoproject.com/en/5.2/ref/settings/#sessions).
// Defaults equal django/conf/global_settings.py;
// every setting accepts its valid forms and rejects the rest with an error
// naming the setting; App::create reports the same error.
#include <doctest/doctest.h>

#include <memory>
#include <string>

#include "app/app.h"
#include "config/settings.h"
#include "session/backend.h"
#include "util/pyjson.h"

namespace {

using Json = pyjson::Json;

Json minimal() { return Json{{"SECRET_KEY", "django-insecure-example-key"}}; }

Json with(const char* name, Json value) {
  Json env = minimal();
  env["SESSION_ENGINE"] = "django.contrib.sessions.backends.signed_cookies";
  env[name] = std::move(value);
  return env;
}

config::Settings parsed_ok(const Json& env) {
  config::Parsed p = config::parse(env);
  REQUIRE_MESSAGE(p.settings.has_value(), p.error.to_string());
  return *p.settings;
}

// Rejected with an error naming `setting`; App::create says the same.
void check_rejected(const Json& env, const std::string& setting) {
  std::string env_text = pyjson::dumps(env);
  CAPTURE(env_text);
  config::Parsed p = config::parse(env);
  CHECK_FALSE(p.settings.has_value());
  CHECK(p.error.setting == setting);
  CHECK_FALSE(p.error.message.empty());
  CHECK(p.error.to_string().find(setting) != std::string::npos);

  config::Error app_error;
  std::unique_ptr<app::App> app = app::App::create(env, &app_error);
  CHECK(app == nullptr);
  CHECK(app_error.setting == setting);
  CHECK(app_error.message == p.error.message);
}

}  // namespace

// ---------------------------------------------------------------------------
// Defaults (global_settings.py, identical in 3.2.25 and 5.2.0)
// ---------------------------------------------------------------------------

TEST_CASE("defaults equal Django's global_settings") {
  config::Settings s = parsed_ok(minimal());
  CHECK(s.engine == "django.contrib.sessions.backends.db");  // SESSION_ENGINE = "django.contrib.sessions.backends.db"
  CHECK(s.cookie_name == "sessionid");
  CHECK(s.cookie_age == 60 * 60 * 24 * 7 * 2);
  CHECK(s.cookie_age == 1209600);
  CHECK_FALSE(s.cookie_domain.has_value());
  CHECK(s.cookie_path == "/");
  CHECK(s.cookie_secure == false);
  CHECK(s.cookie_httponly == true);
  CHECK(s.cookie_samesite == cookie::SameSite::lax);
  CHECK(s.save_every_request == false);
  CHECK(s.expire_at_browser_close == false);
  CHECK(s.secret_key_fallbacks.empty());
  CHECK(s.secret_key == "django-insecure-example-key");
  // Ours: like Django, no log line for a request that went well.
  CHECK(s.request_log == false);
  CHECK(parsed_ok([] {
          Json env = minimal();
          env["REQUEST_LOG"] = "true";
          return env;
        }()).request_log);
}

TEST_CASE("engine names are Django's dotted paths, and ours for the Durable Object engine") {
  // The built-in ones first (a test file registers one more: engine_plugin_test.cpp).
  std::vector<std::string> names = session::engine_names();
  names.resize(5);
  CHECK(names == std::vector<std::string>{
                                       "django.contrib.sessions.backends.signed_cookies",
                                       "django.contrib.sessions.backends.cache",
                                       "django.contrib.sessions.backends.db",
                                       "django.contrib.sessions.backends.cached_db",
                                       "locallibrary.sessions.backends.durable_object",
                                   });
}

// ---------------------------------------------------------------------------
// SECRET_KEY / SECRET_KEY_FALLBACKS
// ---------------------------------------------------------------------------

TEST_CASE("SECRET_KEY missing is rejected") {
  check_rejected(Json::object(), "SECRET_KEY");
  check_rejected(Json{{"SESSION_ENGINE", "django.contrib.sessions.backends.signed_cookies"}}, "SECRET_KEY");
  check_rejected(Json{{"SECRET_KEY", nullptr}}, "SECRET_KEY");
}

TEST_CASE("SECRET_KEY empty is rejected") { check_rejected(Json{{"SECRET_KEY", ""}}, "SECRET_KEY"); }

TEST_CASE("SECRET_KEY that is not a string is rejected") { check_rejected(Json{{"SECRET_KEY", 12345}}, "SECRET_KEY"); }

TEST_CASE("SECRET_KEY with non-ASCII text is kept as UTF-8 bytes") {
  CHECK(parsed_ok(Json{{"SECRET_KEY", "cl\xc3\xa9"}}).secret_key == "cl\xc3\xa9");
}

TEST_CASE("SECRET_KEY_FALLBACKS accepts a JSON array of strings") {
  CHECK(parsed_ok(with("SECRET_KEY_FALLBACKS", "[\"old-key\"]")).secret_key_fallbacks ==
        std::vector<std::string>{"old-key"});
  CHECK(parsed_ok(with("SECRET_KEY_FALLBACKS", "[\"older\",\"old\"]")).secret_key_fallbacks ==
        std::vector<std::string>{"older", "old"});
  CHECK(parsed_ok(with("SECRET_KEY_FALLBACKS", "[]")).secret_key_fallbacks.empty());
  CHECK(parsed_ok(with("SECRET_KEY_FALLBACKS", "")).secret_key_fallbacks.empty());
}

TEST_CASE("SECRET_KEY_FALLBACKS with a non-string item is rejected") {
  check_rejected(with("SECRET_KEY_FALLBACKS", "[\"a\",1]"), "SECRET_KEY_FALLBACKS");
  check_rejected(with("SECRET_KEY_FALLBACKS", "[\"a\",null]"), "SECRET_KEY_FALLBACKS");
  check_rejected(with("SECRET_KEY_FALLBACKS", "[\"\"]"), "SECRET_KEY_FALLBACKS");
  check_rejected(with("SECRET_KEY_FALLBACKS", "[\"a\""), "SECRET_KEY_FALLBACKS");
}

TEST_CASE("SECRET_KEY_FALLBACKS not starting with '[' is one key, as an environment variable") {
  // A Worker variable is a string; a value that is not a JSON list is taken
  // as a single fallback key (never iterated letter by letter).
  config::Parsed p = config::parse(with("SECRET_KEY_FALLBACKS", "old"));
  REQUIRE(p.settings);
  CHECK(p.settings->secret_key_fallbacks == std::vector<std::string>{"old"});
  config::Parsed q = config::parse(with("SECRET_KEY_FALLBACKS", "{\"a\":1}"));
  REQUIRE(q.settings);
  CHECK(q.settings->secret_key_fallbacks == std::vector<std::string>{"{\"a\":1}"});
}

TEST_CASE("errors never echo a secret's value") {
  config::Parsed p = config::parse(with("SECRET_KEY_FALLBACKS", "[\"super-secret-fallback\",1]"));
  REQUIRE_FALSE(p.settings);
  CHECK(p.error.to_string().find("super-secret-fallback") == std::string::npos);
  config::Parsed q = config::parse(Json{{"SECRET_KEY", "top-secret\n"}});
  REQUIRE_FALSE(q.settings);
  CHECK(q.error.setting == "SECRET_KEY");
  CHECK(q.error.to_string().find("top-secret") == std::string::npos);
}

// ---------------------------------------------------------------------------
// SESSION_ENGINE
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_ENGINE accepts every registered engine") {
  for (const char* name : {"django.contrib.sessions.backends.signed_cookies", "django.contrib.sessions.backends.cache",
                           "django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cached_db",
                           "locallibrary.sessions.backends.durable_object"})
    CHECK(parsed_ok(with("SESSION_ENGINE", name)).engine == name);
}

TEST_CASE("an unknown SESSION_ENGINE is rejected") {
  check_rejected(with("SESSION_ENGINE", "django.contrib.sessions.backends.memory"), "SESSION_ENGINE");
  check_rejected(with("SESSION_ENGINE", "signed_cookies"), "SESSION_ENGINE");
  check_rejected(with("SESSION_ENGINE", ""), "SESSION_ENGINE");
  check_rejected(with("SESSION_ENGINE", "django.contrib.sessions.backends.file"), "SESSION_ENGINE");
}

// ---------------------------------------------------------------------------
// SESSION_COOKIE_AGE
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_COOKIE_AGE accepts an integer number of seconds, as a number or a string") {
  CHECK(parsed_ok(with("SESSION_COOKIE_AGE", 3600)).cookie_age == 3600);
  CHECK(parsed_ok(with("SESSION_COOKIE_AGE", "3600")).cookie_age == 3600);
  CHECK(parsed_ok(with("SESSION_COOKIE_AGE", "1209600")).cookie_age == 1209600);
  CHECK(parsed_ok(with("SESSION_COOKIE_AGE", 0)).cookie_age == 0);
}

TEST_CASE("SESSION_COOKIE_AGE that is not an integer is rejected") {
  check_rejected(with("SESSION_COOKIE_AGE", "two weeks"), "SESSION_COOKIE_AGE");
  check_rejected(with("SESSION_COOKIE_AGE", ""), "SESSION_COOKIE_AGE");
  check_rejected(with("SESSION_COOKIE_AGE", "12abc"), "SESSION_COOKIE_AGE");
  check_rejected(with("SESSION_COOKIE_AGE", "1.5"), "SESSION_COOKIE_AGE");
  check_rejected(with("SESSION_COOKIE_AGE", 1.5), "SESSION_COOKIE_AGE");
  check_rejected(with("SESSION_COOKIE_AGE", true), "SESSION_COOKIE_AGE");
  check_rejected(with("SESSION_COOKIE_AGE", "99999999999999999999999"), "SESSION_COOKIE_AGE");
}

// ---------------------------------------------------------------------------
// Booleans
// ---------------------------------------------------------------------------

TEST_CASE("boolean settings accept booleans and Python/JS spellings") {
  for (const char* name : {"SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_SAVE_EVERY_REQUEST",
                           "SESSION_EXPIRE_AT_BROWSER_CLOSE"}) {
    CAPTURE(name);
    for (Json yes : {Json(true), Json("True"), Json("true"), Json("1")}) {
      config::Settings s = parsed_ok(with(name, yes));
      bool value = std::string(name) == "SESSION_COOKIE_SECURE"             ? s.cookie_secure
                   : std::string(name) == "SESSION_COOKIE_HTTPONLY"         ? s.cookie_httponly
                   : std::string(name) == "SESSION_SAVE_EVERY_REQUEST"      ? s.save_every_request
                                                                            : s.expire_at_browser_close;
      CHECK(value);
    }
    for (Json no : {Json(false), Json("False"), Json("false"), Json("0")}) {
      config::Settings s = parsed_ok(with(name, no));
      bool value = std::string(name) == "SESSION_COOKIE_SECURE"             ? s.cookie_secure
                   : std::string(name) == "SESSION_COOKIE_HTTPONLY"         ? s.cookie_httponly
                   : std::string(name) == "SESSION_SAVE_EVERY_REQUEST"      ? s.save_every_request
                                                                            : s.expire_at_browser_close;
      CHECK_FALSE(value);
    }
  }
}

TEST_CASE("boolean settings reject anything else") {
  for (const char* name : {"SESSION_COOKIE_SECURE", "SESSION_COOKIE_HTTPONLY", "SESSION_SAVE_EVERY_REQUEST",
                           "SESSION_EXPIRE_AT_BROWSER_CLOSE"}) {
    CAPTURE(name);
    check_rejected(with(name, "maybe"), name);
    check_rejected(with(name, ""), name);
    check_rejected(with(name, 2), name);
  }
}

// ---------------------------------------------------------------------------
// SESSION_COOKIE_SAMESITE
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_COOKIE_SAMESITE accepts Lax, Strict, None (any case) and False") {
  CHECK(parsed_ok(with("SESSION_COOKIE_SAMESITE", "Lax")).cookie_samesite == cookie::SameSite::lax);
  CHECK(parsed_ok(with("SESSION_COOKIE_SAMESITE", "lax")).cookie_samesite == cookie::SameSite::lax);
  CHECK(parsed_ok(with("SESSION_COOKIE_SAMESITE", "Strict")).cookie_samesite == cookie::SameSite::strict);
  CHECK(parsed_ok(with("SESSION_COOKIE_SAMESITE", "STRICT")).cookie_samesite == cookie::SameSite::strict);
  CHECK(parsed_ok(with("SESSION_COOKIE_SAMESITE", "None")).cookie_samesite == cookie::SameSite::none);
  CHECK(parsed_ok(with("SESSION_COOKIE_SAMESITE", false)).cookie_samesite == cookie::SameSite::unset);
  CHECK(parsed_ok(with("SESSION_COOKIE_SAMESITE", "False")).cookie_samesite == cookie::SameSite::unset);
}

TEST_CASE("SESSION_COOKIE_SAMESITE rejects other values") {
  check_rejected(with("SESSION_COOKIE_SAMESITE", "sometimes"), "SESSION_COOKIE_SAMESITE");
  check_rejected(with("SESSION_COOKIE_SAMESITE", ""), "SESSION_COOKIE_SAMESITE");
  check_rejected(with("SESSION_COOKIE_SAMESITE", true), "SESSION_COOKIE_SAMESITE");
  check_rejected(with("SESSION_COOKIE_SAMESITE", 1), "SESSION_COOKIE_SAMESITE");
}

// ---------------------------------------------------------------------------
// SESSION_COOKIE_NAME / _DOMAIN / _PATH
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_COOKIE_NAME accepts a cookie token") {
  CHECK(parsed_ok(with("SESSION_COOKIE_NAME", "mysid")).cookie_name == "mysid");
  CHECK(parsed_ok(with("SESSION_COOKIE_NAME", "my_session-id.v2")).cookie_name == "my_session-id.v2");
}

TEST_CASE("SESSION_COOKIE_NAME with a space, ';', '=' or control character is rejected") {
  check_rejected(with("SESSION_COOKIE_NAME", "my sid"), "SESSION_COOKIE_NAME");
  check_rejected(with("SESSION_COOKIE_NAME", "sid;x"), "SESSION_COOKIE_NAME");
  check_rejected(with("SESSION_COOKIE_NAME", "sid=x"), "SESSION_COOKIE_NAME");
  check_rejected(with("SESSION_COOKIE_NAME", "sid\r\nSet-Cookie: x"), "SESSION_COOKIE_NAME");
  check_rejected(with("SESSION_COOKIE_NAME", ""), "SESSION_COOKIE_NAME");
  check_rejected(with("SESSION_COOKIE_NAME", "s\xc3\xa9"), "SESSION_COOKIE_NAME");
}

TEST_CASE("SESSION_COOKIE_DOMAIN accepts a domain") {
  CHECK(parsed_ok(with("SESSION_COOKIE_DOMAIN", ".example.com")).cookie_domain ==
        std::optional<std::string>(".example.com"));
  CHECK(parsed_ok(with("SESSION_COOKIE_DOMAIN", "example.com")).cookie_domain ==
        std::optional<std::string>("example.com"));
}

TEST_CASE("SESSION_COOKIE_DOMAIN with CRLF or ';' is rejected") {
  check_rejected(with("SESSION_COOKIE_DOMAIN", "example.com\r\nSet-Cookie: evil=1"), "SESSION_COOKIE_DOMAIN");
  check_rejected(with("SESSION_COOKIE_DOMAIN", "example.com\n"), "SESSION_COOKIE_DOMAIN");
  check_rejected(with("SESSION_COOKIE_DOMAIN", "example.com; Secure"), "SESSION_COOKIE_DOMAIN");
}

TEST_CASE("SESSION_COOKIE_PATH accepts paths starting with '/'") {
  CHECK(parsed_ok(with("SESSION_COOKIE_PATH", "/")).cookie_path == "/");
  CHECK(parsed_ok(with("SESSION_COOKIE_PATH", "/example/")).cookie_path == "/example/");
}

TEST_CASE("SESSION_COOKIE_PATH without a leading '/', with ';' or CRLF is rejected") {
  check_rejected(with("SESSION_COOKIE_PATH", "example/"), "SESSION_COOKIE_PATH");
  check_rejected(with("SESSION_COOKIE_PATH", ""), "SESSION_COOKIE_PATH");
  check_rejected(with("SESSION_COOKIE_PATH", "/a;b"), "SESSION_COOKIE_PATH");
  check_rejected(with("SESSION_COOKIE_PATH", "/a\r\nb"), "SESSION_COOKIE_PATH");
}

// ---------------------------------------------------------------------------
// Cookie prefixes (RFC 6265bis): __Host- and __Secure-
// ---------------------------------------------------------------------------

TEST_CASE("a __Host- cookie name needs Secure, Path '/' and no Domain") {
  Json ok = with("SESSION_COOKIE_NAME", "__Host-sid");
  ok["SESSION_COOKIE_SECURE"] = true;
  CHECK(parsed_ok(ok).cookie_name == "__Host-sid");

  check_rejected(with("SESSION_COOKIE_NAME", "__Host-sid"), "SESSION_COOKIE_NAME");  // not Secure
  Json with_domain = ok;
  with_domain["SESSION_COOKIE_DOMAIN"] = ".example.com";
  check_rejected(with_domain, "SESSION_COOKIE_NAME");
  Json with_path = ok;
  with_path["SESSION_COOKIE_PATH"] = "/app/";
  check_rejected(with_path, "SESSION_COOKIE_NAME");
}

TEST_CASE("a __Secure- cookie name needs Secure") {
  Json ok = with("SESSION_COOKIE_NAME", "__Secure-sid");
  ok["SESSION_COOKIE_SECURE"] = "True";
  ok["SESSION_COOKIE_DOMAIN"] = ".example.com";
  ok["SESSION_COOKIE_PATH"] = "/app/";
  CHECK(parsed_ok(ok).cookie_name == "__Secure-sid");
  check_rejected(with("SESSION_COOKIE_NAME", "__Secure-sid"), "SESSION_COOKIE_NAME");
}

// ---------------------------------------------------------------------------
// SESSION_SERIALIZER and the environment itself
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_SERIALIZER accepts only the JSON serializer") {
  parsed_ok(with("SESSION_SERIALIZER", "django.contrib.sessions.serializers.JSONSerializer"));
  check_rejected(with("SESSION_SERIALIZER", "django.contrib.sessions.serializers.PickleSerializer"),
                 "SESSION_SERIALIZER");
}

TEST_CASE("unrelated variables are ignored") {
  Json env = minimal();
  env["SOME_OTHER_BINDING"] = "x";
  env["ASSETS"] = Json::object();
  parsed_ok(env);
}

TEST_CASE("an environment that is not an object is rejected") {
  config::Parsed p = config::parse(Json::array());
  CHECK_FALSE(p.settings.has_value());
  CHECK_FALSE(p.error.setting.empty());
}

TEST_CASE("App::create accepts a valid signed-cookie configuration") {
  config::Error error;
  auto app = app::App::create(with("SESSION_COOKIE_AGE", "3600"), &error);
  REQUIRE_MESSAGE(app, error.to_string());
  CHECK(app->settings().cookie_age == 3600);
  CHECK(app->settings().engine == "django.contrib.sessions.backends.signed_cookies");
}
