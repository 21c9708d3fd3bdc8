// ServerStore and plan_load in isolation, sans-IO: the answers the shim would
// have fetched from KV and D1 are built by hand (http::Loaded), and the
// writes come back as http::Op effects. Covers the plan rounds per engine,
// coalescing of effects, must_change / best_effort flags, the KV TTL clamp,
// expiry checked on read, corrupt records, failed loads and the D1 datetime
// text (Django's django/contrib/sessions/backends/db.py, cache.py, cached_db.py
// and base.py SessionBase.encode/decode; KV's 60 s minimum expirationTtl:
// https://developers.cloudflare.com/kv/api/write-key-value-pairs/).
#include <doctest/doctest.h>

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"
#include "session/backend.h"
#include "session/backends/storage.h"
#include "session/server_store.h"
#include "session/session.h"
#include "signing/signing.h"
#include "util/pyjson.h"

namespace {

using http::Loaded;
using http::LoadStatus;
using http::Op;
using http::OpKind;
using session::Json;
using session::ServerStore;
using session::Session;

constexpr double kNow = 1700000000;  // 2023-11-14 22:13:20 UTC
constexpr int64_t kAge = 1209600;
constexpr const char* kSecret = "django-insecure-example-key";
const std::string kKey = "abcdefghijklmnopqrstuvwxyz012345";  // 32 of [a-z0-9]
const std::string kSelect = "SELECT session_data FROM django_session WHERE session_key = ?1 AND expire_date > ?2";
const std::string kEntropy(48, '\x5a');

// The engines by their registered names (src/session/engines.cpp).
enum class Engine { signed_cookies, cache, db, cached_db, durable_object };
const char* engine_name(Engine e) {
  switch (e) {
    case Engine::signed_cookies: return "django.contrib.sessions.backends.signed_cookies";
    case Engine::cache: return "django.contrib.sessions.backends.cache";
    case Engine::db: return "django.contrib.sessions.backends.db";
    case Engine::cached_db: return "django.contrib.sessions.backends.cached_db";
    case Engine::durable_object: return "locallibrary.sessions.backends.durable_object";
  }
  return "";
}
const session::Backend* backend_of(Engine e) {
  const session::Engine* found = session::find_engine(engine_name(e));
  REQUIRE(found != nullptr);
  return found->backend;
}

const signing::TimestampSigner& encoder() {
  static const signing::TimestampSigner e(session::kStoreSalt, kSecret, {}, signing::Limits{session::ServerStore::kMaxRecordBytes, 300});
  return e;
}

std::string kv_key(Engine e, const std::string& key) {
  return std::string(e == Engine::cached_db ? session::kCachedDbPrefix : session::kCachePrefix) + key;
}

std::string encode(const Json& data, double at) { return encoder().sign_object(data, static_cast<int64_t>(at)); }

Loaded kv_answer(Engine, LoadStatus status, const std::string& value = "") {
  return {session::kKvRecordTag, status, value, {}};
}
// D1's answer as the shim sends it: the result objects' keys as columns.
http::Rows rows_of(const Json& objects) {
  http::Rows rows;
  if (!objects.is_array()) return rows;
  for (const auto& object : objects) {
    if (!object.is_object()) continue;
    if (rows.columns.empty())
      for (const auto& [name, v] : object.items()) rows.columns.push_back(name);
    std::vector<http::SqlValue> row;
    for (const auto& [name, v] : object.items()) {
      if (v.is_string()) row.push_back(http::SqlValue::of(v.get<std::string>()));
      else if (v.is_number()) row.push_back(http::SqlValue::of(v.get<double>()));
      else row.push_back({});
    }
    rows.rows.push_back(std::move(row));
  }
  return rows;
}
Loaded d1_answer(LoadStatus status, const std::string& rows_json = "[]") {
  return {session::kD1RecordTag, status, "", rows_of(Json::parse(rows_json, nullptr, false))};
}
std::string rows_with(const std::string& encoded) {
  Json rows = Json::array();
  rows.push_back(Json{{"session_data", encoded}});
  return pyjson::dumps(rows);
}

Json params_of(const Op& op) {
  Json out = Json::array();
  for (const auto& p : op.params) out.push_back(p.text);
  return out;
}
// Whether an op's key, value or any parameter contains `text`.
bool mentions(const Op& op, const std::string& text) {
  if (op.key.find(text) != std::string::npos || op.value.find(text) != std::string::npos) return true;
  for (const auto& p : op.params)
    if (p.text.find(text) != std::string::npos) return true;
  return false;
}

bool is_d1_datetime(const std::string& s) {
  if (s.size() != 26) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (i == 4 || i == 7)     ? c == '-'
              : (i == 10)            ? c == ' '
              : (i == 13 || i == 16) ? c == ':'
              : (i == 19)            ? c == '.'
                                     : (c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// One request: the store over the loads the shim answered, and the session.
struct Request {
  std::vector<Loaded> loaded;
  ServerStore store;
  Session s;
  Request(Engine e, std::optional<std::string> cookie, std::vector<Loaded> answers, double now = kNow,
          session::Policy policy = {})
      : loaded(std::move(answers)), store(*backend_of(e), encoder(), loaded, kEntropy), s(store, std::move(cookie), policy, now) {}
};

std::vector<Op> of_kind(const std::vector<Op>& ops, OpKind kind) {
  std::vector<Op> out;
  std::copy_if(ops.begin(), ops.end(), std::back_inserter(out), [&](const Op& o) { return o.kind == kind; });
  return out;
}

// What each engine stores an existing session in, answered as a hit.
std::vector<Loaded> hit(Engine e, const std::string& encoded) {
  if (e == Engine::cache) return {kv_answer(e, LoadStatus::ok, encoded)};
  if (e == Engine::db) return {d1_answer(LoadStatus::ok, rows_with(encoded))};
  return {kv_answer(e, LoadStatus::ok, encoded)};
}

const Engine kServerEngines[] = {Engine::cache, Engine::db, Engine::cached_db};

}  // namespace

TEST_CASE("is_lookup_key: only what could be a stored key is ever looked up") {
  CHECK(session::is_lookup_key(kKey));
  CHECK(session::is_lookup_key("abcdefgh"));               // Django's minimum: 8
  CHECK(session::is_lookup_key(std::string(40, 'a')));     // Django's column: varchar(40)
  CHECK_FALSE(session::is_lookup_key("abcdefg"));
  CHECK_FALSE(session::is_lookup_key(std::string(41, 'a')));
  CHECK_FALSE(session::is_lookup_key(std::string(1240, 'a')));  // CacheSessionTests.test_load_overlong_key
  CHECK_FALSE(session::is_lookup_key("ABCDEFGHijklmnopqrstuvwxyz012345"));
  CHECK_FALSE(session::is_lookup_key("abcdefgh-jklmnopqrstuvwxyz012345"));
  CHECK_FALSE(session::is_lookup_key(""));
}

TEST_CASE("d1_datetime is Django's SQLite text: YYYY-MM-DD HH:MM:SS.ffffff, UTC") {
  CHECK(session::d1_datetime(kNow) == "2023-11-14 22:13:20.000000");
  CHECK(session::d1_datetime(0) == "1970-01-01 00:00:00.000000");
  CHECK(session::d1_datetime(kNow + 0.5) == "2023-11-14 22:13:20.500000");
  CHECK(session::d1_datetime(kNow + 0.25) == "2023-11-14 22:13:20.250000");
  CHECK(session::d1_datetime(kNow + kAge) == "2023-11-28 22:13:20.000000");
  CHECK(session::d1_datetime(951782400) == "2000-02-29 00:00:00.000000");  // leap day
  CHECK(session::d1_datetime(4102444799) == "2099-12-31 23:59:59.000000");
  // Compared as text in SQL (expire_date > ?2): text order must be time order.
  std::vector<double> times = {0, 999999999.5, 1000000000, kNow - 0.000001, kNow, kNow + 0.000001, kNow + 86400, 4102444799};
  for (size_t i = 1; i < times.size(); ++i) {
    CAPTURE(times[i]);
    CHECK(session::d1_datetime(times[i - 1]) < session::d1_datetime(times[i]));
    CHECK(is_d1_datetime(session::d1_datetime(times[i])));
  }
}

TEST_CASE("plan_load: nothing to load without a usable key or for signed cookies") {
  for (Engine e : {Engine::signed_cookies, Engine::cache, Engine::db, Engine::cached_db}) {
    CAPTURE(engine_name(e));
    CHECK(session::plan_load(backend_of(e), std::nullopt, {}, kNow).empty());
    CHECK(session::plan_load(backend_of(e), std::string(1240, 'a'), {}, kNow).empty());
    CHECK(session::plan_load(backend_of(e), std::string("abc"), {}, kNow).empty());
    CHECK(session::plan_load(backend_of(e), std::string("NOT-A-KEY-but-long-enough"), {}, kNow).empty());
  }
  CHECK(session::plan_load(backend_of(Engine::signed_cookies), kKey, {}, kNow).empty());
}

TEST_CASE("plan_load: cache asks KV once, whatever the answer") {
  auto round1 = session::plan_load(backend_of(Engine::cache), kKey, {}, kNow);
  REQUIRE(round1.size() == 1);
  CHECK(round1[0].kind == OpKind::kv_get);
  CHECK(round1[0].binding == "SESSIONS");
  CHECK(round1[0].key == "django.contrib.sessions.cache" + kKey);
  for (LoadStatus st : {LoadStatus::ok, LoadStatus::missing, LoadStatus::failed})
    CHECK(session::plan_load(backend_of(Engine::cache), kKey, {kv_answer(Engine::cache, st, "x")}, kNow).empty());
}

TEST_CASE("plan_load: db asks D1 for a live row, with the key and now as parameters") {
  auto round1 = session::plan_load(backend_of(Engine::db), kKey, {}, kNow);
  REQUIRE(round1.size() == 1);
  CHECK(round1[0].kind == OpKind::d1_query);
  CHECK(round1[0].binding == "DB");
  CHECK(round1[0].sql == kSelect);
  CHECK(params_of(round1[0]) == Json::array({kKey, "2023-11-14 22:13:20.000000"}));
  CHECK(session::plan_load(backend_of(Engine::db), kKey, {d1_answer(LoadStatus::ok)}, kNow).empty());
  CHECK(session::plan_load(backend_of(Engine::db), kKey, {d1_answer(LoadStatus::failed)}, kNow).empty());
}

TEST_CASE("plan_load: cached_db asks D1 only after KV missed (or failed)") {
  const Engine e = Engine::cached_db;
  auto round1 = session::plan_load(backend_of(e), kKey, {}, kNow);
  REQUIRE(round1.size() == 1);
  CHECK(round1[0].kind == OpKind::kv_get);
  CHECK(round1[0].key == "django.contrib.sessions.cached_db" + kKey);

  SUBCASE("a KV hit ends the plan") { CHECK(session::plan_load(backend_of(e), kKey, {kv_answer(e, LoadStatus::ok, "x")}, kNow).empty()); }
  SUBCASE("a KV miss asks D1") {
    auto round2 = session::plan_load(backend_of(e), kKey, {kv_answer(e, LoadStatus::missing)}, kNow);
    REQUIRE(round2.size() == 1);
    CHECK(round2[0].kind == OpKind::d1_query);
    CHECK(round2[0].sql == kSelect);
    CHECK(params_of(round2[0])[0] == kKey);
    CHECK(session::plan_load(backend_of(e), kKey, {kv_answer(e, LoadStatus::missing), d1_answer(LoadStatus::ok)}, kNow).empty());
  }
  SUBCASE("a failed KV read is not a miss, but D1 decides") {
    auto round2 = session::plan_load(backend_of(e), kKey, {kv_answer(e, LoadStatus::failed)}, kNow);
    REQUIRE(round2.size() == 1);
    CHECK(round2[0].kind == OpKind::d1_query);
  }
}

TEST_CASE("a new session: create + save in one request is ONE insert / put") {
  for (Engine e : kServerEngines) {
    CAPTURE(engine_name(e));
    Request r(e, std::nullopt, {});
    r.s.set("num_visits", 1);
    REQUIRE(r.s.save() == session::SaveStatus::ok);
    REQUIRE(r.s.session_key());
    const std::string key = *r.s.session_key();
    CHECK(key.size() == 32);
    CHECK(session::is_lookup_key(key));
    r.s.set("num_visits", 2);
    r.s.save();  // the middleware's save after a view that itself saved
    auto ops = r.store.effects();
    auto d1 = of_kind(ops, OpKind::d1_query);
    auto puts = of_kind(ops, OpKind::kv_put);
    CHECK(of_kind(ops, OpKind::kv_delete).empty());
    if (e == Engine::cache || e == Engine::cached_db) {
      REQUIRE(puts.size() == 1);
      CHECK(puts[0].key == kv_key(e, key));
      CHECK(puts[0].ttl == kAge);
      CHECK(puts[0].flags == (e == Engine::cached_db ? http::op_best_effort : http::op_none));
      auto dec = encoder().unsign_object(puts[0].value, kNow, -1);
      REQUIRE(dec.ok());
      CHECK(dec.value->object == Json{{"num_visits", 2}});
      CHECK(dec.value->timestamp == static_cast<int64_t>(kNow));
    } else {
      CHECK(puts.empty());
    }
    if (e == Engine::db || e == Engine::cached_db) {
      REQUIRE(d1.size() == 1);
      CHECK(d1[0].sql == "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?1, ?2, ?3)");
      CHECK(d1[0].flags == http::op_none);
      Json p = params_of(d1[0]);
      CHECK(p[0] == key);
      auto dec = encoder().unsign_object(p[1].get<std::string>(), kNow, -1);
      REQUIRE(dec.ok());
      CHECK(dec.value->object == Json{{"num_visits", 2}});
      CHECK(p[2] == "2023-11-28 22:13:20.000000");
    } else {
      CHECK(d1.empty());
    }
  }
}

TEST_CASE("updating a loaded session: compare-and-set on D1, must_change on KV, best_effort on cached_db's cache") {
  for (Engine e : kServerEngines) {
    CAPTURE(engine_name(e));
    Request r(e, kKey, hit(e, encode(Json{{"num_visits", 4}}, kNow - 100)));
    CHECK(r.s.get("num_visits") == 4);
    CHECK(r.s.session_key() == kKey);
    r.s.set("num_visits", 5);
    r.s.save();
    auto ops = r.store.effects();
    auto d1 = of_kind(ops, OpKind::d1_query);
    auto puts = of_kind(ops, OpKind::kv_put);
    if (e == Engine::db || e == Engine::cached_db) {
      // The row must still be the one this request loaded (Django's schema
      // unchanged): a racing save makes this change nothing, and the shim
      // reports the conflict instead of losing that save.
      REQUIRE(d1.size() == 1);
      CHECK(d1[0].sql ==
            "UPDATE django_session SET session_data = ?2, expire_date = ?3 WHERE session_key = ?1 AND session_data = ?4");
      CHECK(d1[0].flags == http::op_compare_and_set);
      CHECK(params_of(d1[0])[0] == kKey);
      CHECK(params_of(d1[0])[2] == session::d1_datetime(kNow + kAge));
      CHECK(params_of(d1[0])[3] == encode(Json{{"num_visits", 4}}, kNow - 100));
    }
    if (e == Engine::cache) {
      REQUIRE(puts.size() == 1);
      CHECK(puts[0].flags == http::op_must_change);  // Django: cache.get(k) is None -> UpdateError
    }
    if (e == Engine::cached_db) {
      REQUIRE(puts.size() == 1);
      CHECK(puts[0].flags == http::op_best_effort);  // Django 5.1: a cache error is logged
      CHECK(puts[0].key == kv_key(e, kKey));
    }
    CHECK(ops.size() == (e == Engine::cached_db ? 2u : 1u));
    // The D1 write comes first: the cache never runs ahead of the authority.
    if (e == Engine::cached_db) CHECK(ops[0].kind == OpKind::d1_query);
  }
}

TEST_CASE("loading never writes: hits, misses and unknown keys without a save make no effects") {
  for (Engine e : kServerEngines) {
    CAPTURE(engine_name(e));
    SUBCASE("a read-only view on a stored session") {
      Request r(e, kKey, hit(e, encode(Json{{"a", 1}}, kNow - 5)));
      CHECK(r.s.get("a") == 1);
      CHECK_FALSE(r.s.modified);
      CHECK(r.store.effects().empty());
    }
    SUBCASE("an unknown key: loads empty, the key is dropped, nothing is created") {
      std::vector<Loaded> miss = {kv_answer(e, LoadStatus::missing), d1_answer(LoadStatus::ok, "[]")};
      Request r(e, kKey, miss);
      CHECK(r.s.get("a").is_null());
      CHECK_FALSE(r.s.session_key());
      CHECK_FALSE(r.store.unavailable);
      CHECK(r.store.effects().empty());
    }
    SUBCASE("a session never touched") {
      Request r(e, kKey, {});
      CHECK(r.store.effects().empty());
      CHECK_FALSE(r.s.accessed);
    }
  }
}

TEST_CASE("an unknown key is never reused: the save mints a new key and creates") {
  for (Engine e : kServerEngines) {
    CAPTURE(engine_name(e));
    Request r(e, kKey, {kv_answer(e, LoadStatus::missing), d1_answer(LoadStatus::ok, "[]")});
    r.s.set("a", 1);
    r.s.save();
    REQUIRE(r.s.session_key());
    CHECK(*r.s.session_key() != kKey);
    for (const Op& op : r.store.effects()) {
      CHECK(!mentions(op, kKey));
      CHECK(op.flags != http::op_must_change);
    }
  }
}

TEST_CASE("KV TTL: clamped to >= 60 s while the record keeps its real expiry") {
  for (Engine e : {Engine::cache, Engine::cached_db}) {
    CAPTURE(engine_name(e));
    SUBCASE("set_expiry(10)") {
      Request r(e, std::nullopt, {});
      r.s.set("a", 1);
      r.s.set_expiry_seconds(10);
      r.s.save();
      auto puts = of_kind(r.store.effects(), OpKind::kv_put);
      REQUIRE(puts.size() == 1);
      CHECK(puts[0].ttl == session::kKvMinTtl);
      if (e == Engine::cached_db) {
        auto d1 = of_kind(r.store.effects(), OpKind::d1_query);
        REQUIRE(d1.size() == 1);
        CHECK(params_of(d1[0])[2] == "2023-11-14 22:13:30.000000");
      }
      // ... and that record is expired 11 s later even though KV still has it.
      const std::string encoded = puts[0].value;
      Request later(e, kKey, {kv_answer(e, LoadStatus::ok, encoded)}, kNow + 11);
      CHECK(later.s.get("a").is_null());
      CHECK_FALSE(later.s.session_key());
      Request sooner(e, kKey, {kv_answer(e, LoadStatus::ok, encoded)}, kNow + 9);
      CHECK(sooner.s.get("a") == 1);
    }
    SUBCASE("set_expiry(59), (60), (61)") {
      for (int64_t secs : {59, 60, 61}) {
        Request r(e, std::nullopt, {});
        r.s.set_expiry_seconds(secs);
        r.s.save();
        auto puts = of_kind(r.store.effects(), OpKind::kv_put);
        REQUIRE(puts.size() == 1);
        CHECK(puts[0].ttl == std::max<int64_t>(secs, 60));
      }
    }
    SUBCASE("set_expiry(0): a browser-session cookie, the record lives SESSION_COOKIE_AGE") {
      Request r(e, std::nullopt, {});
      r.s.set_expiry_seconds(0);
      r.s.save();
      auto puts = of_kind(r.store.effects(), OpKind::kv_put);
      REQUIRE(puts.size() == 1);
      CHECK(puts[0].ttl == kAge);
    }
    SUBCASE("an expiry already past is not put with a TTL KV would refuse") {
      Request r(e, kKey, {kv_answer(e, LoadStatus::ok, encode(Json{{"a", 1}}, kNow - 5))});
      r.s.set_expiry_in(-10);
      r.s.save();
      auto ops = r.store.effects();
      for (const Op& op : of_kind(ops, OpKind::kv_put)) CHECK(op.ttl >= session::kKvMinTtl);
    }
  }
}

TEST_CASE("expired records are not loaded, whatever the store still holds") {
  for (Engine e : kServerEngines) {
    CAPTURE(engine_name(e));
    SUBCASE("older than SESSION_COOKIE_AGE") {
      Request r(e, kKey, hit(e, encode(Json{{"a", 1}}, kNow - kAge - 1)));
      CHECK(r.s.get("a").is_null());
      CHECK_FALSE(r.s.session_key());
      CHECK(r.store.effects().empty());
    }
    SUBCASE("exactly SESSION_COOKIE_AGE - 1 old still loads") {
      Request r(e, kKey, hit(e, encode(Json{{"a", 1}}, kNow - kAge + 1)));
      CHECK(r.s.get("a") == 1);
    }
    SUBCASE("_session_expiry in seconds counts from the last save") {
      Request gone(e, kKey, hit(e, encode(Json{{"a", 1}, {"_session_expiry", 30}}, kNow - 31)));
      CHECK(gone.s.get("a").is_null());
      Request alive(e, kKey, hit(e, encode(Json{{"a", 1}, {"_session_expiry", 30}}, kNow - 29)));
      CHECK(alive.s.get("a") == 1);
    }
    SUBCASE("_session_expiry as an ISO datetime (Django 4.1+) in the past") {
      Request gone(e, kKey, hit(e, encode(Json{{"a", 1}, {"_session_expiry", "2023-11-14T22:13:19+00:00"}}, kNow - 60)));
      CHECK(gone.s.get("a").is_null());
      Request alive(e, kKey, hit(e, encode(Json{{"a", 1}, {"_session_expiry", "2023-11-14T22:13:21.500000+00:00"}}, kNow - 60)));
      CHECK(alive.s.get("a") == 1);
    }
  }
}

TEST_CASE("corrupt records: a bad signature loads empty, is reported, and the key stays (Django's decode)") {
  signing::TimestampSigner other(session::kStoreSalt, "another-secret", {});
  signing::TimestampSigner cookie_salt("django.contrib.sessions.backends.signed_cookies", kSecret, {});
  for (Engine e : kServerEngines) {
    CAPTURE(engine_name(e));
    for (const std::string& bad : {other.sign_object(Json{{"a", 1}}, static_cast<int64_t>(kNow)),
                                   cookie_salt.sign_object(Json{{"a", 1}}, static_cast<int64_t>(kNow)),
                                   std::string("bad:encoded:value")}) {
      CAPTURE(bad);
      Request r(e, kKey, hit(e, bad));
      CHECK(r.s.get("a").is_null());
      REQUIRE(r.store.corrupt);
      CHECK(r.store.corrupt->find("Session data corrupted") == 0);
      CHECK(r.s.session_key() == kKey);
      CHECK_FALSE(r.store.unavailable);
    }
  }
}

TEST_CASE("a failed load makes the store unavailable (the app answers 503 and writes nothing)") {
  SUBCASE("cache: KV failed") {
    Request r(Engine::cache, kKey, {kv_answer(Engine::cache, LoadStatus::failed)});
    r.s.get("a");
    CHECK(r.store.unavailable);
  }
  SUBCASE("cache: no answer at all") {
    Request r(Engine::cache, kKey, {});
    r.s.get("a");
    CHECK(r.store.unavailable);
  }
  SUBCASE("db: D1 failed") {
    Request r(Engine::db, kKey, {d1_answer(LoadStatus::failed)});
    r.s.get("a");
    CHECK(r.store.unavailable);
  }
  SUBCASE("db: no answer at all") {
    Request r(Engine::db, kKey, {});
    r.s.get("a");
    CHECK(r.store.unavailable);
  }
  SUBCASE("cached_db: KV missed and D1 failed") {
    Request r(Engine::cached_db, kKey, {kv_answer(Engine::cached_db, LoadStatus::missing), d1_answer(LoadStatus::failed)});
    r.s.get("a");
    CHECK(r.store.unavailable);
  }
  SUBCASE("cached_db: KV failed but D1 answered: D1 is the authority") {
    const std::string encoded = encode(Json{{"a", 7}}, kNow - 5);
    Request r(Engine::cached_db, kKey,
              {kv_answer(Engine::cached_db, LoadStatus::failed), d1_answer(LoadStatus::ok, rows_with(encoded))});
    CHECK(r.s.get("a") == 7);
    CHECK_FALSE(r.store.unavailable);
  }
  SUBCASE("db and cached_db: a row without session_data as text is a failed read (503), not a miss") {
    // A miss would mint a new key and the visitor would lose their session;
    // README "Faults never lose or invent data". No rows alone is "no such
    // row". (Answers that are not rows at all the shim reports as failed.)
    for (const char* junk : {"[{\"session_data\":5}]", "[{}]", "[{\"other\":\"x\"}]", "[{\"session_data\":null}]"}) {
      CAPTURE(junk);
      Request db(Engine::db, kKey, {d1_answer(LoadStatus::ok, junk)});
      CHECK(db.s.get("a").is_null());
      CHECK(db.store.unavailable);
      Request cdb(Engine::cached_db, kKey, {kv_answer(Engine::cached_db, LoadStatus::missing), d1_answer(LoadStatus::ok, junk)});
      CHECK(cdb.s.get("a").is_null());
      CHECK(cdb.store.unavailable);
    }
    Request none(Engine::db, kKey, {d1_answer(LoadStatus::ok, "[]")});
    CHECK(none.s.get("a").is_null());
    CHECK_FALSE(none.store.unavailable);
    CHECK_FALSE(none.s.session_key());  // an unknown key is never reused
  }
}

TEST_CASE("cached_db: a D1 hit back-fills KV (best effort, remaining lifetime, never under 60 s)") {
  const Engine e = Engine::cached_db;
  SUBCASE("read-only: only the back-fill") {
    const std::string encoded = encode(Json{{"a", 1}}, kNow - 1000);
    Request r(e, kKey, {kv_answer(e, LoadStatus::missing), d1_answer(LoadStatus::ok, rows_with(encoded))});
    CHECK(r.s.get("a") == 1);
    auto ops = r.store.effects();
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].kind == OpKind::kv_put);
    CHECK(ops[0].key == kv_key(e, kKey));
    CHECK(ops[0].value == encoded);
    CHECK(ops[0].ttl == kAge - 1000);
    CHECK(ops[0].flags == http::op_best_effort);
  }
  SUBCASE("nearly expired: TTL clamped to 60") {
    const std::string encoded = encode(Json{{"a", 1}}, kNow - kAge + 10);
    Request r(e, kKey, {kv_answer(e, LoadStatus::missing), d1_answer(LoadStatus::ok, rows_with(encoded))});
    CHECK(r.s.get("a") == 1);
    auto ops = r.store.effects();
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].ttl == session::kKvMinTtl);
  }
  SUBCASE("a save replaces the back-fill with the new record") {
    const std::string encoded = encode(Json{{"a", 1}}, kNow - 1000);
    Request r(e, kKey, {kv_answer(e, LoadStatus::missing), d1_answer(LoadStatus::ok, rows_with(encoded))});
    r.s.set("a", 2);
    r.s.save();
    auto puts = of_kind(r.store.effects(), OpKind::kv_put);
    REQUIRE(puts.size() == 1);
    CHECK(puts[0].value != encoded);
    CHECK(encoder().unsign_object(puts[0].value, kNow, -1).value->object == Json{{"a", 2}});
  }
  SUBCASE("a KV hit never back-fills") {
    Request r(e, kKey, {kv_answer(e, LoadStatus::ok, encode(Json{{"a", 1}}, kNow - 5))});
    CHECK(r.s.get("a") == 1);
    CHECK(r.store.effects().empty());
  }
  SUBCASE("a flush after a D1 hit does not back-fill the deleted session") {
    const std::string encoded = encode(Json{{"a", 1}}, kNow - 1000);
    Request r(e, kKey, {kv_answer(e, LoadStatus::missing), d1_answer(LoadStatus::ok, rows_with(encoded))});
    CHECK(r.s.get("a") == 1);
    r.s.flush();
    for (const Op& op : r.store.effects()) CHECK(op.kind != OpKind::kv_put);
  }
}

