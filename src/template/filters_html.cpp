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

Status fail(FilterCtx& ctx, std::string message) {
  *ctx.error = std::move(message);
  return Status::error;
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
  const IntConv c = py_int(*arg, length);
  if (c == IntConv::overflow) return fail(ctx, "cannot convert float infinity to integer");
  if (c != IntConv::ok) {
    if (arg->is_string() || arg->kind == Kind::floating) {
      v = std::move(s);
      return Status::ok;
    }
    return fail(ctx, "int() argument must be a string or a number");
  }
  const std::string_view suffix = Words ? " \xE2\x80\xA6" : "\xE2\x80\xA6";
  return set_text(v, truncate_html(s.text(), length, Words ? length : length - 1, Words, suffix), false);
}

// ---------------------------------------------------------------------------
// urlize (django.utils.html.urlize, Django 3.2)

bool starts_with_ci(std::string_view s, std::string_view prefix) {
  if (s.size() < prefix.size()) return false;
  for (size_t k = 0; k < prefix.size(); ++k) {
    char c = s[k];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != prefix[k]) return false;
  }
  return true;
}

bool is_word_char(unsigned char c) { return is_word_byte(c); }

// ^https?://\[?\w
bool simple_url(std::string_view s) {
  size_t i;
  if (starts_with_ci(s, "http://")) {
    i = 7;
  } else if (starts_with_ci(s, "https://")) {
    i = 8;
  } else {
    return false;
  }
  if (i < s.size() && s[i] == '[') ++i;
  return i < s.size() && is_word_char(static_cast<unsigned char>(s[i]));
}

// ^www\.|^(?!http)\w[^@]+\.(com|edu|gov|int|mil|net|org)($|/.*)$
bool simple_url_2(std::string_view s) {
  if (starts_with_ci(s, "www.")) return true;
  if (starts_with_ci(s, "http") || s.empty() || !is_word_char(static_cast<unsigned char>(s[0]))) return false;
  static const char* const kTlds[] = {"com", "edu", "gov", "int", "mil", "net", "org"};
  // find ".tld" followed by end or '/', with [^@]+ before it (at least one char after s[0])
  for (size_t dot = 2; dot < s.size(); ++dot) {
    if (s[dot] != '.') continue;
    if (s.substr(1, dot - 1).find('@') != std::string_view::npos) break;
    for (const char* tld : kTlds) {
      if (starts_with_ci(s.substr(dot + 1), tld)) {
        const size_t after = dot + 4;
        if (after == s.size() || s[after] == '/') {
          // ($|/.*)$ : '.' does not match a newline
          if (s.substr(after).find('\n') == std::string_view::npos) return true;
        }
      }
    }
  }
  return false;
}

bool is_email_simple(std::string_view v) {
  const size_t at = v.find('@');
  if (at == std::string_view::npos || at == 0 || v.back() == '@') return false;
  if (v.find('@', at + 1) != std::string_view::npos) return false;
  const std::string_view p2 = v.substr(at + 1);
  return p2.find('.') != std::string_view::npos && p2[0] != '.';
}

// html.unescape for the named entities urlize meets most, and numeric ones.
std::string html_unescape(std::string_view s) {
  static const std::pair<std::string_view, std::string_view> kNamed[] = {
      {"amp;", "&"}, {"lt;", "<"}, {"gt;", ">"}, {"quot;", "\""}, {"apos;", "'"}, {"#39;", "'"}, {"nbsp;", "\xC2\xA0"}};
  std::string out;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '&') {
      bool done = false;
      for (const auto& [name, text] : kNamed) {
        if (s.substr(i + 1, name.size()) == name) {
          out += text;
          i += name.size();
          done = true;
          break;
        }
      }
      if (done) continue;
    }
    out += s[i];
  }
  return out;
}

void unquote_into(std::string& out, std::string_view s, bool plus) {
  auto hex = [](char c) -> int {
    if (is_digit(c)) return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() + 0 && i + 2 <= s.size() - 1 && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else if (plus && s[i] == '+') {
      out += ' ';
    } else {
      out += s[i];
    }
  }
}

