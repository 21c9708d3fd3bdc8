#pragma once
// One interface for the server-side session engines, in the spirit of
// Django's SessionBase subclasses (django/contrib/sessions/backends/*.py:
// load, exists, create, save(must_create), delete, clear_expired) and Remix's
// createSessionStorage: a backend only knows where a record lives and which
// storage operations read and write it. Every session rule (keys, expiry,
// encode()/decode(), coalescing, UpdateError, the size limit) lives once in
// ServerStore and Session. Sans-IO: a backend plans loads, reads records from
// the answers and turns writes into typed operations the shim performs by
// storage type (js-shim/abi.js OP_*), never by engine.
//
// Adding an engine: a file in src/session/backends/ defining a Backend, one
// line in src/session/engines.cpp (or register_engine() from elsewhere), and
// its binding in wrangler.toml. Nothing else changes (tests/native/
// engine_plugin_test.cpp adds one from a test file).
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace session {

// A session record as a backend found it in the loaded answers.
struct Found {
  enum class Status : uint8_t {
    missing,  // no such record (or the store says it expired)
    found,
    failed,   // the read failed or its answer is malformed: never "no session"
  };
  Status status = Status::failed;
  std::string encoded;  // SessionBase.encode() output
  double version = 0;   // the record's version, for stores that keep one (Durable Objects)
  // Read from a slower tier that the backend would like copied into its
  // faster one (cached_db: a D1 hit after a KV miss); see Backend::refill.
  bool refill = false;

  static Found missing() { return {Status::missing, {}, 0, false}; }
  static Found failed() { return {}; }
  static Found found(std::string encoded, double version = 0, bool refill = false) {
    return {Status::found, std::move(encoded), version, refill};
  }
};

// One key's net write at the end of a request (the request's creates, saves
// and deletes coalesced by ServerStore).
struct Write {
  enum class Kind : uint8_t { create, update, remove };
  Kind kind = Kind::update;
  std::string key;
  std::string encoded;     // create, update: SessionBase.encode() output
  double expire_date = 0;  // create, update: get_expiry_date(), Unix seconds
  int64_t expiry_age = 0;  // create, update: get_expiry_age(), seconds (may be <= 0)
  // update: the record as this request loaded it (a compare-and-set's
  // expectation); nullptr when the request never loaded one under this key.
  const Found* loaded = nullptr;
};

class Backend {
 public:
  virtual ~Backend() = default;
  // What to load for a key (already a lookup key), given the answers so
  // far; empty when done. attempt > 1: a re-run after a lost compare-and-set,
  // which must read the authoritative copy.
  virtual std::vector<http::Op> plan_load(const std::string& key, const std::vector<http::Loaded>& loaded,
                                          double now, uint32_t attempt) const = 0;
  // The record for a key from the answers plan_load asked for.
  virtual Found load(const std::string& key, const std::vector<http::Loaded>& loaded) const = 0;
  // The operations that perform one key's write, appended to out.
  virtual void write(const Write& w, std::vector<http::Op>& out) const = 0;
  // A record load() marked `refill`, still valid for ttl seconds.
  virtual void refill(const std::string& key, const std::string& encoded, int64_t ttl,
                      std::vector<http::Op>& out) const {
    (void)key, (void)encoded, (void)ttl, (void)out;
  }
  // clearsessions (the Cron Trigger); none when the store expires records itself.
  virtual std::vector<http::Op> clear_expired(double now) const {
    (void)now;
    return {};
  }
};

// A SESSION_ENGINE: its dotted name and backend (nullptr: signed cookies,
// where the cookie is the store).
struct Engine {
  std::string name;
  const Backend* backend = nullptr;
};

const Engine* find_engine(std::string_view name);
// Every engine, in registration order (for messages and tests).
std::vector<std::string> engine_names();
// Adds an engine (a plug-in, or a test's); false if the name is taken. The
// backend must outlive every App.
bool register_engine(std::string name, const Backend& backend);

}  // namespace session