TEST_CASE("flush deletes the stored record; a session created in the same request leaves nothing") {
  for (Engine e : kServerEngines) {
    CAPTURE(engine_name(e));
    SUBCASE("stored") {
      Request r(e, kKey, hit(e, encode(Json{{"a", 1}}, kNow - 5)));
      r.s.flush();
      CHECK_FALSE(r.s.session_key());
      auto ops = r.store.effects();
      auto dels = of_kind(ops, OpKind::kv_delete);
      auto d1 = of_kind(ops, OpKind::d1_query);
      CHECK(of_kind(ops, OpKind::kv_put).empty());
      if (e != Engine::db) {
        REQUIRE(dels.size() == 1);
        CHECK(dels[0].key == kv_key(e, kKey));
      }
      if (e != Engine::cache) {
        REQUIRE(d1.size() == 1);
        CHECK(d1[0].sql == "DELETE FROM django_session WHERE session_key = ?1");
        CHECK(params_of(d1[0]) == Json::array({kKey}));
      }
      if (e == Engine::cached_db) CHECK(ops[0].kind == OpKind::d1_query);  // authority first
    }
    SUBCASE("created and flushed in one request") {
      Request r(e, std::nullopt, {});
      r.s.set("a", 1);
      r.s.save();
      r.s.flush();
      CHECK(r.store.effects().empty());
    }
  }
}

