#pragma once
// The server-side engines behind one Store: Django's SessionStore rules for
// every backend (src/session/backend.h) that keeps records somewhere (Workers
// KV, D1, Durable Objects). Sans-IO: plan_load() names the records to fetch,
// load() reads them from what the shim fetched, and every write becomes an
// Op the shim performs after the view. Records hold SessionBase.encode()
// output (signed with salt "django.contrib.sessions.SessionStore"), so they
// are integrity-protected and a Django process can decode an export.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "http/message.h"
#include "session/backend.h"
#include "session/session.h"
#include "signing/signing.h"

namespace session {

inline constexpr std::string_view kStoreSalt = "django.contrib.sessions.SessionStore";

// Keys we ever look up: what we mint is 32 of [a-z0-9]; Django's column is
// varchar(40). Anything else is unknown without touching the store.
bool is_lookup_key(std::string_view key);

// The loads a request with this cookie needs, in plan rounds (nothing for
// signed cookies: backend == nullptr).
std::vector<http::Op> plan_load(const Backend* backend, const std::optional<std::string>& cookie_key,
                                const std::vector<http::Loaded>& loaded, double now, uint32_t attempt = 1);

class ServerStore final : public Store {
 public:
  // entropy: CSPRNG bytes for minted keys; empty = draw them from the
  // platform when the first key is minted (no draw for requests that mint none).
  ServerStore(const Backend& backend, const signing::TimestampSigner& encoder, const std::vector<http::Loaded>& loaded,
              std::string_view entropy = {});

  Json load(Session& s) override;
  bool exists(std::string_view key) override;
  void create(Session& s) override;
  SaveStatus save(Session& s, bool must_create) override;
  void remove(Session& s, std::optional<std::string> key) override;

  // The writes this request made, coalesced per key, in first-touched order.
  std::vector<http::Op> effects() const;

  // What a record may hold once decoded: larger saves are refused, so every
  // stored record can be loaded back.
  static constexpr size_t kMaxRecordBytes = 1024 * 1024;

  bool unavailable = false;           // a load failed: answer 503, write nothing
  std::optional<std::string> corrupt;  // a record failed its signature (logged)
  // A lookup key whose record the store did not have (unknown, expired, or
  // deleted): on a re-run after a lost compare-and-set, the record this
  // request had loaded was deleted meanwhile (Django's UpdateError).
  bool record_missing = false;

 private:
  struct Pending {
    bool create = false;   // a new record
    bool deleted = false;
    std::string encoded;
    double expire_date = 0;
    int64_t expiry_age = 0;
  };
  SaveStatus create_and_save(Session& s);
  struct Record {
    Json data;
    double saved_at;
  };
  std::optional<Record> decode_record(const std::string& encoded, double now);
  Pending& pending(const std::string& key);

  const Backend& backend_;
  const signing::TimestampSigner& encoder_;
  const std::vector<http::Loaded>& loaded_;
  std::string entropy_;
  int keys_minted_ = 0;
  std::vector<std::string> order_;
  // The record as loaded (the expectation of a compare-and-set), and its key.
  std::string loaded_key_;
  Found loaded_record_;
  struct Refill {
    std::string key, encoded;
    int64_t ttl;
  };
  std::optional<Refill> refill_;  // a record read from the slower tier, for the faster one
  std::map<std::string, Pending> pending_;
};

}  // namespace session
