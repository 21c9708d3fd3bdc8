#pragma once
// SessionMiddleware.process_response (Django 5.2): when to save, set, refresh
// or delete the cookie, and when to add Vary: Cookie. Plus the size guard
// Django lacks: a cookie a browser would drop is never sent.
#include <optional>
#include <string>
#include <vector>

#include "config/settings.h"
#include "session/session.h"

namespace middleware {

enum class CookieAction { none, set, deleted, too_large };

struct Outcome {
  CookieAction action = CookieAction::none;
  std::optional<std::string> set_cookie;  // the Set-Cookie header value
  bool vary_cookie = false;
  bool update_error = false;  // SessionInterrupted: answer 400
  std::optional<std::string> error_log;
};

// request_had_cookie: SESSION_COOKIE_NAME was present in the request's cookies.
Outcome process_response(session::Session& s, bool request_had_cookie, int status, const config::Settings& settings);

// The deletion header, exactly as HttpResponse.delete_cookie writes it.
std::string deletion_header(const config::Settings& settings);

}  // namespace middleware
