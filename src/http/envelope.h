#pragma once
// The byte format between the JS shim and the core (js-shim/envelope.js is the
// other half). Little-endian u32 lengths; strings are length + bytes. Decoding
// is bounds-checked: a short or garbled envelope is an error, not a read past
// the buffer.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/message.h"

namespace envelope {

struct Input {
  http::Request request;
  std::vector<http::Loaded> loaded;
};

std::optional<Input> decode_input(std::string_view bytes);
std::string encode_plan(const std::vector<http::Op>& loads);
std::string encode_response(const http::Response& response);

}  // namespace envelope
