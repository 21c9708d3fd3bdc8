// The ORIGIN setting in the core (README.md, "Putting it in front of
// Django"): what the edge keeps, what it hands to the origin and with which
// headers, the logged-in rule, the settings ORIGIN needs, the manifest, the
// envelope the shim reads, and the origin project's templates and routes.
#include <doctest/doctest.h>

#include <algorithm>
#include <memory>
#include <string>

#include "app/app.h"
#include "app/origin_site.h"
#include "http/envelope.h"
#include "session/signed_cookies.h"
#include "signing/signing.h"
#include "template/template.h"
#include "util/pyjson.h"

namespace {

using Json = pyjson::Json;
constexpr double kNow = 1767225600;  // 2026-01-01
const char* kSecret = "django-insecure-example-key";

Json env_with_origin(const char* origin = "https://django.internal:8443/") {
  return Json{{"SECRET_KEY", kSecret},
              {"SESSION_ENGINE", "django.contrib.sessions.backends.signed_cookies"},
              {"ORIGIN", origin}};
}

std::unique_ptr<app::App> make(const Json& env) {
  config::Error error;
  std::unique_ptr<app::App> app = app::App::create(env, &error);
  REQUIRE_MESSAGE(app, error.to_string());
  return app;
}

http::Request request(std::string method, std::string target, std::optional<std::string> cookie = std::nullopt) {
  http::Request r;
  r.method = std::move(method);
  r.target = std::move(target);
  r.now = kNow;
  if (cookie) r.headers.emplace_back("cookie", *cookie);
  r.headers.emplace_back(":scheme", "https");
  r.headers.emplace_back(":authority", "library.example.com");
  r.headers.emplace_back("cf-connecting-ip", "2001:db8::7");
  return r;
}

// A signed_cookies session value, as Django's SessionStore would write it.
std::string session_cookie(const Json& data) {
  signing::TimestampSigner signer(session::kSignedCookiesSalt, kSecret, {});
  return "sessionid=" + signer.sign_object(data, static_cast<int64_t>(kNow) - 10, true);
}

// A response's headers or the origin pass's (name, value) pairs.
template <typename Headers>
std::string header(const Headers& headers, const std::string& name) {
  for (const auto& [k, v] : headers)
    if (k == name) return std::string(std::string_view(v));
  return "";
}

}  // namespace

TEST_CASE("ORIGIN unset: nothing goes to an origin, and the core's answers say X-Served-By: edge") {
  auto app = make(Json{{"SECRET_KEY", kSecret}, {"SESSION_ENGINE", "django.contrib.sessions.backends.signed_cookies"}});
  CHECK_FALSE(app->to_origin(request("GET", "/catalog/books/")));
  CHECK_FALSE(app->to_origin(request("POST", "/accounts/login/")));
  http::Response r = app->handle(request("GET", "/catalog/books/"), {});
  CHECK(r.status == 404);
  CHECK(header(r.headers, "X-Served-By") == "edge");
  CHECK(header(app->handle(request("GET", "/"), {}).headers, "X-Served-By") == "edge");
}

TEST_CASE("ORIGIN: the edge keeps the home page for anonymous visitors; everything else goes to the origin") {
  auto app = make(env_with_origin());
  CHECK_FALSE(app->to_origin(request("GET", "/catalog/")));
  CHECK_FALSE(app->to_origin(request("HEAD", "/catalog/?utm=x")));
  CHECK_FALSE(app->to_origin(request("GET", "/catalog/", session_cookie(Json{{"num_visits", 4}}))));
  // A request over the limits is answered at the edge (414), never forwarded.
  CHECK_FALSE(app->to_origin(request("GET", "/catalog/books/?" + std::string(9000, 'q'))));
  for (const char* target : {"/", "/catalog", "/catalog/books/?page=2", "/accounts/login/?next=/catalog/", "/admin/"}) {
    CAPTURE(target);
    CHECK(app->to_origin(request("GET", target)));
  }
  CHECK(app->to_origin(request("POST", "/catalog/")));
  CHECK(app->to_origin(request("DELETE", "/catalog/")));
}

