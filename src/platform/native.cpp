// Native platform services for doctest, tools, fuzzing and benchmarks: zlib
// (the system's, as CPython uses) with the streams set up once and reset per
// call (initialising a deflate stream costs far more than compressing a
// session), and the kernel's CSPRNG. SHA-256/HMAC: platform/crypto.cpp.
#include <zlib.h>

#include <sys/random.h>

#include <cstdlib>

#include "platform/platform.h"

namespace platform {
namespace {
struct Streams {
  z_stream deflater{};
  z_stream inflater{};
  Streams() {
    deflateInit(&deflater, Z_DEFAULT_COMPRESSION);
    inflateInit(&inflater);
  }
  ~Streams() {
    deflateEnd(&deflater);
    inflateEnd(&inflater);
  }
};
Streams& streams() {
  thread_local Streams s;
  return s;
}
}  // namespace

void random_bytes(uint8_t* out, size_t n) {
  while (n > 0) {
    ssize_t got = getrandom(out, n, 0);
    if (got < 0) std::abort();  // no entropy is not a state to mint keys in
    out += got;
    n -= static_cast<size_t>(got);
  }
}

std::string zlib_compress(std::string_view data) {
  z_stream& zs = streams().deflater;
  deflateReset(&zs);
  std::string out(deflateBound(&zs, static_cast<uLong>(data.size())), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  if (deflate(&zs, Z_FINISH) != Z_STREAM_END) return {};
  out.resize(out.size() - zs.avail_out);
  return out;
}

InflateStatus zlib_decompress(std::string_view data, size_t max_output, std::string& out) {
  z_stream& zs = streams().inflater;
  inflateReset(&zs);
  out.assign(max_output + 1, '\0');  // one spare byte tells "exactly max" from "more"
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  zs.avail_in = static_cast<uInt>(data.size());
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = static_cast<uInt>(out.size());
  int rc = inflate(&zs, Z_FINISH);
  size_t produced = out.size() - zs.avail_out;
  bool trailing = zs.avail_in != 0;
  if (rc == Z_STREAM_END && !trailing) {
    if (produced > max_output) return InflateStatus::too_large;
    out.resize(produced);
    return InflateStatus::ok;
  }
  out.clear();
  if (produced > max_output) return InflateStatus::too_large;
  return InflateStatus::corrupt;
}

}  // namespace platform
