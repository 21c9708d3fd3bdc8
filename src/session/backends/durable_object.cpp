// locallibrary.sessions.backends.durable_object: one Durable Object per
// session key (namespace binding SESSION_OBJECTS, class SessionObject in
// worker/session_object.js), strongly consistent. The object keeps the
// record in Django's encode() format with its expiry and a version; its alarm
// deletes it at expiry. Every update is a compare-and-set on the version the
// request loaded, so racing requests never lose an update: the loser is
// re-run on the fresh record.
#include "session/backend.h"

namespace session::backends {
namespace {

constexpr std::string_view kBinding = "SESSION_OBJECTS";
constexpr http::LoadTag kRecordTag = 0x202;

class DurableObject final : public Backend {
 public:
  std::vector<http::Op> plan_load(const std::string& key, const std::vector<http::Loaded>& loaded, double,
                                  uint32_t) const override {
    if (http::find_loaded(loaded, kRecordTag)) return {};
    return {http::Op::do_get(std::string(kBinding), key, kRecordTag)};
  }
  Found load(const std::string&, const std::vector<http::Loaded>& loaded) const override {
    const http::Loaded* l = http::find_loaded(loaded, kRecordTag);
    if (!l || l->status == http::LoadStatus::failed || l->status == http::LoadStatus::pending) return Found::failed();
    if (l->status == http::LoadStatus::missing) return Found::missing();
    if (!(l->version >= 1)) return Found::failed();  // a record always has a version
    return Found::found(l->value, l->version);
  }
  void write(const Write& w, std::vector<http::Op>& out) const override {
    if (w.kind == Write::Kind::remove) {
      out.push_back(http::Op::do_delete(std::string(kBinding), w.key));
      return;
    }
    // A create must find no record (version 0); an update the version it
    // loaded, and a record at all (else the session was deleted meanwhile:
    // Django's UpdateError). An expiry already past is written too: the
    // object answers no record from then on and its alarm deletes it.
    bool cas = w.kind == Write::Kind::update && w.loaded && w.loaded->status == Found::Status::found;
    double version = cas ? w.loaded->version : 0;
    uint8_t flags = w.kind == Write::Kind::create ? http::op_none
                    : cas                          ? http::op_compare_and_set | http::op_must_change
                                                   : http::op_must_change;
    out.push_back(http::Op::do_put(std::string(kBinding), w.key, w.encoded, w.expire_date, version, flags));
  }
};

}  // namespace

const Backend& durable_object() {
  static const DurableObject backend;
  return backend;
}

}  // namespace session::backends
