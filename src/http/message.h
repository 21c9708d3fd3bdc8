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
struct Op {
  OpKind kind;
  std::string binding;  // the wrangler.toml binding name
  std::string key;      // KV key, or SQL
  std::string value;    // KV value, or JSON array of SQL parameters
  int64_t ttl = 0;      // KV expirationTtl (seconds), 0 = none
};

enum class LoadStatus : uint8_t { ok = 0, missing = 1, failed = 2 };
struct Loaded {
  LoadStatus status = LoadStatus::missing;
  std::string value;  // KV value, or D1 results as JSON
};

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

const char* reason_phrase(int status);

}  // namespace http
