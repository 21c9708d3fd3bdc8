// util/time: the one copy of the civil-date arithmetic (used by the cookie
// Expires date, the session's ISO-8601 timestamps, and the template engine's
// date filters).
#include <doctest/doctest.h>

#include "util/time.h"

TEST_CASE("days_from_civil and civil_from_days are inverses, 1600-01-01 .. 2400-12-31") {
  const int64_t first = timeutil::days_from_civil(1600, 1, 1);
  const int64_t last = timeutil::days_from_civil(2400, 12, 31);
  int64_t year = 1600;
  int month = 1, day = 1;
  auto leap = [](int64_t y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; };
  for (int64_t n = first; n <= last; ++n) {
    const timeutil::CivilDate date = timeutil::civil_from_days(n);
    REQUIRE(date.year == year);
    REQUIRE(date.month == month);
    REQUIRE(date.day == day);
    REQUIRE(timeutil::days_from_civil(year, month, day) == n);
    static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    const int in_month = month == 2 && leap(year) ? 29 : kDays[month - 1];
    if (++day > in_month) {
      day = 1;
      if (++month > 12) {
        month = 1;
        ++year;
      }
    }
  }
}

TEST_CASE("known day numbers (Python: date(y, m, d).toordinal() - date(1970, 1, 1).toordinal())") {
  CHECK(timeutil::days_from_civil(1970, 1, 1) == 0);
  CHECK(timeutil::days_from_civil(1969, 12, 31) == -1);
  CHECK(timeutil::days_from_civil(2000, 2, 29) == 11016);
  CHECK(timeutil::days_from_civil(2023, 11, 14) == 19675);
  CHECK(timeutil::days_from_civil(1, 1, 1) == -719162);
  const timeutil::CivilDate d = timeutil::civil_from_days(-719162);
  CHECK(d.year == 1);
  CHECK(d.month == 1);
  CHECK(d.day == 1);
}

TEST_CASE("ISO-8601 round trip through the shared arithmetic") {
  CHECK(timeutil::format_iso8601(0) == "1970-01-01T00:00:00+00:00");
  CHECK(timeutil::format_iso8601(951782400.5) == "2000-02-29T00:00:00.500000+00:00");
  CHECK(timeutil::format_iso8601(-1) == "1969-12-31T23:59:59+00:00");
  CHECK(*timeutil::parse_iso8601("2000-02-29T00:00:00.5+00:00") == doctest::Approx(951782400.5));
  CHECK(*timeutil::parse_iso8601("1969-12-31T23:59:59Z") == -1);
}
