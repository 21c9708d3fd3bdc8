#include "session/middleware.h"

#include <cmath>

#include "http/cookie.h"
#include "session/server_store.h"

namespace middleware {

std::string deletion_header(const config::Settings& st) {
  cookie::SetCookie c;
  c.name = st.cookie_name;
  c.max_age = 0;
  c.expires = "Thu, 01 Jan 1970 00:00:00 GMT";
  c.path = st.cookie_path;
  c.domain = st.cookie_domain;
  c.same_site = st.cookie_samesite;
  // HttpResponse.delete_cookie: Secure only for the prefixed names and
  // SameSite=None, not for SESSION_COOKIE_SECURE.
  c.secure = st.cookie_name.rfind("__Secure-", 0) == 0 ||
             st.cookie_name.rfind("__Host-", 0) == 0 || st.cookie_samesite == cookie::SameSite::none;
  return cookie::format(c);
}

Outcome process_response(session::Session& s, bool request_had_cookie, int status, const config::Settings& st) {
  Outcome out;
  bool accessed = s.accessed;
  bool modified = s.modified;
  bool empty = s.is_empty();
  if (request_had_cookie && empty) {
    out.action = CookieAction::deleted;
    out.set_cookie = deletion_header(st);
    out.vary_cookie = true;
    return out;
  }
  out.vary_cookie = accessed;
  if (!(modified || st.save_every_request) || empty) return out;

  std::optional<int64_t> max_age;
  std::optional<std::string> expires;
  if (!s.get_expire_at_browser_close()) {
    max_age = s.get_expiry_age();
    expires = cookie::http_date(static_cast<int64_t>(std::floor(s.now())) + *max_age);
  }
  if (status >= 500) return out;

  switch (s.save()) {
    case session::SaveStatus::ok: break;
    case session::SaveStatus::update_error: out.update_error = true; return out;
    case session::SaveStatus::too_large:
      out.action = CookieAction::too_large;
      out.error_log = "session not saved: its data is over the store's " +
                      std::to_string(session::ServerStore::kMaxRecordBytes) + "-byte limit; the stored session is unchanged";
      return out;
  }
  cookie::SetCookie c;
  c.name = st.cookie_name;
  c.value = s.session_key().value_or("");
  c.max_age = max_age;
  c.expires = expires;
  c.domain = st.cookie_domain;
  c.path = st.cookie_path;
  c.secure = st.cookie_secure;
  c.http_only = st.cookie_httponly;
  c.same_site = st.cookie_samesite;
  if (auto problem = cookie::check_browser_limits(c)) {
    out.action = CookieAction::too_large;
    out.error_log = "session cookie '" + st.cookie_name + "' not sent: name+value is " +
                    std::to_string(problem->name_value_bytes) +
                    " bytes (browsers drop cookies over 4096); the previous cookie stays in place";
    return out;
  }
  out.action = CookieAction::set;
  out.set_cookie = cookie::format(c);
  return out;
}

}  // namespace middleware
