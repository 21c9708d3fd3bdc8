#pragma once
// django.contrib.sessions.backends.signed_cookies: the cookie value is the
// whole session, signed (not encrypted) with SECRET_KEY. Beyond Django, an
// expiry set with set_expiry() is enforced here too (Django ticket #27775).
#include <string>

#include "session/session.h"
#include "signing/signing.h"

namespace session {

inline constexpr std::string_view kSignedCookiesSalt = "django.contrib.sessions.backends.signed_cookies";

class SignedCookieStore final : public Store {
 public:
  explicit SignedCookieStore(const signing::TimestampSigner& signer) : signer_(signer) {}

  Json load(Session& s) override;
  bool exists(std::string_view) override { return false; }
  void create(Session& s) override { s.modified = true; }
  SaveStatus save(Session& s, bool must_create) override;
  void remove(Session& s, std::optional<std::string> key) override;
  void cycle_key(Session& s) override { save(s, false); }

  // Why the last load() came back empty, for logging; nullopt after success.
  std::optional<signing::Error> load_error;
  std::optional<std::string> load_expired_reason;  // set_expiry() deadline passed

 private:
  const signing::TimestampSigner& signer_;
};

}  // namespace session
