// Native benchmarks of the core: the whole /catalog/ request path exactly as
// the WASM export ll_request runs it for a signed-cookie visit (one call: the
// request envelope with the prefetched D1 counts decoded -> plan (nothing
// more to load) -> handle -> response envelope encoded),
// i.e. parse the request, find and verify + decode the signed cookie, count
// the visit, encode + sign the new cookie, render the page. Plus the pieces
// of that path on their own, and the template engine's render time vs
// template size when the tree has the engine.
//
// Session payloads are the session's JSON as Django serializes it:
//   {"num_visits":12345}                           20 bytes, not compressed
//   {"num_visits":41,"recent":["<32 hex>",...]}    padded to N bytes; random
//                                                  hex deflates to ~55%, so
//                                                  these cookies take the
//                                                  compressed (".") path
// Fallback keys: SECRET_KEY_FALLBACKS with 0, 1 or 3 entries; the cookie is
// signed with SECRET_KEY (the usual case), and every key is tried anyway
// (constant-time across keys). One extra case is signed with the oldest
// fallback (verify + re-sign with the current key).
#include <benchmark/benchmark.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "app/app.h"
#include "http/envelope.h"
#include "platform/platform.h"
#include "session/signed_cookies.h"
#include "signing/signing.h"
#include "util/pyjson.h"
#ifdef LL_BENCH_TEMPLATE
#include "template/embedded.h"
#include "template/template.h"
#endif

// Heap allocations, counted: on the WASM path each one is a trip through
// dlmalloc over memory the runtime's own work has pushed out of the caches,
// so allocations per request is reported next to the time.
std::atomic<uint64_t> g_allocations{0};

#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void* operator new(std::size_t n) {
  ++g_allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }

