// Invariant: any envelope bytes from the shim either decode into a request the
// app answers with a status in 200..599 and well-formed headers (no CR/LF),
// or are rejected as malformed; for each session engine, with the fuzz input
// also used as the cookie and as every loaded store record. Never a crash.
// And decoding into an Input reused across inputs (as the module does)
// yields exactly what decoding into a fresh one does.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "app/app.h"
#include "http/envelope.h"
#include "session/server_store.h"

namespace {
std::unique_ptr<app::App> make(const char* engine) {
  pyjson::Json env = {{"SECRET_KEY", "fuzz-secret"}, {"SESSION_ENGINE", engine}};
  return app::App::create(env, nullptr);
}
const std::unique_ptr<app::App> apps[] = {
    make("django.contrib.sessions.backends.signed_cookies"), make("django.contrib.sessions.backends.cache"),
    make("django.contrib.sessions.backends.db"), make("django.contrib.sessions.backends.cached_db"),
    make("locallibrary.sessions.backends.durable_object")};

bool same(const http::Rows& a, const http::Rows& b) {
  if (a.columns != b.columns || a.rows.size() != b.rows.size()) return false;
  for (size_t i = 0; i < a.rows.size(); ++i) {
    if (a.rows[i].size() != b.rows[i].size()) return false;
    for (size_t j = 0; j < a.rows[i].size(); ++j) {
      const http::SqlValue &x = a.rows[i][j], &y = b.rows[i][j];
      if (x.type != y.type || x.text != y.text || (x.number != y.number && x.number == x.number)) return false;
    }
  }
  return true;
}
bool same(const envelope::Input& a, const envelope::Input& b) {
  const http::Request &p = a.request, &q = b.request;
  if (p.method != q.method || p.target != q.target || p.headers != q.headers || p.attempt != q.attempt ||
      p.entropy != q.entropy || a.loaded.size() != b.loaded.size())
    return false;
  for (size_t i = 0; i < a.loaded.size(); ++i) {
    const http::Loaded &x = a.loaded[i], &y = b.loaded[i];
    if (x.tag != y.tag || x.status != y.status || x.value != y.value || x.version != y.version || !same(x.rows, y.rows))
      return false;
  }
  return true;
}
envelope::Input reused;

void check(const http::Response& r) {
  if (r.status < 200 || r.status > 599) __builtin_trap();
  for (const auto& [k, v] : r.headers)
    if (k.view().find_first_of("\r\n") != std::string::npos || v.view().find_first_of("\r\n") != std::string::npos)
      __builtin_trap();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  for (const auto& a : apps) {
    auto decoded = envelope::decode_request(input, a->manifest().request_headers);
    bool reused_ok = envelope::decode_request_into(input, a->manifest().request_headers, reused);
    if (reused_ok != decoded.has_value() || (decoded && !same(*decoded, reused))) __builtin_trap();
    if (decoded) {
      a->plan(decoded->request, decoded->loaded);
      check(a->handle(decoded->request, decoded->loaded));
    }
  }
  // The input as a cookie and as whatever the stores returned.
  http::Request req;
  req.method = "GET";
  req.target = size % 3 ? "/catalog/" : "/__test__/session?op=get:x&op=set:y=" + input.substr(0, 64);
  req.now = 1700000000;
  req.attempt = 1 + size % 3;  // re-runs after a lost compare-and-set too
  req.entropy = std::string(48, '\x5a');
  req.headers = {{"cookie", "sessionid=" + input}};
  for (const auto& a : apps) {
    std::vector<http::Loaded> loaded;
    for (int round = 0; round < 4; ++round) {
      auto ops = a->plan(req, loaded);
      if (ops.empty()) break;
      for (const auto& op : ops) {
        http::LoadStatus status = static_cast<http::LoadStatus>((size + round) % 3);
        http::Loaded answer{op.tag, status, input, {}};
        answer.version = static_cast<double>(size % 4);
        if (op.kind == http::OpKind::d1_query)
          answer.rows = {{"session_data", "n"}, {{http::SqlValue::of(input), http::SqlValue::of(double(size))}}};
        loaded.push_back(std::move(answer));
      }
    }
    check(a->handle(req, loaded));
  }
  return 0;
}
