// SessionBase contract suite: Django's SessionTestsMixin (tests/sessions_tests/
// tests.py), CookieSessionTests and SessionBaseTests, ported per
// docs/django-sessions.md §2 and §5.1/§5.2, run against every backend fixture.
//
// A fixture describes one backend:
//   make_session(key)  a Session as SessionMiddleware.process_request builds it
//                      (SessionStore(request.COOKIES.get(NAME))), at fixture.now
//   persist(s)         s.save() as process_response does; returns the key (for
//                      signed cookies: the whole cookie value) a later request presents
//   exists(key)        SessionBase.exists()
//   unloadable_keys()  keys (>= 8 chars) whose load must fail soft
//   now, policy        the request clock and SESSION_COOKIE_AGE / _EXPIRE_AT_BROWSER_CLOSE
// and capability flags for the rows Django skips or overrides per backend:
//   kHasServerRecord   exists()/delete() act on a server-side record (KV, D1)
//   kCanRevoke         flush()/cycle_key() make the old key unusable
//   kKeyIsSignedData   the key is the signed data itself (signed cookies)
// To add a KV/D1 backend, write a fixture with the same members and append it
// to SESSION_BACKENDS.
#include <doctest/doctest.h>

#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "session/session.h"
#include "session/signed_cookies.h"
#include "signing/signing.h"
#include "util/encoding.h"
#include "util/pyjson.h"

namespace {

using session::Json;
using session::SaveStatus;
using session::Session;

constexpr double kNow = 1700000000;  // 2023-11-14 22:13:20 UTC
constexpr const char* kSecret = "django-insecure-example-key";
constexpr int64_t kTwoWeeks = 1209600;

// Delegates to a backend and counts the calls, so tests can tell whether the
// session loaded (Django's lazy _session) without knowing the backend.
class CountingStore final : public session::Store {
 public:
  explicit CountingStore(session::Store& inner) : inner_(inner) {}
  Json load(Session& s) override {
    ++loads;
    return inner_.load(s);
  }
  bool exists(std::string_view key) override { return inner_.exists(key); }
  void create(Session& s) override {
    ++creates;
    inner_.create(s);
  }
  SaveStatus save(Session& s, bool must_create) override {
    ++saves;
    return inner_.save(s, must_create);
  }
  void remove(Session& s, std::optional<std::string> key) override {
    ++removes;
    inner_.remove(s, std::move(key));
  }
  void cycle_key(Session& s) override { inner_.cycle_key(s); }

  int loads = 0, creates = 0, saves = 0, removes = 0;

 private:
  session::Store& inner_;
};

// django.contrib.sessions.backends.signed_cookies
struct SignedCookieFixture {
  static constexpr bool kHasServerRecord = false;
  static constexpr bool kCanRevoke = false;
  static constexpr bool kKeyIsSignedData = true;

  session::Policy policy;  // Django defaults: 1209600 s, not at browser close
  double now = kNow;

  signing::TimestampSigner signer{session::kSignedCookiesSalt, kSecret, {}};
  session::SignedCookieStore backend{signer};
  CountingStore store{backend};

  std::unique_ptr<Session> make_session(std::optional<std::string> key = std::nullopt) {
    return std::make_unique<Session>(store, std::move(key), policy, now);
  }
  std::string persist(Session& s) {
    REQUIRE(s.save() == SaveStatus::ok);
    REQUIRE(s.session_key().has_value());
    return *s.session_key();
  }
  bool exists(std::string_view key) { return store.exists(key); }
  std::vector<std::string> unloadable_keys() {
    const std::string good = signer.sign_object(Json{{"cat", "dog"}}, static_cast<int64_t>(now));
    std::string flipped = good;
    flipped[0] = flipped[0] == 'e' ? 'f' : 'e';
    signing::TimestampSigner other(session::kSignedCookiesSalt, "another-secret", {});
    signing::TimestampSigner encode_salt("django.contrib.sessions.SessionStore", kSecret, {});
    // Validly signed, but not what a session holds.
    std::string not_json = enc::b64url_encode("invalid data") + ":" + enc::b62_encode(static_cast<int64_t>(now));
    not_json += ":" + signer.signature(not_json);
    std::string not_zlib = "." + enc::b64url_encode("not a zlib stream") + ":" + enc::b62_encode(static_cast<int64_t>(now));
    not_zlib += ":" + signer.signature(not_zlib);
    std::string bad_b62 = enc::b64url_encode("{}") + ":!!!";
    bad_b62 += ":" + signer.signature(bad_b62);
    return {
        "someunknownkey",                                                               // never issued
        flipped,                                                                        // tampered payload
        good + "a",                                                                     // tampered signature
        other.sign_object(Json{{"cat", "dog"}}, static_cast<int64_t>(now)),             // another SECRET_KEY
        encode_salt.sign_object(Json{{"cat", "dog"}}, static_cast<int64_t>(now)),       // SessionBase.encode() salt
        signer.sign_object(Json{{"cat", "dog"}}, static_cast<int64_t>(now) - kTwoWeeks - 1),  // older than SESSION_COOKIE_AGE
        not_json,
        not_zlib,
        bad_b62,
        std::string(1240, 'a'),  // CacheSessionTests.test_load_overlong_key
    };
  }
};

#define SESSION_BACKENDS SignedCookieFixture

// SessionBaseTests.test_create/test_delete/test_exists/test_load/test_save:
// the base class cannot be used without a backend (NotImplementedError in
// Django, a pure virtual interface here).
static_assert(std::is_abstract_v<session::Store>, "Store must be abstract");

// Session::session_key() is Django's read-only property: no setter is exposed,
// and the accessor hands out a const reference.
static_assert(std::is_const_v<std::remove_reference_t<decltype(std::declval<Session&>().session_key())>>,
              "session_key must be read-only");

}  // namespace

