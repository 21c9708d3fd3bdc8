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

std::string d1_datetime(double t) {
  std::string iso = timeutil::format_iso8601(t);  // YYYY-MM-DDTHH:MM:SS[.ffffff]+00:00
  std::string date = iso.substr(0, 10), clock = iso.substr(11, 8);
  std::string micros = "000000";
  if (iso[19] == '.') micros = iso.substr(20, 6);
  return date + " " + clock + "." + micros;
}

namespace {

std::string kv_key(config::Engine engine, std::string_view key) {
  std::string out(engine == config::Engine::cached_db ? kCachedDbPrefix : kCachePrefix);
  out.append(key);
  return out;
}

bool uses_kv(config::Engine e) { return e == config::Engine::cache || e == config::Engine::cached_db; }
bool uses_d1(config::Engine e) { return e == config::Engine::db || e == config::Engine::cached_db; }

constexpr std::string_view kSelectSession =
    "SELECT session_data FROM django_session WHERE session_key = ?1 AND expire_date > ?2";

using config::kD1Binding;
using config::kKvBinding;

http::Op d1_select(std::string_view key, double now) {
  return http::Op::d1(std::string(kD1Binding), std::string(kSelectSession),
                      {http::SqlValue::of(std::string(key)), http::SqlValue::of(d1_datetime(now))}, http::op_none,
                      kD1RecordTag);
}

}  // namespace

std::vector<http::Op> plan_load(config::Engine engine, const std::optional<std::string>& cookie_key,
                                const std::vector<http::Loaded>& loaded, double now) {
  std::vector<http::Op> ops;
  if (engine == config::Engine::signed_cookies || !cookie_key || !is_lookup_key(*cookie_key)) return ops;
  if (uses_kv(engine)) {
    std::string key = kv_key(engine, *cookie_key);
    const http::Loaded* kv = http::find_loaded(loaded, kKvRecordTag);
    if (!kv) {
      ops.push_back(http::Op::kv_get(std::string(kKvBinding), key, kKvRecordTag));
      return ops;
    }
    // cached_db falls through to the database only on a clean cache miss; a
    // failed cache read is not a miss (and is only a cache: D1 decides).
    if (engine == config::Engine::cache || kv->status == http::LoadStatus::ok) return ops;
  }
  if (uses_d1(engine)) {
    if (!http::find_loaded(loaded, kD1RecordTag)) ops.push_back(d1_select(*cookie_key, now));
  }
  return ops;
}

http::Op clear_expired_op(double now) {
  return http::Op::d1(std::string(kD1Binding), "DELETE FROM django_session WHERE expire_date < ?1",
                      {http::SqlValue::of(d1_datetime(now))});
}

ServerStore::ServerStore(config::Engine engine, const signing::TimestampSigner& encoder,
                         const std::vector<http::Loaded>& loaded, std::string_view entropy)
    : engine_(engine), encoder_(encoder), loaded_(loaded), entropy_(entropy) {}

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
    set_session_key(s, std::nullopt);  // an unknown key is never reused
    return Json::object();
  };
  if (!is_lookup_key(key)) return miss();

  std::optional<std::string> encoded;
  bool from_database = false;
  if (uses_kv(engine_)) {
    const http::Loaded* kv = http::find_loaded(loaded_, kKvRecordTag);
    if (kv && kv->status == http::LoadStatus::ok) {
      encoded = kv->value;
    } else if ((!kv || kv->status == http::LoadStatus::failed) && engine_ == config::Engine::cache) {
      unavailable = true;
      return Json::object();
    }
  }
  if (!encoded && uses_d1(engine_)) {
    const http::Loaded* row = http::find_loaded(loaded_, kD1RecordTag);
    if (!row || row->status != http::LoadStatus::ok) {
      unavailable = true;
      return Json::object();
    }
    // D1 answers rows: none is "no such session", one must carry
    // session_data as text. Any other shape is a failed read, not a miss:
    // treating it as one would mint a new key and lose the session.
    if (!row->rows.rows.empty()) {
      const http::SqlValue* data = row->rows.cell(0, "session_data");
      if (!data || data->type != http::SqlValue::Type::text) {
        unavailable = true;
        return Json::object();
      }
      encoded = data->text;
    }
    from_database = encoded.has_value();
  }
  if (!encoded) return miss();

  std::optional<Record> record = decode_record(*encoded, s.now());
  if (!record) return Json::object();  // as Django: corrupt data loads empty, the key stays
  // Records carry their own expiry: the signing timestamp is the last save,
  // and _session_expiry (if set) or SESSION_COOKIE_AGE the lifetime. KV
  // deletes lazily and D1 rows linger until clearsessions; check both.
  auto expiry = record->data.find(kExpiryKey);
  double deadline = s.get_expiry_date(record->saved_at, expiry == record->data.end() ? Json(nullptr) : *expiry);
  if (s.now() >= deadline) return miss();
  if (from_database && engine_ == config::Engine::cached_db) {
    int64_t remaining = static_cast<int64_t>(deadline - s.now());
    backfill_ = Backfill{kv_key(engine_, key), *encoded, remaining < kKvMinTtl ? kKvMinTtl : remaining};
  }
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
  backfill_.reset();
  return SaveStatus::ok;
}

