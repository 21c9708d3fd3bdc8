// The only file that sees raw pointers crossing the WASM boundary. Per
// request the shim writes the request into the buffer ll_input() returned
// and makes one call, ll_request(length), which returns a pointer to the
// output: its abi::RESULT_* kind and length, then the loads still needed, the
// response, or (with ORIGIN set) how to pass the request to the origin
// (src/http/envelope.cpp). Nothing is allocated or freed from JS.
#include <cstdlib>
#include <memory>
#include <string>

#include "app/app.h"
#include "app/pages.h"
#include "http/envelope.h"

namespace {
// Per-isolate state: the configured app and what the shim has been told.
// Immutable between calls, so requests interleaved across awaits in the shim
// cannot disturb each other.
std::unique_ptr<app::App> g_app;
http::Manifest g_manifest;
envelope::Symbols g_symbols;
std::string g_config_error;
std::string g_input;
// The decoded request, reused so that its buffers keep their capacity; only
// ever read within the call that decoded it.
envelope::Input g_request;
// The last call's output; valid until the next call into the module.
std::string g_output;
// Both sites' parsed templates, from ll_preload.
struct Preloaded {
  bool preloaded = false;
  const pages::Pages* pages = nullptr;
  tmpl::Error error;
};
Preloaded g_pages[2];

const pages::Pages* preloaded_pages(pages::Pages::Site site, tmpl::Error* error) {
  const Preloaded& slot = g_pages[static_cast<int>(site)];
  if (!slot.preloaded) *error = {"", 0, "ll_preload was not called"};
  else if (!slot.pages) *error = slot.error;
  return slot.pages;
}

const char* respond(const http::Response& r) {
  envelope::encode_response(g_output, r, g_symbols);
  return g_output.data();
}

// Out of line, like the other paths a home-page request never takes: V8
// compiles a whole function on its first call (README.md, "Building by hand").
[[gnu::noinline]] const char* not_configured(int status) {
  http::Response r = app::error_response(status);
  r.logs.push_back({http::LogLevel::error, g_config_error.empty() ? "not configured" : g_config_error});
  return respond(r);
}
}  // namespace

#define LL_EXPORT(name) extern "C" __attribute__((export_name(#name), used))

// The input buffer, at least n bytes; it stays put until a larger one is asked for.
LL_EXPORT(ll_input) char* ll_input(size_t n) {
  if (g_input.size() < n) g_input.resize(n);
  return g_input.data();
}

// Parses both sites' templates (they are part of the build, not of the
// configuration). The build runs this once with wasm-ctor-eval after linking:
// the export is then gone, the parsed templates are in the module's memory
// image, and the template parser is no longer in the module. Without
// wasm-ctor-eval (Emscripten) the shim calls it after _initialize.
LL_EXPORT(ll_preload) void ll_preload() {
  for (auto site : {pages::Pages::Site::edge, pages::Pages::Site::origin}) {
    auto& slot = g_pages[static_cast<int>(site)];
    slot.pages = pages::Pages::shared(site, &slot.error);
    slot.preloaded = true;
  }
}

// Input: the Worker's environment as a JSON object. Output kind CONFIG_OK
// with the manifest, or CONFIG_ERROR with the error (naming the setting).
LL_EXPORT(ll_configure) const char* ll_configure(size_t len) {
  g_app.reset();
  std::optional<pyjson::Json> env = pyjson::parse(std::string_view(g_input.data(), len));
  config::Error error;
  if (!env) error = {"environment", "is not valid JSON"};
  else g_app = app::App::create(*env, &error, preloaded_pages);
  if (!g_app) {
    g_config_error = "ImproperlyConfigured: " + error.to_string();
    envelope::encode_message(g_output, abi::CONFIG_ERROR, g_config_error);
    return g_output.data();
  }
  g_config_error.clear();
  g_manifest = g_app->manifest();
#ifdef LL_TEST_HOOKS
  g_manifest.request_headers.push_back("x-test-trap");
#endif
  envelope::encode_manifest(g_output, g_manifest, g_symbols);
  return g_output.data();
}

#ifdef LL_TEST_HOOKS
namespace {
// Test-only: a request header that makes the module fail the way real bugs
// would, so the shim's recovery can be tested (never compiled into releases).
[[noreturn]] void trap_now(const std::string& kind) {
  if (kind == "abort") std::abort();
  if (kind == "oom") {
    for (;;) {
      auto* p = static_cast<volatile char*>(std::malloc(64 << 20));
      if (!p) __builtin_trap();
      p[0] = 1;
    }
  }
  __builtin_trap();
}
}  // namespace
#endif

// One step of a request: the loads the core still needs (given the answers
// so far), or the response with its storage effects.
LL_EXPORT(ll_request) const char* ll_request(size_t len) {
  if (!g_app) return not_configured(500);
  envelope::Input* input = &g_request;
  if (!envelope::decode_request_into(std::string_view(g_input.data(), len), g_manifest.request_headers, g_request)) {
    http::Response r = app::error_response(400);
    r.logs.push_back({http::LogLevel::error, "malformed request envelope from the shim"});
    return respond(r);
  }
#ifdef LL_TEST_HOOKS
  if (const std::string* kind = input->request.header("x-test-trap")) trap_now(*kind);
#endif
  // Not the edge's to answer: the shim streams it to and from the origin.
  if (std::optional<http::OriginPass> pass = g_app->to_origin(input->request)) {
    envelope::encode_origin(g_output, *pass);
    return g_output.data();
  }
  std::vector<http::Op> loads = g_app->plan(input->request, input->loaded);
  bool waiting = false;
  for (const auto& l : input->loaded) waiting |= l.status == http::LoadStatus::pending;
  // Nothing more to ask for but answers still to come: an empty list of
  // loads tells the shim to wait for them and call again.
  if (!loads.empty() || waiting) {
    envelope::encode_loads(g_output, loads, g_symbols);
    return g_output.data();
  }
  return respond(g_app->handle(input->request, input->loaded));
}

LL_EXPORT(ll_error_page) const char* ll_error_page(int status) { return respond(app::error_response(status)); }

// The shim could not perform the effects of the request's attempt-th run, or
// reach the origin (abi::FAILURE_*). A lost compare-and-set is answered
// RESULT_RETRY (run it again) until the attempts run out.
LL_EXPORT(ll_effect_failure) const char* ll_effect_failure(int kind, uint32_t attempt) {
  if (kind == abi::FAILURE_CONFLICT) {
    if (std::optional<uint32_t> pause = app::retry_after_conflict(attempt)) {
      envelope::encode_retry(g_output, *pause);
      return g_output.data();
    }
    return respond(app::effect_failure_response(app::EffectFailure::conflict));
  }
  app::EffectFailure failure = app::EffectFailure::store_unavailable;
  if (kind == abi::FAILURE_SESSION_INTERRUPTED) failure = app::EffectFailure::session_interrupted;
  if (kind == abi::FAILURE_ORIGIN_UNREACHABLE) failure = app::EffectFailure::origin_unreachable;
  if (kind == abi::FAILURE_ORIGIN_TIMEOUT) failure = app::EffectFailure::origin_timeout;
  return respond(app::effect_failure_response(failure));
}

// The cron trigger; the output is a response whose effects the shim runs.
LL_EXPORT(ll_scheduled) const char* ll_scheduled(double now) {
  if (!g_app) return not_configured(500);
  return respond(g_app->scheduled(now));
}
