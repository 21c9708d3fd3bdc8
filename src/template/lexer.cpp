// Lexer (django.template.base.Lexer) and the token-level helpers the tag
// compilers share: smart_split, kwarg_re, the FilterExpression regex pieces.
#include "template/parser.h"

namespace tmpl::detail {

namespace {

int count_newlines(std::string_view s) {
  int n = 0;
  for (char c : s) n += c == '\n';
  return n;
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  std::vector<Token> tokenize() {
    size_t text_start = 0, i = 0;
    while ((i = src_.find('{', i)) != std::string_view::npos && i + 1 < src_.size()) {
      const char c = src_[i + 1];
      const size_t end = (c == '%' || c == '{' || c == '#') ? tag_end(i) : std::string_view::npos;
      if (end == std::string_view::npos) {
        ++i;
        continue;
      }
      add_text(src_.substr(text_start, i - text_start));
      add_tag(src_.substr(i, end - i));
      text_start = i = end;
    }
    add_text(src_.substr(text_start));
    return std::move(tokens_);
  }

 private:
  // Finds of a pattern from non-decreasing positions: the last result stays
  // valid until passed, so a long line of "{{" is scanned once, not once per brace.
  struct Finder {
    std::string_view pattern;
    size_t at = 0;
    bool fresh = false;
    size_t next(std::string_view s, size_t from) {
      if (!fresh || (at != std::string_view::npos && at < from)) {
        at = s.find(pattern, from);
        fresh = true;
      }
      return at;
    }
  };

  // End (exclusive) of the tag opened at src_[i], or npos when it does not
  // close on the same line.
  size_t tag_end(size_t i) {
    const char open = src_[i + 1];
    Finder& closer = open == '%' ? close_block_ : open == '{' ? close_var_ : close_comment_;
    const size_t close = closer.next(src_, i + 2);
    const size_t newline = newline_.next(src_, i + 2);
    if (close == std::string_view::npos || (newline != std::string_view::npos && newline < close))
      return std::string_view::npos;
    return close + 2;
  }

  void add_text(std::string_view text) {
    if (text.empty()) return;
    tokens_.push_back({TokenType::text, text, line_});
    line_ += count_newlines(text);
  }

  void add_tag(std::string_view tag) {
    const std::string_view inner = strip(tag.substr(2, tag.size() - 4));
    const char kind = tag[1];
    if (kind == '%' && !verbatim_end_.empty() && inner == verbatim_end_) verbatim_end_.clear();
    if (!verbatim_end_.empty()) {
      tokens_.push_back({TokenType::text, tag, line_});
    } else if (kind == '{') {
      tokens_.push_back({TokenType::var, inner, line_});
    } else if (kind == '%') {
      if (inner == "verbatim" || inner.substr(0, 9) == "verbatim ") verbatim_end_ = "end" + std::string(inner);
      tokens_.push_back({TokenType::block, inner, line_});
    }
    // {# comments #} produce no token the parser would act on.
    line_ += count_newlines(tag);
  }

  std::string_view src_;
  std::vector<Token> tokens_;
  std::string verbatim_end_;
  int line_ = 1;
  Finder close_block_{"%}"}, close_var_{"}}"}, close_comment_{"#}"}, newline_{"\n"};
};

}  // namespace

std::vector<Token> tokenize(std::string_view src) { return Lexer(src).tokenize(); }

// ---------------------------------------------------------------------------
// smart_split: whitespace-separated bits, keeping quoted strings together.

// End of a quoted section starting at s[i], or npos when unterminated.
size_t quoted_end(std::string_view s, size_t i) {
  const char q = s[i];
  for (size_t j = i + 1; j < s.size(); ++j) {
    if (s[j] == q) return j + 1;
    if (s[j] == '\\') ++j;
  }
  return std::string_view::npos;
}

bool is_quote(char c) { return c == '"' || c == '\''; }

std::vector<std::string_view> smart_split(std::string_view s) {
  std::vector<std::string_view> bits;
  size_t i = 0;
  while (i < s.size()) {
    size_t n;
    if ((n = space_at(s, i)) > 0) {
      i += n;
      continue;
    }
    // ([^\s'"]* (quoted [^\s'"]*)+) | \S+
    size_t j = i;
    while (j < s.size() && !is_quote(s[j]) && space_at(s, j) == 0) ++j;
    size_t end = std::string_view::npos;
    while (j < s.size() && is_quote(s[j])) {
      const size_t q = quoted_end(s, j);
      if (q == std::string_view::npos) break;
      j = q;
      while (j < s.size() && !is_quote(s[j]) && space_at(s, j) == 0) ++j;
      end = j;
    }
    if (end == std::string_view::npos) {
      end = i;
      while (end < s.size() && space_at(s, end) == 0) ++end;
    }
    bits.push_back(s.substr(i, end - i));
    i = end;
  }
  return bits;
}

// kwarg_re = (?:(\w+)=)?(.+)
bool split_kwarg(std::string_view bit, std::string_view& name, std::string_view& value) {
  size_t n = 0;
  while (n < bit.size() && is_word_byte(static_cast<unsigned char>(bit[n]))) ++n;
  if (n == 0 || n + 1 >= bit.size() || bit[n] != '=') {
    name = {};
    value = bit;
    return false;
  }
  name = bit.substr(0, n);
  value = bit.substr(n + 1);
  return true;
}

// ---------------------------------------------------------------------------
// FilterExpression regex pieces.

// constant = _("...") | _('...') | "..." | '...'
size_t constant_end(std::string_view s, size_t i) {
  if (i + 1 < s.size() && s[i] == '_' && s[i + 1] == '(' && i + 2 < s.size() && is_quote(s[i + 2])) {
    const size_t q = quoted_end(s, i + 2);
    if (q != std::string_view::npos && q < s.size() && s[q] == ')') return q + 1;
  }
  if (i < s.size() && is_quote(s[i])) return quoted_end(s, i);
  return std::string_view::npos;
}

// var = [\w.]+ | [-+.]?\d[\d.e]*
size_t var_end(std::string_view s, size_t i) {
  size_t j = i;
  while (j < s.size() && (is_word_byte(static_cast<unsigned char>(s[j])) || s[j] == '.')) ++j;
  if (j > i) return j;
  if (j < s.size() && (s[j] == '-' || s[j] == '+' || s[j] == '.')) ++j;
  if (j >= s.size() || !is_digit(s[j])) return std::string_view::npos;
  while (j < s.size() && (is_digit(s[j]) || s[j] == '.' || s[j] == 'e')) ++j;
  return j;
}

size_t skip_spaces(std::string_view s, size_t i) {
  size_t n;
  while (i < s.size() && (n = space_at(s, i)) > 0) i += n;
  return i;
}

// unescape_string_literal
std::string unescape_literal(std::string_view s) {
  const char q = s[0];
  const std::string_view body = s.substr(1, s.size() - 2);
  std::string once;
  for (size_t i = 0; i < body.size(); ++i) {
    if (body[i] == '\\' && i + 1 < body.size() && body[i + 1] == q) {
      once += q;
      ++i;
    } else {
      once += body[i];
    }
  }
  std::string out;
  for (size_t i = 0; i < once.size(); ++i) {
    if (once[i] == '\\' && i + 1 < once.size() && once[i + 1] == '\\') ++i;
    out += once[i];
  }
  return out;
}

bool is_digit_run(std::string_view s) {
  size_t i = (!s.empty() && (s[0] == '-' || s[0] == '+')) ? 1 : 0;
  if (i >= s.size()) return false;
  for (; i < s.size(); ++i) {
    if (!is_digit(s[i])) return false;
  }
  return true;
}

std::string quote_list(std::initializer_list<std::string_view> names) {
  std::string s;
  size_t k = 0;
  for (const auto name : names) {
    if (k > 0) s += k + 1 == names.size() ? " or " : ", ";
    s += '\'';
    s += name;
    s += '\'';
    ++k;
  }
  return s;
}


}  // namespace tmpl::detail
