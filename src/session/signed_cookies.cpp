#include "session/signed_cookies.h"

#include <cmath>

namespace session {

Json SignedCookieStore::load(Session& s) {
  load_error.reset();
  load_expired_reason.reset();
  auto result = signer_.unsign_object(*s.session_key(), s.now(), s.get_session_cookie_age());
  if (!result.ok()) {
    load_error = result.error;
    create(s);
    return Json::object();
  }
  Json& data = result.value->object;
  // Server-side expiry: the cookie's timestamp is its last save, which is the
  // "modification" time Django's get_expiry_age measures inactivity from.
  auto expiry = data.find(kExpiryKey);
  if (expiry != data.end()) {
    double saved_at = static_cast<double>(result.value->timestamp);
    double deadline = s.get_expiry_date(saved_at, *expiry);
    bool browser_session = expiry->is_number_integer() && *expiry == Json(0);
    if (!browser_session && s.now() > deadline) {
      load_expired_reason = "session expired by set_expiry()";
      create(s);
      return Json::object();
    }
  }
  return std::move(data);
}

SaveStatus SignedCookieStore::save(Session& s, bool) {
  set_session_key(s, signer_.sign_object(s.data(), static_cast<int64_t>(std::floor(s.now()))));
  s.modified = true;
  return SaveStatus::ok;
}

void SignedCookieStore::remove(Session& s, std::optional<std::string>) {
  set_session_key(s, std::nullopt);
  set_cache(s, Json::object());
  s.modified = true;
}

}  // namespace session
