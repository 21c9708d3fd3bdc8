#include "http/envelope.h"

#include <cstring>

namespace envelope {

size_t Symbols::slot_of(std::string_view s) const {
  // FNV-1a over 4-byte words, then folded so that every byte reaches the low
  // bits the mask keeps: a byte at a time was 3 % of the module's time.
  const char* p = s.data();
  size_t n = s.size();
  uint32_t h = 2166136261u ^ static_cast<uint32_t>(n);
  for (; n >= 4; p += 4, n -= 4) {
    uint32_t word;
    std::memcpy(&word, p, 4);
    h = (h ^ word) * 16777619u;
  }
  for (; n > 0; ++p, --n) h = (h ^ static_cast<unsigned char>(*p)) * 16777619u;
  h ^= h >> 16;
  h *= 0x85ebca6bu;
  h ^= h >> 13;
  const size_t mask = slots_.size() - 1;
  size_t i = h & mask;
  while (slots_[i] != 0 && strings_[slots_[i] - 1] != s) i = (i + 1) & mask;
  return i;
}

void Symbols::grow() {
  slots_.assign(slots_.empty() ? 64 : slots_.size() * 2, 0);
  for (size_t n = 0; n < strings_.size(); ++n) slots_[slot_of(strings_[n])] = static_cast<uint32_t>(n + 1);
}

bool Symbols::lookup(std::string_view s, bool bounded, uint32_t& id, bool& first) {
  if ((strings_.size() + 1) * 2 > slots_.size()) grow();
  const size_t slot = slot_of(s);
  first = slots_[slot] == 0;
  if (first) {
    if (bounded && strings_.size() >= kMaxSymbols) return false;
    strings_.emplace_back(s);
    slots_[slot] = static_cast<uint32_t>(strings_.size());
  }
  id = slots_[slot] - 1;
  return true;
}

uint32_t Symbols::id(std::string_view s, bool& first) {
  uint32_t n = 0;
  lookup(s, false, n, first);
  return n;
}

bool Symbols::bounded_id(std::string_view s, uint32_t& id, bool& first) { return lookup(s, true, id, first); }

uint32_t Symbols::literal_id(std::string_view literal, bool& first) {
  const auto address = reinterpret_cast<uintptr_t>(literal.data());
  LiteralEntry& entry = literals_[static_cast<uint32_t>(address * 2654435761u) >> 26];
  if (entry.data == literal.data() && entry.size == literal.size()) {
    first = false;
    return entry.id;
  }
  // Literals are few and fixed: they never reach the bound.
  entry = {literal.data(), literal.size(), id(literal, first)};
  return entry.id;
}

namespace {

class Reader {
 public:
  explicit Reader(std::string_view b) : b_(b) {}
  bool u32(uint32_t& v) {
    if (b_.size() - pos_ < 4) return false;
    const auto* p = reinterpret_cast<const unsigned char*>(b_.data() + pos_);
    v = p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24);
    pos_ += 4;
    return true;
  }
  bool u8(uint8_t& v) {
    if (pos_ >= b_.size()) return false;
    v = static_cast<uint8_t>(b_[pos_++]);
    return true;
  }
  bool f64(double& v) {
    if (b_.size() - pos_ < 8) return false;
    std::memcpy(&v, b_.data() + pos_, 8);  // wasm32 and x86-64 are little-endian
    pos_ += 8;
    return true;
  }
  bool str(std::string& s) {
    uint32_t n;
    if (!u32(n) || b_.size() - pos_ < n) return false;
    s.assign(b_.data() + pos_, n);
    pos_ += n;
    return true;
  }
  bool value(http::SqlValue& v) {
    uint8_t type;
    if (!u8(type)) return false;
    switch (type) {
      case abi::VALUE_NULL: v.type = http::SqlValue::Type::null; return true;
      case abi::VALUE_NUMBER: v.type = http::SqlValue::Type::number; return f64(v.number);
      case abi::VALUE_TEXT: v.type = http::SqlValue::Type::text; return str(v.text);
      case abi::VALUE_BLOB: v.type = http::SqlValue::Type::blob; return str(v.text);
      default: return false;
    }
  }
  size_t remaining() const { return b_.size() - pos_; }
  // The next n bytes (the caller has checked remaining()).
  std::string_view take(size_t n) {
    std::string_view v = b_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  bool done() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

void put_u32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
  out.append(b, 4);
}
void put_f64(std::string& out, double v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.append(b, 8);
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}
void put_symbol(std::string& out, std::string_view s, Symbols& symbols) {
  bool first;
  put_u32(out, symbols.id(s, first));
  if (first) put_str(out, s);
}
// Header names and literal values go as symbols (after the first response,
// a number instead of a string to decode); values built from request or
// session data go as text.
void put_header_text(std::string& out, const http::HeaderText& text, bool is_name, Symbols& symbols) {
  const std::string_view s = text;
  uint32_t id;
  bool first;
  if (text.is_literal()) {
    id = symbols.literal_id(s, first);
  } else if (!is_name || !symbols.bounded_id(s, id, first)) {
    out += '\0';
    put_str(out, s);
    return;
  }
  out += '\1';
  put_u32(out, id);
  if (first) put_str(out, s);
}

void put_value(std::string& out, const http::SqlValue& v) {
  out += static_cast<char>(v.type);
  if (v.type == http::SqlValue::Type::number) put_f64(out, v.number);
  else if (v.type != http::SqlValue::Type::null) put_str(out, v.text);
}

void put_ops(std::string& out, const std::vector<http::Op>& ops, Symbols& symbols) {
  put_u32(out, static_cast<uint32_t>(ops.size()));
  for (const auto& op : ops) {
    out += static_cast<char>(op.kind);
    out += static_cast<char>(op.flags);
    put_u32(out, op.tag);
    put_symbol(out, op.binding, symbols);
    switch (op.kind) {
      case http::OpKind::kv_get:
      case http::OpKind::kv_delete:
      case http::OpKind::do_get:
      case http::OpKind::do_delete: put_str(out, op.key); break;
      case http::OpKind::do_put:
        put_str(out, op.key);
        put_str(out, op.value);
        put_f64(out, op.expire_at);
        put_f64(out, op.version);
        break;
      case http::OpKind::kv_put:
        put_str(out, op.key);
        put_str(out, op.value);
        put_u32(out, static_cast<uint32_t>(op.ttl));
        break;
      case http::OpKind::d1_query:
        put_symbol(out, op.sql, symbols);
        put_u32(out, static_cast<uint32_t>(op.params.size()));
        for (const auto& p : op.params) put_value(out, p);
        break;
    }
  }
}

// Room for the kind and total length, filled in by finish().
void start(std::string& out) {
  out.clear();
  out.append(8, '\0');
}
void finish(std::string& out, uint32_t kind) {
  std::string header;
  put_u32(header, kind);
  put_u32(header, static_cast<uint32_t>(out.size()));
  out.replace(0, 8, header);
}

// Sanity bounds on counts, so a garbled length cannot reserve gigabytes.
constexpr uint32_t kMaxLoaded = 64, kMaxColumns = 256;

}  // namespace

bool decode_request_into(std::string_view bytes, const std::vector<std::string>& header_names, Input& in) {
  Reader r(bytes);
  http::Request& req = in.request;
  req.attempt = 1;
  req.entropy.clear();
  uint32_t n;
  if (!r.f64(req.now) || !r.u32(req.attempt) || req.attempt == 0 || !r.str(req.method) || !r.str(req.target))
    return false;
  // Every field below is overwritten or cleared: what the last request left
  // is only capacity.
  size_t present = 0;
  for (const std::string& name : header_names) {
    uint32_t len;
    if (!r.u32(len)) return false;
    if (len == abi::ABSENT) continue;
    if (r.remaining() < len) return false;
    if (present == req.headers.size()) req.headers.emplace_back();
    auto& [header_name, value] = req.headers[present++];
    header_name.assign(name);
    value.assign(r.take(len));
  }
  req.headers.resize(present);
  if (!r.u32(n) || n > kMaxLoaded) return false;
  in.loaded.resize(n);
  for (auto& l : in.loaded) {
    uint8_t status, kind;
    if (!r.u32(l.tag) || !r.u8(status) || status > abi::LOAD_PENDING || !r.u8(kind)) return false;
    l.status = static_cast<http::LoadStatus>(status);
    l.value.clear();
    l.version = 0;
    if (status == abi::LOAD_PENDING || kind != abi::OP_D1_QUERY) {
      l.rows.columns.clear();
      l.rows.rows.clear();
    }
    if (status == abi::LOAD_PENDING) continue;
    if (kind == abi::OP_KV_GET) {
      if (!r.str(l.value)) return false;
    } else if (kind == abi::OP_DO_GET) {
      if (!r.str(l.value) || !r.f64(l.version)) return false;
    } else if (kind == abi::OP_D1_QUERY) {
      uint32_t columns, rows;
      if (!r.u32(columns) || columns > kMaxColumns) return false;
      l.rows.columns.resize(columns);
      for (auto& c : l.rows.columns)
        if (!r.str(c)) return false;
      // Each cell takes at least one byte: a row count the bytes cannot hold is garbled.
      if (!r.u32(rows) || (columns && rows > r.remaining() / columns)) return false;
      l.rows.rows.resize(rows);
      for (auto& row : l.rows.rows) {
        row.resize(columns);
        for (auto& cell : row)
          if (!r.value(cell)) return false;
      }
    } else {
      return false;
    }
  }
  return r.done();
}

std::optional<Input> decode_request(std::string_view bytes, const std::vector<std::string>& header_names) {
  Input in;
  if (!decode_request_into(bytes, header_names, in)) return std::nullopt;
  return in;
}

void encode_manifest(std::string& out, const http::Manifest& m, Symbols& symbols) {
  start(out);
  put_u32(out, abi::VERSION);
  put_u32(out, static_cast<uint32_t>(m.request_headers.size()));
  for (const auto& name : m.request_headers) put_str(out, name);
  put_u32(out, static_cast<uint32_t>(m.prefetch.size()));
  for (const auto& p : m.prefetch) {
    put_str(out, p.path);
    put_u32(out, static_cast<uint32_t>(p.methods.size()));
    for (const auto& method : p.methods) put_str(out, method);
    put_ops(out, p.loads, symbols);
    out += static_cast<char>(p.call_while_loading ? 1 : 0);
  }
  put_str(out, m.engine);
  out += static_cast<char>(m.request_log ? 1 : 0);
  finish(out, abi::CONFIG_OK);
}

// Out of line: a signed-cookie request never asks for loads, and V8 compiles
// a whole function on its first call (README.md, "Building by hand").
[[gnu::noinline]] void encode_loads(std::string& out, const std::vector<http::Op>& loads, Symbols& symbols) {
  start(out);
  put_ops(out, loads, symbols);
  finish(out, abi::RESULT_LOADS);
}

void encode_response(std::string& out, const http::Response& r, Symbols& symbols) {
  start(out);
  out.reserve(r.body.size() + 512);
  put_u32(out, static_cast<uint32_t>(r.status));
  put_u32(out, static_cast<uint32_t>(r.headers.size()));
  for (const auto& [name, value] : r.headers) {
    put_header_text(out, name, true, symbols);
    put_header_text(out, value, false, symbols);
  }
  put_str(out, r.body);
  put_ops(out, r.effects, symbols);
  put_u32(out, static_cast<uint32_t>(r.logs.size()));
  for (const auto& log : r.logs) {
    out += static_cast<char>(log.level);
    put_str(out, log.message);
  }
  finish(out, abi::RESULT_RESPONSE);
}

void encode_retry(std::string& out, uint32_t max_delay_ms) {
  start(out);
  put_u32(out, max_delay_ms);
  finish(out, abi::RESULT_RETRY);
}

// Out of line, like the other paths a home-page request never takes: V8
// compiles a whole function on its first call (README.md, "Building by hand").
[[gnu::noinline]] void encode_origin(std::string& out, const http::OriginPass& p) {
  start(out);
  put_str(out, p.url);
  put_u32(out, p.timeout_ms);
  put_u32(out, static_cast<uint32_t>(p.remove.size()));
  for (const auto& name : p.remove) put_str(out, name);
  for (const auto* list : {&p.set, &p.response_headers}) {
    put_u32(out, static_cast<uint32_t>(list->size()));
    for (const auto& [k, v] : *list) {
      put_str(out, k);
      put_str(out, v);
    }
  }
  put_u32(out, static_cast<uint32_t>(p.logs.size()));
  for (const auto& log : p.logs) {
    out += static_cast<char>(log.level);
    put_str(out, log.message);
  }
  finish(out, abi::RESULT_ORIGIN);
}

void encode_message(std::string& out, uint32_t kind, std::string_view message) {
  start(out);
  out.append(message);
  finish(out, kind);
}

}  // namespace envelope
