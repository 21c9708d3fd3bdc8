#pragma once
// The few datetime operations sessions need, on Unix seconds (UTC).
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace timeutil {

// datetime.fromisoformat for what Django stores: "2026-11-27T08:45:57.044644+00:00",
// also without fraction, with "Z", with another offset, or naive (taken as UTC).
std::optional<double> parse_iso8601(std::string_view text);

// datetime.isoformat() of an aware UTC datetime: microseconds only when non-zero.
std::string format_iso8601(double unix_seconds);

// Howard Hinnant's algorithms (http://howardhinnant.github.io/date_algorithms.html),
// proleptic Gregorian calendar, day 0 = 1970-01-01. The one copy in the project.
struct CivilDate {
  int64_t year;
  int month;  // 1..12
  int day;    // 1..31
};
// Days since 1970-01-01 of year-month-day (month 1..12, day 1..31).
int64_t days_from_civil(int64_t year, int month, int day);
// The date of a day number: the inverse of days_from_civil.
CivilDate civil_from_days(int64_t days);

}  // namespace timeutil
