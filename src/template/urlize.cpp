// django.utils.html.urlize (Django 3.2's): links URLs and e-mail addresses
// in plain text, for the urlize and urlizetrunc filters.
#include "template/detail.h"

namespace tmpl::detail {

namespace {

bool is_space_byte(char c) { return c == ' ' || (c >= '\t' && c <= '\r'); }

size_t count_char(std::string_view s, char c) {
  size_t n = 0;
  for (char x : s) n += x == c;
  return n;
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

}  // namespace

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


}  // namespace tmpl::detail