TEST_CASE("cycle_key: one create under a fresh key carrying the data, one delete of the old") {
  for (Engine e : kServerEngines) {
    CAPTURE(engine_name(e));
    Request r(e, kKey, hit(e, encode(Json{{"cart", Json::array({1, 2})}}, kNow - 5)));
    r.s.cycle_key();
    REQUIRE(r.s.session_key());
    const std::string fresh = *r.s.session_key();
    CHECK(fresh != kKey);
    CHECK(session::is_lookup_key(fresh));
    r.s.save();  // the middleware's save
    auto ops = r.store.effects();
    size_t creates = 0, deletes = 0;
    for (const Op& op : ops) {
      bool about_fresh = mentions(op, fresh);
      bool about_old = op.key.find(kKey) != std::string::npos || (!op.params.empty() && op.params[0].text == kKey);
      if (about_fresh && (op.kind == OpKind::kv_put || op.sql.rfind("INSERT", 0) == 0)) {
        ++creates;
        CHECK(op.flags != http::op_must_change);
        std::string encoded = op.kind == OpKind::kv_put ? op.value : params_of(op)[1].get<std::string>();
        CHECK(encoder().unsign_object(encoded, kNow, -1).value->object == Json{{"cart", Json::array({1, 2})}});
      }
      if (about_old && (op.kind == OpKind::kv_delete || op.sql.rfind("DELETE", 0) == 0)) ++deletes;
    }
    size_t per_store = e == Engine::cached_db ? 2 : 1;
    CHECK(creates == per_store);
    CHECK(deletes == per_store);
    CHECK(ops.size() == 2 * per_store);
  }
}