namespace {

// The same constants as bench/lib/fixtures.mjs.
constexpr const char* kSecret = "bench-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG";
const std::vector<std::string> kFallbacks = {"bench-old-key-1-abcdefghijklmnopqrstuvwxyz",
                                             "bench-old-key-2-abcdefghijklmnopqrstuvwxyz",
                                             "bench-old-key-3-abcdefghijklmnopqrstuvwxyz"};

// The session JSON of exactly `bytes` bytes (>= 20), deterministic.
pyjson::Json session_of(size_t bytes) {
  if (bytes <= 20) return pyjson::Json::parse(R"({"num_visits":12345})");
  pyjson::Json s = pyjson::Json::object();
  s["num_visits"] = 41;
  s["recent"] = pyjson::Json::array();
  std::mt19937 rng(static_cast<unsigned>(bytes));
  const char* hex = "0123456789abcdef";
  auto token = [&](size_t n) {
    std::string t(n, '0');
    for (auto& c : t) c = hex[rng() & 15];
    return t;
  };
  while (pyjson::dumps(s).size() + 35 <= bytes) s["recent"].push_back(token(32));
  size_t have = pyjson::dumps(s).size();
  if (have < bytes) {
    // One more string: 3 bytes of quotes and comma, then what is left.
    size_t extra = bytes - have;
    if (s["recent"].empty()) s["recent"].push_back(token(extra - 2));
    else if (extra >= 4) s["recent"].push_back(token(extra - 3));
    else s["recent"].back() = token(32 + extra);
  }
  return s;
}

void put_u32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
  out.append(b, 4);
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// js-shim/core.js writeRequest, byte for byte: the manifest's headers only,
// and the four counts answered.
std::string encode_request(const http::Request& r, const std::vector<std::string>& header_names,
                           const std::vector<http::Op>& counts) {
  std::string out;
  char f[8];
  std::memcpy(f, &r.now, 8);
  out.append(f, 8);
  put_u32(out, 1);  // attempt: the first run of the request
  put_str(out, r.method);
  put_str(out, r.target);
  for (const auto& name : header_names) {
    if (const std::string* v = r.header(name)) put_str(out, *v);
    else put_u32(out, abi::ABSENT);
  }
  put_u32(out, static_cast<uint32_t>(counts.size()));
  for (const auto& op : counts) {
    put_u32(out, op.tag);
    out.push_back(static_cast<char>(abi::LOAD_OK));
    out.push_back(static_cast<char>(abi::OP_D1_QUERY));
    put_u32(out, 1);
    put_str(out, "n");
    put_u32(out, 1);
    out.push_back(static_cast<char>(abi::VALUE_NUMBER));
    double n = 12;
    std::memcpy(f, &n, 8);
    out.append(f, 8);
  }
  return out;
}

std::unique_ptr<app::App> make_app(int fallbacks) {
  pyjson::Json env = pyjson::Json::object();
  env["SECRET_KEY"] = kSecret;
  env["SESSION_ENGINE"] = "django.contrib.sessions.backends.signed_cookies";
  if (fallbacks > 0) {
    pyjson::Json list = pyjson::Json::array();
    for (int i = 0; i < fallbacks; ++i) list.push_back(kFallbacks[i]);
    env["SECRET_KEY_FALLBACKS"] = pyjson::dumps(list);
  }
  config::Error err;
  auto a = app::App::create(env, &err);
  if (!a) {
    std::fprintf(stderr, "configuration failed: %s\n", err.to_string().c_str());
    std::abort();
  }
  return a;
}

double bench_now() {
  static const double now = static_cast<double>(std::time(nullptr));
  return now;
}

std::string cookie_for(size_t payload_bytes, const std::string& key, int64_t ts) {
  signing::TimestampSigner signer(session::kSignedCookiesSalt, key, {});
  return signer.sign_object(session_of(payload_bytes), ts);
}

// Browser-like headers (the same set bench/lib/fixtures.mjs sends).
http::Request catalog_request(const std::string& cookie) {
  http::Request r;
  r.method = "GET";
  r.target = "/catalog/";
  r.headers = {
      {"accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"},
      {"accept-encoding", "gzip, deflate, br"},
      {"accept-language", "en-US,en;q=0.9"},
      {"cookie", "csrftoken=Zq3kQ9bWm2Lr8Tt0Yx7Vc4Nn1Hh6Jj5Gg; sessionid=" + cookie},
      {"host", "localhost:8787"},
      {"user-agent", "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"},
  };
  r.now = bench_now();
  return r;
}

struct Case {
  std::unique_ptr<app::App> app;
  http::Manifest manifest;
  std::string request_bytes;  // what the shim writes: the request with the counts answered
  std::string cookie;
  mutable envelope::Symbols symbols;
  mutable std::string output;
};

Case make_case(size_t payload_bytes, int fallbacks, bool signed_with_oldest_fallback = false) {
  Case c;
  c.app = make_app(fallbacks);
  const std::string& key = signed_with_oldest_fallback ? kFallbacks[fallbacks - 1] : std::string(kSecret);
  c.cookie = cookie_for(payload_bytes, key, static_cast<int64_t>(bench_now()) - 60);
  http::Request req = catalog_request(c.cookie);
  c.manifest = c.app->manifest();
  c.request_bytes = encode_request(req, c.manifest.request_headers, c.manifest.prefetch.at(0).loads);
  return c;
}

// The request path must really be the happy path: 200, the visit counted
// from the cookie (not a fresh session), a new cookie set.
bool check_case(const Case& c, size_t payload_bytes, std::string* why) {
  auto in = envelope::decode_request(c.request_bytes, c.manifest.request_headers);
  if (!in || !c.app->plan(in->request, in->loaded).empty()) {
    *why = "the request needs more than the prefetched loads";
    return false;
  }
  http::Response r = c.app->handle(in->request, in->loaded);
  std::string set_cookie;
  for (auto& [k, v] : r.headers)
    if (k == "Set-Cookie") set_cookie = v;
  const char* expected = payload_bytes <= 20 ? "You have visited this page 12346 times." : "You have visited this page 42 times.";
  if (r.status != 200) *why = "status " + std::to_string(r.status);
  else if (set_cookie.empty()) *why = "no Set-Cookie";
  else if (r.body.find(expected) == std::string::npos) *why = "visit not counted from the cookie";
  else return true;
  return false;
}

// ll_request, as src/wasm/exports.cpp runs it.
// As src/wasm/exports.cpp does: one decoded request reused call after call.
void serve_once(const Case& c) {
  static envelope::Input reused;
  envelope::Input* in = &reused;
  if (!envelope::decode_request_into(c.request_bytes, c.manifest.request_headers, reused)) std::abort();
  std::vector<http::Op> loads = c.app->plan(in->request, in->loaded);
  if (!loads.empty()) envelope::encode_loads(c.output, loads, c.symbols);
  else envelope::encode_response(c.output, c.app->handle(in->request, in->loaded), c.symbols);
  benchmark::DoNotOptimize(c.output);
}

void run_request_path(benchmark::State& state, const Case& c) {
  uint64_t before = g_allocations.load();
  for (auto _ : state) serve_once(c);
  state.counters["allocs"] = benchmark::Counter(static_cast<double>(g_allocations.load() - before),
                                                benchmark::Counter::kAvgIterations);
}

// Args: payload bytes, fallback keys.
void BM_request(benchmark::State& state) {
  size_t bytes = static_cast<size_t>(state.range(0));
  Case c = make_case(bytes, static_cast<int>(state.range(1)));
  std::string why;
  if (!check_case(c, bytes, &why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  state.counters["cookie_bytes"] = static_cast<double>(c.cookie.size());
  run_request_path(state, c);
}
BENCHMARK(BM_request)
    ->ArgNames({"payload", "fallbacks"})
    ->Args({20, 0})->Args({20, 1})->Args({20, 3})
    ->Args({1024, 0})->Args({1024, 1})->Args({1024, 3})
    ->Args({3584, 0})->Args({3584, 1})->Args({3584, 3})
    // session-size scaling (0 fallbacks)
    ->Args({128, 0})->Args({512, 0})->Args({2048, 0})
    ->Unit(benchmark::kMicrosecond);

// Signed with the oldest of 3 fallbacks: verified, then re-signed with SECRET_KEY.
void BM_request_oldest_fallback(benchmark::State& state) {
  size_t bytes = static_cast<size_t>(state.range(0));
  Case c = make_case(bytes, 3, true);
  std::string why;
  if (!check_case(c, bytes, &why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  run_request_path(state, c);
}
BENCHMARK(BM_request_oldest_fallback)->ArgNames({"payload"})->Arg(20)->Unit(benchmark::kMicrosecond);

// ---------------------------------------------------------------- the pieces

void BM_envelope_only(benchmark::State& state) {
  Case c = make_case(static_cast<size_t>(state.range(0)), 0);
  auto in = envelope::decode_request(c.request_bytes, c.manifest.request_headers);
  http::Response r = c.app->handle(in->request, in->loaded);
  for (auto _ : state) {
    auto a = envelope::decode_request(c.request_bytes, c.manifest.request_headers);
    benchmark::DoNotOptimize(a);
    envelope::encode_response(c.output, r, c.symbols);
    benchmark::DoNotOptimize(c.output);
  }
}
BENCHMARK(BM_envelope_only)->ArgNames({"payload"})->Arg(20)->Arg(3584)->Unit(benchmark::kMicrosecond);

void BM_plan_only(benchmark::State& state) {
  Case c = make_case(static_cast<size_t>(state.range(0)), 0);
  auto in = envelope::decode_request(c.request_bytes, c.manifest.request_headers);
  for (auto _ : state) benchmark::DoNotOptimize(c.app->plan(in->request, in->loaded));
}
BENCHMARK(BM_plan_only)->ArgNames({"payload"})->Arg(20)->Unit(benchmark::kMicrosecond);

void BM_handle_only(benchmark::State& state) {
  Case c = make_case(static_cast<size_t>(state.range(0)), 0);
  auto in = envelope::decode_request(c.request_bytes, c.manifest.request_headers);
  for (auto _ : state) benchmark::DoNotOptimize(c.app->handle(in->request, in->loaded));
}
BENCHMARK(BM_handle_only)->ArgNames({"payload"})->Arg(20)->Arg(3584)->Unit(benchmark::kMicrosecond);

// Verify + decode the cookie (signing.loads).
void BM_unsign(benchmark::State& state) {
  signing::TimestampSigner signer(session::kSignedCookiesSalt, kSecret, {});
  std::string cookie = cookie_for(static_cast<size_t>(state.range(0)), kSecret, static_cast<int64_t>(bench_now()) - 60);
  for (auto _ : state) benchmark::DoNotOptimize(signer.unsign_object(cookie, bench_now(), 1209600));
}
BENCHMARK(BM_unsign)->ArgNames({"payload"})->Arg(20)->Arg(1024)->Arg(3584)->Unit(benchmark::kMicrosecond);

// Encode + sign (signing.dumps with compress=True).
void BM_sign(benchmark::State& state) {
  signing::TimestampSigner signer(session::kSignedCookiesSalt, kSecret, {});
  pyjson::Json s = session_of(static_cast<size_t>(state.range(0)));
  for (auto _ : state) benchmark::DoNotOptimize(signer.sign_object(s, static_cast<int64_t>(bench_now())));
}
BENCHMARK(BM_sign)->ArgNames({"payload"})->Arg(20)->Arg(1024)->Arg(3584)->Unit(benchmark::kMicrosecond);

void BM_hmac_sha256(benchmark::State& state) {
  platform::KeyHandle key = platform::register_hmac_key(platform::sha256("k"));
  std::string msg(static_cast<size_t>(state.range(0)), 'x');
  for (auto _ : state) benchmark::DoNotOptimize(platform::hmac_sha256(key, msg));
}
BENCHMARK(BM_hmac_sha256)->ArgNames({"bytes"})->Arg(32)->Arg(4096)->Unit(benchmark::kMicrosecond);

void BM_json_roundtrip(benchmark::State& state) {
  std::string text = pyjson::dumps(session_of(static_cast<size_t>(state.range(0))));
  for (auto _ : state) {
    auto j = pyjson::loads_latin1(text);
    benchmark::DoNotOptimize(pyjson::dumps(*j));
  }
}
BENCHMARK(BM_json_roundtrip)->ArgNames({"payload"})->Arg(20)->Arg(3584)->Unit(benchmark::kMicrosecond);


#ifdef LL_BENCH_TEMPLATE
// ------------------------------------------------- the Django template engine

tmpl::Hooks local_library_hooks() {
  tmpl::Hooks hooks;
  hooks.routes = {
      {"index", "/catalog/"},           {"books", "/catalog/books/"},
      {"book-detail", "/catalog/book/<pk>"}, {"authors", "/catalog/authors/"},
      {"author-detail", "/catalog/author/<pk>"}, {"bookinstances", "/catalog/bookinstances/"},
      {"genres", "/catalog/genres/"},   {"languages", "/catalog/languages/"},
      {"login", "/accounts/login/"},    {"logout", "/accounts/logout/"},
  };
  return hooks;
}

tmpl::Json index_context() {
  return tmpl::Json::parse(R"({"num_books":12,"num_instances":28,"num_instances_available":11,"num_authors":8,
    "num_visits":12346,"session_not_saved":false,"request":{"path":"/catalog/"},
    "title":"Moby-Dick","author":"Herman Melville","copies":3,"available":true})");
}

// A content block of `kb` KiB: one realistic line repeated (static markup,
// variables, a filter with an argument, {% if %}, {% url %}).
std::string synthetic_template(int kb) {
  const std::string chunk =
      "    <li class=\"book\"><a href=\"{% url 'book-detail' 7 %}\">{{ title }}</a> by {{ author|upper }}, "
      "{{ copies }} cop{{ copies|pluralize:\"y,ies\" }}{% if available %} <em>available</em>{% endif %}</li>\n";
  std::string t = "{% extends \"base_generic.html\" %}\n{% block content %}\n  <ul>\n";
  while (t.size() + chunk.size() + 24 <= static_cast<size_t>(kb) * 1024) t += chunk;
  t += "  </ul>\n{% endblock %}\n";
  return t;
}

bool load_library(tmpl::Library& lib, int synthetic_kb, std::string* why) {
  tmpl::Error err;
  for (const auto& [name, source] : tmpl::embedded_templates()) {
    if (!lib.add(std::string(name), std::string(source), &err)) {
      *why = err.to_string();
      return false;
    }
  }
  if (synthetic_kb > 0 && !lib.add("synthetic.html", synthetic_template(synthetic_kb), &err)) {
    *why = err.to_string();
    return false;
  }
  if (!lib.link(&err)) {
    *why = err.to_string();
    return false;
  }
  return true;
}

// src/templates/index.html (extends base_generic.html): the page the app will
// render once it switches to the engine.
void BM_template_index(benchmark::State& state) {
  tmpl::Library lib(local_library_hooks());
  std::string why;
  if (!load_library(lib, 0, &why) || !lib.contains("index.html")) {
    state.SkipWithError(why.empty() ? "no index.html" : why.c_str());
    return;
  }
  tmpl::Json ctx = index_context();
  std::string out;
  tmpl::Error err;
  if (!lib.render("index.html", ctx, out, &err)) {
    state.SkipWithError(err.to_string().c_str());
    return;
  }
  state.counters["output_bytes"] = static_cast<double>(out.size());
  for (auto _ : state) {
    lib.render("index.html", ctx, out, &err);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_template_index)->Unit(benchmark::kMicrosecond);

// Render time vs template size (parsed once, rendered per request).
void BM_template_size(benchmark::State& state) {
  int kb = static_cast<int>(state.range(0));
  tmpl::Library lib(local_library_hooks());
  std::string why;
  if (!load_library(lib, kb, &why)) {
    state.SkipWithError(why.c_str());
    return;
  }
  tmpl::Json ctx = index_context();
  std::string out;
  tmpl::Error err;
  if (!lib.render("synthetic.html", ctx, out, &err)) {
    state.SkipWithError(err.to_string().c_str());
    return;
  }
  state.counters["template_bytes"] = static_cast<double>(synthetic_template(kb).size());
  state.counters["output_bytes"] = static_cast<double>(out.size());
  for (auto _ : state) {
    lib.render("synthetic.html", ctx, out, &err);
    benchmark::DoNotOptimize(out);
  }
}
BENCHMARK(BM_template_size)->ArgNames({"kb"})->Arg(1)->Arg(4)->Arg(16)->Arg(64)->Unit(benchmark::kMicrosecond);

// Parse + link of the synthetic template (per-isolate work, not per request).
void BM_template_parse(benchmark::State& state) {
  int kb = static_cast<int>(state.range(0));
  std::string why;
  for (auto _ : state) {
    tmpl::Library lib(local_library_hooks());
    if (!load_library(lib, kb, &why)) {
      state.SkipWithError(why.c_str());
      return;
    }
  }
}
BENCHMARK(BM_template_parse)->ArgNames({"kb"})->Arg(4)->Arg(64)->Unit(benchmark::kMicrosecond);
#endif

}  // namespace

// The profiled loop: callgrind collects only inside it
// (--toggle-collect=ll_bench_profile_loop), so setup (App::create, template
// parsing, fixtures) does not count.
extern "C" __attribute__((noinline)) size_t ll_bench_profile_loop(const void* opaque, long n) {
  const Case& c = *static_cast<const Case*>(opaque);
  size_t sink = 0;
  for (long i = 0; i < n; ++i) {
    serve_once(c);
    sink += c.output.size();
  }
  return sink;
}

// A fixed run for callgrind (bench/profile.mjs): N requests of one case.
//   ll_bench_native --profile-loop N [payload] [fallbacks]
// A timed run for bench/node/wasm.mjs, which alternates it with the WASM
// module's batches so both are measured under the same machine state: at
// least MS milliseconds of CPU of one case, printed as CPU µs per request.
//   ll_bench_native --timed-loop MS [payload] [fallbacks]
int main(int argc, char** argv) {
  if (argc >= 3 && std::strcmp(argv[1], "--timed-loop") == 0) {
    const double ms = std::atof(argv[2]);
    size_t bytes = argc >= 4 ? static_cast<size_t>(std::atol(argv[3])) : 20;
    int fallbacks = argc >= 5 ? std::atoi(argv[4]) : 0;
    Case c = make_case(bytes, fallbacks);
    ll_bench_profile_loop(&c, 50);
    const std::clock_t t0 = std::clock();
    long n = 0;
    do {
      ll_bench_profile_loop(&c, 20);
      n += 20;
    } while (static_cast<double>(std::clock() - t0) * 1000.0 / CLOCKS_PER_SEC < ms);
    std::printf("%.4f\n", static_cast<double>(std::clock() - t0) * 1e6 / CLOCKS_PER_SEC / static_cast<double>(n));
    return 0;
  }
  if (argc >= 3 && std::strcmp(argv[1], "--profile-loop") == 0) {
    long n = std::atol(argv[2]);
    size_t bytes = argc >= 4 ? static_cast<size_t>(std::atol(argv[3])) : 20;
    int fallbacks = argc >= 5 ? std::atoi(argv[4]) : 0;
    Case c = make_case(bytes, fallbacks);
    std::printf("%zu\n", ll_bench_profile_loop(&c, n));
    return 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("ll_template", 
#ifdef LL_BENCH_TEMPLATE
                              "yes"
#else
                              "no"
#endif
  );
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