TEST_CASE("ORIGIN: a session holding _auth_user_id goes to the origin, even for the home page") {
  auto app = make(env_with_origin());
  Json logged_in = {{"num_visits", 2},
                    {"_auth_user_id", "1"},
                    {"_auth_user_backend", "django.contrib.auth.backends.ModelBackend"},
                    {"_auth_user_hash", "abc"}};
  CHECK(app->to_origin(request("GET", "/catalog/", session_cookie(logged_in))));
  // Tampered: not a session at all, so the edge's anonymous page.
  std::string tampered = session_cookie(logged_in);
  tampered.back() = tampered.back() == 'A' ? 'B' : 'A';
  CHECK_FALSE(app->to_origin(request("GET", "/catalog/", tampered)));
}

TEST_CASE("ORIGIN: the pass keeps method, target and body to the shim; sets X-Forwarded-*; drops hop-by-hop headers") {
  auto app = make(env_with_origin());
  auto pass = app->to_origin(request("GET", "/catalog/books/?page=2&q=a%20b"));
  REQUIRE(pass);
  CHECK(pass->url == "https://django.internal:8443/catalog/books/?page=2&q=a%20b");
  CHECK(pass->timeout_ms == 30000);
  CHECK(header(pass->set, "X-Forwarded-For") == "2001:db8::7");
  CHECK(header(pass->set, "X-Forwarded-Proto") == "https");
  CHECK(header(pass->set, "X-Forwarded-Host") == "library.example.com");
  CHECK(header(pass->response_headers, "X-Served-By") == "origin");
  for (const char* name : {"host", "connection", "transfer-encoding", "upgrade", "x-forwarded-for", "x-forwarded-host",
                           "x-forwarded-proto"}) {
    CAPTURE(name);
    CHECK(std::find(pass->remove.begin(), pass->remove.end(), name) != pass->remove.end());
  }
  CHECK(std::find(pass->remove.begin(), pass->remove.end(), "cookie") == pass->remove.end());

  // Values that are not an address, a host or a scheme are not forwarded.
  http::Request odd = request("GET", "/x");
  odd.headers = {{":scheme", "gopher"}, {":authority", "evil.example\r\nX-Injected: 1"}, {"cf-connecting-ip", "1.2.3.4, 5.6.7.8"}};
  auto odd_pass = app->to_origin(odd);
  REQUIRE(odd_pass);
  CHECK(odd_pass->set.empty());
}

TEST_CASE("ORIGIN: settings") {
  config::Parsed p = config::parse(env_with_origin("http://127.0.0.1:8000"));
  REQUIRE(p.settings);
  CHECK(*p.settings->origin == "http://127.0.0.1:8000");
  CHECK(p.settings->origin_timeout == 30);
  Json env = env_with_origin("HTTPS://Example.com");
  env["ORIGIN_TIMEOUT"] = "5";
  p = config::parse(env);
  REQUIRE(p.settings);
  CHECK(*p.settings->origin == "https://Example.com");
  CHECK(p.settings->origin_timeout == 5);
  CHECK_FALSE(config::parse(Json{{"SECRET_KEY", kSecret}}).settings->origin);

  for (const char* bad : {"example.com", "ftp://example.com", "https://", "https://example.com/prefix",
                          "https://example.com?x=1", "https://user:pw@example.com"}) {
    CAPTURE(bad);
    config::Parsed q = config::parse(env_with_origin(bad));
    CHECK_FALSE(q.settings);
    CHECK(q.error.setting == "ORIGIN");
  }
  for (const char* engine : {"django.contrib.sessions.backends.db", "django.contrib.sessions.backends.cache",
                             "django.contrib.sessions.backends.cached_db"}) {
    CAPTURE(engine);
    Json e = env_with_origin();
    e["SESSION_ENGINE"] = engine;
    config::Parsed q = config::parse(e);
    CHECK_FALSE(q.settings);
    CHECK(q.error.setting == "ORIGIN");
    CHECK(q.error.message.find("signed_cookies") != std::string::npos);
  }
  Json slow = env_with_origin();
  slow["ORIGIN_TIMEOUT"] = "0";
  CHECK(config::parse(slow).error.setting == "ORIGIN_TIMEOUT");
}

