// HTML filters of django/template/defaultfilters.py and django.utils.html:
// striptags, truncatechars_html, truncatewords_html, urlize, urlizetrunc,
// unordered_list, linenumbers, safeseq, escapeseq, json_script.
#include <cmath>
#include <cstdio>

#include "template/detail.h"

namespace tmpl::detail {

namespace {

using Kind = Value::Kind;

Status set_text(Value& v, std::string s, bool safe) {
  v = Value::owned(std::move(s), safe);
  return Status::ok;
}

bool is_space_byte(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

void conditional_escape(std::string& out, const Value& v) {
  if (v.is_string() && v.safe) {
    out += v.text();
    return;
  }
  std::string s;
  append_str(s, v);
  append_escaped(out, s);
}

// strip_tags(): HTMLParser-style removal of tags, comments, declarations
// and processing instructions, repeated while it removes something.
std::string strip_once(std::string_view s) {
  std::string out;
  size_t i = 0;
  while (i < s.size()) {
    if (s[i] == '<' && i + 1 < s.size()) {
      const char c = s[i + 1];
      const bool starts = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '/' || c == '!' || c == '?';
      if (starts) {
        size_t end;
        if (s.substr(i, 4) == "<!--") {
          end = s.find("-->", i + 4);
          if (end != std::string_view::npos) end += 3;
        } else {
          end = s.find('>', i + 1);
          if (end != std::string_view::npos) ++end;
        }
        if (end == std::string_view::npos) break;  // an unterminated tag at the end is dropped
        i = end;
        continue;
      }
    }
    out += s[i++];
  }
  return out;
}

size_t count_char(std::string_view s, char c) {
  size_t n = 0;
  for (char x : s) n += x == c;
  return n;
}

Status f_striptags(FilterCtx&, Value& v, const Value*) {
  const Value s = to_str_value(v);
  std::string value(s.text());
  while (value.find('<') != std::string::npos && value.find('>') != std::string::npos) {
    std::string next = strip_once(value);
    if (count_char(value, '<') == count_char(next, '<')) break;
    value = std::move(next);
  }
  return set_text(v, std::move(value), false);
}

// Truncator._truncate_html (Django 3.2's regex version).
std::string truncate_html(std::string_view text, Int length, Int truncate_len, bool words, std::string_view suffix) {
  if (words && length <= 0) return "";
  static const char* const kSinglets[] = {"br", "col", "link", "base", "img", "param", "area", "hr", "input"};
  size_t pos = 0, end_text_pos = 0;
  Int current = 0;
  std::vector<std::string> open_tags;
  while (current <= length) {
    // regex = <[^>]+?>|([^<>\s]+) (words) or <[^>]+?>|(.) (chars)
    size_t m_start = std::string_view::npos, m_end = 0;
    bool is_text = false;
    for (size_t i = pos; i < text.size(); ++i) {
      if (text[i] == '<') {
        const size_t close = text.find('>', i + 1);
        if (close != std::string_view::npos && close > i + 1) {
          m_start = i;
          m_end = close + 1;
          break;
        }
      }
      if (!words) {
        size_t len;
        decode_utf8(text, i, len);
        m_start = i;
        m_end = i + len;
        is_text = true;
        break;
      }
      if (text[i] != '<' && text[i] != '>' && !is_space_byte(text[i])) {
        size_t j = i;
        while (j < text.size() && text[j] != '<' && text[j] != '>' && !is_space_byte(text[j])) ++j;
        m_start = i;
        m_end = j;
        is_text = true;
        break;
      }
    }
    if (m_start == std::string_view::npos) break;
    pos = m_end;
    if (is_text) {
      ++current;
      if (current == truncate_len) end_text_pos = pos;
      continue;
    }
    // re_tag = <(/)?(\S+?)(?:(\s*/)|\s.*?)?>
    const std::string_view tag = text.substr(m_start, m_end - m_start);
    if (current >= truncate_len) continue;
    std::string_view inner = tag.substr(1, tag.size() - 2);
    const bool closing = !inner.empty() && inner[0] == '/';
    if (closing) inner.remove_prefix(1);
    size_t name_end = 0;
    while (name_end < inner.size() && !is_space_byte(inner[name_end])) ++name_end;
    std::string name(inner.substr(0, name_end));
    bool self_closing = false;
    if (name_end == inner.size() && !name.empty() && name.back() == '/' && name.size() > 1) {
      name.pop_back();
      self_closing = true;
    } else if (name_end < inner.size()) {
      std::string_view rest = inner.substr(name_end);
      size_t k = rest.size();
      while (k > 0 && is_space_byte(rest[k - 1])) --k;
      self_closing = k > 0 && rest[k - 1] == '/' && rest.find_first_not_of(" \t\n\r\f\v/") == std::string_view::npos;
    }
    if (name.empty()) continue;
    for (char& c : name) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    bool singlet = self_closing;
    for (const char* s : kSinglets) singlet = singlet || name == s;
    if (singlet) continue;
    if (closing) {
      for (size_t k = 0; k < open_tags.size(); ++k) {
        if (open_tags[k] == name) {
          open_tags.erase(open_tags.begin(), open_tags.begin() + static_cast<std::ptrdiff_t>(k) + 1);
          break;
        }
      }
    } else {
      open_tags.insert(open_tags.begin(), name);
    }
  }
  if (current <= length) return std::string(text);
  std::string out(text.substr(0, end_text_pos));
  out += suffix;
  for (const auto& t : open_tags) out += "</" + t + ">";
  return out;
}

template <bool Words>
Status f_truncate_html(FilterCtx& ctx, Value& v, const Value* arg) {
  Value s = to_str_value(v);
  Int length;
  const IntArg w = int_arg(ctx, *arg, length);
  if (w == IntArg::error) return Status::error;
  if (w == IntArg::value_error) {
    v = std::move(s);
    return Status::ok;
  }
  const std::string_view suffix = Words ? " \xE2\x80\xA6" : "\xE2\x80\xA6";
  return set_text(v, truncate_html(s.text(), length, Words ? length : length - 1, Words, suffix), false);
}

Status f_urlize(FilterCtx& ctx, Value& v, const Value*) {
  const Value s = to_str_value(v);
  return set_text(v, urlize(s.text(), s.safe, ctx.autoescape, 0, false), true);
}

Status f_urlizetrunc(FilterCtx& ctx, Value& v, const Value* arg) {
  const Value s = to_str_value(v);
  Int limit;
  if (py_int(*arg, limit) != IntConv::ok) return fail(ctx, "invalid literal for int()");
  return set_text(v, urlize(s.text(), s.safe, ctx.autoescape, limit, true), true);
}

// ---------------------------------------------------------------------------

void list_formatter(std::string& out, const Value& list, int tabs, bool autoescape, int depth) {
  Sequence seq;
  if (depth > kMaxValueDepth || !seq.init(list)) return;
  const std::string indent(static_cast<size_t>(tabs), '\t');
  bool first = true;
  for (size_t i = 0; i < seq.size();) {
    const Value item = seq.at(i++);
    Value children;
    bool has_children = false;
    if (i < seq.size()) {
      const Value next = seq.at(i);
      if (next.kind == Kind::list) {
        children = next;
        has_children = true;
        ++i;
      }
    }
    if (!first) out += '\n';
    first = false;
    out += indent + "<li>";
    if (autoescape) {
      conditional_escape(out, item);
    } else {
      append_str(out, item);
    }
    if (has_children && truthy(children)) {
      out += "\n" + indent + "<ul>\n";
      list_formatter(out, children, tabs + 1, autoescape, depth + 1);
      out += "\n" + indent + "</ul>\n" + indent;
    }
    out += "</li>";
  }
}

Status f_unordered_list(FilterCtx& ctx, Value& v, const Value*) {
  std::string out;
  list_formatter(out, v, 1, ctx.autoescape, 0);
  return set_text(v, std::move(out), true);
}

Status f_linenumbers(FilterCtx& ctx, Value& v, const Value*) {
  const Value s = to_str_value(v);
  const std::string_view text = s.text();
  size_t lines = 1;
  for (char c : text) lines += c == '\n';
  const size_t width = std::to_string(lines).size();
  std::string out;
  size_t start = 0, n = 0;
  while (true) {
    const size_t nl = text.find('\n', start);
    const std::string_view line = text.substr(start, nl == std::string_view::npos ? text.npos : nl - start);
    std::string num = std::to_string(++n);
    if (num.size() < width) num.insert(0, width - num.size(), '0');
    out += num + ". ";
    if (ctx.autoescape && !s.safe) {
      append_escaped(out, line);
    } else {
      out += line;
    }
    if (nl == std::string_view::npos) break;
    out += '\n';
    start = nl + 1;
  }
  return set_text(v, std::move(out), true);
}

template <bool Escape>
Status f_safeseq(FilterCtx& ctx, Value& v, const Value*) {
  Sequence seq;
  if (!seq.init(v)) return fail(ctx, "object is not iterable");
  Json list = Json::array();
  for (size_t i = 0; i < seq.size(); ++i) {
    std::string text;
    if (Escape) {
      conditional_escape(text, seq.at(i));
    } else {
      append_str(text, seq.at(i));
    }
    list.push_back(Json{{"$safe", std::move(text)}});
  }
  v = make_list(std::move(list));
  return Status::ok;
}

// json.dumps(value, cls=DjangoJSONEncoder) with <, >, & escaped.
void append_json(std::string& out, const Value& v, int depth) {
  if (depth > kMaxValueDepth) {
    out += "null";
    return;
  }
  auto str = [&](std::string_view s) {
    out += '"';
    for (size_t i = 0, len; i < s.size(); i += len) {
      const uint32_t cp = decode_utf8(s, i, len);
      char buf[16];
      switch (cp) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\r': out += "\\r"; break;
        case '\t': out += "\\t"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        case '<': out += "\\u003C"; break;
        case '>': out += "\\u003E"; break;
        case '&': out += "\\u0026"; break;
        default:
          if (cp < 0x20 || cp >= 0x7F) {
            if (cp >= 0x10000) {
              const uint32_t c = cp - 0x10000;
              std::snprintf(buf, sizeof buf, "\\u%04x\\u%04x", 0xD800 + (c >> 10), 0xDC00 + (c & 0x3FF));
            } else {
              std::snprintf(buf, sizeof buf, "\\u%04x", cp);
            }
            out += buf;
          } else {
            out += static_cast<char>(cp);
          }
      }
    }
    out += '"';
  };
  switch (v.kind) {
    case Kind::none: out += "null"; return;
    case Kind::boolean: out += v.b ? "true" : "false"; return;
    case Kind::integer: append_int(out, v.i); return;
    case Kind::floating:
      if (std::isnan(v.d)) {
        out += "NaN";
      } else if (std::isinf(v.d)) {
        out += v.d > 0 ? "Infinity" : "-Infinity";
      } else {
        append_float_repr(out, v.d);
      }
      return;
    case Kind::string: str(v.text()); return;
    case Kind::date:
    case Kind::time:
    case Kind::datetime: {
      std::string s;
      append_temporal(s, v, TemporalForm::str);
      if (v.kind == Kind::datetime) {
        s[10] = 'T';
        const size_t dot = s.find('.');
        if (dot != std::string::npos) s.erase(dot + 4, 3);  // milliseconds
        if (s.size() >= 6 && s.compare(s.size() - 6, 6, "+00:00") == 0) s.replace(s.size() - 6, 6, "Z");
      } else if (v.kind == Kind::time) {
        const size_t dot = s.find('.');
        if (dot != std::string::npos) s.erase(dot + 4, 3);
      }
      str(s);
      return;
    }
    case Kind::dict: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : v.json->items()) {
        if (!first) out += ", ";
        first = false;
        str(k);
        out += ": ";
        append_json(out, from_json(e, v.holder), depth + 1);
      }
      out += '}';
      return;
    }
    default: {
      Sequence seq;
      if (!seq.init(v)) {
        out += "null";
        return;
      }
      out += '[';
      for (size_t k = 0; k < seq.size(); ++k) {
        if (k) out += ", ";
        append_json(out, seq.at(k), depth + 1);
      }
      out += ']';
      return;
    }
  }
}

Status f_json_script(FilterCtx&, Value& v, const Value* arg) {
  std::string out = "<script";
  if (arg && truthy(*arg)) {
    out += " id=\"";
    conditional_escape(out, *arg);
    out += '"';
  }
  out += " type=\"application/json\">";
  append_json(out, v, 0);
  out += "</script>";
  return set_text(v, std::move(out), true);
}

}  // namespace

const FilterDef* find_html_filter(std::string_view name) {
  static constexpr FilterDef kFilters[] = {
      {"escapeseq", Arity::none, false, f_safeseq<true>},
      {"json_script", Arity::optional, true, f_json_script},
      {"linenumbers", Arity::none, true, f_linenumbers},
      {"safeseq", Arity::none, true, f_safeseq<false>},
      {"striptags", Arity::none, true, f_striptags},
      {"truncatechars_html", Arity::required, true, f_truncate_html<false>},
      {"truncatewords_html", Arity::required, true, f_truncate_html<true>},
      {"unordered_list", Arity::none, true, f_unordered_list},
      {"urlize", Arity::none, true, f_urlize},
      {"urlizetrunc", Arity::required, true, f_urlizetrunc},
  };
  for (const auto& f : kFilters) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace tmpl::detail