void ServerStore::remove(Session& s, std::optional<std::string> key) {
  if (!key) key = s.session_key();
  if (!key) return;
  // A logout after a cache miss must not first refill the cache it deletes.
  if (backfill_ && backfill_->kv_key == kv_key(engine_, *key)) backfill_.reset();
  Pending& p = pending(*key);
  if (p.create) {
    pending_.erase(*key);  // never stored: nothing to delete
    return;
  }
  p.deleted = true;
}

std::vector<http::Op> ServerStore::effects() const {
  std::vector<http::Op> ops;
  if (backfill_ && uses_kv(engine_)) {
    // cached_db read the database after a cache miss: refill the cache.
    ops.push_back(http::Op::kv_put(std::string(kKvBinding), backfill_->kv_key, backfill_->encoded, backfill_->ttl,
                                   http::op_best_effort));
  }
  for (const std::string& key : order_) {
    auto it = pending_.find(key);
    if (it == pending_.end()) continue;
    const Pending& p = it->second;
    std::string kvk = kv_key(engine_, key);
    if (p.deleted) {
      if (uses_d1(engine_))
        ops.push_back(http::Op::d1(std::string(kD1Binding), "DELETE FROM django_session WHERE session_key = ?1",
                                   {http::SqlValue::of(key)}));
      if (uses_kv(engine_)) ops.push_back(http::Op::kv_delete(std::string(kKvBinding), kvk));
      continue;
    }
    if (uses_d1(engine_)) {
      if (p.create)
        ops.push_back(http::Op::d1(std::string(kD1Binding),
                                   "INSERT INTO django_session (session_key, session_data, expire_date) VALUES (?1, ?2, ?3)",
                                   {http::SqlValue::of(key), http::SqlValue::of(p.encoded),
                                    http::SqlValue::of(d1_datetime(p.expire_date))}));
      else
        ops.push_back(http::Op::d1(std::string(kD1Binding),
                                   "UPDATE django_session SET session_data = ?2, expire_date = ?3 WHERE session_key = ?1",
                                   {http::SqlValue::of(key), http::SqlValue::of(p.encoded),
                                    http::SqlValue::of(d1_datetime(p.expire_date))},
                                   http::op_must_change));
    }
    if (uses_kv(engine_)) {
      if (p.expiry_age <= 0) {
        ops.push_back(http::Op::kv_delete(std::string(kKvBinding), kvk));
        continue;
      }
      // KV refuses TTLs under 60 s; the record's own expiry (checked on read)
      // keeps a shorter lifetime exact.
      int64_t ttl = p.expiry_age < kKvMinTtl ? kKvMinTtl : p.expiry_age;
      uint8_t flags = engine_ == config::Engine::cached_db ? http::op_best_effort
                      : p.create                            ? http::op_none
                                                            : http::op_must_change;
      ops.push_back(http::Op::kv_put(std::string(kKvBinding), kvk, p.encoded, ttl, flags));
    }
  }
  return ops;
}

}  // namespace session
