// SessionMiddleware through App::handle (native build, test views on):
// the behaviour matrix of SessionMiddleware.process_response
// (django/contrib/sessions/middleware.py), Django's SessionMiddlewareTests
// (tests/sessions_tests/tests.py), and the settings that shape Set-Cookie /
// Vary (HttpResponseBase.set_cookie/delete_cookie in django/http/response.py;
// https://docs.djangoproject.com/en/5.2/ref/settings/#sessions).
// Every expected header below was produced by real Django (3.2.25 via
// tests/django/django_session_tool.py, time mocked; 5.2 rules where the
// versions differ, e.g. no save on 503) unless a comment says otherwise.
#include <doctest/doctest.h>

#include <cctype>
#include <cstdio>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/app.h"
#include "http/cookie.h"
#include "session/signed_cookies.h"
#include "util/time.h"
#include "signing/signing.h"
#include "util/pyjson.h"

namespace {

using Json = pyjson::Json;

constexpr double kNow = 1700000000;  // Tue, 14 Nov 2023 22:13:20 GMT
constexpr const char* kSecret = "django-insecure-example-key";

// Cookie values (Django, SECRET_KEY kSecret, signed at kNow).
const std::string kVisit1 = "eyJudW1fdmlzaXRzIjoxfQ:1r31eq:1PPFpxns0uWboT8URB5Awk7AokgXsYeDvo5PZT3NI44";
const std::string kVisit2 = "eyJudW1fdmlzaXRzIjoyfQ:1r31eq:VNSj-TaXzsLMC6ar5t-I0D3Xms-NaGtH-bxvYbGWoJc";
const std::string kEmpty = "e30:1r31eq:vYaji0ex_e36_GQ8RO9ZyhNopZ0Nc_3LG5UbPS9QWRc";
const std::string kA1 = "eyJhIjoxfQ:1r31eq:uxJ5c__IqrwBg-sUrvR-SfcsoQbOOR0CszRjiUVVOtk";  // {"a": 1}
const std::string kOldKeyVisit5 = "eyJudW1fdmlzaXRzIjo1fQ:1r31eq:n8hZNrb1gbvkjhBDtGiM8MGVpavP21Lau4eiJMnJhWo";

const std::string kTail = "; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax";
const std::string kFirstVisitHeader = "sessionid=" + kVisit1 + kTail;
const std::string kEmptyHeader = "sessionid=" + kEmpty + kTail;
const std::string kDeletion = "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax";

Json base_env() {
  return Json{{"SECRET_KEY", kSecret}, {"SESSION_ENGINE", "django.contrib.sessions.backends.signed_cookies"}};
}

Json env_with(std::initializer_list<std::pair<const char*, Json>> overrides) {
  Json env = base_env();
  for (const auto& [k, v] : overrides) env[k] = v;
  return env;
}

std::string lower(std::string s) {
  for (auto& c : s) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

struct Result {
  int status = 0;
  std::vector<std::string> set_cookies;
  std::vector<std::string> vary;
  std::string body;
  std::vector<http::Log> logs;

  std::optional<std::string> set_cookie() const {
    REQUIRE(set_cookies.size() <= 1);
    if (set_cookies.empty()) return std::nullopt;
    return set_cookies[0];
  }
  // For comparisons that print both sides on failure.
  std::string cookie() const { return set_cookie().value_or("<no Set-Cookie>"); }
  bool varies_on_cookie() const {
    for (const auto& v : vary)
      if (lower(v) == "cookie") return true;
    return false;
  }
  // The test view's JSON answer.
  Json info() const { return Json::parse(body); }
  bool logged(http::LogLevel level, const std::string& needle) const {
    for (const auto& l : logs)
      if (l.level == level && l.message.find(needle) != std::string::npos) return true;
    return false;
  }
  std::string all_logs() const {
    std::string out;
    for (const auto& l : logs) out += std::to_string(static_cast<int>(l.level)) + ": " + l.message + "\n";
    return out;
  }
};

Result send(const Json& env, const std::string& target, std::optional<std::string> cookie_header,
            double now = kNow) {
  config::Error error;
  std::unique_ptr<app::App> app = app::App::create(env, &error);
  REQUIRE_MESSAGE(app, error.to_string());
  http::Request req;
  req.method = "GET";
  req.target = target;
  if (cookie_header) req.headers.emplace_back("cookie", *cookie_header);
  req.now = now;
  req.entropy = std::string(48, '\x5a');
  // What the shim does: run plan() rounds and answer each load. Only the
  // catalog's D1 counts exist here (the signed-cookie engine loads nothing).
  std::vector<http::Loaded> loaded;
  for (int round = 0; round < 4; ++round) {
    std::vector<http::Op> wanted = app->plan(req, loaded);
    if (wanted.empty()) break;
    for (const http::Op& op : wanted) {
      http::Loaded l;
      l.tag = op.tag;
      if (op.kind == http::OpKind::d1_query && op.sql.rfind("SELECT COUNT(*) AS n FROM catalog_", 0) == 0) {
        l.status = http::LoadStatus::ok;
        l.rows = {{"n"}, {{http::SqlValue::of(3.0)}}};
      }
      loaded.push_back(std::move(l));
    }
  }
  http::Response r = app->handle(req, loaded);
  Result out;
  out.status = r.status;
  out.body = r.body;
  out.logs = r.logs;
  for (const auto& [name, value] : r.headers) {
    if (lower(std::string(name.view())) == "set-cookie") out.set_cookies.emplace_back(value.view());
    if (lower(std::string(name.view())) == "vary") out.vary.emplace_back(value.view());
  }
  return out;
}

std::string percent_encode(const std::string& s) {
  static constexpr char hex[] = "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~' || c == ':' || c == '=') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

// /__test__/session?op=...&op=...
std::string ops(std::initializer_list<std::string> list) {
  std::string target = "/__test__/session";
  char sep = '?';
  for (const auto& op : list) {
    target += sep;
    target += "op=" + percent_encode(op);
    sep = '&';
  }
  return target;
}

std::string sid(const std::string& value) { return "sessionid=" + value; }

// Text that zlib cannot shrink much: a cookie holding it stays large.
std::string incompressible(size_t n) {
  static constexpr char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  std::string out;
  uint64_t x = 0x9E3779B97F4A7C15ULL;
  for (size_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    out += alphabet[x % 64];
  }
  return out;
}

std::string value_of(const std::string& set_cookie) {
  size_t eq = set_cookie.find('=');
  size_t semi = set_cookie.find(';');
  return set_cookie.substr(eq + 1, semi - eq - 1);
}

std::optional<Json> load_cookie(const std::string& value, double now, const std::string& secret = kSecret) {
  signing::TimestampSigner signer(session::kSignedCookiesSalt, secret, {});
  auto r = signer.unsign_object(value, now, 1209600);
  if (!r.ok()) return std::nullopt;
  return r.value->object;
}

}  // namespace

// ---------------------------------------------------------------------------
// process_response behaviour matrix (signed-cookie engine, default settings)
// ---------------------------------------------------------------------------

TEST_CASE("matrix: the first counter visit sets the documented cookie and Vary: Cookie") {
  Result r = send(base_env(), "/catalog/", std::nullopt);
  CHECK(r.status == 200);
  CHECK(r.cookie() == kFirstVisitHeader);
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
  CHECK(r.body.find("You have visited this page 1 time.") != std::string::npos);
}

TEST_CASE("matrix: the second counter visit re-signs the cookie with num_visits 2") {
  Result r = send(base_env(), "/catalog/", sid(kVisit1));
  CHECK(r.cookie() == "sessionid=" + kVisit2 + kTail);
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
  CHECK(r.body.find("You have visited this page 2 times.") != std::string::npos);
}

TEST_CASE("matrix: a valid cookie and a view that never touches the session: no Set-Cookie, no Vary") {
  Result r = send(base_env(), ops({}), sid(kVisit1));
  CHECK(r.status == 200);
  CHECK(r.set_cookies.empty());
  CHECK(r.vary.empty());
  CHECK(r.info()["accessed"] == Json(false));
}

TEST_CASE("matrix: a valid cookie and a view that only reads: Vary: Cookie, no Set-Cookie") {
  Result r = send(base_env(), ops({"get:num_visits"}), sid(kVisit1));
  CHECK(r.set_cookies.empty());
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
  CHECK(r.info()["results"] == Json::array({1}));
}

TEST_CASE("matrix: a tampered or garbage cookie (8+ chars) read by the view gets a new cookie for {}") {
  std::string flipped_sig = kVisit1;
  flipped_sig.back() = flipped_sig.back() == 'A' ? 'B' : 'A';
  std::string flipped_payload = kVisit1;
  flipped_payload[1] = 'z';
  for (const std::string& bad :
       {flipped_sig, flipped_payload, std::string("garbage-cookie-value"), kVisit1 + "a",
        std::string("eyJudW1fdmlzaXRzIjo5OX0:1xWWvf:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"),
        std::string("eyJudW1fdmlzaXRzIjoxfQ:1r31eq:lBT4vucu0UYBuZUdbHwpqr6ngo4")}) {  // SHA-1 (Django <= 3.0)
    CAPTURE(bad);
    Result r = send(base_env(), ops({"get:num_visits"}), sid(bad));
    CHECK(r.cookie() == kEmptyHeader);
    CHECK(r.vary == std::vector<std::string>{"Cookie"});
    CHECK(r.info()["results"] == Json::array({"<KeyError>"}));
  }
}

TEST_CASE("matrix: a garbage cookie among other cookies is replaced by a cookie for {}") {
  Result r = send(base_env(), ops({"get:a"}), "other=1; sessionid=garbage-cookie-value; x=2");
  CHECK(r.cookie() == kEmptyHeader);
  CHECK(r.varies_on_cookie());
}

TEST_CASE("matrix: a tampered cookie and the counter view start again at 1") {
  std::string tampered = kVisit2;
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  Result r = send(base_env(), "/catalog/", sid(tampered));
  CHECK(r.cookie() == kFirstVisitHeader);
  CHECK(r.body.find("You have visited this page 1 time.") != std::string::npos);
}

TEST_CASE("matrix: a cookie shorter than 8 chars read by the view is deleted") {
  Result r = send(base_env(), ops({"get:a"}), sid("abc"));
  CHECK(r.cookie() == kDeletion);
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("matrix: a cookie shorter than 8 chars is deleted even when the view never touches the session") {
  Result r = send(base_env(), ops({}), sid("abc"));
  CHECK(r.cookie() == kDeletion);
  CHECK(r.varies_on_cookie());
}

TEST_CASE("matrix: an empty sessionid cookie is deleted") {
  Result r = send(base_env(), ops({}), "sessionid=");
  CHECK(r.cookie() == kDeletion);
  CHECK(r.varies_on_cookie());
}

TEST_CASE("matrix: a cookie shorter than 8 chars and a view that writes gets a new valid cookie") {
  Result r = send(base_env(), ops({"set:a=1"}), sid("abc"));
  CHECK(r.cookie() == "sessionid=" + kA1 + kTail);
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("matrix: flush with a cookie present sends the deletion header") {
  Result r = send(base_env(), ops({"flush"}), sid(kVisit1));
  CHECK(r.cookie() == kDeletion);
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("matrix: flush without a cookie sends no cookie but Vary: Cookie") {
  Result r = send(base_env(), ops({"flush"}), std::nullopt);
  CHECK(r.set_cookies.empty());
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("matrix: a view that writes and answers 503 saves nothing (Django 4.2+), Vary: Cookie") {
  Result r = send(base_env(), ops({"set:a=1", "status:503"}), sid(kVisit1));
  CHECK(r.status == 503);
  CHECK(r.set_cookies.empty());
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

// ---------------------------------------------------------------------------
// SessionMiddlewareTests (tests/sessions_tests/tests.py)
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_COOKIE_SECURE adds Secure (test_secure_session_cookie)") {
  Result r = send(env_with({{"SESSION_COOKIE_SECURE", true}}), "/catalog/", std::nullopt);
  CHECK(r.cookie() == kFirstVisitHeader + "; Secure");
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("the session cookie is HttpOnly by default (test_httponly_session_cookie)") {
  Result r = send(base_env(), "/catalog/", std::nullopt);
  REQUIRE(r.set_cookie());
  CHECK(r.set_cookie()->find("; HttpOnly;") != std::string::npos);
}

TEST_CASE("SESSION_COOKIE_HTTPONLY False drops the HttpOnly token (test_no_httponly_session_cookie)") {
  Result r = send(env_with({{"SESSION_COOKIE_HTTPONLY", false}}), "/catalog/", std::nullopt);
  CHECK(r.cookie() == "sessionid=" + kVisit1 +
                              "; expires=Tue, 28 Nov 2023 22:13:20 GMT; Max-Age=1209600; Path=/; SameSite=Lax");
  REQUIRE(r.set_cookie());
  CHECK(lower(*r.set_cookie()).find("httponly") == std::string::npos);
}

TEST_CASE("SESSION_COOKIE_SAMESITE Strict (test_samesite_session_cookie)") {
  Result r = send(env_with({{"SESSION_COOKIE_SAMESITE", "Strict"}}), "/catalog/", std::nullopt);
  CHECK(r.cookie() == "sessionid=" + kVisit1 +
                              "; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Strict");
}

TEST_CASE("SESSION_COOKIE_SAMESITE None is written as SameSite=None without forcing Secure on set") {
  Result r = send(env_with({{"SESSION_COOKIE_SAMESITE", "None"}}), "/catalog/", std::nullopt);
  CHECK(r.cookie() == "sessionid=" + kVisit1 +
                              "; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=None");
}

TEST_CASE("SESSION_COOKIE_SAMESITE False omits the attribute") {
  Result r = send(env_with({{"SESSION_COOKIE_SAMESITE", false}}), "/catalog/", std::nullopt);
  CHECK(r.cookie() ==
        "sessionid=" + kVisit1 + "; expires=Tue, 28 Nov 2023 22:13:20 GMT; HttpOnly; Max-Age=1209600; Path=/");
}

TEST_CASE("all attributes come out in Morsel's order: Domain, expires, HttpOnly, Max-Age, Path, SameSite, Secure") {
  Result r = send(env_with({{"SESSION_COOKIE_DOMAIN", ".example.com"},
                            {"SESSION_COOKIE_SECURE", true},
                            {"SESSION_COOKIE_SAMESITE", "Strict"},
                            {"SESSION_COOKIE_AGE", 10}}),
                  "/catalog/", std::nullopt);
  CHECK(r.cookie() == "sessionid=" + kVisit1 +
                              "; Domain=.example.com; expires=Tue, 14 Nov 2023 22:13:30 GMT; HttpOnly; Max-Age=10; "
                              "Path=/; SameSite=Strict; Secure");
}

TEST_CASE("a 500 response does not save data the view set (test_session_save_on_500)") {
  Result r = send(base_env(), ops({"set:hello=\"world\"", "status:500"}), std::nullopt);
  CHECK(r.status == 500);
  CHECK(r.set_cookies.empty());
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("a 503 response does not save data the view set (test_session_save_on_5xx)") {
  Result r = send(base_env(), ops({"set:hello=\"world\"", "status:503"}), std::nullopt);
  CHECK(r.status == 503);
  CHECK(r.set_cookies.empty());
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("the counter at 500-599 never saves; 499 does") {
  for (int status : {500, 502, 503, 504, 599}) {
    CAPTURE(status);
    Result r = send(base_env(), ops({"set:a=1", "status:" + std::to_string(status)}), std::nullopt);
    CHECK(r.set_cookies.empty());
  }
  Result ok = send(base_env(), ops({"set:a=1", "status:499"}), std::nullopt);
  CHECK(ok.cookie() == "sessionid=" + kA1 + kTail);
}

TEST_CASE("a 5xx response still deletes the cookie after flush (the delete branch ignores status)") {
  Result r = send(base_env(), ops({"flush", "status:500"}), sid(kVisit1));
  CHECK(r.cookie() == kDeletion);
  CHECK(r.varies_on_cookie());
}

TEST_CASE("cookie 'abc' plus flush gives exactly the deletion header (test_session_delete_on_end)") {
  Result r = send(base_env(), ops({"flush"}), sid("abc"));
  CHECK(r.cookie() == "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax");
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("deletion with a custom domain and path (test_session_delete_on_end_with_custom_domain_and_path)") {
  Result r = send(env_with({{"SESSION_COOKIE_DOMAIN", ".example.local"}, {"SESSION_COOKIE_PATH", "/example/"}}),
                  ops({"flush"}), sid("abc"));
  CHECK(r.cookie() ==
        "sessionid=\"\"; Domain=.example.local; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/example/; "
        "SameSite=Lax");
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("deletion does not add Secure for SESSION_COOKIE_SECURE (delete_cookie ignores it)") {
  // HttpResponse.delete_cookie only forces Secure for __Secure-/__Host- names
  // or SameSite=None (django/http/response.py); SessionMiddleware passes no
  // secure flag.
  Result r = send(env_with({{"SESSION_COOKIE_SECURE", true}}), ops({"flush"}), sid("abc"));
  CHECK(r.cookie() == kDeletion);
}

TEST_CASE("deletion with SameSite=None forces Secure") {
  Result r = send(env_with({{"SESSION_COOKIE_SAMESITE", "None"}}), ops({"flush"}), sid("abc"));
  CHECK(r.cookie() ==
        "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=None; Secure");
}

TEST_CASE("deletion with SESSION_COOKIE_SAMESITE False has no SameSite") {
  Result r = send(env_with({{"SESSION_COOKIE_SAMESITE", false}}), ops({"flush"}), sid("abc"));
  CHECK(r.cookie() == "sessionid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/");
}

TEST_CASE("deletion of a __Host- cookie forces Secure") {
  Result r = send(env_with({{"SESSION_COOKIE_NAME", "__Host-sid"}, {"SESSION_COOKIE_SECURE", true}}), ops({"flush"}),
                  "__Host-sid=abc");
  CHECK(r.cookie() ==
        "__Host-sid=\"\"; expires=Thu, 01 Jan 1970 00:00:00 GMT; Max-Age=0; Path=/; SameSite=Lax; Secure");
}

TEST_CASE("flush without a session cookie sets no cookie (test_flush_empty_without_session_cookie_doesnt_set_cookie)") {
  Result r = send(base_env(), ops({"flush"}), "othercookie=1");
  CHECK(r.set_cookies.empty());
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("a session emptied with del but holding a key is saved as {} and re-sent (test_empty_session_saved)") {
  Result r = send(base_env(), ops({"del:a"}), sid(kA1));
  CHECK(r.cookie() == kEmptyHeader);
  REQUIRE(r.set_cookie());
  CHECK(value_of(*r.set_cookie()).size() > 8);
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("a session emptied with clear but holding a key is saved as {} and re-sent") {
  Result r = send(base_env(), ops({"clear"}), sid(kA1));
  CHECK(r.cookie() == kEmptyHeader);
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("a view that sets modified by hand re-sends a valid cookie without Vary") {
  Result r = send(base_env(), ops({"modified"}), sid(kA1), kNow + 100);
  CHECK(r.cookie() == "sessionid=eyJhIjoxfQ:1r31gS:jmb3Szm0ZeKpyFlz7ZfoOgrm1XHmIszWE0NS5R7nGoM; expires=Tue, 28 "
                          "Nov 2023 22:15:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax");
  CHECK(r.vary.empty());
}

TEST_CASE("modified by hand with no cookie and no data creates no session") {
  Result r = send(base_env(), ops({"modified"}), std::nullopt);
  CHECK(r.set_cookies.empty());
  CHECK(r.vary.empty());
}

TEST_CASE("set_expiry(None) with nothing stored only marks the session accessed") {
  Result r = send(base_env(), ops({"expiry_none"}), std::nullopt);
  CHECK(r.set_cookies.empty());
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("the test cookie is stored inside the signed session cookie") {
  Result r = send(base_env(), ops({"test_cookie"}), std::nullopt);
  CHECK(r.cookie() == "sessionid=eyJ0ZXN0Y29va2llIjoid29ya2VkIn0:1r31eq:ikBJ0MaY-rUSKd28AZ1Fh2QWHXibTCj3E3v3CvKiTT8" +
                              kTail);
}

TEST_CASE("cycle_key re-signs the cookie with the current time") {
  Result r = send(base_env(), ops({"cycle"}), sid(kA1), kNow + 5);
  CHECK(r.cookie() == "sessionid=eyJhIjoxfQ:1r31ev:xCDQaJmaOcbs4n4PKRKhxr4sfFR1F7a22EFsorpAPQs; expires=Tue, 28 "
                          "Nov 2023 22:13:25 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax");
  CHECK(r.varies_on_cookie());
}

// ---------------------------------------------------------------------------
// SESSION_SAVE_EVERY_REQUEST
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_SAVE_EVERY_REQUEST re-sends an untouched session's cookie without Vary (5.2.0)") {
  Result r = send(env_with({{"SESSION_SAVE_EVERY_REQUEST", true}}), ops({}), sid(kVisit1), kNow + 100);
  CHECK(r.cookie() ==
        "sessionid=eyJudW1fdmlzaXRzIjoxfQ:1r31gS:2C5Kg4ppGlQaGWiXueRjsLCbgk32cOsv6QXA4SQhyPU; expires=Tue, 28 Nov "
        "2023 22:15:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax");
  CHECK(r.vary.empty());
}

TEST_CASE("SESSION_SAVE_EVERY_REQUEST re-sends a read session's cookie with Vary") {
  Result r = send(env_with({{"SESSION_SAVE_EVERY_REQUEST", true}}), ops({"get:num_visits"}), sid(kVisit1),
                  kNow + 100);
  CHECK(r.cookie() ==
        "sessionid=eyJudW1fdmlzaXRzIjoxfQ:1r31gS:2C5Kg4ppGlQaGWiXueRjsLCbgk32cOsv6QXA4SQhyPU; expires=Tue, 28 Nov "
        "2023 22:15:00 GMT; HttpOnly; Max-Age=1209600; Path=/; SameSite=Lax");
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("SESSION_SAVE_EVERY_REQUEST never creates an empty session") {
  Json env = env_with({{"SESSION_SAVE_EVERY_REQUEST", true}});
  Result untouched = send(env, ops({}), std::nullopt, kNow + 100);
  CHECK(untouched.set_cookies.empty());
  CHECK(untouched.vary.empty());
  Result read = send(env, ops({"get:a"}), std::nullopt, kNow + 100);
  CHECK(read.set_cookies.empty());
  CHECK(read.vary == std::vector<std::string>{"Cookie"});
  Result counter = send(env, "/", std::nullopt, kNow + 100);  // a redirect: no session at all
  CHECK(counter.set_cookies.empty());
}

TEST_CASE("SESSION_SAVE_EVERY_REQUEST does not save on 5xx") {
  Result r = send(env_with({{"SESSION_SAVE_EVERY_REQUEST", true}}), ops({"status:500"}), sid(kVisit1), kNow + 100);
  CHECK(r.set_cookies.empty());
}

// ---------------------------------------------------------------------------
// Expiry: SESSION_EXPIRE_AT_BROWSER_CLOSE, set_expiry, SESSION_COOKIE_AGE
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_EXPIRE_AT_BROWSER_CLOSE gives a cookie without Max-Age or expires") {
  Result r = send(env_with({{"SESSION_EXPIRE_AT_BROWSER_CLOSE", true}}), "/catalog/", std::nullopt);
  CHECK(r.cookie() == "sessionid=" + kVisit1 + "; HttpOnly; Path=/; SameSite=Lax");
}

TEST_CASE("set_expiry(0) gives a browser-session cookie without Max-Age or expires") {
  Result r = send(base_env(), ops({"expiry:0"}), std::nullopt);
  CHECK(r.cookie() ==
        "sessionid=eyJfc2Vzc2lvbl9leHBpcnkiOjB9:1r31eq:yBm5kei8zdGElXX6bT23hEPtKyVDMNq1Kba5k1ReqdU; HttpOnly; Path=/; "
        "SameSite=Lax");
}

TEST_CASE("set_expiry(10) gives Max-Age=10 and expires 10 s from now") {
  Result r = send(base_env(), ops({"expiry:10"}), std::nullopt);
  CHECK(r.cookie() ==
        "sessionid=eyJfc2Vzc2lvbl9leHBpcnkiOjEwfQ:1r31eq:7_aH3y-DTUJqwLaegRSWltgTlqX37ETTicA0lysGeYY; expires=Tue, 14 "
        "Nov 2023 22:13:30 GMT; HttpOnly; Max-Age=10; Path=/; SameSite=Lax");
}

TEST_CASE("set_expiry(10) overrides SESSION_EXPIRE_AT_BROWSER_CLOSE") {
  Result r = send(env_with({{"SESSION_EXPIRE_AT_BROWSER_CLOSE", true}}), ops({"expiry:10"}), std::nullopt);
  CHECK(r.cookie() ==
        "sessionid=eyJfc2Vzc2lvbl9leHBpcnkiOjEwfQ:1r31eq:7_aH3y-DTUJqwLaegRSWltgTlqX37ETTicA0lysGeYY; expires=Tue, 14 "
        "Nov 2023 22:13:30 GMT; HttpOnly; Max-Age=10; Path=/; SameSite=Lax");
}

TEST_CASE("set_expiry(None) returns to SESSION_EXPIRE_AT_BROWSER_CLOSE") {
  Result r = send(env_with({{"SESSION_EXPIRE_AT_BROWSER_CLOSE", true}}), ops({"set:a=1", "expiry_none"}),
                  std::nullopt);
  CHECK(r.cookie() == "sessionid=" + kA1 + "; HttpOnly; Path=/; SameSite=Lax");
}

TEST_CASE("SESSION_COOKIE_AGE sets Max-Age and expires") {
  Result r = send(env_with({{"SESSION_COOKIE_AGE", 10}}), ops({"set:a=1"}), std::nullopt);
  CHECK(r.cookie() == "sessionid=" + kA1 + "; expires=Tue, 14 Nov 2023 22:13:30 GMT; HttpOnly; Max-Age=10; Path=/; SameSite=Lax");
}

TEST_CASE("a cookie older than SESSION_COOKIE_AGE is replaced by a cookie for {}") {
  Result r = send(env_with({{"SESSION_COOKIE_AGE", 10}}), ops({"get:a"}), sid(kA1), kNow + 11);
  CHECK(r.cookie() == "sessionid=e30:1r31f1:jN4-VSD5bVhTx3ApbNEfg9FrN2nZAXzrh8kBBfd7Xos; expires=Tue, 14 Nov 2023 "
                          "22:13:41 GMT; HttpOnly; Max-Age=10; Path=/; SameSite=Lax");
  CHECK(r.info()["results"] == Json::array({"<KeyError>"}));
}

TEST_CASE("set_expiry(datetime in the past) stores an ISO string and gives a negative Max-Age") {
  // Django 5.2: {"_session_expiry": "2023-11-14T22:13:10+00:00"}, Max-Age = -10.
  // (Signed with Django 3.2's signing.dumps over the 5.2 dict.)
  Result r = send(base_env(), ops({"expiry_in:-10"}), std::nullopt);
  CHECK(r.cookie() ==
        "sessionid=eyJfc2Vzc2lvbl9leHBpcnkiOiIyMDIzLTExLTE0VDIyOjEzOjEwKzAwOjAwIn0:1r31eq:KFFLgIxZzB09H7S4AanRD0pC-"
        "zmzb9suOUmdeSJozd4; expires=Tue, 14 Nov 2023 22:13:10 GMT; HttpOnly; Max-Age=-10; Path=/; SameSite=Lax");
}

TEST_CASE("set_expiry(datetime one hour ahead) gives Max-Age=3600") {
  Result r = send(base_env(), ops({"expiry_in:3600"}), std::nullopt);
  CHECK(r.cookie() ==
        "sessionid=eyJfc2Vzc2lvbl9leHBpcnkiOiIyMDIzLTExLTE0VDIzOjEzOjIwKzAwOjAwIn0:1r31eq:zuKWUTt4FqeaRBgL6BwL5a3NoqmLu"
        "FiZ-9FXJasQb2c; expires=Tue, 14 Nov 2023 23:13:20 GMT; HttpOnly; Max-Age=3600; Path=/; SameSite=Lax");
}

TEST_CASE("http_date is email.utils.formatdate(t, usegmt=True)") {
  CHECK(cookie::http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(cookie::http_date(1700000000) == "Tue, 14 Nov 2023 22:13:20 GMT");
  CHECK(cookie::http_date(1700000000 + 1209600) == "Tue, 28 Nov 2023 22:13:20 GMT");
  CHECK(cookie::http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(cookie::http_date(4102444800) == "Fri, 01 Jan 2100 00:00:00 GMT");
  CHECK(cookie::http_date(-1) == "Wed, 31 Dec 1969 23:59:59 GMT");
  CHECK(cookie::http_date(253402300799) == "Fri, 31 Dec 9999 23:59:59 GMT");
  CHECK(cookie::http_date(253402300800) == "Sat, 01 Jan 10000 00:00:00 GMT");
  CHECK(cookie::http_date(-62135596800) == "Mon, 01 Jan 0001 00:00:00 GMT");
  CHECK(cookie::http_date(-62135596801) == "Sun, 31 Dec 0000 23:59:59 GMT");
  CHECK(cookie::http_date(-62198755200) == "Fri, 01 Jan -001 00:00:00 GMT");
  // The fields as printf would format them, across the calendar.
  for (int64_t t = -70000000000; t < 300000000000; t += 7777777 + t % 13) {
    const int64_t day = t >= 0 ? t / 86400 : (t - 86399) / 86400, secs = t - day * 86400;
    const timeutil::CivilDate d = timeutil::civil_from_days(day);
    char expected[64];
    std::snprintf(expected, sizeof expected, "%02d %04lld %02d:%02d:%02d", d.day, static_cast<long long>(d.year),
                  static_cast<int>(secs / 3600), static_cast<int>(secs / 60 % 60), static_cast<int>(secs % 60));
    const std::string got = cookie::http_date(t);
    REQUIRE(got.substr(5, 2) + got.substr(11, got.size() - 15) == expected);
  }
}

// Beyond Django (#27775): set_expiry() is enforced server-side for cookies.
TEST_CASE("server-side expiry: a cookie past its set_expiry(10) deadline is treated as a new session") {
  // Django: signing.dumps({"a": 1, "_session_expiry": 10}) at 1700000000
  const std::string cookie = "eyJhIjoxLCJfc2Vzc2lvbl9leHBpcnkiOjEwfQ:1r31eq:mwO1tWrrCyoEIRyH-XlrHopRzZirrrSMbbX7uiYeOAQ";
  Result in_time = send(base_env(), ops({"get:a"}), sid(cookie), kNow + 10);
  CHECK(in_time.info()["results"] == Json::array({1}));
  CHECK(in_time.set_cookies.empty());

  Result late = send(base_env(), ops({"get:a"}), sid(cookie), kNow + 11);
  CHECK(late.info()["results"] == Json::array({"<KeyError>"}));
  REQUIRE(late.set_cookie());
  CHECK(load_cookie(value_of(*late.set_cookie()), kNow + 11) == std::optional<Json>(Json::object()));
  CHECK(late.varies_on_cookie());
}

// ---------------------------------------------------------------------------
// SECRET_KEY_FALLBACKS (Django 4.1+)
// ---------------------------------------------------------------------------

TEST_CASE("a cookie signed with a fallback key loads and is re-signed with SECRET_KEY on save") {
  Json env = env_with({{"SECRET_KEY", "new-key"}, {"SECRET_KEY_FALLBACKS", "[\"old-key\"]"}});
  Result r = send(env, "/catalog/", sid(kOldKeyVisit5));
  CHECK(r.cookie() == "sessionid=eyJudW1fdmlzaXRzIjo2fQ:1r31eq:ymO5jAG04vCrdUioyNonn2CCb0kJMr-oUsN-OZSuaJ0" + kTail);
  CHECK(r.body.find("You have visited this page 6 times.") != std::string::npos);
  REQUIRE(r.set_cookie());
  // Verifiable with the new key alone.
  CHECK(load_cookie(value_of(*r.set_cookie()), kNow, "new-key") == std::optional<Json>(Json{{"num_visits", 6}}));
  CHECK_FALSE(load_cookie(value_of(*r.set_cookie()), kNow, "old-key"));
}

TEST_CASE("a fallback-signed cookie that is only read is not re-sent") {
  Json env = env_with({{"SECRET_KEY", "new-key"}, {"SECRET_KEY_FALLBACKS", "[\"old-key\"]"}});
  Result r = send(env, ops({"get:num_visits"}), sid(kOldKeyVisit5));
  CHECK(r.info()["results"] == Json::array({5}));
  CHECK(r.set_cookies.empty());
  CHECK(r.vary == std::vector<std::string>{"Cookie"});
}

TEST_CASE("without the fallback key an old-key cookie is invalid and replaced by {} signed with the new key") {
  Json env = env_with({{"SECRET_KEY", "new-key"}});
  Result r = send(env, ops({"get:num_visits"}), sid(kOldKeyVisit5));
  CHECK(r.cookie() == "sessionid=e30:1r31eq:IVijhEYsSXfqTgdkbqQUbdIiEJIFmmlQzvloYvxubXA" + kTail);
}

TEST_CASE("several fallbacks: any of them verifies") {
  Json env = env_with({{"SECRET_KEY", "new-key"}, {"SECRET_KEY_FALLBACKS", "[\"older-key\",\"old-key\"]"}});
  Result r = send(env, ops({"get:num_visits"}), sid(kOldKeyVisit5));
  CHECK(r.info()["results"] == Json::array({5}));
  CHECK(r.set_cookies.empty());
}

// ---------------------------------------------------------------------------
// Timestamps from the future (beyond Django: README "Sessions: what matches
// Django, and what goes further")
// ---------------------------------------------------------------------------

TEST_CASE("a cookie timestamped an hour in the future is rejected and replaced by {}") {
  Result r = send(base_env(), ops({"get:num_visits"}), sid(kVisit1), kNow - 3600);
  CHECK(r.info()["results"] == Json::array({"<KeyError>"}));
  REQUIRE(r.set_cookie());
  CHECK(load_cookie(value_of(*r.set_cookie()), kNow - 3600) == std::optional<Json>(Json::object()));
  CHECK_MESSAGE(r.logged(http::LogLevel::info, "future"), r.all_logs());
}

TEST_CASE("a cookie timestamped a minute in the future (clock skew) is accepted") {
  Result r = send(base_env(), ops({"get:num_visits"}), sid(kVisit1), kNow - 60);
  CHECK(r.info()["results"] == Json::array({1}));
  CHECK(r.set_cookies.empty());
}

// ---------------------------------------------------------------------------
// Cookie parsing (django.http.cookie.parse_cookie)
// ---------------------------------------------------------------------------

TEST_CASE("SESSION_COOKIE_NAME names the cookie read and written") {
  Json env = env_with({{"SESSION_COOKIE_NAME", "mysid"}});
  Result r = send(env, "/catalog/", "mysid=" + kVisit1);
  CHECK(r.cookie() == "mysid=" + kVisit2 + kTail);
  Result other = send(env, "/catalog/", sid(kVisit1));  // "sessionid" is not ours now
  CHECK(other.cookie() == "mysid=" + kVisit1 + kTail);
}

TEST_CASE("a later duplicate cookie name wins") {
  Result r = send(base_env(), ops({"get:a"}), "sessionid=abc; sessionid=" + kA1);
  CHECK(r.info()["results"] == Json::array({1}));
  CHECK(r.set_cookies.empty());
}

TEST_CASE("a quoted cookie value is unquoted") {
  Result r = send(base_env(), ops({"get:a"}), "sessionid=\"" + kA1 + "\"");
  CHECK(r.info()["results"] == Json::array({1}));
  CHECK(r.set_cookies.empty());
}

// ---------------------------------------------------------------------------
// Cookie size guard (beyond Django, README "Sessions: what matches Django, and
// what goes further"): a cookie browsers would drop is not sent
// ---------------------------------------------------------------------------

TEST_CASE("size guard: big:5000 is not sent, the error log names the cookie and size, the page is still 200") {
  Result r = send(base_env(), ops({"big:5000"}), std::nullopt);
  CHECK(r.status == 200);
  CHECK_MESSAGE(r.set_cookies.empty(), "a session holding 5000 bytes must not be sent as a cookie; got " << r.cookie());
  CHECK_MESSAGE(r.logged(http::LogLevel::error, "sessionid"), r.all_logs());
}

TEST_CASE("size guard: big:100 fits and is sent") {
  Result r = send(base_env(), ops({"big:100"}), std::nullopt);
  CHECK(r.status == 200);
  REQUIRE(r.set_cookie());
  CHECK(r.set_cookie()->rfind("sessionid=", 0) == 0);
  CHECK(r.info()["cookie_action"] == Json(static_cast<int>(middleware::CookieAction::set)));
  CHECK_FALSE(r.logged(http::LogLevel::error, "sessionid"));
}

TEST_CASE("size guard: 5000 incompressible bytes are not sent, logged with the cookie name and size") {
  std::string big = incompressible(5000);
  Result r = send(base_env(), ops({"set:big=\"" + big + "\""}), std::nullopt);
  CHECK(r.status == 200);
  CHECK(r.set_cookies.empty());  // neither a new cookie nor a deletion
  CHECK(r.varies_on_cookie());
  CHECK(r.info()["cookie_action"] == Json(static_cast<int>(middleware::CookieAction::too_large)));
  signing::TimestampSigner signer(session::kSignedCookiesSalt, kSecret, {});
  std::string would_be = signer.sign_object(Json{{"big", big}}, static_cast<int64_t>(kNow));
  REQUIRE(would_be.size() > 4096);
  CHECK_MESSAGE(r.logged(http::LogLevel::error, "'sessionid'"), r.all_logs());
  CHECK_MESSAGE(r.logged(http::LogLevel::error, std::to_string(9 + would_be.size())), r.all_logs());
}

TEST_CASE("size guard: just under 4096 bytes of name+value is still sent") {
  // Find a size whose cookie lands just under the limit.
  signing::TimestampSigner signer(session::kSignedCookiesSalt, kSecret, {});
  size_t n = 2900;
  std::string value;
  while (true) {
    std::string next = signer.sign_object(Json{{"big", incompressible(n + 1)}}, static_cast<int64_t>(kNow));
    if (9 + next.size() > 4096) break;
    value = next;
    ++n;
  }
  REQUIRE(9 + value.size() <= 4096);
  Result r = send(base_env(), ops({"set:big=\"" + incompressible(n) + "\""}), std::nullopt);
  REQUIRE(r.set_cookie());
  CHECK(value_of(*r.set_cookie()) == value);
}

TEST_CASE("size guard: the counter page says the visit was not saved when the session is too large") {
  signing::TimestampSigner signer(session::kSignedCookiesSalt, kSecret, {});
  // An oversized session carried in (the Cookie header allows up to 8192
  // bytes); the counter changes it, and the re-signed cookie cannot be sent.
  std::string cookie =
      signer.sign_object(Json{{"num_visits", 9}, {"pad", incompressible(5000)}}, static_cast<int64_t>(kNow));
  REQUIRE(9 + cookie.size() > 4096);
  Result r = send(base_env(), "/catalog/", sid(cookie));
  CHECK(r.status == 200);
  CHECK(r.set_cookies.empty());
  CHECK(r.body.find("Your session is too large to be saved") != std::string::npos);
  CHECK(r.logged(http::LogLevel::error, "sessionid"));
}