TEST_CASE("ORIGIN: the manifest asks for the URL's scheme and host and the client address, and names the engine") {
  auto app = make(env_with_origin());
  http::Manifest m = app->manifest();
  for (const char* name : {"cookie", "cf-connecting-ip", ":scheme", ":authority"}) {
    CAPTURE(name);
    CHECK(std::find(m.request_headers.begin(), m.request_headers.end(), name) != m.request_headers.end());
  }
  CHECK(m.engine == "signed_cookies");
  REQUIRE(m.prefetch.size() == 1);
  CHECK(m.prefetch[0].call_while_loading);  // a logged-in visitor must not wait for D1
  auto plain = make(Json{{"SECRET_KEY", kSecret}, {"SESSION_ENGINE", "django.contrib.sessions.backends.signed_cookies"}});
  CHECK(plain->manifest().request_headers == std::vector<std::string>{"cookie"});
  CHECK_FALSE(plain->manifest().prefetch[0].call_while_loading);
}

TEST_CASE("ORIGIN: the envelope carries the pass; origin failures are 502/504 pages that set no cookie") {
  http::OriginPass pass;
  pass.url = "https://o.example/x?y";
  pass.timeout_ms = 1234;
  pass.remove = {"host"};
  pass.set = {{"X-Forwarded-Proto", "https"}};
  pass.response_headers = {{"X-Served-By", "origin"}};
  std::string out;
  envelope::encode_origin(out, pass);
  REQUIRE(out.size() > 8);
  CHECK(static_cast<unsigned char>(out[0]) == abi::RESULT_ORIGIN);
  uint32_t length = static_cast<unsigned char>(out[4]) | (static_cast<unsigned char>(out[5]) << 8);
  CHECK(length == out.size());
  CHECK(out.find("https://o.example/x?y") != std::string::npos);

  for (auto [failure, status] : {std::pair{app::EffectFailure::origin_unreachable, 502},
                                 std::pair{app::EffectFailure::origin_timeout, 504}}) {
    http::Response r = app::effect_failure_response(failure);
    CHECK(r.status == status);
    CHECK(header(r.headers, "Set-Cookie").empty());
    CHECK(header(r.headers, "X-Served-By") == "edge");
    CHECK(r.effects.empty());
    CHECK(r.body.find(std::to_string(status)) != std::string::npos);
  }
}

TEST_CASE("ORIGIN: the home page is the origin project's template, with its route table") {
  // Embedded from ORIGIN_TEMPLATE_DIRS (default: examples/django-origin):
  // index.html and the base_generic.html it extends.
  bool index = false, base = false;
  for (const auto& [name, source] : origin_site::templates()) {
    index |= name == "index.html";
    base |= name == "base_generic.html" && source.find("{% url 'my-borrowed' %}") != std::string_view::npos;
  }
  CHECK(index);
  CHECK(base);
  CHECK(origin_site::routes_json().find("\"my-borrowed\": \"/catalog/mybooks/\"") != std::string_view::npos);

  auto app = make(env_with_origin());
  std::vector<http::Loaded> loaded;
  http::Request req = request("GET", "/catalog/");
  for (const http::Op& op : app->plan(req, loaded)) {
    http::Loaded l;
    l.tag = op.tag;
    l.status = http::LoadStatus::ok;
    l.rows = {{"n"}, {{http::SqlValue::of(7.0)}}};
    loaded.push_back(std::move(l));
  }
  http::Response r = app->handle(req, loaded);
  CHECK(r.status == 200);
  CHECK(header(r.headers, "X-Served-By") == "edge");
  CHECK(r.body.find("<a href=\"/catalog/bookinstances/\">All book copies</a>") != std::string::npos);
  CHECK(r.body.find("<a href=\"/accounts/login/?next=/catalog/\">Login</a>") != std::string::npos);
  CHECK(r.body.find("User:") == std::string::npos);
  CHECK(r.body.find("You have visited this page 1 time.") != std::string::npos);
}

