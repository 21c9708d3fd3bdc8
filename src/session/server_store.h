#pragma once
// The server-side engines, Django's cache, db and cached_db backends on
// Workers KV and D1. Sans-IO: plan_load() names the records to fetch, load()
// reads them from what the shim fetched, and every write becomes an Op the
// shim performs after the view. Records hold SessionBase.encode() output
// (signed with salt "django.contrib.sessions.SessionStore"), so they are
// integrity-protected and a Django process can decode a D1 export.
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/bindings.h"
#include "config/settings.h"
#include "http/message.h"
#include "session/session.h"
#include "signing/signing.h"

namespace session {

inline constexpr std::string_view kStoreSalt = "django.contrib.sessions.SessionStore";
// The load tags of a session's record: its cache entry and its row.
inline constexpr http::LoadTag kKvRecordTag = 0x200;
inline constexpr http::LoadTag kD1RecordTag = 0x201;
inline constexpr std::string_view kCachePrefix = "django.contrib.sessions.cache";
inline constexpr std::string_view kCachedDbPrefix = "django.contrib.sessions.cached_db";
inline constexpr int64_t kKvMinTtl = 60;

// Keys we ever look up: what we mint is 32 of [a-z0-9]; Django's column is
// varchar(40). Anything else is unknown without touching the store.
bool is_lookup_key(std::string_view key);

// The loads a request with this cookie needs, in plan rounds: cached_db asks
// D1 only after KV missed.
std::vector<http::Op> plan_load(config::Engine engine, const std::optional<std::string>& cookie_key,
                                const std::vector<http::Loaded>& loaded, double now);

// The statement the cron trigger runs: clearsessions for D1.
http::Op clear_expired_op(double now);

// Django's SQLite datetime text, "YYYY-MM-DD HH:MM:SS.ffffff" (UTC): ordered as text.
std::string d1_datetime(double unix_seconds);

class ServerStore final : public Store {
 public:
  // entropy: CSPRNG bytes for minted keys; empty = draw them from the
  // platform when the first key is minted (no draw for requests that mint none).
  ServerStore(config::Engine engine, const signing::TimestampSigner& encoder, const std::vector<http::Loaded>& loaded,
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

 private:
  struct Pending {
    bool create = false;   // INSERT / new KV record
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

  config::Engine engine_;
  const signing::TimestampSigner& encoder_;
  const std::vector<http::Loaded>& loaded_;
  std::string entropy_;
  int keys_minted_ = 0;
  std::vector<std::string> order_;
  struct Backfill {
    std::string kv_key, encoded;
    int64_t ttl;
  };
  std::optional<Backfill> backfill_;  // cached_db: what D1 had, for the cache
  std::map<std::string, Pending> pending_;
};

}  // namespace session