TYPE_TO_STRING(SignedCookieFixture);

// ---------------------------------------------------------------------------
// SessionTestsMixin: state flags and dict operations
// ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("a new session is neither accessed nor modified, and is empty", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  CHECK_FALSE(s->accessed);
  CHECK_FALSE(s->modified);
  CHECK(s->is_empty());  // SessionBaseTests.test_is_empty
  CHECK_FALSE(s->session_key().has_value());
}

TEST_CASE_TEMPLATE("a session with a key loads lazily: nothing is read until the data is used", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("cat", "dog");
  std::string key = f.persist(*first);

  auto s = f.make_session(key);
  CHECK(f.store.loads == 0);
  CHECK_FALSE(s->is_empty());  // is_empty() never loads
  CHECK(f.store.loads == 0);
  CHECK_FALSE(s->accessed);
  CHECK(s->get("cat") == Json("dog"));
  CHECK(f.store.loads == 1);
  CHECK(s->get("cat") == Json("dog"));
  CHECK(f.store.loads == 1);  // cached after the first load
}

TEST_CASE_TEMPLATE("get of a missing key returns None and marks only accessed", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  CHECK(s->get("cat").is_null());
  CHECK(s->get("cat", "default") == Json("default"));
  CHECK(s->find("cat") == nullptr);  // s["cat"] raises KeyError
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("storing a value sets modified and pop returns it", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("cat", "dog");
  CHECK(s->modified);
  CHECK(s->accessed);
  CHECK(s->pop("cat") == std::optional<Json>(Json("dog")));
}

TEST_CASE_TEMPLATE("assigning an unchanged value still sets modified", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("cat", "dog");
  std::string key = f.persist(*first);
  auto s = f.make_session(key);
  s->set("cat", "dog");
  CHECK(s->modified);
}

TEST_CASE_TEMPLATE("pop of an existing key returns the value, removes it, sets accessed and modified", F,
                   SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("some key", "exists");
  s->accessed = false;
  s->modified = false;
  CHECK(s->pop("some key") == std::optional<Json>(Json("exists")));
  CHECK(s->accessed);
  CHECK(s->modified);
  CHECK(s->get("some key").is_null());
  CHECK_FALSE(s->contains("some key"));
}

TEST_CASE_TEMPLATE("pop of a missing key with a default returns it and leaves modified false", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  // test_pop_default and test_pop_default_named_argument: C++ has one spelling.
  CHECK(s->pop("some key", "does not exist") == Json("does not exist"));
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("pop of a missing key with a default on a loaded session leaves modified false", F,
                   SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("a", 1);
  std::string key = f.persist(*first);
  auto s = f.make_session(key);
  CHECK(s->pop("zz", nullptr).is_null());
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
  CHECK(s->get("a") == Json(1));
}

TEST_CASE_TEMPLATE("pop of a missing key without a default is a KeyError and leaves modified false", F,
                   SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  CHECK_FALSE(s->pop("some key").has_value());
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("setdefault inserts once and then returns the existing value", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  CHECK(s->setdefault("foo", "bar") == Json("bar"));
  CHECK(s->setdefault("foo", "baz") == Json("bar"));
  CHECK(s->get("foo") == Json("bar"));
  CHECK(s->accessed);
  CHECK(s->modified);
}

TEST_CASE_TEMPLATE("setdefault of an existing key does not set modified", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("foo", "bar");
  std::string key = f.persist(*first);
  auto s = f.make_session(key);
  CHECK(s->setdefault("foo", "baz") == Json("bar"));
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("update sets accessed and modified and the values are readable", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->update(Json{{"update key", 1}});
  CHECK(s->accessed);
  CHECK(s->modified);
  CHECK(s->get("update key") == Json(1));
}

TEST_CASE_TEMPLATE("update with an empty dict still sets modified", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->update(Json::object());
  CHECK(s->accessed);
  CHECK(s->modified);
}

TEST_CASE_TEMPLATE("a membership test sets accessed but not modified", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("some key", 1);
  s->accessed = false;
  s->modified = false;
  CHECK(s->contains("some key"));
  CHECK(s->has_key("some key"));
  CHECK_FALSE(s->contains("other key"));
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("values() sets accessed but not modified", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  CHECK(s->values().empty());
  CHECK(s->accessed);
  s->set("some key", 1);
  s->accessed = false;
  s->modified = false;
  CHECK(s->values() == std::vector<Json>{Json(1)});
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("keys() sets accessed but not modified", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("x", 1);
  s->accessed = false;
  s->modified = false;
  CHECK(s->keys() == std::vector<std::string>{"x"});
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("items() sets accessed but not modified", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("x", 1);
  s->accessed = false;
  s->modified = false;
  auto items = s->items();
  REQUIRE(items.size() == 1);
  CHECK(items[0].first == "x");
  CHECK(items[0].second == Json(1));
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("keys, values and items keep insertion order, also after a reload", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("zeta", 1);
  first->set("alpha", 2);
  first->set("mid", 3);
  std::string key = f.persist(*first);
  auto s = f.make_session(key);
  CHECK(s->keys() == std::vector<std::string>{"zeta", "alpha", "mid"});
  CHECK(s->values() == std::vector<Json>{Json(1), Json(2), Json(3)});
  CHECK(pyjson::dumps(s->data()) == R"({"zeta":1,"alpha":2,"mid":3})");
}

TEST_CASE_TEMPLATE("del of an existing key removes it and sets modified", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("x", 1);
  std::string key = f.persist(*first);
  auto s = f.make_session(key);
  CHECK(s->erase("x"));
  CHECK(s->accessed);
  CHECK(s->modified);
  CHECK_FALSE(s->contains("x"));
}

TEST_CASE_TEMPLATE("del of a missing key is a KeyError and does not set modified", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  CHECK_FALSE(s->erase("missing"));
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("clear empties the data and sets accessed and modified", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("x", 1);
  s->accessed = false;
  s->modified = false;
  s->clear();
  CHECK(s->items().empty());
  CHECK(s->accessed);
  CHECK(s->modified);
}

TEST_CASE_TEMPLATE("clear does not load the stored session", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("x", 1);
  std::string key = f.persist(*first);
  auto s = f.make_session(key);
  s->clear();
  CHECK(f.store.loads == 0);
  CHECK(s->keys().empty());
  CHECK(f.store.loads == 0);
}

TEST_CASE_TEMPLATE("changing a nested value in place does not set modified", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("foo", Json::object());
  std::string key = f.persist(*first);
  auto s = f.make_session(key);
  // request.session["foo"]["bar"] = 1: __getitem__ only, never __setitem__.
  s->data()["foo"]["bar"] = 1;
  CHECK(s->accessed);
  CHECK_FALSE(s->modified);
  CHECK(s->get("foo") == Json{{"bar", 1}});
}

TEST_CASE_TEMPLATE("views may set modified by hand", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->modified = true;
  CHECK(s->modified);
  CHECK_FALSE(s->accessed);
}

// ---------------------------------------------------------------------------
// Persistence: save / exists / delete / flush / cycle_key
// ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("a saved session loads back with the same data and fresh flags", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  Json nested = Json::parse(R"({"items":[{"id":1,"qty":2}],"meta":{}})");
  first->set("str", "Zo\xc3\xab \xf0\x9f\x98\x80");
  first->set("float", 1.0);
  first->set("neg", -17);
  first->set("null", nullptr);
  first->set("cart", nested);
  std::string key = f.persist(*first);

  auto s = f.make_session(key);
  CHECK_FALSE(s->accessed);
  CHECK_FALSE(s->modified);
  CHECK(s->get("str") == Json("Zo\xc3\xab \xf0\x9f\x98\x80"));
  CHECK(s->get("float").is_number_float());  // 1.0 stays a float (json repr "1.0")
  CHECK(s->get("neg") == Json(-17));
  CHECK(s->contains("null"));
  CHECK(s->get("cart") == nested);
  CHECK_FALSE(s->modified);
}

TEST_CASE_TEMPLATE("save persists the session (test_save)", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("x", 1);
  std::string key = f.persist(*s);
  if constexpr (F::kHasServerRecord) {
    CHECK(f.exists(key));
  } else {
    // Django's CookieSessionTests.test_save is a no-op: nothing lives on the
    // server, exists() is always False, and the key carries the data.
    CHECK_FALSE(f.exists(key));
    CHECK(f.make_session(key)->get("x") == Json(1));
  }
}

TEST_CASE_TEMPLATE("save sets modified and never fails for a live session", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("x", 1);
  s->modified = false;
  CHECK(s->save() == SaveStatus::ok);
  CHECK(s->modified);
}

TEST_CASE_TEMPLATE("save does not clear the data", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("a", "b");
  f.persist(*s);
  CHECK(s->get("a") == Json("b"));
}

TEST_CASE_TEMPLATE("after delete the key no longer exists", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("x", 1);
  std::string key = f.persist(*s);
  s->store().remove(*s, key);
  CHECK_FALSE(f.exists(key));
  CHECK_FALSE(s->session_key().has_value());
}

TEST_CASE_TEMPLATE("flush clears the data, forgets the key, and sets accessed and modified", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("foo", "bar");
  std::string prev_key = f.persist(*s);
  s->accessed = false;
  s->modified = false;
  s->flush();
  CHECK_FALSE(f.exists(prev_key));
  CHECK_FALSE(s->session_key().has_value());
  CHECK(s->modified);
  CHECK(s->accessed);
  CHECK(s->is_empty());
  CHECK_FALSE(s->contains("foo"));
  if constexpr (F::kCanRevoke) {
    CHECK_FALSE(f.make_session(prev_key)->contains("foo"));
  } else {
    // §6.2: flush() only asks the browser to drop the cookie; a replayed copy
    // still carries the data until SESSION_COOKIE_AGE.
    CHECK(f.make_session(prev_key)->get("foo") == Json("bar"));
  }
}

TEST_CASE_TEMPLATE("cycle_key keeps the data and sets modified (test_cycle)", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("a", "c");
  s->set("b", "d");
  std::string prev_key = f.persist(*s);
  auto prev_items = s->items();
  s->modified = false;
  s->cycle_key();
  CHECK(s->modified);
  CHECK(s->items() == prev_items);
  if constexpr (F::kCanRevoke) {
    REQUIRE(s->session_key().has_value());
    CHECK(*s->session_key() != prev_key);
    CHECK_FALSE(f.exists(prev_key));
  } else {
    // Signed cookies override cycle_key() with save(): re-signing in the same
    // second gives a byte-identical cookie, and the old cookie stays valid.
    CHECK(s->session_key() == std::optional<std::string>(prev_key));
    CHECK(f.make_session(prev_key)->get("a") == Json("c"));
  }
  std::string new_key = f.persist(*s);
  auto reloaded = f.make_session(new_key);
  CHECK(reloaded->get("a") == Json("c"));
  CHECK(reloaded->get("b") == Json("d"));
}

TEST_CASE_TEMPLATE("cycle_key on a freshly loaded session keeps the data (no session cache yet)", F,
                   SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("a", "c");
  first->set("b", "d");
  std::string key = f.persist(*first);
  auto items = first->items();

  auto s = f.make_session(key);
  CHECK_FALSE(s->loaded());
  s->cycle_key();
  CHECK(s->items() == items);
  auto reloaded = f.make_session(f.persist(*s));
  CHECK(reloaded->items() == items);
}

// ---------------------------------------------------------------------------
// Keys
// ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("an empty-string session key is invalid and becomes None", F, SESSION_BACKENDS) {
  F f;
  CHECK_FALSE(f.make_session(std::string(""))->session_key().has_value());
  CHECK(f.make_session(std::string(""))->is_empty());
}

TEST_CASE_TEMPLATE("a session key shorter than 8 characters is invalid and becomes None", F, SESSION_BACKENDS) {
  F f;
  CHECK_FALSE(f.make_session(std::string("1234567"))->session_key().has_value());
  CHECK_FALSE(f.make_session(std::string("1"))->session_key().has_value());
}

TEST_CASE_TEMPLATE("an 8-character session key is kept", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session(std::string("12345678"));
  CHECK(s->session_key() == std::optional<std::string>("12345678"));
  CHECK_FALSE(s->is_empty());
}

TEST_CASE_TEMPLATE("an invalid key is never reused: save mints a new key and get returns None", F,
                   SESSION_BACKENDS) {
  F f;
  auto s = f.make_session(std::string("1"));
  std::string key = f.persist(*s);
  CHECK(key != "1");
  CHECK(s->get("cat").is_null());
}

TEST_CASE_TEMPLATE("a key that cannot be loaded gives an empty session instead of an error", F, SESSION_BACKENDS) {
  // CookieSessionTests.test_unpickling_exception, test_load_overlong_key, and
  // §2.3 load(): every failure is swallowed.
  F f;
  for (const std::string& bad : f.unloadable_keys()) {
    CAPTURE(bad);
    auto s = f.make_session(bad);
    CHECK(s->get("cat").is_null());
    CHECK(s->keys().empty());
    if constexpr (F::kKeyIsSignedData) {
      // signed_cookies.load() calls create() (modified = True) and keeps the
      // bad key, so is_empty() stays False and the middleware re-issues a
      // cookie for {} (§3.3, §6.6).
      CHECK(s->modified);
      CHECK_FALSE(s->is_empty());
    } else {
      // cache/db load() clears the key and creates nothing.
      CHECK_FALSE(s->modified);
      CHECK_FALSE(s->session_key().has_value());
    }
  }
}

TEST_CASE_TEMPLATE("loading an unknown key creates nothing and the key is not reused on save", F, SESSION_BACKENDS) {
  // test_session_load_does_not_create_record (skipped by Django for cookies;
  // the cookie analogue: loading stores nothing, and saving mints a new value).
  F f;
  auto s = f.make_session(std::string("someunknownkey"));
  CHECK(s->data().empty());
  CHECK_FALSE(f.exists("someunknownkey"));
  std::string key = f.persist(*s);
  CHECK(key != "someunknownkey");
  if constexpr (F::kKeyIsSignedData) {
    // The new cookie is the signed empty dict (§1.3 "{}" vector).
    CHECK(key == "e30:1r31eq:vYaji0ex_e36_GQ8RO9ZyhNopZ0Nc_3LG5UbPS9QWRc");
  }
}

TEST_CASE_TEMPLATE("a session deleted elsewhere is not resurrected by a later save", F, SESSION_BACKENDS) {
  // test_session_save_does_not_resurrect_session_logged_out_in_other_context
  F f;
  auto s1 = f.make_session();
  s1->set("k", "v");
  std::string key = f.persist(*s1);
  auto s2 = f.make_session(key);
  s2->store().remove(*s2, key);
  s1->set("k2", "v2");
  if constexpr (F::kHasServerRecord) {
    CHECK(s1->save() == SaveStatus::update_error);
    CHECK(f.make_session(key)->keys().empty());
  } else {
    // Nothing server-side to lose: save() never raises UpdateError (§2.3).
    CHECK(s1->save() == SaveStatus::ok);
  }
}

// ---------------------------------------------------------------------------
// Expiry (§2.2 set_expiry table)
// ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("default expiry age is SESSION_COOKIE_AGE, also after set_expiry(0)", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  CHECK(s->get_expiry_age() == kTwoWeeks);
  CHECK(s->get_session_cookie_age() == kTwoWeeks);
  s->set_expiry_seconds(0);
  CHECK(s->get_expiry_age() == kTwoWeeks);
  CHECK(s->get_expiry_date() == doctest::Approx(kNow + kTwoWeeks));
}

TEST_CASE_TEMPLATE("SESSION_COOKIE_AGE sets the default expiry age", F, SESSION_BACKENDS) {
  F f;
  f.policy.cookie_age = 86400;
  auto s = f.make_session();
  CHECK(s->get_session_cookie_age() == 86400);
  CHECK(s->get_expiry_age() == 86400);
  CHECK(s->get_expiry_date() == doctest::Approx(kNow + 86400));
}

TEST_CASE_TEMPLATE("set_expiry(10 seconds): expiry date is now + 10 and age is 10", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set_expiry_seconds(10);
  CHECK(s->modified);
  CHECK(s->get("_session_expiry") == Json(10));
  CHECK(s->get_expiry_date() == doctest::Approx(kNow + 10));
  CHECK(s->get_expiry_age() == 10);
  // Measured from an explicit modification time, as get_expiry_date(modification=)
  CHECK(s->get_expiry_date(kNow + 100, Json(10)) == doctest::Approx(kNow + 110));
}

TEST_CASE_TEMPLATE("set_expiry(timedelta(seconds=10)) with a frozen clock: date + 10 s, age 10", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set_expiry_in(10);
  CHECK(s->modified);
  CHECK(s->get_expiry_date() == doctest::Approx(kNow + 10));
  CHECK(s->get_expiry_age() == 10);
}

TEST_CASE_TEMPLATE("set_expiry(datetime) of now + 10 s: date and age as set", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set_expiry_at(kNow + 10);
  CHECK(s->get_expiry_date() == doctest::Approx(kNow + 10));
  CHECK(s->get_expiry_age() == 10);
}

TEST_CASE_TEMPLATE("set_expiry(datetime) stores an ISO-8601 string (Django 4.1+)", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  // datetime.fromtimestamp(1700000010.5, timezone.utc).isoformat()
  s->set_expiry_at(kNow + 10.5);
  CHECK(s->get("_session_expiry") == Json("2023-11-14T22:13:30.500000+00:00"));
  // microseconds are omitted when zero
  s->set_expiry_at(kNow + 10);
  CHECK(s->get("_session_expiry") == Json("2023-11-14T22:13:30+00:00"));
  // past deadlines too: now - 10 s
  s->set_expiry_in(-10);
  CHECK(s->get("_session_expiry") == Json("2023-11-14T22:13:10+00:00"));
  // and it survives a round trip as that string
  std::string key = f.persist(*s);
  CHECK(f.make_session(key)->find("_session_expiry") == nullptr);  // already past: see expiry enforcement below
}

TEST_CASE_TEMPLATE("get_expiry_age drops microseconds toward minus infinity: -10.5 s gives -11", F,
                   SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set_expiry_at(kNow - 10.5);
  CHECK(s->get_expiry_age() == -11);
  CHECK(s->get_expiry_date() == doctest::Approx(kNow - 10.5));
  s->set_expiry_at(kNow + 10.5);
  CHECK(s->get_expiry_age() == 10);
  s->set_expiry_at(kNow - 10);
  CHECK(s->get_expiry_age() == -10);
}

TEST_CASE_TEMPLATE("get_expiry_age and get_expiry_date with explicit arguments", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  // expiry=None or 0: SESSION_COOKIE_AGE
  CHECK(s->get_expiry_age(kNow, Json(nullptr)) == kTwoWeeks);
  CHECK(s->get_expiry_age(kNow, Json(0)) == kTwoWeeks);
  // an int is returned as-is, whatever the modification time
  CHECK(s->get_expiry_age(kNow + 5, Json(10)) == 10);
  CHECK(s->get_expiry_age(kNow, Json(-5)) == -5);
  // an ISO string is parsed with fromisoformat and measured from modification
  CHECK(s->get_expiry_age(kNow, Json("2023-11-14T22:13:30+00:00")) == 10);
  CHECK(s->get_expiry_age(kNow, Json("2023-11-14T23:13:30+01:00")) == 10);
  CHECK(s->get_expiry_age(kNow, Json("2023-11-14T22:13:30.250000+00:00")) == 10);
  CHECK(s->get_expiry_age(kNow + 20, Json("2023-11-14T22:13:30+00:00")) == -10);
  CHECK(s->get_expiry_date(kNow, Json("2023-11-14T22:13:30+00:00")) == doctest::Approx(kNow + 10));
  CHECK(s->get_expiry_date(kNow, Json(nullptr)) == doctest::Approx(kNow + kTwoWeeks));
  // Passing expiry never touches the session.
  CHECK_FALSE(s->accessed);
}

TEST_CASE_TEMPLATE("set_expiry(None) after set_expiry(10) resets the age to SESSION_COOKIE_AGE", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set_expiry_none();
  s->set_expiry_seconds(10);
  s->set_expiry_none();
  CHECK(s->get_expiry_age() == kTwoWeeks);
  CHECK_FALSE(s->contains("_session_expiry"));
}

TEST_CASE_TEMPLATE("set_expiry(None) without a stored expiry leaves modified false", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set_expiry_none();
  CHECK_FALSE(s->modified);
  CHECK(s->accessed);
  s->set_expiry_seconds(10);
  s->modified = false;
  s->set_expiry_none();
  CHECK(s->modified);
}

TEST_CASE_TEMPLATE("set_expiry(0) sets modified and makes a browser-session cookie", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set_expiry_seconds(0);
  CHECK(s->modified);
  CHECK(s->get("_session_expiry") == Json(0));
  CHECK(s->get_expire_at_browser_close());
}

TEST_CASE_TEMPLATE("get_expire_at_browser_close with SESSION_EXPIRE_AT_BROWSER_CLOSE False: 10 F, 0 T, None F", F,
                   SESSION_BACKENDS) {
  F f;
  f.policy.expire_at_browser_close = false;
  auto s = f.make_session();
  s->set_expiry_seconds(10);
  CHECK_FALSE(s->get_expire_at_browser_close());
  s->set_expiry_seconds(0);
  CHECK(s->get_expire_at_browser_close());
  s->set_expiry_none();
  CHECK_FALSE(s->get_expire_at_browser_close());
  s->set_expiry_at(kNow + 10);
  CHECK_FALSE(s->get_expire_at_browser_close());
}

TEST_CASE_TEMPLATE("get_expire_at_browser_close with SESSION_EXPIRE_AT_BROWSER_CLOSE True: 10 F, 0 T, None T", F,
                   SESSION_BACKENDS) {
  F f;
  f.policy.expire_at_browser_close = true;
  auto s = f.make_session();
  s->set_expiry_seconds(10);
  CHECK_FALSE(s->get_expire_at_browser_close());
  s->set_expiry_seconds(0);
  CHECK(s->get_expire_at_browser_close());
  s->set_expiry_none();
  CHECK(s->get_expire_at_browser_close());
}

TEST_CASE_TEMPLATE("an expiry set with set_expiry survives a save and reload", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("a", 1);
  s->set_expiry_seconds(3600);
  std::string key = f.persist(*s);
  f.now = kNow + 60;
  auto r = f.make_session(key);
  CHECK(r->get("_session_expiry") == Json(3600));
  CHECK(r->get_expiry_age() == 3600);
  CHECK(r->get_expiry_date() == doctest::Approx(kNow + 60 + 3600));
}

// ---------------------------------------------------------------------------
// Expiry enforcement on load. Django's CookieSessionTests mark
// test_actual_expiry expectedFailure (#19201, #27775); we enforce it.
// ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("a session whose set_expiry deadline has passed loads empty (test_actual_expiry)", F,
                   SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("foo", "bar");
  s->set_expiry_in(-10);  // set_expiry(-timedelta(seconds=10))
  std::string old_key = f.persist(*s);
  auto fresh = f.make_session(old_key);
  CHECK_FALSE(fresh->contains("foo"));
}

TEST_CASE_TEMPLATE("a session with set_expiry(N seconds) lives N seconds after its last save", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("foo", "bar");
  s->set_expiry_seconds(10);
  std::string key = f.persist(*s);

  f.now = kNow + 10;
  CHECK(f.make_session(key)->get("foo") == Json("bar"));
  f.now = kNow + 11;
  auto late = f.make_session(key);
  CHECK_FALSE(late->contains("foo"));
  if constexpr (F::kKeyIsSignedData) CHECK(late->modified);
}

TEST_CASE_TEMPLATE("set_expiry(N seconds) is inactivity: each save starts the N seconds again", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("foo", "bar");
  s->set_expiry_seconds(10);
  std::string key = f.persist(*s);
  f.now = kNow + 8;
  auto second = f.make_session(key);
  second->set("visits", 2);
  key = f.persist(*second);
  f.now = kNow + 16;  // 16 s after the first save, 8 s after the second
  CHECK(f.make_session(key)->get("foo") == Json("bar"));
}

TEST_CASE_TEMPLATE("an absolute set_expiry deadline in the future is honoured until it passes", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("foo", "bar");
  s->set_expiry_at(kNow + 100);
  std::string key = f.persist(*s);
  f.now = kNow + 100;
  CHECK(f.make_session(key)->get("foo") == Json("bar"));
  f.now = kNow + 101;
  CHECK_FALSE(f.make_session(key)->contains("foo"));
}

TEST_CASE_TEMPLATE("a session not saved for longer than SESSION_COOKIE_AGE is gone; exactly that age still loads", F,
                   SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("foo", "bar");
  std::string key = f.persist(*s);
  f.now = kNow + kTwoWeeks;
  CHECK(f.make_session(key)->get("foo") == Json("bar"));
  f.now = kNow + kTwoWeeks + 1;
  CHECK_FALSE(f.make_session(key)->contains("foo"));
}

TEST_CASE_TEMPLATE("a browser-session expiry (set_expiry(0)) still ends at SESSION_COOKIE_AGE", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("foo", "bar");
  s->set_expiry_seconds(0);
  std::string key = f.persist(*s);
  f.now = kNow + 3600;
  CHECK(f.make_session(key)->get("foo") == Json("bar"));
  f.now = kNow + kTwoWeeks + 1;
  CHECK_FALSE(f.make_session(key)->contains("foo"));
}

// ---------------------------------------------------------------------------
// SessionBaseTests
// ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("the test cookie can be set, checked and deleted", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  CHECK_FALSE(s->test_cookie_worked());
  s->set_test_cookie();
  CHECK(s->modified);
  CHECK(s->test_cookie_worked());
  CHECK(s->get("testcookie") == Json("worked"));
  s->modified = false;
  s->delete_test_cookie();
  CHECK(s->modified);
  CHECK_FALSE(s->test_cookie_worked());
}

TEST_CASE_TEMPLATE("the test cookie is an ordinary session key that survives a save", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set_test_cookie();
  std::string key = f.persist(*s);
  CHECK(f.make_session(key)->test_cookie_worked());
}

TEST_CASE_TEMPLATE("a session emptied with del but still holding a key is not empty", F, SESSION_BACKENDS) {
  F f;
  auto first = f.make_session();
  first->set("a", 1);
  std::string key = f.persist(*first);
  auto s = f.make_session(key);
  s->erase("a");
  CHECK(s->data().empty());
  CHECK_FALSE(s->is_empty());
}

TEST_CASE_TEMPLATE("a keyless session with data is not empty", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("a", 1);
  CHECK_FALSE(s->is_empty());
  s->erase("a");
  CHECK(s->is_empty());
}

// ---------------------------------------------------------------------------
// Signed-cookie specifics that the fixture flags select (CookieSessionTests)
// ---------------------------------------------------------------------------

TEST_CASE_TEMPLATE("the saved key for {'num_visits': 1} at 1700000000 is the documented cookie", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("num_visits", 1);
  std::string key = f.persist(*s);
  if constexpr (F::kKeyIsSignedData) {
    CHECK(key == "eyJudW1fdmlzaXRzIjoxfQ:1r31eq:1PPFpxns0uWboT8URB5Awk7AokgXsYeDvo5PZT3NI44");
  } else {
    CHECK(key.size() == 32);
  }
}

TEST_CASE_TEMPLATE("re-saving in a later second re-signs (new timestamp) and keeps the data", F, SESSION_BACKENDS) {
  F f;
  auto s = f.make_session();
  s->set("num_visits", 1);
  std::string first = f.persist(*s);
  f.now = kNow + 100;
  auto again = f.make_session(first);
  again->modified = true;
  std::string second = f.persist(*again);
  CHECK(f.make_session(second)->get("num_visits") == Json(1));
  if constexpr (F::kKeyIsSignedData) {
    // Django 3.2 SESSION_SAVE_EVERY_REQUEST at 1700000100 produced this value.
    CHECK(second == "eyJudW1fdmlzaXRzIjoxfQ:1r31gS:2C5Kg4ppGlQaGWiXueRjsLCbgk32cOsv6QXA4SQhyPU");
  }
}

// ---------------------------------------------------------------------------
// SessionBase.encode()/decode(): salt "django.contrib.sessions.SessionStore",
// no max_age (the store enforces expiry). Backend-independent.
// ---------------------------------------------------------------------------

namespace {
constexpr const char* kKeySalt = "django.contrib.sessions.SessionStore";
Json decode(const signing::TimestampSigner& signer, std::string_view data, double now = kNow) {
  auto r = signer.unsign_object(data, now, -1);
  return r.ok() ? r.value->object : Json::object();
}
}  // namespace

TEST_CASE("decode(encode(d)) returns d (test_decode)") {
  signing::TimestampSigner signer(kKeySalt, kSecret, {});
  Json data = Json{{"a test key", "a test value"}};
  CHECK(decode(signer, signer.sign_object(data, static_cast<int64_t>(kNow))) == data);
  Json nested = Json::parse(R"({"zeta":1,"alpha":[1,2.5,null],"x":{"y":"\u00e9"}})");
  CHECK(pyjson::dumps(decode(signer, signer.sign_object(nested, static_cast<int64_t>(kNow)))) ==
        pyjson::dumps(nested));
}

TEST_CASE("encode() of {'num_visits': 1} at 1700000000 is Django's value (§1.5)") {
  signing::TimestampSigner signer(kKeySalt, kSecret, {});
  CHECK(signer.sign_object(Json{{"num_visits", 1}}, static_cast<int64_t>(kNow)) ==
        "eyJudW1fdmlzaXRzIjoxfQ:1r31eq:_-PedWzrjsUyTsFgvXE1qqSpi5bYcTGwiV8pxU77Pl8");
}

TEST_CASE("decode has no max_age: a years-old encoded value still decodes") {
  signing::TimestampSigner signer(kKeySalt, kSecret, {});
  std::string old = signer.sign_object(Json{{"a", 1}}, static_cast<int64_t>(kNow) - 10 * 365 * 86400);
  CHECK(decode(signer, old) == Json{{"a", 1}});
}

TEST_CASE("decode failures return {} (test_decode_failure_logged_to_security)") {
  signing::TimestampSigner signer(kKeySalt, kSecret, {});
  // base64.b64encode(b"flaskdj:alkdjf")
  CHECK(decode(signer, "Zmxhc2tkajphbGtkamY=") == Json::object());
  CHECK(decode(signer, "bad:encoded:value") == Json::object());
  CHECK(signer.unsign_object("bad:encoded:value", kNow, -1).error == signing::Error::bad_signature);
  // A signed-cookie value is not session data, and the reverse (salts differ).
  signing::TimestampSigner cookie(session::kSignedCookiesSalt, kSecret, {});
  CHECK(decode(signer, cookie.sign_object(Json{{"a", 1}}, static_cast<int64_t>(kNow))) == Json::object());
  CHECK(decode(cookie, signer.sign_object(Json{{"a", 1}}, static_cast<int64_t>(kNow))) == Json::object());
}

TEST_CASE("a correctly signed non-JSON payload decodes to {} (test_decode_serializer_exception)") {
  signing::TimestampSigner signer(kKeySalt, kSecret, {});
  // TimestampSigner(salt=key_salt).sign(b"invalid data"): the raw bytes, not base64.
  std::string token = "invalid data:" + enc::b62_encode(static_cast<int64_t>(kNow));
  token += ":" + signer.signature(token);
  CHECK(decode(signer, token) == Json::object());
  // and base64 of non-JSON under a valid signature
  std::string b64 = enc::b64url_encode("invalid data") + ":" + enc::b62_encode(static_cast<int64_t>(kNow));
  b64 += ":" + signer.signature(b64);
  CHECK(decode(signer, b64) == Json::object());
  CHECK(signer.unsign_object(b64, kNow, -1).error == signing::Error::not_json);
}

TEST_CASE("new session keys are 32 characters from [a-z0-9]") {
  std::string entropy(48, '\0');
  for (size_t i = 0; i < entropy.size(); ++i) entropy[i] = static_cast<char>(i * 97 + 13);
  std::string key = session::new_session_key(entropy);
  CHECK(key.size() == 32);
  for (char c : key) CHECK(((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')));
  CHECK(session::is_valid_session_key(key));
  std::string other_entropy = entropy;
  other_entropy[0] = static_cast<char>(other_entropy[0] ^ 1);
  CHECK(session::new_session_key(other_entropy) != key);
}
