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

#include "wasm/abi.h"

namespace http {

struct Request {
  std::string method;
  std::string target;  // path and query as sent, e.g. "/catalog/?x=1"
  // The headers the core reads (app::App::manifest(); names lower-case): in
  // WASM the shim sends only those.
  std::vector<std::pair<std::string, std::string>> headers;
  double now = 0;           // Unix seconds
  // 1, or which run of this request it is after compare-and-set writes lost
  // races (abi::RESULT_RETRY): the core re-runs the view on the fresh record.
  uint32_t attempt = 1;
  // CSPRNG bytes for the keys this request mints. Empty (always, in
  // production): drawn from platform::random_bytes when a key is minted.
  std::string entropy;

  std::string_view path() const;
  std::string_view query() const;  // without '?'
  const std::string* header(std::string_view lower_name) const;
  size_t header_bytes() const;  // names and values, +4 each
};

// A typed SQL parameter or result cell: what D1 binds and returns.
struct SqlValue {
  enum class Type : uint8_t {
    null = abi::VALUE_NULL,
    number = abi::VALUE_NUMBER,
    text = abi::VALUE_TEXT,
    blob = abi::VALUE_BLOB,
  };
  Type type = Type::null;
  double number = 0;
  std::string text;  // text, or blob bytes

  static SqlValue of(std::string text) { return {Type::text, 0, std::move(text)}; }
  static SqlValue of(double number) { return {Type::number, number, {}}; }
};

// D1's answer to one statement: column names and rows of cells.
struct Rows {
  std::vector<std::string> columns;
  std::vector<std::vector<SqlValue>> rows;
  const SqlValue* cell(size_t row, std::string_view column) const;
};

// Storage operations the core asks the shim for.
enum class OpKind : uint8_t {
  kv_get = abi::OP_KV_GET,
  kv_put = abi::OP_KV_PUT,
  kv_delete = abi::OP_KV_DELETE,
  d1_query = abi::OP_D1_QUERY,
  do_get = abi::OP_DO_GET,
  do_put = abi::OP_DO_PUT,
  do_delete = abi::OP_DO_DELETE,
};
// must_change: a D1 statement must change a row, a KV put needs the key to
//   exist already; otherwise the session was deleted during the request
//   (Django's UpdateError) and the shim asks the core for the 400 page.
// best_effort: a failure is logged, not fatal (cached_db's cache write).
// compare_and_set: a write conditioned on the record as loaded (a D1 UPDATE
//   ... AND session_data = <loaded>, a DO put on the loaded version) that
//   changed nothing lost a race: the shim reports abi::FAILURE_CONFLICT, runs
//   none of the other effects, and the core re-runs the request.
enum OpFlags : uint8_t {
  op_none = 0,
  op_must_change = abi::FLAG_MUST_CHANGE,
  op_best_effort = abi::FLAG_BEST_EFFORT,
  op_compare_and_set = abi::FLAG_COMPARE_AND_SET,
};

// Names what a planned load is for; the shim returns it with the answer.
// Each planner uses tags of its own (catalog::, session::).
using LoadTag = uint32_t;

struct Op {
  OpKind kind = OpKind::kv_get;
  std::string binding;  // the wrangler.toml binding name
  std::string key;      // KV, DO (the object's name)
  std::string value;    // KV put, DO put
  int64_t ttl = 0;      // KV put: expirationTtl (seconds), 0 = none
  double expire_at = 0;  // DO put: Unix seconds; the object's alarm deletes the record then
  double version = 0;    // DO put: the version the record must have (0: must not exist)
  std::string sql;      // D1
  std::vector<SqlValue> params;
  uint8_t flags = op_none;
  LoadTag tag = 0;  // loads only