// smart_urlquote: unquote then quote path and fragment, re-encode the query.
std::string smart_urlquote(std::string_view url) {
  constexpr std::string_view kSafe = "!$&'()*+,;=:/?#[]@~";
  auto unquote_quote = [&](std::string_view seg) {
    std::string raw, out;
    unquote_into(raw, seg, false);
    append_quoted(out, raw, kSafe);
    return out;
  };
  const size_t scheme_end = url.find("://");
  size_t path_start = scheme_end == std::string_view::npos ? 0 : url.find_first_of("/?#", scheme_end + 3);
  if (path_start == std::string_view::npos) path_start = url.size();
  std::string out(url.substr(0, path_start));
  std::string_view rest = url.substr(path_start);
  const size_t hash = rest.find('#');
  const std::string_view fragment = hash == std::string_view::npos ? std::string_view() : rest.substr(hash + 1);
  rest = rest.substr(0, hash);
  const size_t q = rest.find('?');
  const std::string_view query = q == std::string_view::npos ? std::string_view() : rest.substr(q + 1);
  out += unquote_quote(rest.substr(0, q));
  if (!query.empty()) {
    std::string encoded;
    size_t start = 0;
    while (start <= query.size()) {
      size_t amp = query.find('&', start);
      if (amp == std::string_view::npos) amp = query.size();
      const std::string_view pair = query.substr(start, amp - start);
      if (!pair.empty()) {
        const size_t eq = pair.find('=');
        std::string k, val;
        unquote_into(k, pair.substr(0, eq), true);
        if (eq != std::string_view::npos) unquote_into(val, pair.substr(eq + 1), true);
        if (!encoded.empty()) encoded += '&';
        std::string qk, qv;
        append_quoted(qk, k, " ");
        append_quoted(qv, val, " ");
        for (char& c : qk) c = c == ' ' ? '+' : c;
        for (char& c : qv) c = c == ' ' ? '+' : c;
        encoded += qk + "=" + qv;
      }
      start = amp + 1;
    }
    if (!encoded.empty()) out += "?" + encoded;
  }
  if (hash != std::string_view::npos && !fragment.empty()) out += "#" + unquote_quote(fragment);
  return out;
}

std::string urlize(std::string_view text, bool safe_input, bool autoescape, Int limit, bool trim) {
  auto escape = [](std::string_view s) {
    std::string o;
    append_escaped(o, s);
    return o;
  };
  auto trim_url = [&](std::string_view x) {
    if (!trim || static_cast<Int>(char_count(x)) <= limit) return std::string(x);
    std::string o;
    const Int keep = limit - 1 > 0 ? limit - 1 : 0;
    Int n = 0;
    for (size_t i = 0, len; i < x.size() && n < keep; i += len, ++n) {
      decode_utf8(x, i, len);
      o.append(x.data() + i, len);
    }
    return o + "\xE2\x80\xA6";
  };
  std::string out;
  // word_split_re = ([\s<>"']+)
  auto is_split = [](char c) { return is_space_byte(c) || c == '<' || c == '>' || c == '"' || c == '\''; };
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    const bool sep = is_split(text[i]);
    while (j < text.size() && is_split(text[j]) == sep) ++j;
    const std::string_view word = text.substr(i, j - i);
    i = j;
    if (sep || (word.find('.') == std::string_view::npos && word.find('@') == std::string_view::npos &&
                word.find(':') == std::string_view::npos)) {
      out += safe_input || !autoescape ? std::string(word) : escape(word);
      continue;
    }
    std::string lead, middle(word), trail;
    for (bool trimmed = true; trimmed;) {
      trimmed = false;
      for (const auto& [open, close] : {std::pair<char, char>{'(', ')'}, std::pair<char, char>{'[', ']'}}) {
        if (!middle.empty() && middle.front() == open) {
          middle.erase(0, 1);
          lead += open;
          trimmed = true;
        }
        if (!middle.empty() && middle.back() == close && count_char(middle, close) == count_char(middle, open) + 1) {
          middle.pop_back();
          trail.insert(trail.begin(), close);
          trimmed = true;
        }
      }
      const std::string unescaped = html_unescape(middle);
      size_t keep = unescaped.size();
      while (keep > 0 && std::string_view(".,:;!").find(unescaped[keep - 1]) != std::string_view::npos) --keep;
      if (keep != unescaped.size()) {
        const size_t cut = middle.size() - (unescaped.size() - keep);
        trail = middle.substr(keep) + trail;
        middle = middle.substr(0, cut);
        trimmed = true;
      }
    }
    std::string url;
    bool nofollow = true;
    if (simple_url(middle)) {
      url = smart_urlquote(html_unescape(middle));
    } else if (simple_url_2(middle)) {
      url = smart_urlquote("http://" + html_unescape(middle));
    } else if (middle.find(':') == std::string::npos && is_email_simple(middle)) {
      url = "mailto:" + middle;
      nofollow = false;
    }
    if (url.empty()) {
      out += safe_input || !autoescape ? std::string(word) : escape(word);
      continue;
    }
    std::string trimmed_text = trim_url(middle);
    if (autoescape && !safe_input) {
      lead = escape(lead);
      trail = escape(trail);
      trimmed_text = escape(trimmed_text);
    }
    out += lead + "<a href=\"" + escape(url) + "\"" + (nofollow ? " rel=\"nofollow\"" : "") + ">" + trimmed_text +
           "</a>" + trail;
  }
  return out;
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
