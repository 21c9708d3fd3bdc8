#include "app/app.h"

#include <cctype>
#include <cmath>
#include <limits>

#include "app/pages.h"
#ifdef LL_TEST_VIEWS
#include "app/test_views.h"
#endif
#include "catalog/catalog.h"
#include "http/cookie.h"
#include "session/middleware.h"
#include "session/server_store.h"
#include "session/signed_cookies.h"

namespace app {
namespace {

void add_security_headers(http::Response& r) {
  // What Django's SecurityMiddleware and XFrameOptionsMiddleware send by default.
  r.add_header("X-Content-Type-Options", "nosniff");
  r.add_header("Referrer-Policy", "same-origin");
  r.add_header("Cross-Origin-Opener-Policy", "same-origin");
  r.add_header("X-Frame-Options", "DENY");
}

// Every answer the core makes itself says so; a request passed to the
// origin gets "origin" (App::to_origin).
void add_served_by_edge(http::Response& r) { r.add_header("X-Served-By", "edge"); }

http::Response html(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.add_header("Content-Type", "text/html; charset=utf-8");
  add_security_headers(r);
  add_served_by_edge(r);
  r.body = std::move(body);
  return r;
}

http::Response redirect(std::string location) {
  http::Response r;
  r.status = 301;
  r.add_header("Content-Type", "text/html; charset=utf-8");
  r.add_header("Location", std::move(location));
  add_security_headers(r);
  add_served_by_edge(r);
  return r;
}

// num_visits = session.get('num_visits', 0) + 1, with Python's arithmetic for
// the values Django can store: ints (any sign; ours saturate at 64 bits),
// bools (True + 1 == 2) and floats (2.0 + 1 == 3.0). Anything else would make
// Django's view raise TypeError and answer 500 on every visit forever; the
// counter restarts at 1 instead.
session::Json next_visit_count(const session::Json& v) {
  if (v.is_boolean()) return *v.get_ptr<const bool*>() ? 2 : 1;
  if (v.is_number_unsigned()) {
    uint64_t n = *v.get_ptr<const uint64_t*>();
    return n == std::numeric_limits<uint64_t>::max() ? n : n + 1;
  }
  if (v.is_number_integer()) {
    int64_t n = *v.get_ptr<const int64_t*>();
    return n == std::numeric_limits<int64_t>::max() ? session::Json(static_cast<uint64_t>(n) + 1) : session::Json(n + 1);
  }
  if (v.is_number_float()) return *v.get_ptr<const double*>() + 1.0;
  return 1;
}

}  // namespace

namespace {

App::View index_view(const pages::Pages& pages, session::Session& s, const http::Request& req,
                     const std::vector<http::Loaded>& loaded) {
  std::optional<catalog::Counts> counts = catalog::counts_from(loaded);
  if (!counts) {
    // The catalog is unreachable: say so, and leave the session untouched
    // (a visit that could not be shown is not counted).
    App::View v{503, [](const middleware::Outcome&, std::string& body, std::string&) {
                  body = pages::error(503);
                  return true;
                }};
    v.headers = {{"Retry-After", "1"}, {"Cache-Control", "no-store"}};
    v.log = "catalog counts unavailable (D1 binding DB failed or missing); answering 503";
    return v;
  }
  session::Json visits = next_visit_count(s.get("num_visits", 0));
  s.set("num_visits", visits);
  const double now = req.now;
  return {200, [&pages, visits, counts, now](const middleware::Outcome& outcome, std::string& body, std::string& error) {
            pages::IndexContext ctx{*counts, visits, outcome.action == middleware::CookieAction::too_large};
            ctx.now = now;
            tmpl::Error template_error;
            if (pages.index(ctx, body, &template_error)) return true;
            error = "template rendering failed: " + template_error.to_string();
            return false;
          }};
}

}  // namespace

// Out of line, like the other paths a home-page request never takes: V8
// compiles a whole function on its first call (README.md, "Building by hand").
[[gnu::noinline]] http::Response error_response(int status) { return html(status, pages::error(status)); }

std::optional<uint32_t> retry_after_conflict(uint32_t attempt) {
  if (attempt >= kMaxAttempts) return std::nullopt;
  // Full jitter, doubling per attempt from 16 ms up to 2 s: racing requests
  // spread out instead of colliding again in step, over a time that grows
  // with how many there are (each run holds the record for a load and a save).
  uint32_t shift = attempt < 8 ? attempt - 1 : 7;
  return 16u << shift;
}

http::Response effect_failure_response(EffectFailure failure) {
  if (failure == EffectFailure::conflict) {
    // Every attempt lost its compare-and-set: the session is being written
    // by more requests at once than the bound allows. Nothing was saved.
    http::Response r = error_response(503);
    r.add_header("Retry-After", "1");
    r.add_header("Cache-Control", "no-store");
    r.logs.push_back({http::LogLevel::error, "session save lost the compare-and-set race " +
                                                 std::to_string(kMaxAttempts) +
                                                 " times (concurrent requests of one session); nothing was saved"});
    return r;
  }
  if (failure == EffectFailure::session_interrupted) {
    // Django's SessionInterrupted: the session was deleted (e.g. a logout in
    // a concurrent request) before this request could save it.
    http::Response r = error_response(400);
    r.logs.push_back({http::LogLevel::warning,
                      "SessionInterrupted: The request's session was deleted before the request completed. The user "
                      "may have logged out in a concurrent request, for example."});
    return r;
  }
  if (failure == EffectFailure::origin_unreachable || failure == EffectFailure::origin_timeout) {
    // Nothing of the visitor's session is read or written for a request
    // passed to the origin, so there is nothing to undo: say so and stop.
    bool timeout = failure == EffectFailure::origin_timeout;
    http::Response r = error_response(timeout ? 504 : 502);
    r.add_header("Cache-Control", "no-store");
    r.logs.push_back({http::LogLevel::error, timeout ? "the origin sent no response within ORIGIN_TIMEOUT; answering 504"
                                                     : "the origin could not be reached; answering 502"});
    return r;
  }
  http::Response r = error_response(503);
  r.add_header("Retry-After", "1");
  r.add_header("Cache-Control", "no-store");
  r.logs.push_back({http::LogLevel::error, "session store write failed; nothing was saved"});
  return r;
}

App::App(config::Settings settings, const session::Backend* backend, const pages::Pages* pages)
    : settings_(std::move(settings)),
      backend_(backend),
      cookie_signer_(session::kSignedCookiesSalt, settings_.secret_key, settings_.secret_key_fallbacks),
      store_encoder_(session::kStoreSalt, settings_.secret_key, settings_.secret_key_fallbacks,
                     signing::Limits{session::ServerStore::kMaxRecordBytes, 300}),
      pages_(pages) {}

std::unique_ptr<App> App::create(const pyjson::Json& env, config::Error* error, PagesFor pages_for) {
  config::Parsed parsed = config::parse(env);
  if (!parsed.settings) {
    if (error) *error = parsed.error;
    return nullptr;
  }
  const session::Engine* engine = session::find_engine(parsed.settings->engine);
  if (!engine) {  // config::parse accepts registered names only
    if (error) *error = {"SESSION_ENGINE", "is not a registered engine"};
    return nullptr;
  }
  tmpl::Error template_error;
  const pages::Pages* loaded_pages =
      pages_for(parsed.settings->origin ? pages::Pages::Site::origin : pages::Pages::Site::edge, &template_error);
  if (!loaded_pages) {
    if (error) *error = {"TEMPLATES", "TemplateSyntaxError: " + template_error.to_string()};
    return nullptr;
  }
  return std::unique_ptr<App>(new App(std::move(*parsed.settings), engine->backend, loaded_pages));
}

bool App::uses_session(const http::Request& req) const {
  std::string_view path = req.path();
  if (path == "/catalog/") return req.method == "GET" || req.method == "HEAD";
#ifdef LL_TEST_VIEWS
  if (path == "/__test__/session") return true;
#endif
  return false;
}

std::optional<std::string> App::session_cookie(const http::Request& req, std::vector<http::Log>* logs) const {
  const std::string* header = req.header("cookie");
  if (!header) return std::nullopt;
  cookie::Lookup found = cookie::find(*header, settings_.cookie_name);
  if (found.over_limit && logs)
    logs->push_back({http::LogLevel::warning, "Cookie header over the size or count limit; starting a fresh session"});
  return std::move(found.value);
}

http::Manifest App::manifest() const {
  http::Manifest m;
  m.request_headers = {"cookie"};
  // What the X-Forwarded-* headers to the origin are made of.
  if (settings_.origin) m.request_headers.insert(m.request_headers.end(), {"cf-connecting-ip", ":scheme", ":authority"});
  // The home page's counts do not depend on the request: the shim starts
  // them before it calls the core, so signed-cookie visits cross once. With
  // ORIGIN, the core is called at once: a logged-in visitor goes straight to
  // the origin without waiting for D1.
  m.prefetch.push_back({"/catalog/", {"GET", "HEAD"}, catalog::count_queries(),
                        backend_ != nullptr || settings_.origin.has_value()});
  m.engine = std::string(config::engine_short_name(settings_.engine));
  m.request_log = settings_.request_log;
  return m;
}

bool App::logged_in(const http::Request& req) const {
  std::optional<std::string> value = session_cookie(req, nullptr);
  if (!value || backend_) return false;
  session::SignedCookieStore store(cookie_signer_);
  session::Policy policy{settings_.cookie_age, settings_.expire_at_browser_close};
  session::Session s(store, value, policy, req.now);
  return s.contains("_auth_user_id");
}

namespace {

// Header values the core derives from the request for the origin: only
// characters a host, an address or a scheme has, so nothing else can be
// smuggled into the forwarded headers.
bool plain_token(const std::string* v, size_t max) {
  if (!v || v->empty() || v->size() > max) return false;
  for (char c : *v)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == ':' || c == '[' || c == ']'))
      return false;
  return true;
}

}  // namespace

