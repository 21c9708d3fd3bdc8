// django.contrib.sessions.backends.cache on Workers KV (binding SESSIONS),
// key "django.contrib.sessions.cache<key>". KV has no compare-and-set: the
// last writer wins, and a read in another location may be up to 60 s old.
#include "session/backends/storage.h"

namespace session::backends {
namespace {

class Cache final : public Backend {
 public:
  std::vector<http::Op> plan_load(const std::string& key, const std::vector<http::Loaded>& loaded, double,
                                  uint32_t) const override {
    if (http::find_loaded(loaded, kKvRecordTag)) return {};
    return {kv::get(kCachePrefix, key)};
  }
  Found load(const std::string&, const std::vector<http::Loaded>& loaded) const override { return kv::load(loaded); }
  void write(const Write& w, std::vector<http::Op>& out) const override {
    // An update must find its entry (else Django's UpdateError).
    kv::write(kCachePrefix, w, w.kind == Write::Kind::create ? http::op_none : http::op_must_change, out);
  }
};

}  // namespace

const Backend& cache() {
  static const Cache backend;
  return backend;
}

}  // namespace session::backends
