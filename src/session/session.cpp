#include "session/session.h"

#include <cmath>

#include "util/time.h"

namespace session {

bool is_valid_session_key(std::string_view key) { return key.size() >= 8; }

std::string new_session_key(std::string_view entropy) {
  std::vector<uint8_t> n(entropy.begin(), entropy.end());
  std::string key(32, '0');
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  for (size_t i = 0; i < key.size(); ++i) {
    unsigned rem = 0;  // divide the big-endian number in n by 36
    for (auto& byte : n) {
      unsigned cur = (rem << 8) | byte;
      byte = static_cast<uint8_t>(cur / 36);
      rem = cur % 36;
    }
    key[i] = alphabet[rem];
  }
  return key;
}

void Store::set_session_key(Session& s, std::optional<std::string> key) { s.set_session_key(std::move(key)); }
void Store::set_cache(Session& s, Json data) { s.set_cache(std::move(data)); }

void Store::cycle_key(Session& s) {
  Json data = s.data();
  std::optional<std::string> old_key = s.session_key();
  create(s);
  set_cache(s, std::move(data));
  if (old_key) remove(s, old_key);
}

Session::Session(Store& store, std::optional<std::string> session_key, const Policy& policy, double now)
    : store_(store), policy_(policy), now_(now) {
  set_session_key(std::move(session_key));
}

void Session::set_session_key(std::optional<std::string> key) {
  if (key && !is_valid_session_key(*key)) key.reset();
  key_ = std::move(key);
}

Json& Session::data() {
  accessed = true;
  if (!cache_) {
    if (!key_) cache_ = Json::object();
    else cache_ = store_.load(*this);
    if (!cache_->is_object()) cache_ = Json::object();
  }
  return *cache_;
}

const Json* Session::find(std::string_view key) {
  Json& d = data();
  auto it = d.find(key);
  return it == d.end() ? nullptr : &*it;
}

Json Session::get(std::string_view key, Json fallback) {
  const Json* v = find(key);
  return v ? *v : std::move(fallback);
}

void Session::set(std::string_view key, Json value) {
  data()[std::string(key)] = std::move(value);
  modified = true;
}

bool Session::erase(std::string_view key) {
  Json& d = data();
  auto it = d.find(key);
  if (it == d.end()) return false;
  d.erase(it);
  modified = true;
  return true;
}

bool Session::contains(std::string_view key) { return find(key) != nullptr; }

std::optional<Json> Session::pop(std::string_view key) {
  Json& d = data();
  auto it = d.find(key);
  if (it == d.end()) return std::nullopt;
  Json value = std::move(*it);
  d.erase(it);
  modified = true;
  return value;
}

Json Session::pop(std::string_view key, Json fallback) {
  std::optional<Json> v = pop(key);
  return v ? std::move(*v) : std::move(fallback);
}

Json Session::setdefault(std::string_view key, Json value) {
  if (const Json* existing = find(key)) return *existing;
  set(key, value);
  return value;
}

void Session::update(const Json& object) {
  Json& d = data();
  if (object.is_object())
    for (const auto& [k, v] : object.items()) d[k] = v;
  modified = true;
}

std::vector<std::string> Session::keys() {
  std::vector<std::string> out;
  for (const auto& [k, v] : data().items()) out.push_back(k);
  return out;
}

std::vector<Json> Session::values() {
  std::vector<Json> out;
  for (const auto& [k, v] : data().items()) out.push_back(v);
  return out;
}

std::vector<std::pair<std::string, Json>> Session::items() {
  std::vector<std::pair<std::string, Json>> out;
  for (const auto& [k, v] : data().items()) out.emplace_back(k, v);
  return out;
}

void Session::clear() {
  // Django replaces the cache without loading: the old data never matters.
  cache_ = Json::object();
  accessed = true;
  modified = true;
}

bool Session::is_empty() const { return !key_ && (!cache_ || cache_->empty()); }

void Session::flush() {
  clear();
  store_.remove(*this, std::nullopt);
  key_.reset();
}

void Session::cycle_key() { store_.cycle_key(*this); }

void Session::set_expiry_seconds(int64_t seconds) { set(kExpiryKey, seconds); }

void Session::set_expiry_none() { erase(kExpiryKey); }

void Session::set_expiry_at(double unix_seconds) { set(kExpiryKey, timeutil::format_iso8601(unix_seconds)); }

namespace {
// The stored expiry as Django reads it: a missing, null or 0 value means
// "use SESSION_COOKIE_AGE"; an unparsable one is treated the same way rather
// than failing the request (Django would raise).
struct Expiry {
  enum Kind { none, seconds, absolute } kind = none;
  int64_t secs = 0;
  double at = 0;
};
Expiry read_expiry(const Json& expiry) {
  Expiry e;
  if (expiry.is_number_integer()) {
    int64_t n = expiry.is_number_unsigned() ? static_cast<int64_t>(*expiry.get_ptr<const uint64_t*>() & 0x7fffffffffffffffULL)
                                            : *expiry.get_ptr<const int64_t*>();
    if (n != 0) { e.kind = Expiry::seconds; e.secs = n; }
  } else if (expiry.is_string()) {
    if (auto at = timeutil::parse_iso8601(*expiry.get_ptr<const std::string*>())) {
      e.kind = Expiry::absolute;
      e.at = *at;
    }
  }
  return e;
}
}  // namespace

int64_t Session::get_expiry_age(double modification, const Json& expiry) const {
  Expiry e = read_expiry(expiry);
  switch (e.kind) {
    case Expiry::none: return policy_.cookie_age;
    case Expiry::seconds: return e.secs;
    case Expiry::absolute: {
      // timedelta.days*86400 + .seconds drops microseconds toward -inf.
      double delta = e.at - modification;
      double micro = std::round(delta * 1e6);
      return static_cast<int64_t>(std::floor(micro / 1e6));
    }
  }
  return policy_.cookie_age;
}

int64_t Session::get_expiry_age() { return get_expiry_age(now_, get(kExpiryKey)); }

double Session::get_expiry_date(double modification, const Json& expiry) const {
  Expiry e = read_expiry(expiry);
  if (e.kind == Expiry::absolute) return e.at;
  return modification + static_cast<double>(e.kind == Expiry::seconds ? e.secs : policy_.cookie_age);
}

double Session::get_expiry_date() { return get_expiry_date(now_, get(kExpiryKey)); }

bool Session::get_expire_at_browser_close() {
  const Json* expiry = find(kExpiryKey);
  if (!expiry || expiry->is_null()) return policy_.expire_at_browser_close;
  return expiry->is_number_integer() && *expiry == Json(0);
}

}  // namespace session