std::optional<http::OriginPass> App::to_origin(const http::Request& req) const {
  if (!settings_.origin || over_limits(req)) return std::nullopt;
  std::string_view path = req.path();
#ifdef LL_TEST_VIEWS
  if (path == "/__test__/session") return std::nullopt;
#endif
  // The one page the edge serves: the home page, to anonymous visitors.
  if (path == "/catalog/" && (req.method == "GET" || req.method == "HEAD") && !logged_in(req)) return std::nullopt;
  return origin_pass(req);
}

http::OriginPass App::origin_pass(const http::Request& req) const {
  http::OriginPass pass;
  pass.url = *settings_.origin + req.target;
  pass.timeout_ms = static_cast<uint32_t>(settings_.origin_timeout * 1000);
  // Hop-by-hop headers belong to the visitor's connection, Host to the
  // origin's URL; the X-Forwarded-* a client sent are never passed on.
  pass.remove = {"host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding",
                 "upgrade", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host"};
  const std::string* ip = req.header("cf-connecting-ip");
  if (plain_token(ip, 64)) pass.set.emplace_back("X-Forwarded-For", *ip);
  const std::string* scheme = req.header(":scheme");
  if (scheme && (*scheme == "https" || *scheme == "http")) pass.set.emplace_back("X-Forwarded-Proto", *scheme);
  const std::string* authority = req.header(":authority");
  if (plain_token(authority, 255)) pass.set.emplace_back("X-Forwarded-Host", *authority);
  pass.response_headers = {{"X-Served-By", "origin"}};
  return pass;
}

std::optional<int> App::over_limits(const http::Request& req) const {
  if (req.target.size() > limits_.max_target_bytes) return 414;
  if (req.header_bytes() > limits_.max_header_bytes) return 431;
  return std::nullopt;
}

std::vector<http::Op> App::plan(const http::Request& req, const std::vector<http::Loaded>& loaded) const {
  if (!uses_session(req) || over_limits(req)) return {};
  std::vector<http::Op> ops = session::plan_load(backend_, session_cookie(req, nullptr), loaded, req.now, req.attempt);
  // The home page's counts (normally prefetched: see manifest()) go in the
  // same D1 batch as the session row for the db engine.
  if (req.path() == "/catalog/")
    for (const auto& op : catalog::count_queries())
      if (!http::find_loaded(loaded, op.tag)) ops.push_back(op);
  return ops;
}

http::Response App::scheduled(double now) const {
  http::Response r;
  r.status = 200;
  if (backend_) r.effects = backend_->clear_expired(now);
  if (!r.effects.empty()) r.logs.push_back({http::LogLevel::info, "clearsessions: deleting expired sessions"});
  return r;
}

http::Response App::handle(const http::Request& req, const std::vector<http::Loaded>& loaded) const {
  for (const auto& l : loaded)
    if (l.status == http::LoadStatus::pending) {
      // The caller must wait for every answer first (plan() says so).
      http::Response r = error_response(500);
      r.logs.push_back({http::LogLevel::error, "handle() called with loads still in flight"});
      return r;
    }
  http::Response r = route(req, loaded);
  // HEAD answers as GET would, without the body (Django's conditional
  // response handling; the shim sends no body when there is none).
  if (req.method == "HEAD") r.body.clear();
  return r;
}

http::Response App::route(const http::Request& req, const std::vector<http::Loaded>& loaded) const {
  if (std::optional<int> status = over_limits(req)) return error_response(*status);

  std::string_view path = req.path();
  if (path == "/") return redirect("/catalog/");
  if (path == "/catalog") {
    std::string location = "/catalog/";
    if (!req.query().empty()) location.append("?").append(req.query());
    return redirect(location);
  }
  if (path == "/catalog/") {
    if (req.method != "GET" && req.method != "HEAD") {
      http::Response r = error_response(405);
      r.add_header("Allow", "GET, HEAD");
      return r;
    }
    return with_session(req, loaded, [&](session::Session& s, const http::Request& rq) {
      return index_view(*pages_, s, rq, loaded);
    });
  }
#ifdef LL_TEST_VIEWS
  if (path == "/__test__/session") return with_session(req, loaded, test_views::session_script);
#endif
  return error_response(404);
}

http::Response App::with_session(const http::Request& req, const std::vector<http::Loaded>& loaded,
                                 const ViewFn& view) const {
  std::vector<http::Log> logs;
  std::optional<std::string> cookie_value = session_cookie(req, &logs);
  session::Policy policy{settings_.cookie_age, settings_.expire_at_browser_close};

  std::optional<session::SignedCookieStore> cookie_store;
  std::optional<session::ServerStore> server_store;
  session::Store* store;
  if (!backend_) store = &cookie_store.emplace(cookie_signer_);
  else store = &server_store.emplace(*backend_, store_encoder_, loaded, req.entropy);
  session::Session s(*store, cookie_value, policy, req.now);

  View v = view(s, req);

  if (server_store && server_store->unavailable) {
    // A failed read is not "no session": answering as if it were would
    // overwrite the visitor's data with an empty one. Write nothing.
    http::Response r = effect_failure_response(EffectFailure::store_unavailable);
    r.logs = {{http::LogLevel::error, "session store read failed; answering 503 without writing"}};
    return r;
  }
  if (server_store && req.attempt > 1 && server_store->record_missing) {
    // A re-run after a lost compare-and-set (only updates of a loaded record
    // use one) finds the record gone: deleted by a concurrent request, e.g. a
    // logout. Django's UpdateError: nothing is written.
    return effect_failure_response(EffectFailure::session_interrupted);
  }
  if (cookie_store && cookie_store->load_error)
    logs.push_back({http::LogLevel::info, std::string("session cookie rejected: ") + signing::describe(*cookie_store->load_error)});
  if (cookie_store && cookie_store->load_expired_reason) logs.push_back({http::LogLevel::info, *cookie_store->load_expired_reason});
  if (server_store && server_store->corrupt) logs.push_back({http::LogLevel::warning, *server_store->corrupt});

  middleware::Outcome outcome = middleware::process_response(s, cookie_value.has_value(), v.status, settings_);
  http::Response r;
  // Room for the usual headers at once, not grown header by header.
  r.headers.reserve(12);
  if (outcome.update_error) {
    r = error_response(400);
  } else {
    r.status = v.status;
    r.add_header("Content-Type", v.content_type);
    add_security_headers(r);
    add_served_by_edge(r);
    std::string render_error;
    if (!v.render(outcome, r.body, render_error)) {
      // Nothing of this request is kept: no cookie, no store writes.
      http::Response failed = error_response(500);
      failed.logs = std::move(logs);
      failed.logs.push_back({http::LogLevel::error, render_error});
      return failed;
    }
    for (auto& [name, value] : v.headers) r.add_header(name, value);
  }
  if (!v.log.empty()) logs.push_back({http::LogLevel::error, v.log});
  if (outcome.set_cookie) r.add_header("Set-Cookie", std::move(*outcome.set_cookie));
  if (outcome.vary_cookie) r.add_header("Vary", "Cookie");
  if (outcome.error_log) logs.push_back({http::LogLevel::error, *outcome.error_log});
  // Writes the view made (create, delete) stand whatever the status, as in
  // Django; the middleware above skipped its save for a 5xx.
  if (server_store) r.effects = server_store->effects();
  r.logs = std::move(logs);
  return r;
}

}  // namespace app
