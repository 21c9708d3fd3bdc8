#include "app/app.h"

#include <cmath>
#include <limits>

#include "app/pages.h"
#ifdef LL_TEST_VIEWS
#include "app/test_views.h"
#endif
#include "catalog/catalog.h"
#include "http/cookie.h"
#include "session/middleware.h"
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

http::Response html(int status, std::string body) {
  http::Response r;
  r.status = status;
  r.add_header("Content-Type", "text/html; charset=utf-8");
  add_security_headers(r);
  r.body = std::move(body);
  return r;
}

http::Response redirect(std::string location) {
  http::Response r;
  r.status = 301;
  r.add_header("Content-Type", "text/html; charset=utf-8");
  r.add_header("Location", std::move(location));
  add_security_headers(r);
  return r;
}

// The counter must survive hostile session values (a string, a float, a
// negative or huge number written by another app sharing the key): anything
// that is not a sensible count restarts at zero instead of failing the page.
int64_t visits_so_far(const session::Json& v) {
  if (v.is_number_unsigned()) {
    uint64_t n = *v.get_ptr<const uint64_t*>();
    return n >= static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max() - 1
                                                                           : static_cast<int64_t>(n);
  }
  if (v.is_number_integer()) {
    int64_t n = *v.get_ptr<const int64_t*>();
    return n < 0 ? 0 : n;
  }
  return 0;
}

}  // namespace

namespace {

App::View index_view(session::Session& s, const http::Request&) {
  int64_t visits = visits_so_far(s.get("num_visits", 0));
  if (visits < std::numeric_limits<int64_t>::max()) ++visits;
  s.set("num_visits", visits);
  return {200, [visits](const middleware::Outcome& outcome) {
            pages::IndexContext ctx{catalog::sample_counts(), visits,
                                    outcome.action == middleware::CookieAction::too_large};
            return pages::index(ctx);
          }};
}

}  // namespace

http::Response error_response(int status) { return html(status, pages::error(status)); }

App::App(config::Settings settings)
    : settings_(std::move(settings)),
      cookie_signer_(session::kSignedCookiesSalt, settings_.secret_key, settings_.secret_key_fallbacks) {}

std::unique_ptr<App> App::create(const pyjson::Json& env, config::Error* error) {
  config::Parsed parsed = config::parse(env);
  if (!parsed.settings) {
    if (error) *error = parsed.error;
    return nullptr;
  }
  if (parsed.settings->engine != config::Engine::signed_cookies) {
    if (error) *error = {"SESSION_ENGINE", std::string("engine '") + config::engine_name(parsed.settings->engine) + "' is not available yet; use django.contrib.sessions.backends.signed_cookies"};
    return nullptr;
  }
  return std::unique_ptr<App>(new App(std::move(*parsed.settings)));
}

std::vector<http::Op> App::plan(const http::Request&) const { return {}; }

http::Response App::handle(const http::Request& req, const std::vector<http::Loaded>&) const {
  if (req.target.size() > limits_.max_target_bytes) return error_response(414);
  size_t header_bytes = 0;
  for (const auto& [k, v] : req.headers) header_bytes += k.size() + v.size() + 4;
  if (req.headers.size() > limits_.max_header_count || header_bytes > limits_.max_header_bytes)
    return error_response(431);

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
    http::Response r = with_session(req, index_view);
    if (req.method == "HEAD") r.body.clear();
    return r;
  }
#ifdef LL_TEST_VIEWS
  if (path == "/__test__/session") return with_session(req, test_views::session_script);
#endif
  return error_response(404);
}

http::Response App::with_session(const http::Request& req, const ViewFn& view) const {
  session::SignedCookieStore store(cookie_signer_);
  std::optional<std::string> cookie_value;
  std::vector<http::Log> logs;
  if (const std::string* header = req.header("cookie")) {
    cookie::Lookup found = cookie::find(*header, settings_.cookie_name);
    cookie_value = std::move(found.value);
    if (found.over_limit)
      logs.push_back({http::LogLevel::warning, "Cookie header over the size or count limit; starting a fresh session"});
  }
  session::Policy policy{settings_.cookie_age, settings_.expire_at_browser_close};
  session::Session s(store, cookie_value, policy, req.now);

  View v = view(s, req);

  if (store.load_error)
    logs.push_back({http::LogLevel::info, std::string("session cookie rejected: ") + signing::describe(*store.load_error)});
  if (store.load_expired_reason) logs.push_back({http::LogLevel::info, *store.load_expired_reason});

  middleware::Outcome outcome = middleware::process_response(s, cookie_value.has_value(), v.status, settings_);
  http::Response r;
  if (outcome.update_error) {
    r = error_response(400);
  } else {
    r.status = v.status;
    r.add_header("Content-Type", v.content_type);
    add_security_headers(r);
    r.body = v.render(outcome);
  }
  if (outcome.set_cookie) r.add_header("Set-Cookie", *outcome.set_cookie);
  if (outcome.vary_cookie) r.add_header("Vary", "Cookie");
  if (outcome.error_log) logs.push_back({http::LogLevel::error, *outcome.error_log});
  r.logs = std::move(logs);
  return r;
}


}  // namespace app
