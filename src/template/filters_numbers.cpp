// Number filters of django/template/defaultfilters.py: floatformat,
// filesizeformat, get_digit, stringformat (Python's % formatting).
#include <cmath>
#include <cstdio>
#include <vector>

#include "template/detail.h"

namespace tmpl::detail {

namespace {

using Kind = Value::Kind;

Status set_text(Value& v, std::string s, bool safe = false) {
  v = Value::owned(std::move(s), safe);
  return Status::ok;
}

// ---------------------------------------------------------------------------
// floatformat: Decimal(str(value)).quantize(exp, ROUND_HALF_UP)

struct Decimal {
  bool negative = false;
  std::string digits;  // coefficient, no leading zeros except "0"
  long exponent = 0;
  bool special = false;  // inf / nan
};

bool parse_decimal(std::string_view s, Decimal& d) {
  s = strip(s);
  size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) d.negative = s[i++] == '-';
  std::string_view rest = s.substr(i);
  auto lower_eq = [](std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (size_t k = 0; k < a.size(); ++k) {
      if ((a[k] | 0x20) != b[k]) return false;
    }
    return true;
  };
  if (lower_eq(rest, "inf") || lower_eq(rest, "infinity") || lower_eq(rest, "nan")) {
    d.special = true;
    return true;
  }
  bool any = false, point = false;
  for (; i < s.size(); ++i) {
    const char c = s[i];
    if (is_digit(c)) {
      d.digits += c;
      if (point) --d.exponent;
      any = true;
    } else if (c == '.' && !point) {
      point = true;
    } else if (c == '_' ) {
      continue;
    } else {
      break;
    }
  }
  if (!any) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    bool eneg = false;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) eneg = s[i++] == '-';
    if (i >= s.size()) return false;
    long e = 0;
    for (; i < s.size() && is_digit(s[i]); ++i) {
      if (e < 100000000) e = e * 10 + (s[i] - '0');
    }
    d.exponent += eneg ? -e : e;
  }
  if (i != s.size()) return false;
  const size_t nz = d.digits.find_first_not_of('0');
  d.digits = nz == std::string::npos ? "0" : d.digits.substr(nz);
  return true;
}

void group_thousands(std::string& int_part) {
  std::string out;
  const size_t n = int_part.size();
  for (size_t k = 0; k < n; ++k) {
    if (k && (n - k) % 3 == 0) out += ',';
    out += int_part[k];
  }
  int_part = out;
}

Status f_floatformat(FilterCtx&, Value& v, const Value* arg) {
  bool grouping = false;
  Int p = -1;
  std::string arg_text;
  if (arg) {
    if (arg->is_string()) {
      arg_text = std::string(arg->text());
      // 'g' groups thousands, 'u' un-localizes (a no-op in English).
      for (int k = 0; k < 2 && !arg_text.empty(); ++k) {
        if (arg_text.back() == 'g') {
          grouping = true;
          arg_text.pop_back();
        } else if (arg_text.back() == 'u') {
          arg_text.pop_back();
        }
      }
    }
  }
  std::string input;
  append_str(input, v);
  Decimal d;
  if (v.kind == Kind::none || v.kind == Kind::list || v.kind == Kind::dict || !parse_decimal(input, d)) {
    double f;
    if (!(v.is_string() && parse_float(v.text(), f)) && v.kind != Kind::boolean) return set_text(v, "");
    if (v.kind == Kind::boolean) f = v.b;
    input.clear();
    append_float_repr(input, f);
    d = Decimal();
    if (!parse_decimal(input, d)) return set_text(v, "");
  }
  if (arg) {
    Value a = *arg;
    if (arg->is_string()) a = Value::owned(arg_text.empty() ? "-1" : arg_text, false);
    if (py_int(a, p) != IntConv::ok) return set_text(v, input);
  }
  if (d.special) return set_text(v, input);
  // m = int(d) - d: is there a fractional part?
  bool fractional = false;
  if (d.exponent < 0) {
    const long frac = -d.exponent;
    const size_t n = d.digits.size();
    const std::string tail = static_cast<size_t>(frac) >= n ? d.digits : d.digits.substr(n - static_cast<size_t>(frac));
    fractional = tail.find_first_not_of('0') != std::string::npos;
  }
  const long places = static_cast<long>(p < 0 ? -p : p);
  if (places > 10000) return set_text(v, input);
  std::string int_part, frac_part;
  if (!fractional && p < 0) {
    // '%d' % int(d)
    std::string digits = d.digits;
    if (d.exponent >= 0) {
      if (d.exponent > 10000) return set_text(v, input);
      if (digits != "0") digits.append(static_cast<size_t>(d.exponent), '0');
    } else {
      const size_t cut = static_cast<size_t>(-d.exponent);
      digits = cut >= digits.size() ? "0" : digits.substr(0, digits.size() - cut);
    }
    int_part = digits;
    if (grouping) group_thousands(int_part);
    return set_text(v, (d.negative && digits != "0" ? "-" : "") + int_part, true);
  }
  // quantize to exponent -places, ROUND_HALF_UP
  std::string coef = d.digits;
  long exp = d.exponent;
  if (exp > 10000) return set_text(v, input);
  if (exp > -places) {
    coef.append(static_cast<size_t>(exp + places), '0');
  } else if (exp < -places) {
    const size_t drop = static_cast<size_t>(-places - exp);
    bool round_up = false;
    if (drop <= coef.size()) {
      round_up = coef[coef.size() - drop] >= '5';
      coef = coef.substr(0, coef.size() - drop);
    } else {
      coef.clear();
    }
    if (coef.empty()) coef = "0";
    if (round_up) {
      size_t k = coef.size();
      while (k > 0 && coef[k - 1] == '9') coef[--k] = '0';
      if (k == 0) {
        coef.insert(coef.begin(), '1');
      } else {
        ++coef[k - 1];
      }
    }
  }
  while (coef.size() <= static_cast<size_t>(places)) coef.insert(coef.begin(), '0');
  int_part = coef.substr(0, coef.size() - static_cast<size_t>(places));
  frac_part = coef.substr(coef.size() - static_cast<size_t>(places));
  const size_t nz = int_part.find_first_not_of('0');
  int_part = nz == std::string::npos ? "0" : int_part.substr(nz);
  const bool zero = int_part == "0" && frac_part.find_first_not_of('0') == std::string::npos;
  if (grouping) group_thousands(int_part);
  std::string out = (d.negative && !zero ? "-" : "") + int_part;
  if (places > 0) out += "." + frac_part;
  return set_text(v, std::move(out), true);
}

