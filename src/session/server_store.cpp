#include "session/server_store.h"

#include <cmath>
#include <cstdio>

#include "platform/platform.h"
#include "util/time.h"

namespace session {

bool is_lookup_key(std::string_view key) {
  if (key.size() < 8 || key.size() > 40) return false;
  for (char c : key)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  return true;
}

std::vector<http::Op> plan_load(const Backend* backend, const std::optional<std::string>& cookie_key,
                                const std::vector<http::Loaded>& loaded, double now, uint32_t attempt) {
  if (!backend || !cookie_key || !is_lookup_key(*cookie_key)) return {};
  return backend->plan_load(*cookie_key, loaded, now, attempt);
}

ServerStore::ServerStore(const Backend& backend, const signing::TimestampSigner& encoder,
                         const std::vector<http::Loaded>& loaded, std::string_view entropy)
    : backend_(backend), encoder_(encoder), loaded_(loaded), entropy_(entropy) {}

std::optional<ServerStore::Record> ServerStore::decode_record(const std::string& encoded, double now) {
  auto r = encoder_.unsign_object(encoded, now, -1);
  if (!r.ok()) {
    // Django logs "Session data corrupted" for a bad signature and loads an
    // empty session; any other decoding failure is silent there.
    corrupt = std::string("Session data corrupted (") + signing::describe(r.error) + ")";
    return std::nullopt;
  }
  return Record{std::move(r.value->object), static_cast<double>(r.value->timestamp)};
}

Json ServerStore::load(Session& s) {
  const std::string key = *s.session_key();
  auto miss = [&] {
    record_missing = true;
    set_session_key(s, std::nullopt);  // an unknown key is never reused
    return Json::object();
  };
  if (!is_lookup_key(key)) return miss();

  Found found = backend_.load(key, loaded_);
  if (found.status == Found::Status::failed) {
    unavailable = true;
    return Json::object();
  }
  if (found.status == Found::Status::missing) return miss();
  loaded_key_ = key;
  loaded_record_ = found;

  std::optional<Record> record = decode_record(found.encoded, s.now());
  if (!record) return Json::object();  // as Django: corrupt data loads empty, the key stays
  // Records carry their own expiry: the signing timestamp is the last save,
  // and _session_expiry (if set) or SESSION_COOKIE_AGE the lifetime. Stores
  // delete lazily (KV, D1 rows until clearsessions); check every read.
  auto expiry = record->data.find(kExpiryKey);
  double deadline = s.get_expiry_date(record->saved_at, expiry == record->data.end() ? Json(nullptr) : *expiry);
  if (s.now() >= deadline) return miss();
  if (found.refill) refill_ = Refill{key, found.encoded, static_cast<int64_t>(deadline - s.now())};
  return std::move(record->data);
}

bool ServerStore::exists(std::string_view) {
  // A freshly minted key has 165 bits from the CSPRNG: a collision with a
  // stored one is not a case to spend a store round trip on.
  return false;
}

ServerStore::Pending& ServerStore::pending(const std::string& key) {
  auto [it, inserted] = pending_.try_emplace(key);
  if (inserted) order_.push_back(key);
  return it->second;
}

void ServerStore::create(Session& s) { create_and_save(s); }

SaveStatus ServerStore::create_and_save(Session& s) {
  // Each key comes from SHA-256(entropy || n): any number of keys per request
  // (cycle_key after flush, ...) from one CSPRNG draw.
  if (entropy_.empty()) {
    entropy_.resize(48);
    platform::random_bytes(reinterpret_cast<uint8_t*>(entropy_.data()), entropy_.size());
  }
  std::string material = entropy_;
  material += static_cast<char>('0' + keys_minted_++);
  platform::Digest d = platform::sha256(material);
  std::string key = new_session_key(std::string_view(reinterpret_cast<const char*>(d.data()), d.size()));
  set_session_key(s, key);
  SaveStatus status = save(s, true);
  if (status != SaveStatus::ok) set_session_key(s, std::nullopt);  // nothing stored under it
  s.modified = true;
  return status;
}

SaveStatus ServerStore::save(Session& s, bool must_create) {
  if (!s.session_key()) return create_and_save(s);
  // Django's _get_session(no_load=must_create): a new record starts from
  // the data at hand, or {} without loading anything.
  if (must_create && !s.loaded()) set_cache(s, Json::object());
  std::string json = pyjson::dumps(s.data());
  // Loading (above) may have found the key unknown and dropped it: Django
  // then updates a record that does not exist, an UpdateError.
  if (!s.session_key()) return SaveStatus::update_error;
  if (json.size() > kMaxRecordBytes) return SaveStatus::too_large;
  Pending& p = pending(*s.session_key());
  // Deleted earlier in this request: as in Django, the update finds no record.
  if (p.deleted && !must_create) return SaveStatus::update_error;
  if (must_create) p.create = true;
  p.encoded = encoder_.sign_serialized(json, static_cast<int64_t>(std::floor(s.now())));
  p.expire_date = s.get_expiry_date();
  p.expiry_age = s.get_expiry_age();
  refill_.reset();
  return SaveStatus::ok;
}

void ServerStore::remove(Session& s, std::optional<std::string> key) {
  if (!key) key = s.session_key();
  if (!key) return;
  // A logout after a cache miss must not first refill the cache it deletes.
  if (refill_ && refill_->key == *key) refill_.reset();
  Pending& p = pending(*key);
  if (p.create) {
    pending_.erase(*key);  // never stored: nothing to delete
    return;
  }
  p.deleted = true;
}

std::vector<http::Op> ServerStore::effects() const {
  std::vector<http::Op> ops;
  if (refill_) backend_.refill(refill_->key, refill_->encoded, refill_->ttl, ops);
  for (const std::string& key : order_) {
    auto it = pending_.find(key);
    if (it == pending_.end()) continue;
    const Pending& p = it->second;
    Write w;
    w.key = key;
    if (p.deleted) {
      w.kind = Write::Kind::remove;
    } else {
      w.kind = p.create ? Write::Kind::create : Write::Kind::update;
      w.encoded = p.encoded;
      w.expire_date = p.expire_date;
      w.expiry_age = p.expiry_age;
      if (!p.create && key == loaded_key_) w.loaded = &loaded_record_;
    }
    backend_.write(w, ops);
  }
  return ops;
}

}  // namespace session
