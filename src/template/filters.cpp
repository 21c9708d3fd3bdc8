// Builtin filters (django/template/defaultfilters.py). Each takes the value
// in place; the caller applies the is_safe rule afterwards.
#include <cmath>

#include "template/detail.h"

namespace tmpl::detail {

namespace {

using Kind = Value::Kind;

Status set_string(Value& v, std::string s, bool safe) {
  v = Value::owned(std::move(s), safe);
  return Status::ok;
}

// conditional_escape(str(v))
void append_conditional_escape(std::string& out, const Value& v) {
  if (v.is_string() && v.safe) {
    out += v.text();
    return;
  }
  std::string s;
  append_str(s, v);
  append_escaped(out, s);
}

// Python's `',' in arg` style use of an argument requires a str.
bool string_arg(FilterCtx& ctx, const Value* arg, std::string_view fallback, std::string_view& out) {
  if (!arg) {
    out = fallback;
    return true;
  }
  if (!arg->is_string()) {
    *ctx.error = "filter argument must be a string";
    return false;
  }
  out = arg->text();
  return true;
}

std::vector<std::string_view> split_on(std::string_view s, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t at = s.find(sep, start);
    parts.push_back(s.substr(start, at == std::string_view::npos ? s.npos : at - start));
    if (at == std::string_view::npos) return parts;
    start = at + 1;
  }
}

std::string normalize_newlines(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '\r') {
      out += '\n';
      if (i + 1 < s.size() && s[i + 1] == '\n') ++i;
    } else {
      out += s[i];
    }
  }
  return out;
}

void append_replacing_newlines(std::string& out, std::string_view s, bool escape) {
  std::string escaped;
  if (escape) {
    append_escaped(escaped, s);
    s = escaped;
  }
  for (char c : s) {
    if (c == '\n') {
      out += "<br>";
    } else {
      out += c;
    }
  }
}

// float(value) == 1, falling back to len(value) == 1; -1 when neither applies.
int is_singular(const Value& v) {
  switch (v.kind) {
    case Kind::boolean: return v.b ? 1 : 0;
    case Kind::integer: return v.i == 1 ? 1 : 0;
    case Kind::floating: return v.d == 1.0 ? 1 : 0;
    case Kind::string: {
      double d;
      return parse_float(v.text(), d) ? (d == 1.0 ? 1 : 0) : -1;
    }
    default: {
      size_t n;
      return length_of(v, n) ? (n == 1 ? 1 : 0) : -1;
    }
  }
}

Status f_pluralize(FilterCtx& ctx, Value& v, const Value* arg) {
  std::string_view spec;
  if (!string_arg(ctx, arg, "s", spec)) return Status::error;
  const auto bits = split_on(spec, ',');
  if (bits.size() > 2) return set_string(v, "", false);
  const std::string_view singular = bits.size() == 2 ? bits[0] : std::string_view();
  const std::string_view plural = bits.back();
  const int one = is_singular(v);
  if (one < 0) return set_string(v, "", false);
  return set_string(v, std::string(one ? singular : plural), false);
}

Status f_default(FilterCtx&, Value& v, const Value* arg) {
  if (!truthy(v)) v = *arg;
  return Status::ok;
}

Status f_default_if_none(FilterCtx&, Value& v, const Value* arg) {
  if (v.kind == Kind::none) v = *arg;
  return Status::ok;
}

Status f_length(FilterCtx&, Value& v, const Value*) {
  size_t n = 0;
  v = Value::integer(length_of(v, n) ? static_cast<Int>(n) : 0);
  return Status::ok;
}

template <void (*Map)(std::string&, std::string_view)>
Status map_text(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string out;
  Map(out, s.text());
  return set_string(v, std::move(out), false);
}

// Django lowercases "x'Y" -> "x'y" and "1St" -> "1st" after str.title().
void fix_title(std::string& s) {
  auto lower_ascii = [](char& c) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  };
  auto is_upper = [](char c) { return c >= 'A' && c <= 'Z'; };
  for (size_t i = 0; i + 2 < s.size(); ++i) {
    if (s[i] >= 'a' && s[i] <= 'z' && s[i + 1] == '\'' && is_upper(s[i + 2])) {
      lower_ascii(s[i + 2]);
      i += 2;
    }
  }
  for (size_t i = 0; i + 1 < s.size(); ++i) {
    if (is_digit(s[i]) && is_upper(s[i + 1])) {
      lower_ascii(s[i + 1]);
      ++i;
    }
  }
}

