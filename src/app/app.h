#pragma once
// The site: routing, the catalog home view, and the session middleware around
// it. A pure function of (request, loaded state): plan() names what must be
// loaded, handle() returns the response and the storage effects.
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "http/message.h"
#include "signing/signing.h"

namespace app {

struct Limits {
  size_t max_target_bytes = 8192;
  size_t max_header_count = 100;
  size_t max_header_bytes = 32 * 1024;
};

class App {
 public:
  // Parses the environment and does all per-isolate work (key derivation).
  static std::unique_ptr<App> create(const pyjson::Json& env, config::Error* error);

  std::vector<http::Op> plan(const http::Request& request) const;
  http::Response handle(const http::Request& request, const std::vector<http::Loaded>& loaded) const;

  const config::Settings& settings() const { return settings_; }

 private:
  explicit App(config::Settings settings);
  http::Response index(const http::Request& request) const;

  config::Settings settings_;
  signing::TimestampSigner cookie_signer_;
  Limits limits_;
};

// A page for when the core cannot answer normally (configuration error,
// malformed envelope, a trap the shim recovered from).
http::Response error_response(int status);

}  // namespace app
