// The |date filter (django.utils.dateformat) on ISO-8601 strings. Naive
// values are in UTC (Django TIME_ZONE='UTC'); "Z"/"+HH:MM" suffixes give a
// fixed-offset aware datetime. English names, Django's default formats.
#include <cstdio>

#include "template/detail.h"
#include "util/time.h"

namespace tmpl::detail {

namespace {

struct DateTime {
  int year = 1, month = 1, day = 1, hour = 0, minute = 0, second = 0, micro = 0;
  bool aware = false;
  int offset = 0;  // seconds east of UTC
  enum class Type : uint8_t { date, datetime, time } type = Type::datetime;
};

constexpr const char* kMonths[] = {"January", "February", "March",     "April",   "May",      "June",
                                   "July",    "August",   "September", "October", "November", "December"};
constexpr const char* kMonthsAp[] = {"Jan.", "Feb.", "March", "April", "May",  "June",
                                     "July", "Aug.", "Sept.", "Oct.",  "Nov.", "Dec."};
constexpr const char* kMonths3[] = {"jan", "feb", "mar", "apr", "may", "jun",
                                    "jul", "aug", "sep", "oct", "nov", "dec"};
constexpr const char* kWeekdays[] = {"Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"};
constexpr const char* kWeekdaysAbbr[] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static const int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

using timeutil::days_from_civil;

int weekday(const DateTime& dt) {  // Monday = 0
  const int64_t days = days_from_civil(dt.year, dt.month, dt.day);
  return static_cast<int>(((days + 3) % 7 + 7) % 7);
}

int day_of_year(const DateTime& dt) {
  return static_cast<int>(days_from_civil(dt.year, dt.month, dt.day) - days_from_civil(dt.year, 1, 1)) + 1;
}

int iso_weeks_in_year(int y) {
  auto p = [](int year) { return (year + year / 4 - year / 100 + year / 400) % 7; };
  return p(y) == 4 || p(y - 1) == 3 ? 53 : 52;
}

void iso_calendar(const DateTime& dt, int& iso_year, int& week) {
  iso_year = dt.year;
  week = (day_of_year(dt) - (weekday(dt) + 1) + 10) / 7;
  if (week < 1) {
    --iso_year;
    week = iso_weeks_in_year(iso_year);
  } else if (week > iso_weeks_in_year(iso_year)) {
    ++iso_year;
    week = 1;
  }
}

// Reads exactly `n` digits at s[i].
bool digits(std::string_view s, size_t& i, size_t n, int& out) {
  if (i + n > s.size()) return false;
  out = 0;
  for (size_t k = 0; k < n; ++k) {
    if (!is_digit(s[i + k])) return false;
    out = out * 10 + (s[i + k] - '0');
  }
  i += n;
  return true;
}

bool expect(std::string_view s, size_t& i, char c) {
  if (i >= s.size() || s[i] != c) return false;
  ++i;
  return true;
}

bool parse_time(std::string_view s, size_t& i, DateTime& dt) {
  if (!digits(s, i, 2, dt.hour) || !expect(s, i, ':') || !digits(s, i, 2, dt.minute)) return false;
  if (i < s.size() && s[i] == ':') {
    ++i;
    if (!digits(s, i, 2, dt.second)) return false;
    if (i < s.size() && s[i] == '.') {
      ++i;
      size_t n = 0;
      int scale = 100000;
      while (i < s.size() && is_digit(s[i]) && n < 6) {
        dt.micro += (s[i++] - '0') * scale;
        scale /= 10;
        ++n;
      }
      if (n == 0) return false;
    }
  }
  if (i < s.size() && s[i] == 'Z') {
    ++i;
    dt.aware = true;
  } else if (i < s.size() && (s[i] == '+' || s[i] == '-')) {
    const int sign = s[i++] == '-' ? -1 : 1;
    int oh, om;
    if (!digits(s, i, 2, oh) || !expect(s, i, ':') || !digits(s, i, 2, om) || oh > 23 || om > 59) return false;
    dt.aware = true;
    dt.offset = sign * (oh * 3600 + om * 60);
  }
  return dt.hour <= 23 && dt.minute <= 59 && dt.second <= 59;
}

// YYYY-MM-DD[(T| )HH:MM[:SS[.ffffff]][Z|(+|-)HH:MM]]
bool parse_iso(std::string_view s, DateTime& dt) {
  size_t i = 0;
  if (!digits(s, i, 4, dt.year) || !expect(s, i, '-') || !digits(s, i, 2, dt.month) || !expect(s, i, '-') ||
      !digits(s, i, 2, dt.day))
    return false;
  if (dt.year < 1 || dt.month < 1 || dt.month > 12 || dt.day < 1 || dt.day > days_in_month(dt.year, dt.month))
    return false;
  if (i < s.size() && (s[i] == 'T' || s[i] == ' ')) {
    ++i;
    if (!parse_time(s, i, dt)) return false;
  }
  return i == s.size();
}

// HH:MM[:SS[.ffffff]] alone (a datetime.time).
bool parse_time_only(std::string_view s, DateTime& dt) {
  size_t i = 0;
  dt.type = DateTime::Type::time;
  return parse_time(s, i, dt) && i == s.size();
}

// A context value as a date, datetime or time: the tagged JSON forms, or
// (for |date only) an ISO-8601 string, read as a datetime.
bool temporal(const Value& v, DateTime& dt, bool iso_strings) {
  using Kind = Value::Kind;
  if (v.kind == Kind::date || v.kind == Kind::datetime) {
    if (!parse_iso(v.json->get_ref<const std::string&>(), dt)) return false;
    const bool has_time = v.json->get_ref<const std::string&>().size() > 10;
    if (v.kind == Kind::date && has_time) return false;
    dt.type = v.kind == Kind::date ? DateTime::Type::date : DateTime::Type::datetime;
    return true;
  }
  if (v.kind == Kind::time) return parse_time_only(v.json->get_ref<const std::string&>(), dt);
  return iso_strings && v.is_string() && parse_iso(v.text(), dt);
}

void put_num(std::string& out, long long v, int width) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%0*lld", width, v);
  out += buf;
}

int hour12(const DateTime& dt) { return dt.hour % 12 == 0 ? 12 : dt.hour % 12; }

void put_offset(std::string& out, int offset, bool colon) {
  out += offset < 0 ? '-' : '+';
  const int a = offset < 0 ? -offset : offset;
  put_num(out, a / 3600, 2);
  if (colon) out += ':';
  put_num(out, (a / 60) % 60, 2);
}

void put_tzname(std::string& out, const DateTime& dt) {
  out += "UTC";
  if (dt.offset != 0) put_offset(out, dt.offset, true);
}

void put_f(std::string& out, const DateTime& dt) {
  put_num(out, hour12(dt), 0);
  if (dt.minute != 0) {
    out += ':';
    put_num(out, dt.minute, 2);
  }
}

void put_isoformat(std::string& out, const DateTime& dt) {
  put_num(out, dt.year, 4);
  out += '-';
  put_num(out, dt.month, 2);
  out += '-';
  put_num(out, dt.day, 2);
  out += 'T';
  put_num(out, dt.hour, 2);
  out += ':';
  put_num(out, dt.minute, 2);
  out += ':';
  put_num(out, dt.second, 2);
  if (dt.micro != 0) {
    out += '.';
    put_num(out, dt.micro, 6);
  }
  if (dt.aware) put_offset(out, dt.offset, true);
}

void put_rfc5322(std::string& out, const DateTime& dt) {
  out += kWeekdaysAbbr[weekday(dt)];
  out += ", ";
  put_num(out, dt.day, 2);
  out += ' ';
  out += static_cast<char>(kMonths3[dt.month - 1][0] - 'a' + 'A');
  out += kMonths3[dt.month - 1] + 1;
  out += ' ';
  put_num(out, dt.year, 4);
  out += ' ';
  put_num(out, dt.hour, 2);
  out += ':';
  put_num(out, dt.minute, 2);
  out += ':';
  put_num(out, dt.second, 2);
  out += ' ';
  put_offset(out, dt.offset, false);
}

const char* ordinal_suffix(int day) {
  if (day >= 11 && day <= 13) return "th";
  switch (day % 10) {
    case 1: return "st";
    case 2: return "nd";
    case 3: return "rd";
    default: return "th";
  }
}

bool is_format_char(char c) {
  static const std::string_view kChars = "aAbcdDeEfFgGhHiIjlLmMnNoOPrsStTUuwWyYzZ";
  return kChars.find(c) != std::string_view::npos;
}

void put_format_char(std::string& out, const DateTime& dt, char c) {
  int iso_year, iso_week;
  // A naive datetime.time has no time zone at all (TimeFormat.timezone is None).
  if (dt.type == DateTime::Type::time && !dt.aware && (c == 'e' || c == 'O' || c == 'T' || c == 'Z')) return;
  switch (c) {
    case 'a': out += dt.hour > 11 ? "p.m." : "a.m."; break;
    case 'A': out += dt.hour > 11 ? "PM" : "AM"; break;
    case 'b': out += kMonths3[dt.month - 1]; break;
    case 'c': put_isoformat(out, dt); break;
    case 'd': put_num(out, dt.day, 2); break;
    case 'D': out += kWeekdaysAbbr[weekday(dt)]; break;
    case 'e': if (dt.aware) put_tzname(out, dt); break;
    case 'E': case 'F': out += kMonths[dt.month - 1]; break;
    case 'f': put_f(out, dt); break;
    case 'g': put_num(out, hour12(dt), 0); break;
    case 'G': put_num(out, dt.hour, 0); break;
    case 'h': put_num(out, hour12(dt), 2); break;
    case 'H': put_num(out, dt.hour, 2); break;
    case 'i': put_num(out, dt.minute, 2); break;
    case 'I': out += '0'; break;
    case 'j': put_num(out, dt.day, 0); break;
    case 'l': out += kWeekdays[weekday(dt)]; break;
    case 'L': out += is_leap(dt.year) ? "True" : "False"; break;
    case 'm': put_num(out, dt.month, 2); break;
    case 'M': out += static_cast<char>(kMonths3[dt.month - 1][0] - 'a' + 'A'); out += kMonths3[dt.month - 1] + 1; break;
    case 'n': put_num(out, dt.month, 0); break;
    case 'N': out += kMonthsAp[dt.month - 1]; break;
    case 'o': iso_calendar(dt, iso_year, iso_week); put_num(out, iso_year, 0); break;
    case 'O': put_offset(out, dt.offset, false); break;
    case 'P':
      if (dt.minute == 0 && dt.hour == 0) {
        out += "midnight";
      } else if (dt.minute == 0 && dt.hour == 12) {
        out += "noon";
      } else {
        put_f(out, dt);
        out += dt.hour > 11 ? " p.m." : " a.m.";
      }
      break;
    case 'r': put_rfc5322(out, dt); break;
    case 's': put_num(out, dt.second, 2); break;
    case 'S': out += ordinal_suffix(dt.day); break;
    case 't': put_num(out, days_in_month(dt.year, dt.month), 2); break;
    case 'T': put_tzname(out, dt); break;
    case 'u': put_num(out, dt.micro, 6); break;
    case 'U':
      put_num(out, days_from_civil(dt.year, dt.month, dt.day) * 86400 + dt.hour * 3600 + dt.minute * 60 +
                       dt.second - dt.offset, 0);
      break;
    case 'w': put_num(out, (weekday(dt) + 1) % 7, 0); break;
    case 'W': iso_calendar(dt, iso_year, iso_week); put_num(out, iso_week, 0); break;
    case 'y': put_num(out, dt.year % 100, 2); break;
    case 'Y': put_num(out, dt.year, 0); break;
    case 'z': put_num(out, day_of_year(dt), 0); break;
    case 'Z': put_num(out, dt.offset, 0); break;
    default: break;
  }
}

// Formatter.format: format characters not preceded by a backslash; in the
// literal runs between them "\x" becomes "x". Without a date, only the
// timezone characters work (as ""): any other one fails the whole format,
// as the AttributeError does in Django.
enum class Fmt : uint8_t { ok, attribute_error, type_error };
constexpr std::string_view kTimeChars = "aAefgGhHiOPsTuZ";

Fmt format_date(std::string& out, const DateTime* dt, std::string_view fmt, bool time_only = false) {
  for (size_t i = 0; i < fmt.size(); ++i) {
    const char c = fmt[i];
    if (is_format_char(c) && (i == 0 || fmt[i - 1] != '\\')) {
      const bool time_char = kTimeChars.find(c) != std::string_view::npos;
      // TimeFormat has no date methods; DateFormat refuses time ones on a date.
      if (time_only && !time_char) return Fmt::attribute_error;
      if (dt && dt->type == DateTime::Type::date && time_char) return Fmt::type_error;
      if (dt && dt->type == DateTime::Type::time && !time_char) return Fmt::attribute_error;
      if (dt) {
        put_format_char(out, *dt, c);
      } else if (std::string_view("eOTZI").find(c) == std::string_view::npos) {
        return Fmt::attribute_error;
      }
    } else if (c == '\\' && i + 1 < fmt.size() && fmt[i + 1] != '\n') {
      out += fmt[++i];
    } else {
      out += c;
    }
  }
  return Fmt::ok;
}

// get_format(): Django's named formats (USE_L10N off, English defaults).
std::string_view named_format(std::string_view name) {
  static const std::pair<std::string_view, std::string_view> kNamed[] = {
      {"DATE_FORMAT", "N j, Y"},          {"DATETIME_FORMAT", "N j, Y, P"}, {"TIME_FORMAT", "P"},
      {"YEAR_MONTH_FORMAT", "F Y"},       {"MONTH_DAY_FORMAT", "F j"},      {"SHORT_DATE_FORMAT", "m/d/Y"},
      {"SHORT_DATETIME_FORMAT", "m/d/Y P"}, {"FIRST_DAY_OF_WEEK", "0"},     {"DECIMAL_SEPARATOR", "."},
      {"THOUSAND_SEPARATOR", ","},        {"NUMBER_GROUPING", "0"}};
  for (const auto& [key, fmt] : kNamed) {
    if (key == name) return fmt;
  }
  return name;
}


std::string format_arg(const Value* arg, std::string_view fallback) {
  if (!arg || !truthy(*arg)) return std::string(fallback);
  std::string fmt;
  append_str(fmt, *arg);
  return fmt;
}

Status fmt_error(FilterCtx& ctx, const DateTime& dt) {
  (void)dt;
  *ctx.error = "The format for date objects may not contain time-related format specifiers.";
  return Status::error;
}

}  // namespace