// ---------------------------------------------------------------------------

Status f_filesizeformat(FilterCtx&, Value& v, const Value*) {
  Int bytes;
  if (py_int(v, bytes) != IntConv::ok) return set_text(v, "0\xC2\xA0" "bytes");
  const bool negative = bytes < 0;
  if (negative) bytes = -bytes;
  std::string out;
  constexpr Int kKB = Int(1) << 10;
  if (bytes < kKB) {
    append_int(out, bytes);
    out += bytes == 1 ? "\xC2\xA0" "byte" : "\xC2\xA0" "bytes";
  } else {
    static const char* kUnits[] = {"KB", "MB", "GB", "TB", "PB"};
    int unit = 0;
    while (unit < 4 && bytes >= (Int(1) << (10 * (unit + 2)))) ++unit;
    const double value = static_cast<double>(bytes) / static_cast<double>(Int(1) << (10 * (unit + 1)));
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f", value);  // round(value, 1), then one decimal
    out = std::string(buf) + "\xC2\xA0" + kUnits[unit];
  }
  if (negative) out = "-" + out;
  return set_text(v, std::move(out));
}

Status f_get_digit(FilterCtx& ctx, Value& v, const Value* arg) {
  Int position, value;
  const IntConv ca = py_int(*arg, position);
  if (ca != IntConv::ok) {
    if (ca == IntConv::bad && (arg->is_string() || arg->kind == Kind::floating)) return Status::ok;
    return fail(ctx, "int() argument must be a string or a number");
  }
  const IntConv cv = py_int(v, value);
  if (cv != IntConv::ok) {
    if (cv == IntConv::bad && v.is_string()) return Status::ok;
    return fail(ctx, "int() argument must be a string or a number");
  }
  if (position < 1) {
    v = Value::integer(value);
    return Status::ok;
  }
  std::string digits;
  append_int(digits, value);
  if (position > static_cast<Int>(digits.size())) {
    v = Value::integer(0);
    return Status::ok;
  }
  const char c = digits[digits.size() - static_cast<size_t>(position)];
  if (!is_digit(c)) return fail(ctx, "invalid literal for int() with base 10: '-'");
  v = Value::integer(c - '0');
  return Status::ok;
}

// ---------------------------------------------------------------------------
// stringformat: ("%" + arg) % value, one conversion.

bool format_int_spec(std::string& out, Int n, char type, const std::string& flags, long width, long precision) {
  const bool neg = n < 0;
  UInt mag = neg ? -static_cast<UInt>(n) : static_cast<UInt>(n);
  const unsigned base = type == 'o' ? 8 : (type == 'x' || type == 'X') ? 16 : 10;
  const char* digits = type == 'X' ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string body;
  do {
    UInt q, r;
    divmod_u128(mag, base, q, r);
    body.insert(body.begin(), digits[static_cast<size_t>(r)]);
    mag = q;
  } while (mag != 0);
  if (precision >= 0 && static_cast<long>(body.size()) < precision)
    body.insert(0, static_cast<size_t>(precision - static_cast<long>(body.size())), '0');
  std::string prefix = neg ? "-" : flags.find('+') != std::string::npos ? "+" : flags.find(' ') != std::string::npos ? " " : "";
  if (flags.find('#') != std::string::npos && base != 10) prefix += type == 'o' ? "0o" : type == 'x' ? "0x" : "0X";
  const long len = static_cast<long>(prefix.size() + body.size());
  if (width > len) {
    const size_t pad = static_cast<size_t>(width - len);
    if (flags.find('-') != std::string::npos) {
      out += prefix + body + std::string(pad, ' ');
    } else if (flags.find('0') != std::string::npos) {
      out += prefix + std::string(pad, '0') + body;
    } else {
      out += std::string(pad, ' ') + prefix + body;
    }
  } else {
    out += prefix + body;
  }
  return true;
}

