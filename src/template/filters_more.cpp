// Number, list and text filters of django/template/defaultfilters.py:
// floatformat, filesizeformat, get_digit, stringformat, slice, dictsort,
// dictsortreversed, random, make_list, phone2numeric, slugify, iriencode,
// truncatewords, wordwrap, pprint.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <optional>

#include "template/detail.h"

namespace tmpl::detail {

namespace {

using Kind = Value::Kind;

Status set_text(Value& v, std::string s, bool safe = false) {
  v = Value::owned(std::move(s), safe);
  return Status::ok;
}

Status fail(FilterCtx& ctx, std::string message) {
  *ctx.error = std::move(message);
  return Status::error;
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

// ---------------------------------------------------------------------------
// slice: value[slice(*bits)]

Status f_slice(FilterCtx&, Value& v, const Value* arg) {
  std::string spec;
  append_str(spec, *arg);
  std::vector<std::optional<Int>> bits;
  size_t start = 0;
  while (true) {
    const size_t colon = spec.find(':', start);
    const std::string_view part = std::string_view(spec).substr(start, colon == std::string::npos ? spec.npos : colon - start);
    if (part.empty()) {
      bits.emplace_back();
    } else {
      Int n;
      if (!parse_int(part, n)) return Status::ok;  // ValueError: value unchanged
      bits.emplace_back(n);
    }
    if (colon == std::string::npos) break;
    start = colon + 1;
  }
  if (bits.size() > 3) return Status::ok;
  std::optional<Int> lo, hi, step;
  if (bits.size() == 1) {
    hi = bits[0];
  } else {
    lo = bits[0];
    hi = bits[1];
    if (bits.size() == 3) step = bits[2];
  }
  const Int st = step.value_or(1);
  if (st == 0) return Status::ok;
  Sequence seq;
  if (!(v.kind == Kind::list || v.is_string()) || !seq.init(v)) return Status::ok;
  const Int n = static_cast<Int>(seq.size());
  auto clamp = [&](std::optional<Int> x, Int dflt) {
    if (!x) return dflt;
    Int i = *x;
    if (i < 0) i += n;
    if (st > 0) return i < 0 ? Int(0) : i > n ? n : i;
    return i < -1 ? Int(-1) : i >= n ? n - 1 : i;
  };
  const Int a = clamp(lo, st > 0 ? 0 : n - 1), b = clamp(hi, st > 0 ? n : -1);
  if (v.is_string()) {
    std::string out;
    for (Int i = a; st > 0 ? i < b : i > b; i += st) out += seq.at(static_cast<size_t>(i)).text();
    const bool safe = v.safe;
    v = Value::owned(std::move(out), safe);
    return Status::ok;
  }
  Json list = Json::array();
  for (Int i = a; st > 0 ? i < b : i > b; i += st) list.push_back((*v.json)[static_cast<size_t>(i)]);
  v = make_list(std::move(list));
  return Status::ok;
}

// ---------------------------------------------------------------------------
// dictsort / dictsortreversed: sorted(value, key=_property_resolver(arg))

bool resolve_property(const Value& item, const Value& arg, Value& out) {
  double f;
  const bool numeric = arg.is_number() || (arg.is_string() && parse_float(arg.text(), f));
  if (numeric) {  // itemgetter(arg): only a real int indexes a list
    if (item.kind == Kind::dict && arg.is_string()) {
      const auto& obj = *item.json->get_ptr<const Json::object_t*>();
      const auto it = obj.find(std::string(arg.text()));
      if (it == obj.end()) return false;
      out = from_json(it->second, item.holder);
      return true;
    }
    Int index;
    if (arg.kind != Kind::integer && arg.kind != Kind::boolean) return false;
    py_int(arg, index);
    Sequence seq;
    if (item.kind == Kind::dict || !seq.init(item)) return false;
    if (index < 0) index += static_cast<Int>(seq.size());
    if (index < 0 || index >= static_cast<Int>(seq.size())) return false;
    out = seq.at(static_cast<size_t>(index));
    return true;
  }
  if (!arg.is_string()) return false;
  const std::string_view path = arg.text();
  if (path.empty() || path[0] == '_' || path.find("._") != std::string_view::npos) return false;
  out = item;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string key(path.substr(start, dot == std::string_view::npos ? path.npos : dot - start));
    if (out.kind != Kind::dict) return false;
    const auto& obj = *out.json->get_ptr<const Json::object_t*>();
    const auto it = obj.find(key);
    if (it == obj.end()) return false;
    out = from_json(it->second, out.holder);
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

template <bool Reverse>
Status f_dictsort(FilterCtx&, Value& v, const Value* arg) {
  Sequence seq;
  if (!seq.init(v) || v.kind == Kind::none) return set_text(v, "");
  std::vector<std::pair<Value, Value>> keyed;
  for (size_t i = 0; i < seq.size(); ++i) {
    Value item = seq.at(i), key;
    if (!resolve_property(item, *arg, key)) return set_text(v, "");
    keyed.emplace_back(std::move(key), std::move(item));
  }
  bool unordered = false;
  std::stable_sort(keyed.begin(), keyed.end(), [&](const auto& a, const auto& b) {
    const Order o = Reverse ? compare_values(b.first, a.first) : compare_values(a.first, b.first);
    if (o == Order::unordered) unordered = true;
    return o == Order::less;
  });
  if (unordered) return set_text(v, "");  // TypeError
  Json list = Json::array();
  for (const auto& [key, item] : keyed) list.push_back(to_json(item));
  v = make_list(std::move(list));
  return Status::ok;
}

Status f_random(FilterCtx& ctx, Value& v, const Value*) {
  Sequence seq;
  if (v.kind == Kind::dict || !seq.init(v)) return fail(ctx, "object is not subscriptable");
  if (seq.size() == 0) return fail(ctx, "Cannot choose from an empty sequence");
  const auto ticks = static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  Value item = seq.at(static_cast<size_t>((ticks * 0x9E3779B97F4A7C15ULL >> 17) % seq.size()));
  if (item.is_string() && !item.owns_text) item = Value::owned(std::string(item.text()), item.safe);
  v = std::move(item);
  return Status::ok;
}

Status f_make_list(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  Sequence seq;
  seq.init(s);
  Json list = Json::array();
  for (size_t i = 0; i < seq.size(); ++i) list.push_back(std::string(seq.at(i).text()));
  v = make_list(std::move(list));
  return Status::ok;
}

Status f_phone2numeric(FilterCtx& ctx, Value& v, const Value*) {
  if (!v.is_string()) return fail(ctx, "phone2numeric: the value has no lower()");
  static const char kMap[] = "22233344455566677778889999";
  std::string lower;
  append_lower(lower, v.text());
  for (char& c : lower) {
    if (c >= 'a' && c <= 'z') c = kMap[c - 'a'];
  }
  return set_text(v, std::move(lower));
}

// unicodedata.normalize('NFKD', c).encode('ascii', 'ignore') for the Latin
// letters, the fullwidth forms and the common ligatures.
void append_ascii_fold(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
    return;
  }
  static const char* const kLatin1 =  // U+00C0..U+00FF
      "AAAAAA\0CEEEEIIII\0NOOOOO\0\0UUUUY\0\0aaaaaa\0ceeeeiiii\0nooooo\0\0uuuuy\0y";
  static const char* const kExtA =  // U+0100..U+017F
      "AaAaAaCcCcCcCcDd\0\0EeEeEeEeEeGgGgGgGgHh\0\0IiIiIiIiI\0\0\0JjKk\0LlLlLl\0\0\0\0NnNnNn\0\0\0OoOoOo\0\0RrRrRrSsSsSsSsTtTt\0\0UuUuUuUuUuUuWwYyYZzZzZz\0";
  if (cp >= 0xC0 && cp <= 0xFF) {
    if (const char c = kLatin1[cp - 0xC0]) out += c;
    return;
  }
  if (cp >= 0x100 && cp <= 0x17F) {
    if (const char c = kExtA[cp - 0x100]) out += c;
    if (cp == 0x132) out += 'J';  // Ĳ
    if (cp == 0x133) out += 'j';
    return;
  }
  if (cp >= 0xFF01 && cp <= 0xFF5E) {
    out += static_cast<char>(cp - 0xFF01 + 0x21);
    return;
  }
  if (cp >= 0xFB00 && cp <= 0xFB04) {
    static const char* const kLig[] = {"ff", "fi", "fl", "ffi", "ffl"};
    out += kLig[cp - 0xFB00];
    return;
  }
  if (cp == 0x3000 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0xA0) out += ' ';
}

Status f_slugify(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string ascii;
  const std::string_view text = s.text();
  for (size_t i = 0, len; i < text.size(); i += len) append_ascii_fold(ascii, decode_utf8(text, i, len));
  std::string kept;  // re.sub(r'[^\w\s-]', '', value.lower())
  for (char c : ascii) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    const bool word = (c >= 'a' && c <= 'z') || is_digit(c) || c == '_';
    const bool space = c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
    if (word || space || c == '-') kept += c;
  }
  std::string out;  // re.sub(r'[-\s]+', '-', value).strip('-_')
  for (size_t i = 0; i < kept.size(); ++i) {
    const char c = kept[i];
    const bool sep = c == '-' || c == ' ' || (c >= '\t' && c <= '\r') || (c >= 0x1c && c <= 0x1f);
    if (!sep) {
      out += c;
    } else if (out.empty() || out.back() != '-' || (i > 0 && !(kept[i - 1] == '-' || kept[i - 1] == ' ' ||
                                                                (kept[i - 1] >= '\t' && kept[i - 1] <= '\r') ||
                                                                (kept[i - 1] >= 0x1c && kept[i - 1] <= 0x1f)))) {
      out += '-';
    }
  }
  size_t a = 0, b = out.size();
  while (a < b && (out[a] == '-' || out[a] == '_')) ++a;
  while (b > a && (out[b - 1] == '-' || out[b - 1] == '_')) --b;
  return set_text(v, out.substr(a, b - a), s.safe);
}

Status f_iriencode(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string out;
  append_quoted(out, s.text(), "/#%[]=:;$&()+,!?*@'~");
  return set_text(v, std::move(out));
}

Status f_truncatewords(FilterCtx& ctx, Value& v, const Value* arg) {
  Value s = to_str_value(v);
  Int length;
  const IntConv c = py_int(*arg, length);
  if (c == IntConv::overflow) return fail(ctx, "cannot convert float infinity to integer");
  if (c != IntConv::ok) {
    if (arg->is_string() || arg->kind == Kind::floating) {
      v = std::move(s);
      return Status::ok;
    }
    return fail(ctx, "int() argument must be a string or a number");
  }
  const auto words = split_ws(s.text());
  std::string out;
  const size_t n = length < 0 ? 0 : static_cast<size_t>(length);
  const bool truncated = words.size() > n;
  for (size_t k = 0; k < words.size() && (!truncated || k < n); ++k) {
    if (k) out += ' ';
    out += words[k];
  }
  if (truncated) {
    const std::string_view suffix = " \xE2\x80\xA6";
    if (out.size() < suffix.size() || out.compare(out.size() - suffix.size(), suffix.size(), suffix) != 0) out += suffix;
  }
  return set_text(v, std::move(out));
}

// django.utils.text.wrap (Django 3.2's): breaks at the last space that fits.
Status f_wordwrap(FilterCtx& ctx, Value& v, const Value* arg) {
  const Value s = to_str_value(v);
  Int width;
  if (py_int(*arg, width) != IntConv::ok) return fail(ctx, "invalid literal for int()");
  const std::string_view text = s.text();
  std::string out;
  size_t start = 0;
  while (start < text.size()) {
    // splitlines(True) on '\n' (the common line break)
    size_t nl = text.find('\n', start);
    std::string_view line = text.substr(start, nl == std::string_view::npos ? text.npos : nl + 1 - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    std::vector<size_t> offs;  // character starts, for len() and slicing
    auto chars = [&](std::string_view l) {
      offs.clear();
      for (size_t i = 0, len; i < l.size(); i += len) {
        decode_utf8(l, i, len);
        offs.push_back(i);
      }
      offs.push_back(l.size());
      return static_cast<Int>(offs.size() - 1);
    };
    auto max_width = [&](std::string_view l) {
      const Int w = !l.empty() && l.back() == '\n' ? width + 1 : width;
      return w < width ? w : width;
    };
    Int n = chars(line);
    while (n > max_width(line)) {
      const Int mw = max_width(line);
      const size_t limit = mw + 1 < 0 ? 0 : static_cast<size_t>(std::min<Int>(mw + 1, n));
      const std::string_view head = line.substr(0, offs[limit]);
      size_t space = head.rfind(' ');
      if (mw + 1 < 0) space = std::string_view::npos;
      if (space == std::string_view::npos) {
        space = line.find(' ');
        if (space == std::string_view::npos) break;
      }
      out += line.substr(0, space);
      out += '\n';
      line = line.substr(space + 1);
      n = chars(line);
    }
    out += line;
  }
  return set_text(v, std::move(out));
}

// pprint.pformat for what JSON holds: repr() with dict keys sorted (lines
// are not wrapped at 80 columns).
void append_pformat(std::string& out, const Value& v, int depth) {
  if (depth > kMaxValueDepth) {
    out += "...";
    return;
  }
  if (v.kind == Kind::dict) {
    const auto& obj = *v.json->get_ptr<const Json::object_t*>();
    std::vector<const std::pair<const std::string, Json>*> entries;
    for (const auto& e : obj) entries.push_back(&e);
    std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
    out += '{';
    for (size_t k = 0; k < entries.size(); ++k) {
      if (k) out += ", ";
      append_repr_str(out, entries[k]->first);
      out += ": ";
      append_pformat(out, from_json(entries[k]->second, v.holder), depth + 1);
    }
    out += '}';
    return;
  }
  if (v.kind == Kind::list) {
    out += '[';
    Sequence seq;
    seq.init(v);
    for (size_t k = 0; k < seq.size(); ++k) {
      if (k) out += ", ";
      append_pformat(out, seq.at(k), depth + 1);
    }
    out += ']';
    return;
  }
  append_repr(out, v, depth);
}

// PrettyPrinter._format: a list or dict whose repr does not fit in 80
// columns is written one item per line, indented (long strings are not split).
void append_pprint(std::string& out, const Value& v, size_t indent, size_t allowance, int depth) {
  std::string rep;
  append_pformat(rep, v, depth);
  const bool container = v.kind == Kind::list || v.kind == Kind::dict;
  if (!container || depth > kMaxValueDepth || char_count(rep) + indent + allowance <= 80) {
    out += rep;
    return;
  }
  const size_t inner = indent + 1;
  const std::string delim = ",\n" + std::string(inner, ' ');
  if (v.kind == Kind::list) {
    out += '[';
    Sequence seq;
    seq.init(v);
    for (size_t k = 0; k < seq.size(); ++k) {
      if (k) out += delim;
      append_pprint(out, seq.at(k), inner, k + 1 == seq.size() ? allowance + 1 : 1, depth + 1);
    }
    out += ']';
    return;
  }
  const auto& obj = *v.json->get_ptr<const Json::object_t*>();
  std::vector<const std::pair<const std::string, Json>*> entries;
  for (const auto& e : obj) entries.push_back(&e);
  std::sort(entries.begin(), entries.end(), [](auto* a, auto* b) { return a->first < b->first; });
  out += '{';
  for (size_t k = 0; k < entries.size(); ++k) {
    if (k) out += delim;
    std::string key;
    append_repr_str(key, entries[k]->first);
    out += key + ": ";
    append_pprint(out, from_json(entries[k]->second, v.holder), inner + char_count(key) + 2,
                  k + 1 == entries.size() ? allowance + 1 : 1, depth + 1);
  }
  out += '}';
}

Status f_pprint(FilterCtx&, Value& v, const Value*) {
  std::string out;
  append_pprint(out, v, 0, 0, 0);
  return set_text(v, std::move(out));
}

}  // namespace

const FilterDef* find_more_filter(std::string_view name) {
  static constexpr FilterDef kFilters[] = {
      {"dictsort", Arity::required, false, f_dictsort<false>},
      {"dictsortreversed", Arity::required, false, f_dictsort<true>},
      {"filesizeformat", Arity::none, true, f_filesizeformat},
      {"floatformat", Arity::optional, true, f_floatformat},
      {"get_digit", Arity::required, false, f_get_digit},
      {"iriencode", Arity::none, true, f_iriencode},
      {"make_list", Arity::none, false, f_make_list},
      {"phone2numeric", Arity::none, true, f_phone2numeric},
      {"pprint", Arity::none, true, f_pprint},
      {"random", Arity::none, true, f_random},
      {"slice", Arity::required, true, f_slice},
      {"slugify", Arity::none, true, f_slugify},
      {"stringformat", Arity::required, true, f_stringformat},
      {"time", Arity::optional, false, time_filter},
      {"timesince", Arity::optional, false, timesince_filter},
      {"timeuntil", Arity::optional, false, timeuntil_filter},
      {"truncatewords", Arity::required, true, f_truncatewords},
      {"wordwrap", Arity::required, true, f_wordwrap},
  };
  for (const auto& f : kFilters) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace tmpl::detail
