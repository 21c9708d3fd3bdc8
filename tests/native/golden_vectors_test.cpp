// Golden vectors produced by real Django (tests/django/golden_vectors.json,
// regenerated with `/usr/bin/python3 tests/django/django_session_tool.py vectors`).
// For every vector:
//   - pyjson::dumps(data) is Django's JSONSerializer text ("json");
//   - TimestampSigner(salt signed_cookies, secret) signs it at "time" into
//     "cookie", byte for byte (compressed or not);
//   - TimestampSigner(salt "django.contrib.sessions.SessionStore") gives "encoded";
//   - unsigning "cookie" at "now" with load_secret + load_fallbacks and
//     max_age SESSION_COOKIE_AGE gives the data back when "valid", and the
//     right error when not (the only invalid vector is "expired");
//   - decode("encoded") (no max_age) gives the data back;
//   - the counter view run by the middleware at "now" on that cookie answers
//     exactly "after_set_cookie" and "after_vary".
// The JSON file is found relative to this source file (no compile definition).
#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "app/app.h"
#include "session/signed_cookies.h"
#include "signing/signing.h"
#include "util/pyjson.h"

namespace {

using Json = pyjson::Json;
constexpr int64_t kCookieAge = 1209600;
constexpr const char* kStoreSalt = "django.contrib.sessions.SessionStore";

std::string vectors_path() {
  std::string here = __FILE__;  // .../tests/native/golden_vectors_test.cpp
  size_t slash = here.find_last_of("/\\");
  std::string dir = slash == std::string::npos ? std::string(".") : here.substr(0, slash);
  return dir + "/../django/golden_vectors.json";
}

const Json& vectors() {
  static const Json parsed = [] {
    std::ifstream in(vectors_path(), std::ios::binary);
    REQUIRE_MESSAGE(in.good(), "cannot open " << vectors_path());
    std::stringstream buf;
    buf << in.rdbuf();
    // Keys keep file order: "data" must serialize in Python's insertion order.
    return Json::parse(buf.str());
  }();
  return parsed;
}

std::string str(const Json& j) { return *j.get_ptr<const std::string*>(); }

std::vector<std::string> strings(const Json& j) {
  std::vector<std::string> out;
  for (const auto& item : j) out.push_back(str(item));
  return out;
}

std::string joined(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : "\n") + s;
  return out.empty() ? "<none>" : out;
}

int64_t integer(const Json& j) {
  return j.is_number_unsigned() ? static_cast<int64_t>(*j.get_ptr<const uint64_t*>()) : *j.get_ptr<const int64_t*>();
}

struct Handled {
  std::vector<std::string> set_cookies;
  std::vector<std::string> vary;
};

Handled counter_visit(const Json& vector) {
  Json env = {{"SECRET_KEY", vector["load_secret"]},
              {"SESSION_ENGINE", "django.contrib.sessions.backends.signed_cookies"}};
  if (!vector["load_fallbacks"].empty()) env["SECRET_KEY_FALLBACKS"] = pyjson::dumps(vector["load_fallbacks"]);
  config::Error error;
  auto app = app::App::create(env, &error);
  REQUIRE_MESSAGE(app, error.to_string());
  http::Request req;
  req.method = "GET";
  req.target = "/catalog/";
  req.headers.emplace_back("cookie", "sessionid=" + str(vector["cookie"]));
  req.now = static_cast<double>(integer(vector["now"]));
  req.entropy = std::string(48, '\x11');
  // The shim's plan/load loop, answering the catalog's D1 counts.
  std::vector<http::Loaded> loaded;
  for (int round = 0; round < 4; ++round) {
    std::vector<http::Op> wanted = app->plan(req, loaded);
    if (wanted.empty()) break;
    for (const http::Op& op : wanted) {
      http::Loaded l;
      l.tag = op.tag;
      if (op.kind == http::OpKind::d1_query) {
        l.status = http::LoadStatus::ok;
        l.rows = {{"n"}, {{http::SqlValue::of(1.0)}}};
      }
      loaded.push_back(std::move(l));
    }
  }
  http::Response r = app->handle(req, loaded);
  REQUIRE(r.status == 200);
  Handled h;
  for (const auto& [name, value] : r.headers) {
    if (name == "Set-Cookie") h.set_cookies.emplace_back(value.view());
    if (name == "Vary") h.vary.emplace_back(value.view());
  }
  return h;
}

}  // namespace

TEST_CASE("the golden vector file is present and covers the documented cases") {
  const Json& v = vectors();
  REQUIRE(v.is_array());
  CHECK(v.size() >= 13);
  std::vector<std::string> names;
  for (const auto& vec : v) names.push_back(str(vec["name"]));
  for (const char* expected : {"uncompressed", "compressed_short", "compressed_long", "unicode", "floats", "ints",
                               "fallback_key", "expired", "max_age_boundary", "empty"}) {
    CAPTURE(expected);
    CHECK(std::find(names.begin(), names.end(), expected) != names.end());
  }
}

