#include <doctest/doctest.h>

#include "http/cookie.h"
#include "http/message.h"

TEST_CASE("Cookie header parsing follows django.http.cookie.parse_cookie") {
  CHECK(cookie::find("sessionid=abc", "sessionid").value == std::string("abc"));
  CHECK(cookie::find("a=1; sessionid=abc; b=2", "sessionid").value == std::string("abc"));
  CHECK(cookie::find("  sessionid  =  abc  ", "sessionid").value == std::string("abc"));
  CHECK(cookie::find("sessionid=1; sessionid=2", "sessionid").value == std::string("2"));  // later wins
  CHECK(cookie::find("sessionid=a=b", "sessionid").value == std::string("a=b"));         // split on first '='
  CHECK(cookie::find("sessionid=", "sessionid").value == std::string(""));
  CHECK_FALSE(cookie::find("sessionidx=abc", "sessionid").value);
  CHECK_FALSE(cookie::find("", "sessionid").value);
  CHECK_FALSE(cookie::find(";;;", "sessionid").value);
  CHECK(cookie::find("abc", "").value == std::string("abc"));  // a chunk without '=' has the empty name
}

TEST_CASE("quoted values are unquoted like http.cookies._unquote") {
  CHECK(cookie::unquote("\"abc\"") == "abc");
  CHECK(cookie::unquote("\"a\\\"b\"") == "a\"b");
  CHECK(cookie::unquote("\"\\012\"") == "\n");
  CHECK(cookie::unquote("\"\\400\"") == "400");  // not a valid octal escape: the backslash goes
  CHECK(cookie::unquote("\"") == "\"");
  CHECK(cookie::unquote("abc\"") == "abc\"");
}

TEST_CASE("an oversized or over-full Cookie header is ignored, never partly used") {
  std::string big = "sessionid=" + std::string(9000, 'a');
  auto r = cookie::find(big, "sessionid");
  CHECK(r.over_limit);
  CHECK_FALSE(r.value);
  std::string many;
  for (int i = 0; i < 70; ++i) many += "c" + std::to_string(i) + "=v; ";
  many += "sessionid=abc";
  auto m = cookie::find(many, "sessionid");
  CHECK(m.over_limit);
  CHECK_FALSE(m.value);
}

TEST_CASE("Set-Cookie is formatted in Morsel's attribute order") {
  cookie::SetCookie c;
  c.name = "sessionid";
  c.value = "v";
  c.domain = ".example.com";
  c.expires = cookie::http_date(1700000000 + 10);
  c.http_only = true;
  c.max_age = 10;
  c.path = "/";
  c.same_site = cookie::SameSite::strict;
  c.secure = true;
  CHECK(cookie::format(c) ==
        "sessionid=v; Domain=.example.com; expires=Tue, 14 Nov 2023 22:13:30 GMT; HttpOnly; Max-Age=10; Path=/; "
        "SameSite=Strict; Secure");
  cookie::SetCookie empty;
  empty.name = "sessionid";
  CHECK(cookie::format(empty) == "sessionid=\"\"; Path=/");
}

TEST_CASE("http_date is email.utils.formatdate(usegmt=True)") {
  CHECK(cookie::http_date(0) == "Thu, 01 Jan 1970 00:00:00 GMT");
  CHECK(cookie::http_date(1700000000 + 1209600) == "Tue, 28 Nov 2023 22:13:20 GMT");
  CHECK(cookie::http_date(951782400) == "Tue, 29 Feb 2000 00:00:00 GMT");
  CHECK(cookie::http_date(-86400) == "Wed, 31 Dec 1969 00:00:00 GMT");
}

TEST_CASE("browser limits: name+value over 4096 bytes or an attribute over 1024") {
  cookie::SetCookie c;
  c.name = "sessionid";
  c.value = std::string(4096 - 9, 'a');
  CHECK_FALSE(cookie::check_browser_limits(c));
  c.value += 'a';
  auto p = cookie::check_browser_limits(c);
  REQUIRE(p);
  CHECK(p->name_value_bytes == 4097);
  cookie::SetCookie d;
  d.name = "s";
  d.value = "v";
  d.path = "/" + std::string(1024, 'p');
  CHECK(cookie::check_browser_limits(d));
}

TEST_CASE("no CR, LF or NUL ever reaches a response header") {
  http::Response r;
  r.add_header("X-A\r\n", "one\r\nSet-Cookie: evil=1");
  r.add_header("X-B", std::string("two\0three", 9));
  r.add_header("X-C", "clean");
  CHECK(r.headers[0].name == "X-A");
  CHECK(r.headers[0].value == "oneSet-Cookie: evil=1");
  CHECK(r.headers[1].value == "twothree");
  CHECK(r.headers[2].value == "clean");
}

TEST_CASE("a line break is found at every position of a header, other control bytes are kept") {
  // The scan looks at eight bytes at a time: cover each offset in and after a word.
  for (size_t len = 1; len <= 24; ++len)
    for (size_t at = 0; at < len; ++at)
      for (char bad : {'\r', '\n', '\0'}) {
        std::string value(len, 'v');
        value[at] = bad;
        http::Response r;
        r.add_header("X-Value", value);
        CHECK(r.headers[0].value == std::string(len - 1, 'v'));
      }
  http::Response r;
  const std::string controls = "a\tb\x0b\x0c\x0e\x7f\xff tail of the header";
  r.add_header("X-Controls", controls);
  CHECK(r.headers[0].value == controls);
}
