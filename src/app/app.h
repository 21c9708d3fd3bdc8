#pragma once
// The site: routing, the catalog home view, and the session middleware around
// it. A pure function of (request, loaded state): plan() names what must be
// loaded, handle() returns the response and the storage effects.
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "http/message.h"
#include "session/middleware.h"
#include "session/session.h"
#include "signing/signing.h"

namespace app {

struct Limits {
  size_t max_target_bytes = 8192;
  size_t max_header_count = 100;
  size_t max_header_bytes = 32 * 1024;
};

class App {
 public:
  // What a view returns: its status, and a renderer that runs after the
  // session middleware decided, so the page can say when a session could not
  // be saved (the cookie would have been too large).
  struct View {
    int status = 200;
    std::function<std::string(const middleware::Outcome&)> render;
    std::string content_type = "text/html; charset=utf-8";
  };
  using ViewFn = std::function<View(session::Session&, const http::Request&)>;

  // Parses the environment and does all per-isolate work (key derivation).
  static std::unique_ptr<App> create(const pyjson::Json& env, config::Error* error);

  std::vector<http::Op> plan(const http::Request& request) const;
  http::Response handle(const http::Request& request, const std::vector<http::Loaded>& loaded) const;

  const config::Settings& settings() const { return settings_; }

 private:
  explicit App(config::Settings settings);

  http::Response with_session(const http::Request& request, const ViewFn& view) const;

  config::Settings settings_;
  signing::TimestampSigner cookie_signer_;
  Limits limits_;
};

// A page for when the core cannot answer normally (configuration error,
// malformed envelope, a trap the shim recovered from).
http::Response error_response(int status);

}  // namespace app
