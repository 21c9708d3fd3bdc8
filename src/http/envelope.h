#pragma once
// The byte format between the JS shim (js-shim/core.js) and the core; the
// constants both use come from js-shim/abi.js. Little-endian; u32 lengths;
// a string is its length and bytes. Binding names and SQL are sent once per
// instance and then by number (Symbols). Decoding is bounds-checked: a short
// or garbled envelope is an error, not a read past the buffer.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace envelope {

// Strings the shim learns once per instance and caches by number: the first
// time a string is sent its number is the shim's table size and the text
// follows; afterwards only the number.
class Symbols {
 public:
  // The string's number, and whether this is its first appearance.
  uint32_t id(std::string_view s, bool& first);
  // The same, bounded, for strings the request may choose: false (nothing
  // added) when `s` is new and the table holds kMaxSymbols already, so no
  // input can grow it without limit.
  bool bounded_id(std::string_view s, uint32_t& id, bool& first);
  // The same for a string literal of the program (http::HeaderText), known
  // by its address after the first time: no hashing, no comparison.
  uint32_t literal_id(std::string_view literal, bool& first);
  static constexpr size_t kMaxSymbols = 4096;

 private:
  struct LiteralEntry {
    const char* data = nullptr;
    size_t size = 0;
    uint32_t id = 0;
  };
  // Direct-mapped by address: a program has a few dozen header literals.
  LiteralEntry literals_[64];
  // The slot that holds `s`, or the empty slot where it would go.
  size_t slot_of(std::string_view s) const;
  bool lookup(std::string_view s, bool bounded, uint32_t& id, bool& first);
  void grow();
  // Open addressing on FNV-1a hashes, at most half full: every response
  // looks each header name and constant value up, and as a tree of strings
  // that was ~9 % of the module's time per request.
  std::vector<std::string> strings_;  // by number
  std::vector<uint32_t> slots_;       // number + 1; 0 is empty; a power of two long
};

struct Input {
  http::Request request;
  std::vector<http::Loaded> loaded;
};

// A request as the shim sends it (now, attempt, method, target): the values of `header_names` (the
// manifest's request headers, in order), then the answers so far.
std::optional<Input> decode_request(std::string_view bytes, const std::vector<std::string>& header_names);
// The same into an Input reused from request to request (the module keeps
// one), so that its strings and vectors keep their capacity; false if the
// bytes are malformed (`in` then holds garbage, not a request).
bool decode_request_into(std::string_view bytes, const std::vector<std::string>& header_names, Input& in);

// Every output starts with its abi::RESULT_* kind and its total length.
void encode_manifest(std::string& out, const http::Manifest& manifest, Symbols& symbols);
void encode_loads(std::string& out, const std::vector<http::Op>& loads, Symbols& symbols);
void encode_response(std::string& out, const http::Response& response, Symbols& symbols);
// Run the request again (a compare-and-set lost a race) after a random pause
// shorter than max_delay_ms.
void encode_retry(std::string& out, uint32_t max_delay_ms);
void encode_origin(std::string& out, const http::OriginPass& pass);
// A header of this kind followed by the message bytes (configuration errors).
void encode_message(std::string& out, uint32_t kind, std::string_view message);

}  // namespace envelope
