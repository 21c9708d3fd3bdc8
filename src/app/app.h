#pragma once
// The site: routing, the catalog home view, and the session middleware around
// it. A pure function of (request, loaded state): plan() names what must be
// loaded, handle() returns the response and the storage effects.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/pages.h"
#include "config/settings.h"
#include "http/message.h"
#include "session/backend.h"
#include "session/middleware.h"
#include "session/session.h"
#include "signing/signing.h"

namespace app {

struct Limits {
  size_t max_target_bytes = 8192;
  // Of the headers the core reads; the runtime limits the rest (Cloudflare:
  // 128 KB of request headers).
  size_t max_header_bytes = 32 * 1024;
};

class App {
 public:
  // What a view returns: its status, and a renderer that runs after the
  // session middleware decided, so the page can say when a session could not
  // be saved. A renderer that fails (returns false with a message) turns the
  // response into a 500 with nothing saved.
  struct View {
    int status = 200;
    std::function<bool(const middleware::Outcome&, std::string& body, std::string& error)> render;
    http::HeaderText content_type = "text/html; charset=utf-8";
    std::vector<std::pair<std::string, std::string>> headers = {};
    std::string log = {};
  };
  using ViewFn = std::function<View(session::Session&, const http::Request&)>;

  // Where the parsed templates of a site come from: Pages::shared parses
  // them on first use; the WASM module has them parsed at build time.
  using PagesFor = const pages::Pages* (*)(pages::Pages::Site, tmpl::Error*);

  // Parses the environment and does all per-isolate work (key derivation).
  static std::unique_ptr<App> create(const pyjson::Json& env, config::Error* error,
                                     PagesFor pages_for = &pages::Pages::shared);

  // What the shim needs to know once per isolate: the request headers the
  // core reads (the shim sends no others), and loads that do not depend on
  // the request, which the shim starts for these paths before calling in.
  http::Manifest manifest() const;

  // What to load before handle(), given what is loaded so far; empty when
  // done. The shim calls it until it returns nothing (at most a few rounds).
  std::vector<http::Op> plan(const http::Request& request, const std::vector<http::Loaded>& loaded) const;
  // With ORIGIN set: the request is not one the edge serves, so the shim
  // passes it to the origin as this says. Asked before plan(): such a
  // request needs no loads. nullopt: the edge answers (ORIGIN unset, a
  // request over the limits, or the home page for an anonymous visitor).
  std::optional<http::OriginPass> to_origin(const http::Request& request) const;
  http::Response handle(const http::Request& request, const std::vector<http::Loaded>& loaded) const;
  // The cron trigger: clearsessions for engines with a database.
  http::Response scheduled(double now) const;

  const config::Settings& settings() const { return settings_; }

 private:
  App(config::Settings settings, const session::Backend* backend, const pages::Pages* pages);

  http::Response route(const http::Request& request, const std::vector<http::Loaded>& loaded) const;
  http::Response with_session(const http::Request& request, const std::vector<http::Loaded>& loaded,
                              const ViewFn& view) const;
  std::optional<std::string> session_cookie(const http::Request& request, std::vector<http::Log>* logs) const;
  bool uses_session(const http::Request& request) const;
  // The session says a user is logged in (Django's auth keeps the user's id
  // under _auth_user_id): the edge cannot load Django's User, so the origin
  // answers. Signed-cookie sessions only (ORIGIN requires them).
  bool logged_in(const http::Request& request) const;
  // to_origin's answer for a request the origin serves. Kept out of line:
  // V8 compiles a whole function on its first call, and the home page's
  // requests never build one.
  [[gnu::noinline]] http::OriginPass origin_pass(const http::Request& request) const;
  // 414 or 431 for a request over the limits: answered without any I/O.
  std::optional<int> over_limits(const http::Request& request) const;

  config::Settings settings_;
  const session::Backend* backend_;  // SESSION_ENGINE's; nullptr: signed cookies
  signing::TimestampSigner cookie_signer_;
  signing::TimestampSigner store_encoder_;  // SessionBase.encode() for KV/D1 records
  const pages::Pages* pages_;  // not owned: parsed once per process (in WASM, at build time)
  Limits limits_;
};

// A page for when the core cannot answer normally (configuration error,
// malformed envelope, a trap the shim recovered from).
http::Response error_response(int status);

// What the shim reports when performing a response's effects failed
// (abi::FAILURE_*). The origin failures are the shim's too: it could not
// reach the origin (502), or the origin sent no response headers in time (504).
enum class EffectFailure {
  store_unavailable = abi::FAILURE_STORE_UNAVAILABLE,
  session_interrupted = abi::FAILURE_SESSION_INTERRUPTED,
  conflict = abi::FAILURE_CONFLICT,
  origin_unreachable = abi::FAILURE_ORIGIN_UNREACHABLE,
  origin_timeout = abi::FAILURE_ORIGIN_TIMEOUT,
};
http::Response effect_failure_response(EffectFailure failure);

// A compare-and-set write lost a race (EffectFailure::conflict): the request
// runs again from its loads, on the fresh record, at most kMaxAttempts times
// in all. Returns the ceiling of the random pause before the next attempt
// (milliseconds), or nullopt when this was the last attempt: then
// effect_failure_response(conflict) answers 503 with Retry-After.
inline constexpr uint32_t kMaxAttempts = 10;
std::optional<uint32_t> retry_after_conflict(uint32_t attempt);

}  // namespace app
