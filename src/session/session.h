#pragma once
// Django's SessionBase: the session dict with its `accessed`/`modified`
// bookkeeping, lazy load, expiry and key rules. Backends (Store) only know how
// to load, save, create and delete; every session rule lives here once.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/pyjson.h"

namespace session {

using Json = pyjson::Json;

inline constexpr std::string_view kExpiryKey = "_session_expiry";
inline constexpr std::string_view kTestCookieName = "testcookie";
inline constexpr std::string_view kTestCookieValue = "worked";

struct Policy {
  int64_t cookie_age = 1209600;  // SESSION_COOKIE_AGE
  bool expire_at_browser_close = false;
};

class Session;

// What a backend reports from save(): Django's UpdateError (the record
// vanished during the request), or a session too large to store, which is
// refused instead of written and then found unreadable.
enum class SaveStatus { ok, update_error, too_large };

class Store {
 public:
  virtual ~Store() = default;
  // Returns the stored dict for s.session_key(). On a miss a backend does
  // what its Django counterpart does (clear the key, or mark modified).
  virtual Json load(Session& s) = 0;
  virtual bool exists(std::string_view key) = 0;
  virtual void create(Session& s) = 0;
  virtual SaveStatus save(Session& s, bool must_create) = 0;
  virtual void remove(Session& s, std::optional<std::string> key) = 0;
  virtual void cycle_key(Session& s);  // SessionBase.cycle_key

 protected:
  // Only backends may replace a session's key (validated: None unless >= 8
  // chars) or its cached dict: Django's session_key is a read-only property
  // with a private setter (_set_session_key). Session befriends Store alone,
  // and these forward to its private members, so a view holding a Session&
  // cannot reach them (checked in tests/native/session_contract_test.cpp).
  static void set_session_key(Session& s, std::optional<std::string> key);
  static void set_cache(Session& s, Json data);
};

class Session {
 public:
  Session(Store& store, std::optional<std::string> session_key, const Policy& policy, double now);

  // Public flags, as in Django; views may set `modified = true` by hand.
  bool accessed = false;
  bool modified = false;

  // s[key]: nullptr when missing (Django raises KeyError).
  const Json* find(std::string_view key);
  Json get(std::string_view key, Json fallback = nullptr);
  void set(std::string_view key, Json value);
  // del s[key]: false when missing (KeyError), and then modified is untouched.
  bool erase(std::string_view key);
  bool contains(std::string_view key);
  bool has_key(std::string_view key) { return contains(key); }
  // pop(key): nullopt when missing (KeyError); pop(key, default) never fails.
  std::optional<Json> pop(std::string_view key);
  Json pop(std::string_view key, Json fallback);
  Json setdefault(std::string_view key, Json value);
  void update(const Json& object);
  std::vector<std::string> keys();
  std::vector<Json> values();
  std::vector<std::pair<std::string, Json>> items();
  void clear();
  bool is_empty() const;
  void flush();
  void cycle_key();

  // set_expiry(int seconds) / set_expiry(0) / set_expiry(None) / set_expiry(datetime|timedelta)
  void set_expiry_seconds(int64_t seconds);
  void set_expiry_none();
  void set_expiry_at(double unix_seconds);  // stored as an ISO-8601 string (Django 4.1+)
  void set_expiry_in(double seconds_from_now) { set_expiry_at(now_ + seconds_from_now); }
  // get_expiry_age(modification=now, expiry=stored): whole seconds, floor.
  int64_t get_expiry_age();
  int64_t get_expiry_age(double modification, const Json& expiry) const;
  double get_expiry_date();  // Unix seconds
  double get_expiry_date(double modification, const Json& expiry) const;
  bool get_expire_at_browser_close();

  void set_test_cookie() { set(kTestCookieName, std::string(kTestCookieValue)); }
  bool test_cookie_worked() { return get(kTestCookieName) == Json(std::string(kTestCookieValue)); }
  void delete_test_cookie() { erase(kTestCookieName); }

  const std::optional<std::string>& session_key() const { return key_; }
  double now() const { return now_; }
  const Policy& policy() const { return policy_; }
  int64_t get_session_cookie_age() const { return policy_.cookie_age; }

  // The dict itself; marks accessed and loads on first use, like Django's _session.
  Json& data();
  bool loaded() const { return cache_.has_value(); }
  Store& store() { return store_; }

  // For the middleware and views that must know why a save did not happen.
  SaveStatus save(bool must_create = false) { return store_.save(*this, must_create); }

 private:
  friend class Store;  // the only way to the setters below: Store's protected forwarders
  void set_session_key(std::optional<std::string> key);
  void set_cache(Json data) { cache_ = std::move(data); }

  Store& store_;
  Policy policy_;
  double now_;
  std::optional<std::string> key_;
  std::optional<Json> cache_;
};

bool is_valid_session_key(std::string_view key);

// 32 characters from [a-z0-9] drawn from the request's entropy (CSPRNG bytes
// from the shim): the bytes are read as one big number and converted to base
// 36, so the result is uniform up to 2^-(8*len - 166) whatever the bytes are.
std::string new_session_key(std::string_view entropy);

}  // namespace session