// date_format(value, arg), falling back to format(value, arg) with the raw
// argument, then to '' -- the order Django tries them in.
Status date_filter(FilterCtx& ctx, Value& v, const Value* arg) {
  if (v.kind == Value::Kind::none || (v.is_string() && v.text().empty())) {
    v = Value::owned(std::string(), false);
    return Status::ok;
  }
  if (arg && truthy(*arg) && (arg->kind == Value::Kind::list || arg->kind == Value::Kind::dict)) {
    *ctx.error = "unhashable date format";  // get_format() caches by format
    return Status::error;
  }
  DateTime dt;
  const bool is_date = temporal(v, dt, true);
  const std::string fmt = format_arg(arg, "DATE_FORMAT");
  std::string out;
  Fmt r = format_date(out, is_date ? &dt : nullptr, named_format(fmt));
  if (r == Fmt::type_error) return fmt_error(ctx, dt);
  if (r != Fmt::ok) {
    std::string raw = "None";
    if (arg) {
      raw.clear();
      append_str(raw, *arg);
    }
    out.clear();
    r = format_date(out, is_date ? &dt : nullptr, raw);
    if (r == Fmt::type_error) return fmt_error(ctx, dt);
    if (r != Fmt::ok) out.clear();
  }
  v = Value::owned(std::move(out), false);
  return Status::ok;
}

