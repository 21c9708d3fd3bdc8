// The only file that sees raw pointers crossing the WASM boundary. The shim
// (js-shim/core.js) writes input into memory from ll_alloc, calls one entry
// point, reads ll_output_ptr/ll_output_len, and frees its input.
#include <cstdlib>
#include <memory>
#include <string>

#include "app/app.h"
#include "http/envelope.h"

namespace {
// Per-isolate state: the configured app. Immutable after ll_configure, so
// requests interleaved across awaits in the shim cannot disturb each other.
std::unique_ptr<app::App> g_app;
std::string g_config_error;
// The last call's output; valid until the next call into the module.
std::string g_output;

int emit(const http::Response& r) {
  g_output = envelope::encode_response(r);
  return 0;
}
}  // namespace

#define LL_EXPORT(name) extern "C" __attribute__((export_name(#name), used))

LL_EXPORT(ll_alloc) void* ll_alloc(size_t n) { return std::malloc(n ? n : 1); }
LL_EXPORT(ll_free) void ll_free(void* p) { std::free(p); }
LL_EXPORT(ll_output_ptr) const char* ll_output_ptr() { return g_output.data(); }
LL_EXPORT(ll_output_len) size_t ll_output_len() { return g_output.size(); }

// Input: the Worker's environment as a JSON object. Returns 0, or 1 with the
// configuration error (naming the setting) as output.
LL_EXPORT(ll_configure) int ll_configure(const char* env_json, size_t len) {
  g_app.reset();
  auto env = pyjson::Json::parse(env_json, env_json + len, nullptr, false);
  config::Error error;
  if (env.is_discarded()) error = {"environment", "is not valid JSON"};
  else g_app = app::App::create(env, &error);
  g_config_error = g_app ? "" : "ImproperlyConfigured: " + error.to_string();
  g_output = g_config_error;
  return g_app ? 0 : 1;
}

LL_EXPORT(ll_plan) int ll_plan(const char* data, size_t len) {
  auto input = envelope::decode_input(std::string_view(data, len));
  if (!input || !g_app) {
    g_output = envelope::encode_plan({});
    return input ? 0 : 1;
  }
  g_output = envelope::encode_plan(g_app->plan(input->request, input->loaded));
  return 0;
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

LL_EXPORT(ll_handle) int ll_handle(const char* data, size_t len) {
  auto input = envelope::decode_input(std::string_view(data, len));
  if (!input) {
    http::Response r = app::error_response(400);
    r.logs.push_back({http::LogLevel::error, "malformed request envelope from the shim"});
    return emit(r);
  }
  if (!g_app) {
    http::Response r = app::error_response(500);
    r.logs.push_back({http::LogLevel::error, g_config_error.empty() ? "not configured" : g_config_error});
    return emit(r);
  }
#ifdef LL_TEST_HOOKS
  if (const std::string* kind = input->request.header("x-test-trap")) trap_now(*kind);
#endif
  return emit(g_app->handle(input->request, input->loaded));
}

LL_EXPORT(ll_error_page) int ll_error_page(int status) { return emit(app::error_response(status)); }

// The shim could not perform a response's effects: 1 = a store failed (503),
// 2 = a must_change write found its record gone (400, SessionInterrupted).
LL_EXPORT(ll_effect_failure) int ll_effect_failure(int kind) {
  return emit(app::effect_failure_response(kind == 2 ? app::EffectFailure::session_interrupted
                                                     : app::EffectFailure::store_unavailable));
}

// The cron trigger; output is a response envelope whose effects the shim runs.
LL_EXPORT(ll_scheduled) int ll_scheduled(double now) {
  if (!g_app) {
    http::Response r = app::error_response(500);
    r.logs.push_back({http::LogLevel::error, g_config_error.empty() ? "not configured" : g_config_error});
    return emit(r);
  }
  return emit(g_app->scheduled(now));
}