Status f_title(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string out;
  append_title(out, s.text());
  fix_title(out);
  return set_string(v, std::move(out), false);
}

Status f_escape(FilterCtx&, Value& v, const Value*) {
  Value s = to_str_value(v);
  if (s.safe) {
    v = std::move(s);
    return Status::ok;
  }
  std::string out;
  append_escaped(out, s.text());
  return set_string(v, std::move(out), true);
}

Status f_force_escape(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string out;
  append_escaped(out, s.text());
  return set_string(v, std::move(out), true);
}

Status f_safe(FilterCtx&, Value& v, const Value*) {
  v = to_str_value(v);
  v.safe = true;
  return Status::ok;
}

double as_double(const Value& x) {
  return x.kind == Kind::floating ? x.d : x.kind == Kind::boolean ? double(x.b) : static_cast<double>(x.i);
}

Value concat_lists(const Value& a, const Value& b) {
  auto list = std::make_shared<Json>(Json::array());
  for (const Json* src : {a.json, b.json}) {
    for (const Json& e : *src->get_ptr<const Json::array_t*>()) list->push_back(e);
  }
  const Json* raw = list.get();
  return Value::container(Kind::list, raw, std::move(list));
}

// int(value) + int(arg), else value + arg, else ''.
Status f_add(FilterCtx& ctx, Value& v, const Value* arg) {
  Int a = 0, b = 0;
  const IntConv ca = py_int(v, a);
  if (ca == IntConv::overflow) return fail(ctx, "cannot convert float infinity to integer");
  if (ca == IntConv::ok) {
    const IntConv cb = py_int(*arg, b);
    if (cb == IntConv::overflow) return fail(ctx, "cannot convert float infinity to integer");
    if (cb == IntConv::ok) {
      Int sum;
      if (__builtin_add_overflow(a, b, &sum)) return set_string(v, "", false);
      v = Value::integer(sum);
      return Status::ok;
    }
  }
  if (v.is_string() && arg->is_string()) {
    std::string s(v.text());
    s += arg->text();
    return set_string(v, std::move(s), v.safe && arg->safe);
  }
  if (v.is_number() && arg->is_number()) {
    v = Value::floating(as_double(v) + as_double(*arg));
    return Status::ok;
  }
  if (v.kind == Kind::list && arg->kind == Kind::list) {
    v = concat_lists(v, *arg);
    return Status::ok;
  }
  return set_string(v, "", false);
}

Status f_yesno(FilterCtx& ctx, Value& v, const Value* arg) {
  std::string_view spec;
  if (!string_arg(ctx, arg, "yes,no,maybe", spec)) return Status::error;
  const auto bits = split_on(spec, ',');
  if (bits.size() < 2) return Status::ok;
  const std::string_view maybe = bits.size() == 3 ? bits[2] : bits[1];
  const std::string_view pick = v.kind == Kind::none ? maybe : truthy(v) ? bits[0] : bits[1];
  return set_string(v, std::string(pick), false);
}

Status f_join(FilterCtx& ctx, Value& v, const Value* arg) {
  Sequence seq;
  if (!seq.init(v)) return Status::ok;  // TypeError: value returned unchanged
  std::string out;
  for (size_t i = 0; i < seq.size(); ++i) {
    const Value item = seq.at(i);
    if (!ctx.autoescape && !item.is_string()) return Status::ok;
    if (i > 0) append_conditional_escape(out, *arg);
    if (ctx.autoescape) {
      append_conditional_escape(out, item);
    } else {
      out += item.text();
    }
  }
  return set_string(v, std::move(out), true);
}

Status f_linebreaksbr(FilterCtx& ctx, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string out;
  append_replacing_newlines(out, normalize_newlines(s.text()), ctx.autoescape && !s.safe);
  return set_string(v, std::move(out), true);
}

