// List and text filters of django/template/defaultfilters.py: slice, dictsort,
// dictsortreversed, random, make_list, phone2numeric, slugify, iriencode,
// truncatewords, wordwrap, pprint.
#include <algorithm>
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
  const uint64_t seed = ctx.inputs->seed;
  Value item = seq.at(static_cast<size_t>((seed * 0x9E3779B97F4A7C15ULL >> 17) % seq.size()));
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
  const IntArg w = int_arg(ctx, *arg, length);
  if (w == IntArg::error) return Status::error;
  if (w == IntArg::value_error) {
    v = std::move(s);
    return Status::ok;
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
      {"iriencode", Arity::none, true, f_iriencode},
      {"make_list", Arity::none, false, f_make_list},
      {"phone2numeric", Arity::none, true, f_phone2numeric},
      {"pprint", Arity::none, true, f_pprint},
      {"random", Arity::none, true, f_random},
      {"slice", Arity::required, true, f_slice},
      {"slugify", Arity::none, true, f_slugify},
      {"time", Arity::optional, false, time_filter},
      {"timesince", Arity::optional, false, timesince_filter},
      {"timeuntil", Arity::optional, false, timeuntil_filter},
      {"truncatewords", Arity::required, true, f_truncatewords},
      {"wordwrap", Arity::required, true, f_wordwrap},
  };
  for (const auto& f : kFilters) {
    if (f.name == name) return &f;
  }
  return find_number_filter(name);
}

}  // namespace tmpl::detail