TEST_CASE("ORIGIN: a route name the table lacks fails only where it renders (Django's NoReverseMatch)") {
  tmpl::Hooks hooks;
  hooks.routes = {{"index", "/catalog/"},         {"books", "/catalog/books/"}, {"authors", "/catalog/authors/"},
                  {"bookinstances", "/catalog/bookinstances/"}, {"genres", "/catalog/genres/"},
                  {"languages", "/catalog/languages/"},          {"login", "/accounts/login/"}};
  tmpl::Library library(hooks);
  tmpl::Error error;
  for (const auto& [name, source] : origin_site::templates())
    REQUIRE_MESSAGE(library.add(std::string(name), std::string(source), &error), error.to_string());
  REQUIRE_MESSAGE(library.link(&error), error.to_string());  // 'my-borrowed' and 'logout' unknown: fine here

  tmpl::Json anonymous = {{"num_visits", 1}, {"request", {{"path", "/catalog/"}}}, {"user", {{"is_authenticated", false}}}};
  std::string out;
  CHECK_MESSAGE(library.render("index.html", anonymous, out, &error), error.to_string());
  CHECK(out.find("?next=/catalog/\">Login</a>") != std::string::npos);

  tmpl::Json user = anonymous;
  user["user"] = {{"is_authenticated", true}, {"get_username", "reader"}};
  CHECK_FALSE(library.render("index.html", user, out, &error));
  CHECK(error.message.find("my-borrowed") != std::string::npos);
}

TEST_CASE("envelope symbols: one dense number per string, sent in full once, bounded") {
  envelope::Symbols symbols;
  bool first = false;
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back("X-Header-" + std::to_string(i * 7919));
  for (size_t i = 0; i < names.size(); ++i) {
    CHECK(symbols.id(names[i], first) == i);
    CHECK(first);
  }
  // Known strings keep their numbers across the table's growth, in any order.
  for (size_t i = names.size(); i-- > 0;) {
    CHECK(symbols.id(names[i], first) == i);
    CHECK_FALSE(first);
  }
  CHECK(symbols.id("", first) == names.size());
  CHECK(first);
  CHECK(symbols.id("", first) == names.size());
  CHECK_FALSE(first);
  for (size_t i = names.size() + 1; i < envelope::Symbols::kMaxSymbols; ++i) symbols.id("s" + std::to_string(i), first);
  uint32_t id = 0;
  CHECK_FALSE(symbols.bounded_id("never seen", id, first));
  CHECK_FALSE(symbols.bounded_id("never seen", id, first));  // and it was not added
  CHECK(symbols.bounded_id(names[123], id, first));
  CHECK(id == 123);
  CHECK_FALSE(first);
  CHECK(symbols.bounded_id("s4000", id, first));
  CHECK(id == 4000);
  // A literal is known by its address after the first time, and by its text
  // to every other way in: one number for one string.
  envelope::Symbols by_address;
  static const char kName[] = "Content-Type";
  const uint32_t literal = by_address.literal_id(kName, first);
  CHECK(first);
  CHECK(by_address.literal_id(kName, first) == literal);
  CHECK_FALSE(first);
  CHECK(by_address.id(std::string("Content-Type"), first) == literal);
  CHECK_FALSE(first);
  CHECK(by_address.literal_id("Content-Type", first) == literal);  // another address, maybe
  CHECK_FALSE(first);
  CHECK(by_address.literal_id(std::string_view(kName, 7), first) != literal);  // "Content": same address, shorter
  CHECK(first);
  // Strings every byte of which matters: lengths around the hash's 4-byte
  // steps, differing only in their last byte, all told apart.
  envelope::Symbols tails;
  uint32_t n = 0;
  for (size_t len = 1; len <= 9; ++len)
    for (char last = 'a'; last <= 'z'; ++last) {
      std::string s(len - 1, 'x');
      s += last;
      CHECK(tails.id(s, first) == n++);
      CHECK(first);
    }
}
