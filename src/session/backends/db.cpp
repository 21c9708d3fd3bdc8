// django.contrib.sessions.backends.db on D1 (binding DB), Django's
// django_session table. A save is a compare-and-set on the row as loaded, so
// racing requests never lose an update: the loser is re-run on the fresh row.
#include "session/backends/storage.h"

namespace session::backends {
namespace {

class Db final : public Backend {
 public:
  std::vector<http::Op> plan_load(const std::string& key, const std::vector<http::Loaded>& loaded, double now,
                                  uint32_t) const override {
    if (http::find_loaded(loaded, kD1RecordTag)) return {};
    return {d1::select(key, now)};
  }
  Found load(const std::string&, const std::vector<http::Loaded>& loaded) const override { return d1::load(loaded); }
  void write(const Write& w, std::vector<http::Op>& out) const override { d1::write(w, out); }
  std::vector<http::Op> clear_expired(double now) const override { return {d1::clear_expired(now)}; }
};

}  // namespace

const Backend& db() {
  static const Db backend;
  return backend;
}

}  // namespace session::backends
