// Invariant: any bytes presented as a signed value decode to a JSON object or
// to one of signing::Error; a correctly signed value with hostile contents
// (bad base64, a zip bomb, deep or broken JSON) too. Decompression stays
// under the cap. Never a crash or an abort.
#include <cstddef>
#include <cstdint>
#include <string>

#include "signing/signing.h"
#include "util/encoding.h"
#include "util/pyjson.h"

namespace {
const signing::TimestampSigner& signer() {
  static const signing::TimestampSigner s("django.contrib.sessions.backends.signed_cookies", "fuzz-secret",
                                          {"old-fuzz-secret"}, signing::Limits{16 * 1024, 300});
  return s;
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  const double now = 1700000000;
  auto as_token = signer().unsign_object(input, now, 1209600);
  if (as_token.ok() && !as_token.value->object.is_object()) __builtin_trap();

  // The same bytes as a payload behind a valid signature: reaches base64,
  // zlib and JSON. Half the time marked compressed.
  std::string value = (size % 2 ? "." : "") + input + ":1r31eq";
  auto signed_payload = signer().unsign_object(value + ":" + signer().signature(value), now, 1209600);
  if (signed_payload.ok()) {
    std::string again = pyjson::dumps(signed_payload.value->object);  // must re-serialize
    (void)again;
  }
  // And the raw bytes as JSON, the way Django reads them (latin-1).
  if (auto parsed = pyjson::loads_latin1(input)) (void)pyjson::dumps(*parsed);
  (void)encoding::b64url_decode(input);
  (void)encoding::b62_decode(input);
  return 0;
}
