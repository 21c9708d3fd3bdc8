#include "http/envelope.h"

#include <cstring>

namespace envelope {
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
  bool done() const { return pos_ == b_.size(); }

 private:
  std::string_view b_;
  size_t pos_ = 0;
};

void put_u32(std::string& out, uint32_t v) {
  char b[4] = {static_cast<char>(v), static_cast<char>(v >> 8), static_cast<char>(v >> 16), static_cast<char>(v >> 24)};
  out.append(b, 4);
}
void put_str(std::string& out, std::string_view s) {
  put_u32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

constexpr uint32_t kVersion = 1;

}  // namespace

std::optional<Input> decode_input(std::string_view bytes) {
  Reader r(bytes);
  Input in;
  uint32_t version, n;
  if (!r.u32(version) || version != kVersion) return std::nullopt;
  if (!r.str(in.request.method) || !r.str(in.request.target) || !r.u32(n)) return std::nullopt;
  if (n > 4096) return std::nullopt;
  in.request.headers.resize(n);
  for (auto& [name, value] : in.request.headers)
    if (!r.str(name) || !r.str(value)) return std::nullopt;
  if (!r.f64(in.request.now) || !r.str(in.request.entropy) || !r.u32(n) || n > 64) return std::nullopt;
  in.loaded.resize(n);
  for (auto& l : in.loaded) {
    uint8_t kind, status;
    if (!r.u8(kind) || kind < 1 || kind > 4 || !r.str(l.binding) || !r.str(l.key) || !r.u8(status) || status > 2 ||
        !r.str(l.value))
      return std::nullopt;
    l.kind = static_cast<http::OpKind>(kind);
    l.status = static_cast<http::LoadStatus>(status);
  }
  if (!r.done()) return std::nullopt;
  return in;
}

namespace {
void put_ops(std::string& out, const std::vector<http::Op>& ops) {
  put_u32(out, static_cast<uint32_t>(ops.size()));
  for (const auto& op : ops) {
    out += static_cast<char>(op.kind);
    put_str(out, op.binding);
    put_str(out, op.key);
    put_str(out, op.value);
    put_u32(out, static_cast<uint32_t>(op.ttl));
    out += static_cast<char>(op.flags);
  }
}
}  // namespace

std::string encode_plan(const std::vector<http::Op>& loads) {
  std::string out;
  put_ops(out, loads);
  return out;
}

std::string encode_response(const http::Response& r) {
  std::string out;
  out.reserve(r.body.size() + 512);
  put_u32(out, static_cast<uint32_t>(r.status));
  put_u32(out, static_cast<uint32_t>(r.headers.size()));
  for (const auto& [k, v] : r.headers) {
    put_str(out, k);
    put_str(out, v);
  }
  put_str(out, r.body);
  put_ops(out, r.effects);
  put_u32(out, static_cast<uint32_t>(r.logs.size()));
  for (const auto& log : r.logs) {
    out += static_cast<char>(log.level);
    put_str(out, log.message);
  }
  return out;
}

}  // namespace envelope