TEST_CASE("keys minted in one request are distinct, 32 chars of [a-z0-9]") {
  Request r(Engine::db, std::nullopt, {});
  r.s.set("a", 1);
  r.s.save();
  std::string first = *r.s.session_key();
  r.s.cycle_key();
  std::string second = *r.s.session_key();
  r.s.flush();
  r.s.set("b", 1);
  r.s.save();
  std::string third = *r.s.session_key();
  CHECK(first != second);
  CHECK(second != third);
  CHECK(first != third);
  for (const std::string& k : {first, second, third}) {
    CHECK(k.size() == 32);
    CHECK(session::is_lookup_key(k));
  }
}

TEST_CASE("clear_expired: clearsessions for the D1 engines, nothing for the others") {
  CHECK(backend_of(Engine::cache)->clear_expired(kNow).empty());
  CHECK(backend_of(Engine::durable_object)->clear_expired(kNow).empty());  // the object's alarm does it
  REQUIRE(backend_of(Engine::cached_db)->clear_expired(kNow).size() == 1);
  REQUIRE(backend_of(Engine::db)->clear_expired(kNow).size() == 1);
  Op op = backend_of(Engine::db)->clear_expired(kNow)[0];
  CHECK(op.kind == OpKind::d1_query);
  CHECK(op.binding == "DB");
  CHECK(op.sql == "DELETE FROM django_session WHERE expire_date < ?1");
  CHECK(params_of(op) == Json::array({"2023-11-14 22:13:20.000000"}));
}