TEST_CASE("golden vectors: data serializes to Django's JSON text") {
  for (const auto& vec : vectors()) {
    std::string name = str(vec["name"]);
    CAPTURE(name);
    CHECK(pyjson::dumps(vec["data"]) == str(vec["json"]));
    // And Django's text loads back to something that dumps identically.
    auto parsed = pyjson::loads_latin1(str(vec["json"]));
    REQUIRE(parsed);
    CHECK(pyjson::dumps(*parsed) == str(vec["json"]));
  }
}

TEST_CASE("golden vectors: the signed-cookie value is reproduced byte for byte") {
  for (const auto& vec : vectors()) {
    std::string name = str(vec["name"]);
    CAPTURE(name);
    signing::TimestampSigner signer(session::kSignedCookiesSalt, str(vec["secret"]), {});
    int64_t time = integer(vec["time"]);
    CHECK(signer.sign_object(vec["data"], time) == str(vec["cookie"]));
    CHECK(signer.sign_serialized(str(vec["json"]), time) == str(vec["cookie"]));
    CHECK((str(vec["cookie"])[0] == '.') == *vec["compressed"].get_ptr<const bool*>());
  }
}

TEST_CASE("golden vectors: SessionBase.encode() with salt django.contrib.sessions.SessionStore is reproduced") {
  for (const auto& vec : vectors()) {
    std::string name = str(vec["name"]);
    CAPTURE(name);
    signing::TimestampSigner encoder(kStoreSalt, str(vec["secret"]), {});
    CHECK(encoder.sign_object(vec["data"], integer(vec["time"])) == str(vec["encoded"]));
  }
}

TEST_CASE("golden vectors: unsigning the cookie gives the data back, or the right error") {
  for (const auto& vec : vectors()) {
    std::string name = str(vec["name"]);
    CAPTURE(name);
    signing::TimestampSigner loader(session::kSignedCookiesSalt, str(vec["load_secret"]),
                                    strings(vec["load_fallbacks"]));
    auto r = loader.unsign_object(str(vec["cookie"]), static_cast<double>(integer(vec["now"])), kCookieAge);
    if (*vec["valid"].get_ptr<const bool*>()) {
      REQUIRE_MESSAGE(r.ok(), signing::describe(r.error));
      CHECK(pyjson::dumps(r.value->object) == str(vec["json"]));
      CHECK(r.value->timestamp == integer(vec["time"]));
      CHECK(r.value->used_fallback_key == (str(vec["secret"]) != str(vec["load_secret"])));
    } else {
      CHECK_FALSE(r.ok());
      if (name == "expired") CHECK(r.error == signing::Error::expired);
      else CHECK(r.error == signing::Error::bad_signature);
    }
  }
}

TEST_CASE("golden vectors: the fallback-key cookie fails without its fallback") {
  for (const auto& vec : vectors()) {
    if (vec["load_fallbacks"].empty()) continue;
    std::string name = str(vec["name"]);
    CAPTURE(name);
    signing::TimestampSigner no_fallbacks(session::kSignedCookiesSalt, str(vec["load_secret"]), {});
    auto r = no_fallbacks.unsign_object(str(vec["cookie"]), static_cast<double>(integer(vec["now"])), kCookieAge);
    CHECK_FALSE(r.ok());
    CHECK(r.error == signing::Error::bad_signature);
  }
}

TEST_CASE("golden vectors: decode(encoded) gives the data back (no max_age)") {
  for (const auto& vec : vectors()) {
    std::string name = str(vec["name"]);
    CAPTURE(name);
    signing::TimestampSigner decoder(kStoreSalt, str(vec["secret"]), {});
    auto r = decoder.unsign_object(str(vec["encoded"]), static_cast<double>(integer(vec["now"])), -1);
    REQUIRE_MESSAGE(r.ok(), signing::describe(r.error));
    CHECK(pyjson::dumps(r.value->object) == str(vec["json"]));
  }
}

TEST_CASE("golden vectors: one second past the max_age boundary fails as expired") {
  for (const auto& vec : vectors()) {
    if (str(vec["name"]) != "max_age_boundary") continue;
    signing::TimestampSigner loader(session::kSignedCookiesSalt, str(vec["load_secret"]), {});
    double now = static_cast<double>(integer(vec["now"]));
    CHECK(loader.unsign_object(str(vec["cookie"]), now, kCookieAge).ok());
    auto late = loader.unsign_object(str(vec["cookie"]), now + 1, kCookieAge);
    CHECK_FALSE(late.ok());
    CHECK(late.error == signing::Error::expired);
  }
}

TEST_CASE("golden vectors: the counter view answers Django's Set-Cookie and Vary byte for byte") {
  for (const auto& vec : vectors()) {
    std::string name = str(vec["name"]);
    CAPTURE(name);
    Handled h = counter_visit(vec);
    CHECK(joined(h.set_cookies) == joined(strings(vec["after_set_cookie"])));
    if (vec["after_vary"].is_null()) CHECK(joined(h.vary) == "<none>");
    else CHECK(joined(h.vary) == str(vec["after_vary"]));
  }
}