Status f_linebreaks(FilterCtx& ctx, Value& v, const Value*) {
  const Value s = to_str_value(v);
  const bool escape = ctx.autoescape && !s.safe;
  const std::string text = normalize_newlines(s.text());
  std::string out;
  size_t start = 0;
  while (true) {
    // re.split('\n{2,}', text)
    size_t at = text.find("\n\n", start);
    const size_t end = at == std::string::npos ? text.size() : at;
    out += "<p>";
    append_replacing_newlines(out, std::string_view(text).substr(start, end - start), escape);
    out += "</p>";
    if (at == std::string::npos) break;
    while (at < text.size() && text[at] == '\n') ++at;
    start = at;
    out += "\n\n";
  }
  return set_string(v, std::move(out), true);
}

// Truncator(value).chars(length) with the default '…' suffix.
Status f_truncatechars(FilterCtx& ctx, Value& v, const Value* arg) {
  Value s = to_str_value(v);
  Int length;
  const IntArg w = int_arg(ctx, *arg, length);
  if (w == IntArg::error) return Status::error;
  if (w == IntArg::value_error) {
    v = std::move(s);
    return Status::ok;
  }
  const std::string_view text = s.text();
  const Int truncate_len = length - 1;
  Int counted = 0;
  size_t end_byte = 0;
  bool end_set = false;
  for (size_t i = 0, len; i < text.size(); i += len) {
    if (is_combining(decode_utf8(text, i, len))) continue;
    ++counted;
    if (!end_set && counted > truncate_len) {
      end_byte = i;
      end_set = true;
    }
    if (counted > length) return set_string(v, std::string(text.substr(0, end_byte)) + "\xE2\x80\xA6", false);
  }
  v = std::move(s);
  v.safe = false;
  return Status::ok;
}

Status f_capfirst(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string out;
  append_capfirst(out, s.text());
  return set_string(v, std::move(out), false);
}

Status f_cut(FilterCtx& ctx, Value& v, const Value* arg) {
  const Value s = to_str_value(v);
  if (!arg->is_string()) return fail(ctx, "replace() argument 1 must be str");
  const std::string_view needle = arg->text();
  std::string out;
  const std::string_view text = s.text();
  if (needle.empty()) {
    out = std::string(text);
  } else {
    size_t start = 0, at;
    while ((at = text.find(needle, start)) != std::string_view::npos) {
      out.append(text.data() + start, at - start);
      start = at + needle.size();
    }
    out.append(text.data() + start, text.size() - start);
  }
  return set_string(v, std::move(out), s.safe && needle != ";");
}

// value[0] / value[-1]
Status pick_end(FilterCtx& ctx, Value& v, bool last) {
  switch (v.kind) {
    case Kind::list:
    case Kind::string:
    case Kind::pair: {
      Sequence seq;
      seq.init(v);
      if (seq.size() == 0) return set_string(v, "", false);
      Value item = seq.at(last ? seq.size() - 1 : 0);
      if (item.is_string() && !item.owns_text) item = Value::owned(std::string(item.text()), item.safe);
      v = std::move(item);
      return Status::ok;
    }
    default:
      return fail(ctx, "object is not subscriptable by position");
  }
}

Status f_first(FilterCtx& ctx, Value& v, const Value*) { return pick_end(ctx, v, false); }
Status f_last(FilterCtx& ctx, Value& v, const Value*) { return pick_end(ctx, v, true); }

Status f_divisibleby(FilterCtx& ctx, Value& v, const Value* arg) {
  Int a, b;
  if (py_int(v, a) != IntConv::ok || py_int(*arg, b) != IntConv::ok) return fail(ctx, "invalid literal for int()");
  if (b == 0) return fail(ctx, "integer division or modulo by zero");
  UInt quotient, remainder;
  divmod_u128(a < 0 ? -static_cast<UInt>(a) : static_cast<UInt>(a), b < 0 ? -static_cast<UInt>(b) : static_cast<UInt>(b),
              quotient, remainder);
  v = Value::boolean(remainder == 0);
  return Status::ok;
}

Status f_wordcount(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  v = Value::integer(static_cast<Int>(split_ws(s.text()).size()));
  return Status::ok;
}

Status f_urlencode(FilterCtx& ctx, Value& v, const Value* arg) {
  std::string_view safe;
  if (!string_arg(ctx, arg, "/", safe)) return Status::error;
  const Value s = to_str_value(v);
  std::string out;
  append_quoted(out, s.text(), safe);
  return set_string(v, std::move(out), false);
}

