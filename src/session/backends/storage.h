#pragma once
// What the Workers KV and D1 engines (cache, db, cached_db) share: where a
// record lives in each store, how it is read from the answers and written.
// Like Django's cached_db reusing db's SessionStore, the backends compose
// these; nothing here knows an engine.
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"
#include "session/backend.h"

namespace session {

// The load tags of a session's record: its cache entry and its row.
inline constexpr http::LoadTag kKvRecordTag = 0x200;
inline constexpr http::LoadTag kD1RecordTag = 0x201;
inline constexpr std::string_view kCachePrefix = "django.contrib.sessions.cache";
inline constexpr std::string_view kCachedDbPrefix = "django.contrib.sessions.cached_db";
inline constexpr int64_t kKvMinTtl = 60;

// Django's SQLite datetime text, "YYYY-MM-DD HH:MM:SS.ffffff" (UTC): ordered as text.
std::string d1_datetime(double unix_seconds);

namespace kv {
// The cache entry's name, as Django's cache backends key it.
std::string key(std::string_view prefix, std::string_view session_key);
http::Op get(std::string_view prefix, std::string_view session_key);
// The answer to get(): a value, a clean miss, or failed (also when absent).
Found load(const std::vector<http::Loaded>& loaded);
// A put with expirationTtl = expiry_age clamped to KV's 60 s minimum (the
// record's own expiry, checked on read, keeps a shorter lifetime exact), or
// a delete when the record has already expired.
void write(std::string_view prefix, const Write& w, uint8_t put_flags, std::vector<http::Op>& out);
}  // namespace kv

namespace d1 {
// SELECT session_data ... WHERE session_key = ?1 AND expire_date > ?2
http::Op select(std::string_view session_key, double now);
Found load(const std::vector<http::Loaded>& loaded);
// INSERT for a create, DELETE for a remove; an update is a compare-and-set
// on the row as loaded (UPDATE ... WHERE session_key = ?1 AND session_data =
// ?4), Django's schema unchanged.
void write(const Write& w, std::vector<http::Op>& out);
http::Op clear_expired(double now);
}  // namespace d1

}  // namespace session