TEST_CASE("cached_db: a re-run after a lost compare-and-set reads D1 itself, never the KV copy") {
  auto round1 = session::plan_load(backend_of(Engine::cached_db), kKey, {}, kNow, 2);
  REQUIRE(round1.size() == 1);
  CHECK(round1[0].kind == OpKind::d1_query);
  CHECK(round1[0].sql == kSelect);
  const std::string encoded = encode(Json{{"a", 3}}, kNow - 5);
  Request r(Engine::cached_db, kKey, {d1_answer(LoadStatus::ok, rows_with(encoded))});
  CHECK(r.s.get("a") == 3);
}

// locallibrary.sessions.backends.durable_object: one object per key
// (binding SESSION_OBJECTS), records with a version for compare-and-set.
namespace {
Loaded do_answer(LoadStatus status, const std::string& value = "", double version = 0) {
  Loaded l{0x202, status, value, {}};
  l.version = version;
  return l;
}
}  // namespace

TEST_CASE("durable_object: one DO_GET per request, named by the session key") {
  auto round1 = session::plan_load(backend_of(Engine::durable_object), kKey, {}, kNow);
  REQUIRE(round1.size() == 1);
  CHECK(round1[0].kind == OpKind::do_get);
  CHECK(round1[0].binding == "SESSION_OBJECTS");
  CHECK(round1[0].key == kKey);
  for (LoadStatus st : {LoadStatus::ok, LoadStatus::missing, LoadStatus::failed})
    CHECK(session::plan_load(backend_of(Engine::durable_object), kKey, {do_answer(st, "x", 1)}, kNow).empty());
}

