#include <doctest/doctest.h>

#include "signing/signing.h"
#include "util/encoding.h"

using signing::TimestampSigner;
using Json = pyjson::Json;

namespace {
constexpr const char* kSecret = "django-insecure-example-key";
constexpr const char* kCookieSalt = "django.contrib.sessions.backends.signed_cookies";
constexpr int64_t kNow = 1700000000;
}  // namespace

TEST_CASE("base62 matches Django's b62_encode") {
  CHECK(encoding::b62_encode(0) == "0");
  CHECK(encoding::b62_encode(1) == "1");
  CHECK(encoding::b62_encode(61) == "z");
  CHECK(encoding::b62_encode(62) == "10");
  CHECK(encoding::b62_encode(123456789) == "8M0kX");
  CHECK(encoding::b62_encode(1234567890) == "1LY7VK");
  CHECK(encoding::b62_encode(1700000000) == "1r31eq");
  CHECK(encoding::b62_encode(-62) == "-10");
  for (int64_t v = -100; v < 100; ++v) CHECK(encoding::b62_decode(encoding::b62_encode(v)) == v);
  CHECK(encoding::b62_decode(encoding::b62_encode(10000000000LL)) == 10000000000LL);
  CHECK(encoding::b62_decode(encoding::b62_encode(-10000000000LL)) == -10000000000LL);
}

TEST_CASE("base62 rejects what is not a number") {
  CHECK_FALSE(encoding::b62_decode(""));
  CHECK_FALSE(encoding::b62_decode("-"));
  CHECK_FALSE(encoding::b62_decode("1r3!eq"));
  CHECK_FALSE(encoding::b62_decode("zzzzzzzzzzzz"));  // overflow
}

TEST_CASE("base64url round-trips and rejects non-canonical text") {
  CHECK(encoding::b64url_encode("{\"num_visits\":1}") == "eyJudW1fdmlzaXRzIjoxfQ");
  CHECK(encoding::b64url_decode("eyJudW1fdmlzaXRzIjoxfQ") == std::string("{\"num_visits\":1}"));
  for (int n = 0; n < 20; ++n) {
    std::string bytes;
    for (int i = 0; i < n; ++i) bytes += static_cast<char>(i * 37 + 250);
    CHECK(encoding::b64url_decode(encoding::b64url_encode(bytes)) == bytes);
  }
  CHECK_FALSE(encoding::b64url_decode("e30="));    // padding is never emitted
  CHECK_FALSE(encoding::b64url_decode("e3+0"));    // standard alphabet
  CHECK_FALSE(encoding::b64url_decode("e"));       // impossible length
  CHECK_FALSE(encoding::b64url_decode("e31"));     // non-zero trailing bits
}

// Produced by Django 3.2.25 (Debian's python3-django) at time 1700000000:
//   signing.dumps(data, salt="django.contrib.sessions.backends.signed_cookies",
//                 compress=True, serializer=signing.JSONSerializer)
// with SECRET_KEY "django-insecure-example-key" (django/core/signing.py, dumps;
// the same call signed_cookies.SessionStore._get_session_key makes).
TEST_CASE("signing vectors from Django's signing.dumps are byte-exact") {
  TimestampSigner s(kCookieSalt, kSecret, {});
  CHECK(s.sign_object(Json{{"num_visits", 1}}, kNow) ==
        "eyJudW1fdmlzaXRzIjoxfQ:1r31eq:1PPFpxns0uWboT8URB5Awk7AokgXsYeDvo5PZT3NI44");
  CHECK(s.sign_object(Json{{"num_visits", 2}}, kNow) ==
        "eyJudW1fdmlzaXRzIjoyfQ:1r31eq:VNSj-TaXzsLMC6ar5t-I0D3Xms-NaGtH-bxvYbGWoJc");
  CHECK(s.sign_object(Json::object(), kNow) == "e30:1r31eq:vYaji0ex_e36_GQ8RO9ZyhNopZ0Nc_3LG5UbPS9QWRc");
  CHECK(s.sign_object(Json{{"a", 1}}, kNow) == "eyJhIjoxfQ:1r31eq:uxJ5c__IqrwBg-sUrvR-SfcsoQbOOR0CszRjiUVVOtk");
  Json compressible = Json::object();
  compressible["num_visits"] = 3;
  compressible["note"] = std::string(120, 'x');
  CHECK(s.sign_object(compressible, kNow) ==
        ".eJyrVsorzY0vyyzOLClWsjLWUcrLL0lVslKqGCCgVAsA-pdA3w:1r31eq:BjAHSVK3SU9Ot6jqvyoJfrTOZw0qF_NMZ3TwuAMEGdg");
}

TEST_CASE("server-side encode() uses the SessionStore salt") {
  TimestampSigner s("django.contrib.sessions.SessionStore", kSecret, {});
  CHECK(s.sign_object(Json{{"num_visits", 1}}, kNow) ==
        "eyJudW1fdmlzaXRzIjoxfQ:1r31eq:_-PedWzrjsUyTsFgvXE1qqSpi5bYcTGwiV8pxU77Pl8");
}

