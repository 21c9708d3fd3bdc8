#pragma once
// The request the core sees and the response plus storage effects it returns.
// Nothing here does I/O: the shim performs the loads a plan asks for and the
// effects a response carries.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace http {

struct Request {
  std::string method;
  std::string target;  // path and query as sent, e.g. "/catalog/?x=1"
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-case
  double now = 0;        // Unix seconds
  std::string entropy;   // CSPRNG bytes for this request

  std::string_view path() const;
  std::string_view query() const;  // without '?'
  const std::string* header(std::string_view lower_name) const;
};

// Storage operations the core asks the shim for.
enum class OpKind : uint8_t { kv_get = 1, kv_put = 2, kv_delete = 3, d1_query = 4 };
// must_change: a D1 statement must change a row, a KV put needs the key to
//   exist already; otherwise the session was deleted during the request
//   (Django's UpdateError) and the shim asks the core for the 400 page.
// best_effort: a failure is logged, not fatal (cached_db's cache write).
enum OpFlags : uint8_t { op_none = 0, op_must_change = 1, op_best_effort = 2 };
struct Op {
  OpKind kind;
  std::string binding;  // the wrangler.toml binding name
  std::string key;      // KV key, or SQL
  std::string value;    // KV value, or JSON array of SQL parameters
  int64_t ttl = 0;      // KV expirationTtl (seconds), 0 = none
  uint8_t flags = op_none;
};

enum class LoadStatus : uint8_t { ok = 0, missing = 1, failed = 2 };
// The answer to one planned load; it names the op it answers so the core can
// match answers to questions however the plan rounds went.
struct Loaded {
  OpKind kind = OpKind::kv_get;
  std::string binding;
  std::string key;
  LoadStatus status = LoadStatus::missing;
  std::string value;  // KV value, or D1 result rows as a JSON array
};
const Loaded* find_loaded(const std::vector<Loaded>& loaded, std::string_view binding, std::string_view key);

enum class LogLevel : uint8_t { info = 0, warning = 1, error = 2 };
struct Log {
  LogLevel level;
  std::string message;
};

struct Response {
  int status = 200;
  std::vector<std::pair<std::string, std::string>> headers;
  std::string body;
  std::vector<Op> effects;
  std::vector<Log> logs;

  void add_header(std::string name, std::string value);
};

}  // namespace http