Status f_escapejs(FilterCtx&, Value& v, const Value*) {
  static const char kHex[] = "0123456789ABCDEF";
  const Value s = to_str_value(v);
  const std::string_view text = s.text();
  std::string out;
  for (size_t i = 0, len; i < text.size(); i += len) {
    const uint32_t cp = decode_utf8(text, i, len);
    const bool escape = cp < 32 || cp == '\\' || cp == '\'' || cp == '"' || cp == '>' || cp == '<' ||
                        cp == '&' || cp == '=' || cp == '-' || cp == ';' || cp == '`' || cp == 0x2028 ||
                        cp == 0x2029;
    if (!escape || (len == 1 && cp >= 0x80)) {
      out.append(text.data() + i, len);
      continue;
    }
    out += "\\u";
    for (int shift = 12; shift >= 0; shift -= 4) out += kHex[(cp >> shift) & 0xF];
  }
  return set_string(v, std::move(out), true);
}

Status f_addslashes(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string out;
  for (char c : s.text()) {
    if (c == '\\' || c == '"' || c == '\'') out += '\\';
    out += c;
  }
  return set_string(v, std::move(out), false);
}

// str.ljust / rjust / center; int(arg) errors propagate as in Django.
enum class Align : uint8_t { left, right, center };
template <Align align>
Status f_justify(FilterCtx& ctx, Value& v, const Value* arg) {
  const Value s = to_str_value(v);
  Int width;
  if (int_arg(ctx, *arg, width) != IntArg::ok) {
    if (ctx.error->empty()) *ctx.error = "invalid literal for int()";
    return Status::error;
  }
  const auto len = static_cast<Int>(char_count(s.text()));
  if (width <= len) {
    v = s;
    v.safe = false;
    return Status::ok;
  }
  if (width - len > (Int(1) << 24)) return fail(ctx, "padding too large");  // a hostile width
  const auto marg = static_cast<int64_t>(width - len);
  const int64_t left = align == Align::left    ? 0
                       : align == Align::right ? marg
                                               : marg / 2 + (marg & static_cast<int64_t>(width) & 1);
  std::string out(static_cast<size_t>(left), ' ');
  out += s.text();
  out.append(static_cast<size_t>(marg - left), ' ');
  return set_string(v, std::move(out), false);
}

constexpr FilterDef kFilters[] = {
    {"add", Arity::required, false, f_add},
    {"addslashes", Arity::none, true, f_addslashes},
    {"capfirst", Arity::none, true, f_capfirst},
    {"center", Arity::required, true, f_justify<Align::center>},
    {"cut", Arity::required, false, f_cut},
    {"date", Arity::optional, false, date_filter},
    {"default", Arity::required, false, f_default},
    {"default_if_none", Arity::required, false, f_default_if_none},
    {"divisibleby", Arity::required, false, f_divisibleby},
    {"escape", Arity::none, true, f_escape},
    {"escapejs", Arity::none, false, f_escapejs},
    {"first", Arity::none, false, f_first},
    {"force_escape", Arity::none, true, f_force_escape},
    {"join", Arity::required, true, f_join},
    {"last", Arity::none, true, f_last},
    {"length", Arity::none, false, f_length},
    {"linebreaks", Arity::none, true, f_linebreaks},
    {"linebreaksbr", Arity::none, true, f_linebreaksbr},
    {"ljust", Arity::required, true, f_justify<Align::left>},
    {"lower", Arity::none, true, map_text<append_lower>},
    {"pluralize", Arity::optional, false, f_pluralize},
    {"rjust", Arity::required, true, f_justify<Align::right>},
    {"safe", Arity::none, true, f_safe},
    {"title", Arity::none, true, f_title},
    {"truncatechars", Arity::required, true, f_truncatechars},
    {"upper", Arity::none, false, map_text<append_upper>},
    {"urlencode", Arity::optional, false, f_urlencode},
    {"wordcount", Arity::none, false, f_wordcount},
    {"yesno", Arity::optional, false, f_yesno},
};

}  // namespace

const FilterDef* find_filter(std::string_view name) {
  for (const auto& f : kFilters) {
    if (f.name == name) return &f;
  }
  if (const FilterDef* f = find_more_filter(name)) return f;
  return find_html_filter(name);
}

}  // namespace tmpl::detail
