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

int64_t days_from_civil(int64_t y, unsigned m, unsigned d);

}  // namespace timeutil
