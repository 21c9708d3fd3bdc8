// Invariant: any Cookie header bytes either yield a value for the session
// cookie, or none; parsing stops at the size/count limits; never a crash,
// never a read past the input, never unbounded memory.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "http/cookie.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view header(reinterpret_cast<const char*>(data), size);
  cookie::Lookup found = cookie::find(header, "sessionid");
  if (found.value && found.value->size() > header.size()) __builtin_trap();
  if (found.over_limit && found.value) __builtin_trap();
  (void)cookie::unquote(header);
  return 0;
}