// time_format(value, arg): TimeFormat only knows the time characters.
Status time_filter(FilterCtx&, Value& v, const Value* arg) {
  if (v.kind == Value::Kind::none || (v.is_string() && v.text().empty())) {
    v = Value::owned(std::string(), false);
    return Status::ok;
  }
  DateTime dt;
  const bool is_time = temporal(v, dt, false) && dt.type != DateTime::Type::date;
  const std::string fmt = format_arg(arg, "TIME_FORMAT");
  std::string out;
  if (format_date(out, is_time ? &dt : nullptr, named_format(fmt), true) != Fmt::ok) {
    out.clear();
    if (format_date(out, is_time ? &dt : nullptr, fmt, true) != Fmt::ok) out.clear();
  }
  v = Value::owned(std::move(out), false);
  return Status::ok;
}

// str(), repr() and localize() of the tagged date, datetime and time values.
void append_temporal(std::string& out, const Value& v, TemporalForm form) {
  DateTime dt;
  if (!temporal(v, dt, false)) {
    out += v.json->get_ref<const std::string&>();
    return;
  }
  const bool has_date = dt.type != DateTime::Type::time, has_time = dt.type != DateTime::Type::date;
  if (form == TemporalForm::localized) {
    const std::string_view fmt = dt.type == DateTime::Type::date ? "N j, Y"
                                 : dt.type == DateTime::Type::time ? "P" : "N j, Y, P";
    format_date(out, &dt, fmt);
    return;
  }
  if (form == TemporalForm::repr) {
    out += dt.type == DateTime::Type::date ? "datetime.date(" : dt.type == DateTime::Type::time ? "datetime.time(" : "datetime.datetime(";
    std::vector<long long> parts;
    if (has_date) parts.insert(parts.end(), {dt.year, dt.month, dt.day});
    if (has_time) {
      parts.insert(parts.end(), {dt.hour, dt.minute});
      if (dt.second || dt.micro) parts.push_back(dt.second);
      if (dt.micro) parts.push_back(dt.micro);
    }
    for (size_t k = 0; k < parts.size(); ++k) {
      if (k) out += ", ";
      put_num(out, parts[k], 0);
    }
    if (dt.aware) {
      out += ", tzinfo=datetime.timezone.";
      if (dt.offset == 0) {
        out += "utc";
      } else {
        out += "(datetime.timedelta(";
        if (dt.offset < 0) {
          out += "days=-1, seconds=";
          put_num(out, 86400 + dt.offset, 0);
        } else {
          out += "seconds=";
          put_num(out, dt.offset, 0);
        }
        out += "))";
      }
    }
    out += ')';
    return;
  }
  if (has_date) {
    put_num(out, dt.year, 4);
    out += '-';
    put_num(out, dt.month, 2);
    out += '-';
    put_num(out, dt.day, 2);
  }
  if (has_date && has_time) out += ' ';
  if (has_time) {
    put_num(out, dt.hour, 2);
    out += ':';
    put_num(out, dt.minute, 2);
    out += ':';
    put_num(out, dt.second, 2);
    if (dt.micro) {
      out += '.';
      put_num(out, dt.micro, 6);
    }
    if (dt.aware) put_offset(out, dt.offset, true);
  }
}

