#include "http/message.h"

#include <cstdint>
#include <cstring>

namespace http {

std::string_view Request::path() const {
  std::string_view t = target;
  return t.substr(0, t.find('?'));
}

std::string_view Request::query() const {
  std::string_view t = target;
  size_t q = t.find('?');
  return q == std::string_view::npos ? std::string_view() : t.substr(q + 1);
}

const std::string* Request::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (k == name) return &v;
  return nullptr;
}

namespace {
// No header may carry CR, LF or NUL, whatever fed it (configuration, session
// data, the request): a response splitting bug becomes a dropped character.
std::string without_line_breaks(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s)
    if (c != '\r' && c != '\n' && c != '\0') out += c;
  return out;
}

bool has_line_break(std::string_view s) {
  // Eight bytes at a time (a byte at a time it was 2-3 % of the module's
  // time): a word with no byte below 0x0e has none of the three.
  constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
  const char* p = s.data();
  size_t n = s.size();
  for (; n >= 8; p += 8, n -= 8) {
    uint64_t word;
    std::memcpy(&word, p, 8);
    if (((word - kOnes * 0x0e) & ~word & kHighs) != 0) break;  // some byte < 0x0e: look closer
  }
  for (; n > 0; ++p, --n)
    if (*p == '\r' || *p == '\n' || *p == '\0') return true;
  return false;
}

// Literals included: they are the code's own, but the rule has no exceptions.
void clean(HeaderText& text) {
  if (has_line_break(text)) text = HeaderText(without_line_breaks(text));
}
}  // namespace

void Response::add_header(HeaderText name, HeaderText value) {
  headers.push_back({std::move(name), std::move(value)});
  clean(headers.back().name);
  clean(headers.back().value);
}

void Response::add_literals(std::string_view name, std::string_view value) {
  add_header(HeaderText::from_literal(name), HeaderText::from_literal(value));
}

void Response::add_named(std::string_view literal_name, std::string value) {
  add_header(HeaderText::from_literal(literal_name), HeaderText(std::move(value)));
}

size_t Request::header_bytes() const {
  size_t total = 0;
  for (const auto& [k, v] : headers) total += k.size() + v.size() + 4;
  return total;
}

const SqlValue* Rows::cell(size_t row, std::string_view column) const {
  if (row >= rows.size()) return nullptr;
  for (size_t c = 0; c < columns.size() && c < rows[row].size(); ++c)
    if (columns[c] == column) return &rows[row][c];
  return nullptr;
}

Op Op::kv_get(std::string binding, std::string key, LoadTag tag) {
  Op op;
  op.kind = OpKind::kv_get;
  op.binding = std::move(binding);
  op.key = std::move(key);
  op.tag = tag;
  return op;
}

Op Op::kv_put(std::string binding, std::string key, std::string value, int64_t ttl, uint8_t flags) {
  Op op;
  op.kind = OpKind::kv_put;
  op.binding = std::move(binding);
  op.key = std::move(key);
  op.value = std::move(value);
  op.ttl = ttl;
  op.flags = flags;
  return op;
}

Op Op::kv_delete(std::string binding, std::string key) {
  Op op;
  op.kind = OpKind::kv_delete;
  op.binding = std::move(binding);
  op.key = std::move(key);
  return op;
}

Op Op::d1(std::string binding, std::string sql, std::vector<SqlValue> params, uint8_t flags, LoadTag tag) {
  Op op;
  op.kind = OpKind::d1_query;
  op.binding = std::move(binding);
  op.sql = std::move(sql);
  op.params = std::move(params);
  op.flags = flags;
  op.tag = tag;
  return op;
}

const Loaded* find_loaded(const std::vector<Loaded>& loaded, LoadTag tag) {
  for (const auto& l : loaded)
    if (l.tag == tag) return &l;
  return nullptr;
}

Op Op::do_get(std::string binding, std::string key, LoadTag tag) {
  Op op;
  op.kind = OpKind::do_get;
  op.binding = std::move(binding);
  op.key = std::move(key);
  op.tag = tag;
  return op;
}

Op Op::do_put(std::string binding, std::string key, std::string value, double expire_at, double version,
              uint8_t flags) {
  Op op;
  op.kind = OpKind::do_put;
  op.binding = std::move(binding);
  op.key = std::move(key);
  op.value = std::move(value);
  op.expire_at = expire_at;
  op.version = version;
  op.flags = flags;
  return op;
}

Op Op::do_delete(std::string binding, std::string key) {
  Op op;
  op.kind = OpKind::do_delete;
  op.binding = std::move(binding);
  op.key = std::move(key);
  return op;
}

}  // namespace http
