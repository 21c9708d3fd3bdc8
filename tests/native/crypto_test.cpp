// SHA-256 and HMAC-SHA256 as the core uses them (platform/crypto.cpp, BearSSL
// from third_party/bearssl): the published vectors (NIST FIPS 180-4 examples,
// RFC 4231), and agreement with OpenSSL on generated inputs. The fuzz target
// crypto_diff_fuzz does the same with inputs libFuzzer chooses.
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>

#include <doctest/doctest.h>

#include <random>
#include <string>

#include "bearssl_hmac.h"
#include "platform/platform.h"

namespace {

std::string hex(const uint8_t* p, size_t n) {
  static const char* d = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out += d[p[i] >> 4];
    out += d[p[i] & 15];
  }
  return out;
}
std::string hex(const platform::Digest& d) { return hex(d.data(), d.size()); }
std::string unhex(std::string_view h) {
  std::string out;
  for (size_t i = 0; i + 1 < h.size(); i += 2) out += static_cast<char>(std::stoi(std::string(h.substr(i, 2)), nullptr, 16));
  return out;
}

// BearSSL's HMAC with a key of any length, as RFC 4231's cases need (the
// core's own keys are 32-byte SHA-256 digests: platform::register_hmac_key).
std::string bearssl_hmac(const std::string& key, const std::string& msg, size_t out_len = 32) {
  br_hmac_key_context kc;
  br_hmac_key_init(&kc, &br_sha256_vtable, key.data(), key.size());
  br_hmac_context ctx;
  br_hmac_init(&ctx, &kc, 0);
  br_hmac_update(&ctx, msg.data(), msg.size());
  uint8_t out[32];
  br_hmac_out(&ctx, out);
  return hex(out, out_len);
}

std::string openssl_hmac(const std::string& key, const std::string& msg) {
  uint8_t out[32];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()), reinterpret_cast<const uint8_t*>(msg.data()), msg.size(),
       out, &len);
  return hex(out, len);
}

std::string openssl_sha256(const std::string& msg) {
  uint8_t out[32];
  SHA256(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), out);
  return hex(out, 32);
}

}  // namespace

TEST_CASE("SHA-256: the NIST FIPS 180-4 example vectors") {
  CHECK(hex(platform::sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(hex(platform::sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  CHECK(hex(platform::sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq")) ==
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
  CHECK(hex(platform::sha256(std::string(1000000, 'a'))) ==
        "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

TEST_CASE("HMAC-SHA256: RFC 4231 test cases 1-7") {
  struct Case {
    std::string key, data, mac;
    size_t truncate = 32;
  };
  const Case cases[] = {
      {std::string(20, '\x0b'), "Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"},
      {"Jefe", "what do ya want for nothing?", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
      {std::string(20, '\xaa'), std::string(50, '\xdd'), "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe"},
      {unhex("0102030405060708090a0b0c0d0e0f10111213141516171819"), std::string(50, '\xcd'),
       "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b"},
      {std::string(20, '\x0c'), "Test With Truncation", "a3b6167473100ee06e0c796c2955552b", 16},
      {std::string(131, '\xaa'), "Test Using Larger Than Block-Size Key - Hash Key First",
       "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54"},
      {std::string(131, '\xaa'),
       "This is a test using a larger than block-size key and a larger than block-size data. The key needs to be "
       "hashed before being used by the HMAC algorithm.",
       "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2"},
  };
  int n = 1;
  for (const Case& c : cases) {
    CAPTURE(n++);
    CHECK(bearssl_hmac(c.key, c.data, c.truncate) == c.mac);
  }
}

TEST_CASE("the core's keyed HMAC and SHA-256 agree with OpenSSL on generated inputs") {
  std::mt19937 rng(4231);
  for (int i = 0; i < 500; ++i) {
    std::string key_material(rng() % 80, '\0'), msg(rng() % 300 + (i % 50 == 0 ? 5000 : 0), '\0');
    for (auto& c : key_material) c = static_cast<char>(rng());
    for (auto& c : msg) c = static_cast<char>(rng());
    CHECK(hex(platform::sha256(msg)) == openssl_sha256(msg));
    platform::Digest key = platform::sha256(key_material);
    platform::KeyHandle handle = platform::register_hmac_key(key);
    std::string key_bytes(reinterpret_cast<const char*>(key.data()), key.size());
    CHECK(hex(platform::hmac_sha256(handle, msg)) == openssl_hmac(key_bytes, msg));
    CHECK(bearssl_hmac(key_material, msg) == openssl_hmac(key_material, msg));
  }
}

TEST_CASE("a key registered twice is one handle; an unknown handle gives no MAC") {
  platform::Digest key = platform::sha256("same key");
  CHECK(platform::register_hmac_key(key) == platform::register_hmac_key(key));
  platform::Digest zero{};
  CHECK(platform::hmac_sha256(-1, "x") == zero);
  CHECK(platform::hmac_sha256(1 << 20, "x") == zero);
}