TEST_CASE("Django's own signer vectors") {
  CHECK(TimestampSigner("django.core.signing.Signer", "predictable-secret", {}).signature("foo") == "jZQoX_FtSO70jX9HLRGg2A_2s4kdDBxz1QoO_OpEQb0");
  // tests/signing: Signer(key=b"\xe7").sign("foo"), default salt "django.core.signing.Signer"
  TimestampSigner nonascii("django.core.signing.Signer", "\xe7", {});
  CHECK(nonascii.signature("foo") == "EE4qGC5MEKyQG5msxYA0sBohAxLC0BJf8uRhemh0BGU");
}

TEST_CASE("unsign accepts valid tokens and reports the data") {
  TimestampSigner s(kCookieSalt, kSecret, {});
  auto r = s.unsign_object("eyJudW1fdmlzaXRzIjoxfQ:1r31eq:1PPFpxns0uWboT8URB5Awk7AokgXsYeDvo5PZT3NI44", kNow, 1209600);
  REQUIRE(r.ok());
  CHECK(r.value->object == Json{{"num_visits", 1}});
  CHECK(r.value->timestamp == kNow);
  CHECK_FALSE(r.value->used_fallback_key);
  auto c = s.unsign_object(
      ".eJyrVsorzY0vyyzOLClWsjLWUcrLL0lVslKqGCCgVAsA-pdA3w:1r31eq:BjAHSVK3SU9Ot6jqvyoJfrTOZw0qF_NMZ3TwuAMEGdg", kNow,
      1209600);
  REQUIRE(c.ok());
  CHECK(*c.value->object["note"].get_ptr<const std::string*>() == std::string(120, 'x'));
}

TEST_CASE("max_age boundary: age == max_age passes, one second more fails") {
  TimestampSigner s(kCookieSalt, kSecret, {});
  const char* token = "eyJudW1fdmlzaXRzIjoxfQ:1r31eq:1PPFpxns0uWboT8URB5Awk7AokgXsYeDvo5PZT3NI44";
  CHECK(s.unsign_object(token, kNow + 1209600, 1209600).ok());
  auto late = s.unsign_object(token, kNow + 1209601, 1209600);
  CHECK_FALSE(late.ok());
  CHECK(late.error == signing::Error::expired);
}

TEST_CASE("timestamps far in the future are rejected, small skew is accepted") {
  TimestampSigner s(kCookieSalt, kSecret, {});
  const char* token = "eyJudW1fdmlzaXRzIjoxfQ:1r31eq:1PPFpxns0uWboT8URB5Awk7AokgXsYeDvo5PZT3NI44";
  CHECK(s.unsign_object(token, kNow - 60, 1209600).ok());
  auto r = s.unsign_object(token, kNow - 3600, 1209600);
  CHECK_FALSE(r.ok());
  CHECK(r.error == signing::Error::from_the_future);
}

TEST_CASE("tampered tokens fail the signature check") {
  TimestampSigner s(kCookieSalt, kSecret, {});
  std::string good = "eyJudW1fdmlzaXRzIjoxfQ:1r31eq:1PPFpxns0uWboT8URB5Awk7AokgXsYeDvo5PZT3NI44";
  std::string upper = good;
  for (auto& ch : upper) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
  std::string changed = good;
  changed[0] = 'f';
  std::string no_colon = good;
  no_colon.erase(no_colon.find(':'), 1);
  for (const std::string& bad : {upper, good + "a", changed, no_colon, std::string("eyJudW1fdmlzaXRzIjoxfQ:1r31eq:"),
                                 std::string(":::"), std::string("")}) {
    CAPTURE(bad);
    CHECK_FALSE(s.unsign_object(bad, kNow, 1209600).ok());
  }
  // A token for another salt (server-side encode()) is not a cookie.
  CHECK(s.unsign_object("eyJudW1fdmlzaXRzIjoxfQ:1r31eq:_-PedWzrjsUyTsFgvXE1qqSpi5bYcTGwiV8pxU77Pl8", kNow, 1209600)
            .error == signing::Error::bad_signature);
  // SHA-1 signatures (Django <= 3.0) are not accepted.
  CHECK_FALSE(s.unsign_object("eyJudW1fdmlzaXRzIjoxfQ:1r31eq:lBT4vucu0UYBuZUdbHwpqr6ngo4", kNow, 1209600).ok());
}

TEST_CASE("fallback keys verify, the current key signs") {
  TimestampSigner rotated(kCookieSalt, "new-key", {"old-key"});
  auto r = rotated.unsign_object("eyJudW1fdmlzaXRzIjo1fQ:1r31eq:n8hZNrb1gbvkjhBDtGiM8MGVpavP21Lau4eiJMnJhWo", kNow,
                                 1209600);
  REQUIRE(r.ok());
  CHECK(r.value->used_fallback_key);
  CHECK(r.value->object == Json{{"num_visits", 5}});
  std::string resigned = rotated.sign_object(r.value->object, kNow);
  TimestampSigner only_new(kCookieSalt, "new-key", {});
  CHECK(only_new.unsign_object(resigned, kNow, 1209600).ok());
  TimestampSigner no_fallbacks(kCookieSalt, "new-key", {});
  CHECK_FALSE(no_fallbacks
                  .unsign_object("eyJudW1fdmlzaXRzIjo1fQ:1r31eq:n8hZNrb1gbvkjhBDtGiM8MGVpavP21Lau4eiJMnJhWo", kNow,
                                 1209600)
                  .ok());
}