void pad_text(std::string& out, std::string_view s, const std::string& flags, long width) {
  const long n = static_cast<long>(char_count(s));
  if (width > n && flags.find('-') == std::string::npos) out.append(static_cast<size_t>(width - n), ' ');
  out += s;
  if (width > n && flags.find('-') != std::string::npos) out.append(static_cast<size_t>(width - n), ' ');
}

bool py_float(const Value& v, double& out) {
  switch (v.kind) {
    case Kind::boolean: out = v.b; return true;
    case Kind::integer: out = static_cast<double>(v.i); return true;
    case Kind::floating: out = v.d; return true;
    default: return false;
  }
}

Status f_stringformat(FilterCtx&, Value& v, const Value* arg) {
  std::string spec = "%";
  append_str(spec, *arg);
  std::string out;
  bool used = false;
  for (size_t i = 0; i < spec.size(); ++i) {
    if (spec[i] != '%') {
      out += spec[i];
      continue;
    }
    ++i;
    if (i < spec.size() && spec[i] == '%') {
      out += '%';
      continue;
    }
    if (i < spec.size() && spec[i] == '(') return set_text(v, "");  // mapping keys: not a dict
    std::string flags;
    while (i < spec.size() && std::string_view("#0- +").find(spec[i]) != std::string_view::npos) flags += spec[i++];
    long width = 0, precision = -1;
    while (i < spec.size() && is_digit(spec[i]) && width < 100000) width = width * 10 + (spec[i++] - '0');
    if (i < spec.size() && spec[i] == '.') {
      ++i;
      precision = 0;
      while (i < spec.size() && is_digit(spec[i]) && precision < 100000) precision = precision * 10 + (spec[i++] - '0');
    }
    while (i < spec.size() && (spec[i] == 'h' || spec[i] == 'l' || spec[i] == 'L')) ++i;
    if (i >= spec.size() || used) return set_text(v, "");  // incomplete format / not enough arguments
    if (width > 100000) return set_text(v, "");
    used = true;
    const char type = spec[i];
    switch (type) {
      case 's':
      case 'r':
      case 'a': {
        std::string s;
        if (type == 's') {
          append_str(s, v);
        } else {
          append_repr(s, v, 0);
        }
        if (precision >= 0) {
          Sequence chars;
          chars.init(Value::borrowed(s, false));
          if (static_cast<size_t>(precision) < chars.size()) {
            std::string cut;
            for (size_t k = 0; k < static_cast<size_t>(precision); ++k) cut += chars.at(k).text();
            s = cut;
          }
        }
        pad_text(out, s, flags, width);
        break;
      }
      case 'd':
      case 'i':
      case 'u':
      case 'o':
      case 'x':
      case 'X': {
        Int n;
        if (v.is_string() || v.kind == Kind::none || !v.is_number() || py_int(v, n) != IntConv::ok)
          return set_text(v, "");
        if ((type == 'o' || type == 'x' || type == 'X') && v.kind == Kind::floating) return set_text(v, "");
        format_int_spec(out, n, type == 'i' || type == 'u' ? 'd' : type, flags, width, precision);
        break;
      }
      case 'e':
      case 'E':
      case 'f':
      case 'F':
      case 'g':
      case 'G': {
        double d;
        if (!py_float(v, d)) return set_text(v, "");
        std::string fmt = "%" + flags + std::to_string(width);
        if (precision >= 0) fmt += "." + std::to_string(precision > 1000 ? 1000 : precision);
        fmt += type;
        std::vector<char> buf(static_cast<size_t>(width) + 1400);
        std::snprintf(buf.data(), buf.size(), fmt.c_str(), d);
        out += buf.data();
        break;
      }
      case 'c': {
        Int n;
        if (v.is_string() && char_count(v.text()) == 1) {
          pad_text(out, v.text(), flags, width);
        } else if ((v.kind == Kind::integer || v.kind == Kind::boolean) && py_int(v, n) == IntConv::ok && n >= 0 &&
                   n <= 0x10FFFF) {
          std::string c;
          append_utf8(c, static_cast<uint32_t>(n));
          pad_text(out, c, flags, width);
        } else {
          return set_text(v, "");
        }
        break;
      }
      default:
        return set_text(v, "");  // unsupported format character
    }
  }
  if (!used && v.kind != Kind::dict) return set_text(v, "");  // not all arguments converted
  return set_text(v, std::move(out), false);
}

}  // namespace

const FilterDef* find_number_filter(std::string_view name) {
  static constexpr FilterDef kFilters[] = {
      {"filesizeformat", Arity::none, true, f_filesizeformat},
      {"floatformat", Arity::optional, true, f_floatformat},
      {"get_digit", Arity::required, false, f_get_digit},
      {"stringformat", Arity::required, true, f_stringformat},
  };
  for (const auto& f : kFilters) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace tmpl::detail
