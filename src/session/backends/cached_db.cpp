// django.contrib.sessions.backends.cached_db: D1 (the truth) with a copy in
// Workers KV (key "django.contrib.sessions.cached_db<key>") read first. D1's
// compare-and-set guards every save: a save computed from a stale KV copy
// loses it, and the re-run reads D1 itself. A failed KV copy is only logged
// (Django 5.1+).
#include "session/backends/storage.h"

namespace session::backends {
namespace {

class CachedDb final : public Backend {
 public:
  std::vector<http::Op> plan_load(const std::string& key, const std::vector<http::Loaded>& loaded, double now,
                                  uint32_t attempt) const override {
    if (attempt == 1) {
      const http::Loaded* kv = http::find_loaded(loaded, kKvRecordTag);
      if (!kv) return {kv::get(kCachedDbPrefix, key)};
      // D1 only after a clean miss or a failed cache read (only a cache: D1 decides).
      if (kv->status == http::LoadStatus::ok) return {};
    }
    if (http::find_loaded(loaded, kD1RecordTag)) return {};
    return {d1::select(key, now)};
  }
  Found load(const std::string&, const std::vector<http::Loaded>& loaded) const override {
    Found cached = kv::load(loaded);
    if (cached.status == Found::Status::found && !http::find_loaded(loaded, kD1RecordTag)) return cached;
    Found row = d1::load(loaded);
    row.refill = row.status == Found::Status::found;
    return row;
  }
  void write(const Write& w, std::vector<http::Op>& out) const override {
    d1::write(w, out);
    kv::write(kCachedDbPrefix, w, http::op_best_effort, out);
  }
  void refill(const std::string& key, const std::string& encoded, int64_t ttl,
              std::vector<http::Op>& out) const override {
    Write w;
    w.kind = Write::Kind::create;
    w.key = key;
    w.encoded = encoded;
    w.expiry_age = ttl < 1 ? 1 : ttl;  // still valid: never a delete
    kv::write(kCachedDbPrefix, w, http::op_best_effort, out);
  }
  std::vector<http::Op> clear_expired(double now) const override { return {d1::clear_expired(now)}; }
};

}  // namespace

const Backend& cached_db() {
  static const CachedDb backend;
  return backend;
}

}  // namespace session::backends