// Seconds since the epoch (UTC wall clock for naive values) and microseconds.
bool temporal_seconds(const Value& v, int64_t& seconds, bool& aware, bool& is_datetime) {
  DateTime dt;
  if (!temporal(v, dt, false) || dt.type == DateTime::Type::time) return false;
  seconds = days_from_civil(dt.year, dt.month, dt.day) * 86400 + dt.hour * 3600 + dt.minute * 60 + dt.second -
            dt.offset;
  aware = dt.aware;
  is_datetime = dt.type == DateTime::Type::datetime;
  return true;
}

void civil_from_seconds(int64_t s, int& y, int& m, int& d, int& hh, int& mm, int& ss) {
  int64_t days = s >= 0 ? s / 86400 : -((-s + 86399) / 86400);
  int64_t rem = s - days * 86400;
  hh = static_cast<int>(rem / 3600);
  mm = static_cast<int>(rem / 60 % 60);
  ss = static_cast<int>(rem % 60);
  days += 719468;
  const int64_t era = (days >= 0 ? days : days - 146096) / 146097;
  const int64_t doe = days - era * 146097;
  const int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const int64_t mp = (5 * doy + 2) / 153;
  d = static_cast<int>(doy - (153 * mp + 2) / 5 + 1);
  m = static_cast<int>(mp < 10 ? mp + 3 : mp - 9);
  y = static_cast<int>(yoe + era * 400 + (m <= 2));
}

bool format_timestamp(std::string& out, int64_t seconds, int micro, std::string_view fmt) {
  DateTime dt;
  civil_from_seconds(seconds, dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second);
  dt.micro = micro;
  const std::string f(named_format(fmt));
  if (format_date(out, &dt, f) == Fmt::ok) return true;
  out.clear();
  return format_date(out, &dt, fmt) == Fmt::ok;
}

}  // namespace tmpl::detail