TEST_CASE("validly signed but hostile payloads load as errors, not crashes") {
  TimestampSigner s(kCookieSalt, kSecret, {}, signing::Limits{1024, 300});
  // Signed garbage: a correct signature over bytes that are not JSON.
  std::string not_json = encoding::b64url_encode("invalid data") + ":1r31eq";
  CHECK(s.unsign_object(not_json + ":" + s.signature(not_json), kNow, 1209600).error == signing::Error::not_json);
  // A JSON array is not a session.
  std::string array = encoding::b64url_encode("[1,2]") + ":1r31eq";
  CHECK(s.unsign_object(array + ":" + s.signature(array), kNow, 1209600).error == signing::Error::not_json);
  // Deep nesting is refused before parsing.
  std::string deep = encoding::b64url_encode(std::string(500, '[') + std::string(500, ']')) + ":1r31eq";
  CHECK(s.unsign_object(deep + ":" + s.signature(deep), kNow, 1209600).error == signing::Error::not_json);
  // A zip bomb under a valid signature stops at the cap.
  Json big = Json::object();
  big["x"] = std::string(100000, 'a');
  std::string bomb = s.sign_object(big, kNow);
  CHECK(bomb.size() < 1024);
  CHECK(s.unsign_object(bomb, kNow, 1209600).error == signing::Error::too_large);
}

TEST_CASE("skipping zlib for short texts never changes Django's compress decision") {
  // Django compresses when len(zlib.compress(data)) < len(data) - 1. The
  // signer skips zlib where compression_cannot_help() proves that fails;
  // check the proof against zlib on many short texts, skewed and uniform
  // alphabets alike, and that the shortcut really fires (both the predicate
  // and the signer's count of skipped attempts), so disabling it fails here.
  TimestampSigner s(kCookieSalt, kSecret, {});
  uint32_t x = 2463534242u;
  auto next = [&] { x ^= x << 13; x ^= x >> 17; x ^= x << 5; return x; };
  const std::string alphabets[] = {"{}\":,0123456789abcdefghijklmnopqrstuvwxyz_", "ab", "abc\"{}:", "x",
                                   "0123456789", "{\"num_visits\":}0123456789"};
  int compressed_seen = 0, shortcut_fired = 0, zlib_needed = 0;
  for (int i = 0; i < 20000; ++i) {
    const std::string& a = alphabets[next() % 6];
    size_t n = 1 + next() % 100;
    std::string text;
    for (size_t k = 0; k < n; ++k) text += a[next() % a.size()];
    std::string deflated = platform::zlib_compress(text);
    bool django_compresses = deflated.size() < text.size() - 1 && text.size() > 1;
    bool shortcut = signing::compression_cannot_help(text);
    const uint64_t skipped_before = s.compressions_skipped();
    bool ours = s.sign_serialized(text, kNow)[0] == '.';
    CAPTURE(text);
    CHECK(ours == django_compresses);
    // Sound: the shortcut only fires where zlib could not have helped.
    if (shortcut) CHECK_FALSE(django_compresses);
    // The signer takes the shortcut exactly when the predicate holds.
    CHECK(s.compressions_skipped() - skipped_before == (shortcut ? 1u : 0u));
    compressed_seen += django_compresses;
    shortcut_fired += shortcut;
    zlib_needed += !shortcut && !django_compresses;
  }
  CHECK(compressed_seen > 100);
  CHECK(shortcut_fired > 1000);  // 3828 with this seed
  CHECK(zlib_needed > 100);      // texts zlib had to be asked about, and refused
  // The sessions that matter most: the home page's counter, and an empty one.
  for (std::string json : {"{}", "{\"num_visits\":1}", "{\"num_visits\":12345}"}) {
    CAPTURE(json);
    CHECK(signing::compression_cannot_help(json));
    const uint64_t skipped_before = s.compressions_skipped();
    CHECK(s.sign_serialized(json, kNow)[0] != '.');
    CHECK(s.compressions_skipped() == skipped_before + 1);
  }
  // Not taken when compression is not asked for, nor for texts with repeats.
  const uint64_t skipped_before = s.compressions_skipped();
  s.sign_serialized("{\"num_visits\":1}", kNow, /*compress=*/false);
  CHECK(s.compressions_skipped() == skipped_before);
  CHECK_FALSE(signing::compression_cannot_help("{\"a\":\"abcabc\"}"));
  CHECK_FALSE(signing::compression_cannot_help(std::string(97, 'x')));
}