  static Op kv_get(std::string binding, std::string key, LoadTag tag);
  static Op kv_put(std::string binding, std::string key, std::string value, int64_t ttl, uint8_t flags);
  static Op kv_delete(std::string binding, std::string key);
  static Op d1(std::string binding, std::string sql, std::vector<SqlValue> params, uint8_t flags = op_none,
               LoadTag tag = 0);
  static Op do_get(std::string binding, std::string key, LoadTag tag);
  static Op do_put(std::string binding, std::string key, std::string value, double expire_at, double version,
                   uint8_t flags);
  static Op do_delete(std::string binding, std::string key);
};

enum class LoadStatus : uint8_t {
  ok = abi::LOAD_OK,
  missing = abi::LOAD_MISSING,
  failed = abi::LOAD_FAILED,
  pending = abi::LOAD_PENDING,  // in flight: plan() must not ask again, handle() never sees it
};
// The answer to one planned load.
struct Loaded {
  LoadTag tag = 0;
  LoadStatus status = LoadStatus::missing;
  std::string value;  // KV value, DO record
  Rows rows;          // D1 result
  double version = 0;  // DO record's version (for its compare-and-set)
};
const Loaded* find_loaded(const std::vector<Loaded>& loaded, LoadTag tag);

enum class LogLevel : uint8_t { info = abi::LOG_LEVEL_INFO, warning = abi::LOG_LEVEL_WARNING, error = abi::LOG_LEVEL_ERROR };
struct Log {
  LogLevel level;
  std::string message;
};

// A response header's name or value. The core's own (Content-Type, the
// security headers, Set-Cookie...) are string literals, kept by reference:
// no heap copy per response, and the envelope knows them by address
// (envelope::Symbols). Any other text is owned.
class HeaderText {
 public:
  HeaderText() = default;
  // For string literals only: a char array with shorter-lived storage would
  // be left dangling.
  template <size_t N>
  HeaderText(const char (&literal)[N]) : view_(literal, N - 1) {}  // NOLINT: implicit by design
  HeaderText(std::string text) : owned_(std::move(text)), owns_(true) {}  // NOLINT
  // The same promise: `literal` points into a string literal.
  static HeaderText from_literal(std::string_view literal) {
    HeaderText t;
    t.view_ = literal;
    return t;
  }
  std::string_view view() const { return owns_ ? std::string_view(owned_) : view_; }
  operator std::string_view() const { return view(); }  // NOLINT
  bool is_literal() const { return !owns_; }
  friend bool operator==(const HeaderText& a, std::string_view b) { return a.view() == b; }
  friend bool operator!=(const HeaderText& a, std::string_view b) { return a.view() != b; }

 private:
  std::string_view view_;
  std::string owned_;
  bool owns_ = false;
};

struct Header {
  HeaderText name, value;
};

struct Response {
  int status = 200;
  std::vector<Header> headers;
  std::string body;
  std::vector<Op> effects;
  std::vector<Log> logs;

  // CR, LF and NUL are dropped (the text is then owned).
  void add_header(HeaderText name, HeaderText value);
  // The common cases, without HeaderText temporaries at every call site.
  template <size_t N, size_t M>
  void add_header(const char (&name)[N], const char (&value)[M]) {
    add_literals(std::string_view(name, N - 1), std::string_view(value, M - 1));
  }
  template <size_t N>
  void add_header(const char (&name)[N], std::string value) {
    add_named(std::string_view(name, N - 1), std::move(value));
  }

 private:
  void add_literals(std::string_view name, std::string_view value);
  void add_named(std::string_view literal_name, std::string value);
};

// What the core tells the shim once per isolate (app::App::manifest()).
struct Prefetch {
  std::string path;                  // exact request path
  std::vector<std::string> methods;  // request methods it applies to
  std::vector<Op> loads;
  // false: the core needs nothing else for such a request, so the shim waits
  // for these answers and calls in once. true: it may need more loads (a
  // session record), so the shim calls in at once with these marked pending
  // and runs whatever else is asked for alongside them.
  bool call_while_loading = false;
};
struct Manifest {
  // Lower-case names. Two pseudo-headers come from the request's URL, not its
  // headers: ":scheme" ("https") and ":authority" ("host[:port]").
  std::vector<std::string> request_headers;
  std::vector<Prefetch> prefetch;
  std::string engine;  // the session engine's short name, for the shim's log line
  bool request_log = false;  // REQUEST_LOG: whether the shim writes that line
};

// A request the core hands to the origin (the ORIGIN setting): the shim sends
// it to `url` with the same method and body, its headers minus `remove` and
// with `set` applied, without following redirects, and streams the answer
// back with `response_headers` added. No session is read or written for it.
// If the origin cannot be reached, or sends no response headers within
// `timeout_ms`, the shim asks the core for the error page instead
// (abi::FAILURE_ORIGIN_UNREACHABLE / _TIMEOUT).
struct OriginPass {
  std::string url;  // the origin's base URL + the request's target
  std::vector<std::string> remove;
  std::vector<std::pair<std::string, std::string>> set;
  std::vector<std::pair<std::string, std::string>> response_headers;
  uint32_t timeout_ms = 30000;
  std::vector<Log> logs;
};

}  // namespace http
