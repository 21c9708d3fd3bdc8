// The timesince and timeuntil filters (django.utils.timesince, Django 5.2:
// years and months by the calendar, then weeks, days, hours, minutes; two
// adjacent units at most).
#include <cmath>

#include "template/detail.h"

namespace tmpl::detail {

namespace {

constexpr const char* kUnits[] = {"year", "month", "week", "day", "hour", "minute"};
constexpr int64_t kChunks[] = {7 * 86400, 86400, 3600, 60};
constexpr int kMonthDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

struct Moment {
  int64_t seconds;  // epoch seconds (offset applied)
  int64_t local;    // wall clock seconds, for calendar arithmetic
  bool aware;
  int64_t offset = 0;
};

bool moment_of(const Value& v, Moment& m) {
  bool is_datetime;
  if (!temporal_seconds(v, m.seconds, m.aware, is_datetime)) return false;
  m.local = m.seconds;
  if (m.aware) {
    // Recover the wall clock: str() carries the offset.
    std::string s;
    append_temporal(s, v, TemporalForm::str);
    const size_t sign = s.find_last_of("+-");
    if (sign != std::string::npos && sign > 10) {
      const int off = ((s[sign + 1] - '0') * 10 + (s[sign + 2] - '0')) * 3600 + ((s[sign + 4] - '0') * 10 + (s[sign + 5] - '0')) * 60;
      m.offset = s[sign] == '-' ? -off : off;
      m.local += m.offset;
    }
  }
  return true;
}

std::string timesince(const Moment& d, const Moment& now) {
  auto plural = [](int64_t n, const char* unit) {
    std::string s = std::to_string(n) + "\xC2\xA0" + unit;  // avoid_wrapping
    if (n != 1) s += 's';
    return s;
  };
  const int64_t since = now.seconds - d.seconds;
  if (since <= 0) return plural(0, "minute");
  int dy, dm, dd, dh, dmi, ds, ny, nm, nd, nh, nmi, ns;
  civil_from_seconds(d.local, dy, dm, dd, dh, dmi, ds);
  civil_from_seconds(now.local, ny, nm, nd, nh, nmi, ns);
  int64_t total_months = (ny - dy) * 12 + (nm - dm);
  const int64_t d_time = dh * 3600 + dmi * 60 + ds, n_time = nh * 3600 + nmi * 60 + ns;
  if (dd > nd || (dd == nd && d_time > n_time)) --total_months;
  const int64_t years = total_months / 12, months = total_months % 12;
  int64_t pivot = d.seconds;
  if (years || months) {
    int py = dy + static_cast<int>(years), pm = dm + static_cast<int>(months);
    if (pm > 12) {
      pm -= 12;
      ++py;
    }
    const int pd = dd < kMonthDays[pm - 1] ? dd : kMonthDays[pm - 1];
    // days_from_civil via civil_from_seconds' inverse: walk from d by whole days.
    int64_t days = 0;
    {
      // days from civil (Howard Hinnant), as in dateformat.cpp
      int y = py - (pm <= 2);
      const int64_t era = (y >= 0 ? y : y - 399) / 400;
      const int64_t yoe = y - era * 400;
      const int64_t doy = (153 * (pm + (pm > 2 ? -3 : 9)) + 2) / 5 + pd - 1;
      const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
      days = era * 146097 + doe - 719468;
    }
    pivot = days * 86400 + d_time - (d.local - d.seconds);
  }
  int64_t remaining = now.seconds - pivot;
  int64_t partials[6] = {years, months, 0, 0, 0, 0};
  for (int k = 0; k < 4; ++k) {
    const int64_t count = remaining >= 0 ? remaining / kChunks[k] : -((-remaining + kChunks[k] - 1) / kChunks[k]);
    partials[2 + k] = count;
    remaining -= kChunks[k] * count;
  }
  int i = 0;
  while (i < 6 && partials[i] == 0) ++i;
  if (i == 6) return plural(0, "minute");
  std::string result;
  for (int depth = 0; i < 6 && depth < 2 && partials[i] != 0; ++i, ++depth) {
    if (depth) result += ", ";
    result += plural(partials[i], kUnits[i]);
  }
  return result;
}

Moment now_moment(const RenderInputs& inputs) {
  const auto s = static_cast<int64_t>(std::floor(inputs.now));
  return Moment{s, s, false};
}

Status since_filter(FilterCtx& ctx, Value& v, const Value* arg, bool reversed) {
  if (!truthy(v)) {
    v = Value::owned(std::string(), false);
    return Status::ok;
  }
  Moment d, now;
  if (!moment_of(v, d)) {
    if (v.kind == Value::Kind::time) {  // TypeError: ''
      v = Value::owned(std::string(), false);
      return Status::ok;
    }
    *ctx.error = "timesince: the value is not a date or datetime";  // AttributeError in Django
    return Status::error;
  }
  if (arg && truthy(*arg)) {
    if (!moment_of(*arg, now)) {
      v = Value::owned(std::string(), false);
      return Status::ok;
    }
  } else {
    now = now_moment(*ctx.inputs);  // datetime.now(d.tzinfo if is_aware(d) else None)
    now.aware = d.aware;
    now.offset = d.offset;
    now.local = now.seconds + d.offset;
  }
  if (d.aware != now.aware) {  // TypeError: can't subtract offset-naive and offset-aware
    v = Value::owned(std::string(), false);
    return Status::ok;
  }
  v = Value::owned(reversed ? timesince(now, d) : timesince(d, now), false);
  return Status::ok;
}

}  // namespace

Status timesince_filter(FilterCtx& ctx, Value& v, const Value* arg) { return since_filter(ctx, v, arg, false); }
Status timeuntil_filter(FilterCtx& ctx, Value& v, const Value* arg) { return since_filter(ctx, v, arg, true); }

}  // namespace tmpl::detail