TEST_CASE("durable_object: a create must find no record; an update is a compare-and-set on the loaded version") {
  const Engine e = Engine::durable_object;
  SUBCASE("create") {
    Request r(e, std::nullopt, {});
    r.s.set("num_visits", 1);
    REQUIRE(r.s.save() == session::SaveStatus::ok);
    auto ops = r.store.effects();
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].kind == OpKind::do_put);
    CHECK(ops[0].key == *r.s.session_key());
    CHECK(ops[0].version == 0);
    CHECK(ops[0].flags == http::op_none);
    CHECK(ops[0].expire_at == kNow + kAge);
    CHECK(encoder().unsign_object(ops[0].value, kNow, -1).value->object == Json{{"num_visits", 1}});
  }
  SUBCASE("update") {
    Request r(e, kKey, {do_answer(LoadStatus::ok, encode(Json{{"num_visits", 4}}, kNow - 100), 7)});
    CHECK(r.s.get("num_visits") == 4);
    r.s.set("num_visits", 5);
    r.s.save();
    auto ops = r.store.effects();
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].kind == OpKind::do_put);
    CHECK(ops[0].key == kKey);
    CHECK(ops[0].version == 7);
    CHECK(ops[0].flags == (http::op_compare_and_set | http::op_must_change));
  }
  SUBCASE("flush deletes the object's record") {
    Request r(e, kKey, {do_answer(LoadStatus::ok, encode(Json{{"a", 1}}, kNow - 5), 2)});
    r.s.flush();
    auto ops = r.store.effects();
    REQUIRE(ops.size() == 1);
    CHECK(ops[0].kind == OpKind::do_delete);
    CHECK(ops[0].key == kKey);
  }
  SUBCASE("a failed or versionless answer is a failed read, a missing one an unknown key") {
    Request failed(e, kKey, {do_answer(LoadStatus::failed)});
    failed.s.get("a");
    CHECK(failed.store.unavailable);
    Request versionless(e, kKey, {do_answer(LoadStatus::ok, encode(Json{{"a", 1}}, kNow - 5), 0)});
    versionless.s.get("a");
    CHECK(versionless.store.unavailable);
    Request missing(e, kKey, {do_answer(LoadStatus::missing)});
    CHECK(missing.s.get("a").is_null());
    CHECK_FALSE(missing.s.session_key());
    CHECK(missing.store.record_missing);
  }
}
