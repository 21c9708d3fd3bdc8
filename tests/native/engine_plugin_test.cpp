// A session engine added from outside src/: this file is all of it. The
// backend below, one registration, and SESSION_ENGINE naming it (plus, for a
// deployment, its binding in wrangler.toml) are everything an engine needs:
// the app, the shim (js-shim/worker.js performs operations by storage type)
// and the contract suite (tests/native/session_contract_test.cpp, PluginFixture)
// run it unchanged. It keeps records in Workers KV under its own prefix,
// composed from the same helpers as Django's cache engine.
#include <doctest/doctest.h>

#include "app/app.h"
#include "session/backend.h"
#include "session/backends/storage.h"

namespace {

constexpr std::string_view kPrefix = "tests.sessions.kv_plugin:";

class KvPlugin final : public session::Backend {
 public:
  std::vector<http::Op> plan_load(const std::string& key, const std::vector<http::Loaded>& loaded, double,
                                  uint32_t) const override {
    if (http::find_loaded(loaded, session::kKvRecordTag)) return {};
    return {session::kv::get(kPrefix, key)};
  }
  session::Found load(const std::string&, const std::vector<http::Loaded>& loaded) const override {
    return session::kv::load(loaded);
  }
  void write(const session::Write& w, std::vector<http::Op>& out) const override {
    session::kv::write(kPrefix, w, w.kind == session::Write::Kind::create ? http::op_none : http::op_must_change, out);
  }
};

const KvPlugin plugin;
// The registration.
const bool registered = session::register_engine("tests.sessions.backends.kv_plugin", plugin);

}  // namespace

TEST_CASE("a plug-in engine registers once and is accepted as SESSION_ENGINE") {
  CHECK(registered);
  CHECK_FALSE(session::register_engine("tests.sessions.backends.kv_plugin", plugin));  // names are unique
  CHECK_FALSE(session::register_engine("django.contrib.sessions.backends.db", plugin));
  const session::Engine* engine = session::find_engine("tests.sessions.backends.kv_plugin");
  REQUIRE(engine != nullptr);
  CHECK(engine->backend == &plugin);
  config::Error error;
  auto app = app::App::create(
      pyjson::Json{{"SECRET_KEY", "k"}, {"SESSION_ENGINE", "tests.sessions.backends.kv_plugin"}}, &error);
  REQUIRE_MESSAGE(app != nullptr, error.to_string());
  // Server-side: the home page's prefetch leaves the shim room to load the record.
  CHECK(app->manifest().prefetch.at(0).call_while_loading);
}
