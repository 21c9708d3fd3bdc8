// Lexer and parser: Django's Lexer, Parser, FilterExpression and the
// builtin tag compilers, producing the node tree of one template.
#include <initializer_list>

#include "template/nodes.h"

namespace tmpl::detail {

int Symbols::intern(std::string_view name) {
  const auto it = ids.find(std::string(name));
  if (it != ids.end()) return it->second;
  const int id = static_cast<int>(names.size());
  names.emplace_back(name);
  ids.emplace(names.back(), id);
  return id;
}

namespace {

// ---------------------------------------------------------------------------
// Lexer: tag_re = {%.*?%}|{{.*?}}|{#.*?#} with '.' not matching newlines.

enum class TokenType : uint8_t { text, var, block };

struct Token {
  TokenType type;
  std::string_view contents;  // stripped inner text for tags
  int line;
};

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

// posixpath.normpath for relative paths.
std::string normpath(std::string_view path) {
  std::vector<std::string_view> comps;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    const std::string_view comp = path.substr(i, j - i);
    if (comp.empty() || comp == ".") {
    } else if (comp != ".." || comps.empty() || comps.back() == "..") {
      comps.push_back(comp);
    } else {
      comps.pop_back();
    }
    i = j + 1;
  }
  std::string out;
  for (size_t k = 0; k < comps.size(); ++k) {
    if (k) out += '/';
    out += comps[k];
  }
  return out.empty() ? "." : out;
}

// The libraries under django/templatetags with their tag and filter names.
struct TagLibrary {
  std::string_view name;
  std::string_view members;  // space separated
  bool has(std::string_view member) const {
    for (const auto m : split_ws(members)) {
      if (m == member) return true;
    }
    return false;
  }
};

const TagLibrary* find_tag_library(std::string_view name) {
  static const TagLibrary kLibraries[] = {
      {"static", "static get_static_prefix get_media_prefix"},
      {"cache", "cache"},
      {"i18n",
       "get_available_languages get_language_info get_language_info_list get_current_language "
       "get_current_language_bidi trans translate blocktrans blocktranslate language language_name "
       "language_name_translated language_name_local language_bidi"},
      {"l10n", "localize unlocalize"},
      {"tz", "localtime utc timezone get_current_timezone"},
  };
  for (const auto& lib : kLibraries) {
    if (lib.name == name) return &lib;
  }
  return nullptr;
}

}  // namespace

bool relative_template_name(std::string_view current, std::string_view name, std::string& out,
                            std::string& error) {
  const bool has_quotes = name.size() >= 1 && is_quote(name.front()) && name.back() == name.front();
  std::string_view bare = name;
  while (!bare.empty() && is_quote(bare.front())) bare.remove_prefix(1);
  while (!bare.empty() && is_quote(bare.back())) bare.remove_suffix(1);
  if (bare.substr(0, 2) != "./" && bare.substr(0, 3) != "../") {
    out = std::string(name);
    return true;
  }
  while (!current.empty() && current.front() == '/') current.remove_prefix(1);
  const size_t slash = current.rfind('/');
  const std::string_view dir = slash == std::string_view::npos ? std::string_view() : current.substr(0, slash);
  const std::string joined = dir.empty() ? std::string(bare) : std::string(dir) + "/" + std::string(bare);
  const std::string resolved = normpath(joined);
  if (resolved.substr(0, 3) == "../") {
    error = "The relative path '" + std::string(name) + "' points outside the file hierarchy that template '" +
            std::string(current) + "' is in.";
    return false;
  }
  if (resolved == current) {
    error = "The relative path '" + std::string(name) + "' was translated to template name '" +
            std::string(current) + "', the same template in which the tag appears.";
    return false;
  }
  out = has_quotes ? "\"" + resolved + "\"" : resolved;
  return true;
}

namespace {

class Parser {
 public:
  Parser(LibraryData& lib, Template& t) : lib_(lib), t_(t) {}

  bool run(Error* err) {
    tokens_ = Lexer(t_.source).tokenize();
    List top;
    const bool ok = parse(top, {});
    if (!ok) {
      if (err) *err = error_;
      return false;
    }
    t_.nodes = std::move(top.nodes);
    walk_nodes(t_.nodes, [&](Node& n) {
      if (n.kind == NodeKind::block) t_.blocks.push_back(static_cast<const BlockNode*>(&n));
    });
    for (const auto& n : t_.nodes) {
      if (n->kind == NodeKind::extends) t_.extends = static_cast<const ExtendsNode*>(n.get());
    }
    return true;
  }

 private:
  using Until = std::initializer_list<std::string_view>;
  using NodePtr = std::unique_ptr<Node>;

  struct List {
    NodeList nodes;
    bool contains_nontext = false;
  };

  bool fail(int line, std::string message) {
    if (!failed_) {
      error_ = Error{t_.name, line, std::move(message)};
      failed_ = true;
    }
    return false;
  }
  NodePtr fail_node(int line, std::string message) {
    fail(line, std::move(message));
    return nullptr;
  }

  // Parser.parse(parse_until): stops before a block tag whose first word is
  // in `until`, leaving it as the next token.
  bool parse(List& list, Until until) {
    while (pos_ < tokens_.size()) {
      const Token& tok = tokens_[pos_++];
      if (tok.type == TokenType::text) {
        list.nodes.push_back(std::make_unique<TextNode>(tok.line, tok.contents));
      } else if (tok.type == TokenType::var) {
        if (tok.contents.empty()) return fail(tok.line, "Empty variable tag");
        FilterExpr expr;
        if (!compile_filter(tok.contents, tok.line, expr)) return false;
        list.nodes.push_back(std::make_unique<VarNode>(tok.line, std::move(expr)));
        list.contains_nontext = true;
      } else if (!parse_tag(list, tok, until)) {
        return false;
      } else if (stopped_) {
        stopped_ = false;
        return true;
      }
    }
    if (until.size() > 0) {
      const auto& [command, line] = command_stack_.back();
      return fail(line, "Unclosed tag '" + std::string(command) + "', expected " + quote_list(until));
    }
    return true;
  }

  bool parse_tag(List& list, const Token& tok, Until until) {
    const auto words = split_ws(tok.contents);
    if (words.empty()) return fail(tok.line, "Empty block tag");
    const std::string_view command = words[0];
    for (const auto u : until) {
      if (command == u) {
        --pos_;
        stopped_ = true;
        return true;
      }
    }
    if (static_cast<int>(command_stack_.size()) >= kMaxParseNesting)
      return fail(tok.line, "Tags nested too deeply");
    command_stack_.emplace_back(command, tok.line);
    NodePtr node = compile_tag(command, tok, until);
    if (!node) return false;
    if (node->kind == NodeKind::extends && list.contains_nontext)
      return fail(tok.line, "'extends' must be the first tag in the template");
    list.nodes.push_back(std::move(node));
    list.contains_nontext = true;
    command_stack_.pop_back();
    return true;
  }

  NodePtr compile_tag(std::string_view command, const Token& tok, Until until) {
    if (command == "if") return do_if(tok);
    if (command == "for") return do_for(tok);
    if (command == "with") return do_with(tok);
    if (command == "block") return do_block(tok);
    if (command == "extends") return do_extends(tok);
    if (command == "include") return do_include(tok);
    if (command == "url") return do_url(tok);
    if (command == "static") return do_static(tok);
    if (command == "get_static_prefix") return do_prefix(tok);
    if (command == "load") return do_load(tok);
    if (command == "comment") return do_comment(tok);
    if (command == "csrf_token") return std::make_unique<CsrfNode>(tok.line);
    if (command == "spaceless") return do_spaceless(tok);
    if (command == "verbatim") return do_verbatim(tok);
    if (command == "autoescape") return do_autoescape(tok);
    std::string msg = "unknown tag '" + std::string(command) + "'";
    if (until.size() > 0) msg += ", expected " + quote_list(until);
    return fail_node(tok.line, std::move(msg));
  }

  const Token& next_token() { return tokens_[pos_++]; }

  // Consumes the end tag that stopped the last parse().
  void delete_first_token() { ++pos_; }

  // ----- expressions

  bool compile_variable(std::string_view var, int line, Variable& out) {
    const bool floaty = var.find('.') != std::string_view::npos || var.find('e') != std::string_view::npos ||
                        var.find('E') != std::string_view::npos;
    double d;
    Int i;
    if (floaty && var.back() != '.' && parse_float(var, d)) {
      out.literal = Value::floating(d);
      return true;
    }
    if (!floaty && parse_int(var, i)) {
      out.literal = Value::integer(i);
      return true;
    }
    if (!floaty && is_digit_run(var)) return fail(line, "Integer literal too large: '" + std::string(var) + "'");
    if (var.size() >= 2 && is_quote(var[0]) && var.back() == var[0]) {
      t_.literals.push_back(unescape_literal(var));
      out.literal = Value::borrowed(t_.literals.back(), true);
      return true;
    }
    if (var.substr(0, 2) == "_(") return fail(line, "Translated strings _(\"...\") are not supported");
    if (var.find("._") != std::string_view::npos || var[0] == '_')
      return fail(line, "Variables and attributes may not begin with underscores: '" + std::string(var) + "'");
    size_t start = 0;
    bool first = true;
    while (true) {
      const size_t dot = var.find('.', start);
      const std::string_view bit = var.substr(start, dot == std::string_view::npos ? var.npos : dot - start);
      if (first) {
        out.symbol = lib_.symbols.intern(bit);
        first = false;
      } else {
        Lookup l;
        l.key = std::string(bit);
        l.has_index = parse_int(bit, l.index);
        out.path.push_back(std::move(l));
      }
      if (dot == std::string_view::npos) break;
      start = dot + 1;
    }
    return true;
  }

  bool compile_filter(std::string_view token, int line, FilterExpr& out) {
    size_t pos = constant_end(token, 0);
    if (pos == std::string_view::npos) pos = var_end(token, 0);
    if (pos == std::string_view::npos)
      return fail(line, "Could not find variable at start of '" + std::string(token) + "'");
    if (!compile_variable(token.substr(0, pos), line, out.var)) return false;
    while (pos < token.size()) {
      size_t j = skip_spaces(token, pos);
      if (j >= token.size() || token[j] != '|') break;
      j = skip_spaces(token, j + 1);
      const size_t name_start = j;
      while (j < token.size() && is_word_byte(static_cast<unsigned char>(token[j]))) ++j;
      if (j == name_start) break;
      FilterCall call;
      const std::string_view name = token.substr(name_start, j - name_start);
      call.def = find_filter(name);
      if (!call.def) return fail(line, "Invalid filter: '" + std::string(name) + "'");
      if (j < token.size() && token[j] == ':') {
        size_t arg_end = constant_end(token, j + 1);
        if (arg_end == std::string_view::npos) arg_end = var_end(token, j + 1);
        if (arg_end != std::string_view::npos) {
          call.has_arg = true;
          if (!compile_variable(token.substr(j + 1, arg_end - j - 1), line, call.arg)) return false;
          j = arg_end;
        }
      }
      if (!check_arity(*call.def, call.has_arg, line)) return false;
      out.filters.push_back(std::move(call));
      pos = j;
    }
    if (pos != token.size())
      return fail(line, "Could not parse the remainder: '" + std::string(token.substr(pos)) + "' from '" +
                            std::string(token) + "'");
    return true;
  }

  bool check_arity(const FilterDef& def, bool has_arg, int line) {
    if (def.arity == Arity::required && !has_arg)
      return fail(line, std::string(def.name) + " requires 2 arguments, 1 provided");
    if (def.arity == Arity::none && has_arg)
      return fail(line, std::string(def.name) + " requires 1 arguments, 2 provided");
    return true;
  }

  // token_kwargs(): `a=b c=d`, or legacy `b as a and d as c`.
  bool token_kwargs(std::vector<std::string_view>& bits, bool legacy, int line,
                    std::vector<std::pair<std::string_view, FilterExpr>>& out) {
    if (bits.empty()) return true;
    std::string_view name, value;
    const bool kwarg_format = split_kwarg(bits[0], name, value);
    if (!kwarg_format && (!legacy || bits.size() < 3 || bits[1] != "as")) return true;
    while (!bits.empty()) {
      if (kwarg_format) {
        if (!split_kwarg(bits[0], name, value)) return true;
        bits.erase(bits.begin());
      } else {
        if (bits.size() < 3 || bits[1] != "as") return true;
        name = bits[2];
        value = bits[0];
        bits.erase(bits.begin(), bits.begin() + 3);
      }
      FilterExpr expr;
      if (!compile_filter(value, line, expr)) return false;
      assign(out, name, std::move(expr));
      if (!bits.empty() && !kwarg_format) {
        if (bits[0] != "and") return true;
        bits.erase(bits.begin());
      }
    }
    return true;
  }

  // Python dict assignment: a repeated key keeps its first position.
  static void assign(std::vector<std::pair<std::string_view, FilterExpr>>& out, std::string_view name,
                     FilterExpr expr) {
    for (auto& entry : out) {
      if (entry.first == name) {
        entry.second = std::move(expr);
        return;
      }
    }
    out.emplace_back(name, std::move(expr));
  }

  Assignments to_assignments(std::vector<std::pair<std::string_view, FilterExpr>>& kwargs) {
    Assignments values;
    for (auto& [name, expr] : kwargs) values.emplace_back(lib_.symbols.intern(name), std::move(expr));
    return values;
  }

  // ----- {% if %} expressions (django.template.smartif)

  struct IfToken {
    Cond::Op op;
    std::string_view text;
    FilterExpr expr;
    int lbp;
  };

  static int binding_power(Cond::Op op) {
    switch (op) {
      case Cond::Op::or_: return 6;
      case Cond::Op::and_: return 7;
      case Cond::Op::not_: return 8;
      case Cond::Op::in:
      case Cond::Op::not_in: return 9;
      case Cond::Op::literal: return 0;
      default: return 10;
    }
  }

  static bool operator_for(std::string_view s, Cond::Op& op) {
    static const std::pair<std::string_view, Cond::Op> kOps[] = {
        {"or", Cond::Op::or_}, {"and", Cond::Op::and_}, {"not", Cond::Op::not_},
        {"in", Cond::Op::in},  {"not in", Cond::Op::not_in}, {"is", Cond::Op::is},
        {"is not", Cond::Op::is_not}, {"==", Cond::Op::eq}, {"!=", Cond::Op::ne},
        {">", Cond::Op::gt},   {">=", Cond::Op::ge},   {"<", Cond::Op::lt}, {"<=", Cond::Op::le}};
    for (const auto& [name, o] : kOps) {
      if (s == name) {
        op = o;
        return true;
      }
    }
    return false;
  }

  class IfParser {
   public:
    IfParser(Parser& p, std::vector<IfToken> tokens, int line) : p_(p), tokens_(std::move(tokens)), line_(line) {}

    std::unique_ptr<Cond> parse() {
      auto result = expression(0);
      if (!result) return nullptr;
      if (pos_ < tokens_.size()) {
        p_.fail(line_, "Unused '" + std::string(tokens_[pos_].text) + "' at end of if expression.");
        return nullptr;
      }
      return result;
    }

   private:
    int current_lbp() const { return pos_ < tokens_.size() ? tokens_[pos_].lbp : 0; }

    std::unique_ptr<Cond> expression(int rbp) {
      if (++depth_ > kMaxExprNesting) {
        p_.fail(line_, "if expression nested too deeply");
        return nullptr;
      }
      if (pos_ >= tokens_.size()) {
        p_.fail(line_, "Unexpected end of expression in if tag.");
        return nullptr;
      }
      IfToken& t = tokens_[pos_++];
      std::unique_ptr<Cond> left = nud(t);
      while (left && rbp < current_lbp()) left = led(tokens_[pos_++], std::move(left));
      --depth_;
      return left;
    }

    std::unique_ptr<Cond> nud(IfToken& t) {
      auto c = std::make_unique<Cond>();
      c->op = t.op;
      if (t.op == Cond::Op::literal) {
        c->expr = std::move(t.expr);
        return c;
      }
      if (t.op != Cond::Op::not_) {
        p_.fail(line_, "Not expecting '" + std::string(t.text) + "' in this position in if tag.");
        return nullptr;
      }
      c->lhs = expression(binding_power(Cond::Op::not_));
      return c->lhs ? std::move(c) : nullptr;
    }

    std::unique_ptr<Cond> led(IfToken& t, std::unique_ptr<Cond> left) {
      if (t.op == Cond::Op::literal || t.op == Cond::Op::not_) {
        p_.fail(line_, "Not expecting '" + std::string(t.text) + "' as infix operator in if tag.");
        return nullptr;
      }
      auto c = std::make_unique<Cond>();
      c->op = t.op;
      c->lhs = std::move(left);
      c->rhs = expression(t.lbp);
      return c->rhs ? std::move(c) : nullptr;
    }

    Parser& p_;
    std::vector<IfToken> tokens_;
    size_t pos_ = 0;
    int line_;
    int depth_ = 0;
  };

  std::unique_ptr<Cond> parse_condition(const std::vector<std::string_view>& bits, int line) {
    std::vector<IfToken> tokens;
    for (size_t i = 1; i < bits.size(); ++i) {
      std::string_view text = bits[i];
      const bool pair = i + 1 < bits.size() &&
                        ((text == "is" && bits[i + 1] == "not") || (text == "not" && bits[i + 1] == "in"));
      IfToken t{Cond::Op::literal, text, {}, 0};
      if (pair) {
        t.op = text == "is" ? Cond::Op::is_not : Cond::Op::not_in;
        t.text = text == "is" ? "is not" : "not in";
        ++i;
      } else if (!operator_for(text, t.op) && !compile_filter(text, line, t.expr)) {
        return nullptr;
      }
      t.lbp = binding_power(t.op);
      tokens.push_back(std::move(t));
    }
    return IfParser(*this, std::move(tokens), line).parse();
  }

  // ----- tags

  NodePtr do_if(const Token& tok) {
    auto node = std::make_unique<IfNode>(tok.line);
    auto cond = parse_condition(smart_split(tok.contents), tok.line);
    if (!cond) return nullptr;
    const Token* end = nullptr;
    if (!parse_branch(*node, std::move(cond), {"elif", "else", "endif"}, end)) return nullptr;
    while (end->contents.substr(0, 4) == "elif") {
      cond = parse_condition(smart_split(end->contents), end->line);
      if (!cond || !parse_branch(*node, std::move(cond), {"elif", "else", "endif"}, end)) return nullptr;
    }
    if (end->contents == "else" && !parse_branch(*node, nullptr, {"endif"}, end)) return nullptr;
    if (end->contents != "endif")
      return fail_node(end->line, "Malformed template tag: \"" + std::string(end->contents) + "\"");
    return node;
  }

  bool parse_branch(IfNode& node, std::unique_ptr<Cond> cond, Until until, const Token*& end) {
    List body;
    ++conditional_;
    const bool ok = parse(body, until);
    --conditional_;
    if (!ok) return false;
    node.branches.push_back({std::move(cond), std::move(body.nodes)});
    end = &next_token();
    return true;
  }

  NodePtr do_for(const Token& tok) {
    const auto bits = smart_split(tok.contents);
    if (bits.size() < 4)
      return fail_node(tok.line, "'for' statements should have at least four words: " + std::string(tok.contents));
    auto node = std::make_unique<ForNode>(tok.line);
    node->reversed = bits.back() == "reversed";
    const size_t in_index = bits.size() - (node->reversed ? 3 : 2);
    if (bits[in_index] != "in")
      return fail_node(tok.line, "'for' statements should use the format 'for x in y': " + std::string(tok.contents));
    if (!parse_loopvars(bits, in_index, tok, *node)) return nullptr;
    if (!compile_filter(bits[in_index + 1], tok.line, node->sequence)) return nullptr;
    List body;
    ++conditional_;
    bool ok = parse(body, {"empty", "endfor"});
    node->body = std::move(body.nodes);
    if (ok && next_token().contents == "empty") {
      List empty;
      ok = parse(empty, {"endfor"});
      node->empty = std::move(empty.nodes);
      delete_first_token();
    }
    --conditional_;
    return ok ? std::move(node) : nullptr;
  }

  // re.split(r' *, *', ' '.join(bits[1:in_index]))
  bool parse_loopvars(const std::vector<std::string_view>& bits, size_t in_index, const Token& tok, ForNode& node) {
    std::string joined;
    for (size_t i = 1; i < in_index; ++i) {
      if (i > 1) joined += ' ';
      joined += bits[i];
    }
    size_t start = 0;
    while (true) {
      size_t comma = joined.find(',', start);
      size_t end = comma == std::string::npos ? joined.size() : comma;
      size_t var_end = end;
      while (var_end > start && joined[var_end - 1] == ' ') --var_end;
      const std::string_view var = std::string_view(joined).substr(start, var_end - start);
      if (var.empty() || var.find_first_of(" \"'|") != std::string_view::npos)
        return fail(tok.line, "'for' tag received an invalid argument: " + std::string(tok.contents));
      node.loopvars.push_back(lib_.symbols.intern(var));
      if (comma == std::string::npos) break;
      start = comma + 1;
      while (start < joined.size() && joined[start] == ' ') ++start;
    }
    return true;
  }

  NodePtr do_with(const Token& tok) {
    auto bits = smart_split(tok.contents);
    bits.erase(bits.begin());
    std::vector<std::pair<std::string_view, FilterExpr>> kwargs;
    if (!token_kwargs(bits, true, tok.line, kwargs)) return nullptr;
    if (kwargs.empty()) return fail_node(tok.line, "'with' expected at least one variable assignment");
    if (!bits.empty()) return fail_node(tok.line, "'with' received an invalid token: '" + std::string(bits[0]) + "'");
    auto node = std::make_unique<WithNode>(tok.line);
    node->values = to_assignments(kwargs);
    List body;
    if (!parse(body, {"endwith"})) return nullptr;
    delete_first_token();
    node->body = std::move(body.nodes);
    return node;
  }

  NodePtr do_block(const Token& tok) {
    const auto bits = split_ws(tok.contents);
    if (bits.size() != 2) return fail_node(tok.line, "'block' tag takes only one argument");
    const std::string_view name = bits[1];
    for (const auto seen : loaded_blocks_) {
      if (seen == name) return fail_node(tok.line, "'block' tag with name '" + std::string(name) + "' appears more than once");
    }
    loaded_blocks_.push_back(name);
    auto node = std::make_unique<BlockNode>(tok.line, lib_.symbols.intern(name), name, &t_);
    List body;
    if (!parse(body, {"endblock"})) return nullptr;
    node->body = std::move(body.nodes);
    const Token& end = next_token();
    if (end.contents != "endblock" && end.contents != "endblock " + std::string(name))
      return fail_node(end.line, "unknown tag '" + std::string(end.contents) + "', expected 'endblock'");
    return node;
  }

  // A template name argument after construct_relative_path().
  bool template_name(std::string_view bit, int line, FilterExpr& out) {
    std::string name, error;
    if (!relative_template_name(t_.name, bit, name, error)) return fail(line, error);
    t_.literals.push_back(std::move(name));
    return compile_filter(t_.literals.back(), line, out);
  }

  NodePtr do_extends(const Token& tok) {
    const auto bits = smart_split(tok.contents);
    if (bits.size() != 2) return fail_node(tok.line, "'extends' takes one argument");
    auto node = std::make_unique<ExtendsNode>(tok.line, &t_);
    if (!template_name(bits[1], tok.line, node->parent_name)) return nullptr;
    List rest;
    if (!parse(rest, {})) return nullptr;
    bool nested = false;
    walk_nodes(rest.nodes, [&](Node& n) { nested = nested || n.kind == NodeKind::extends; });
    if (nested) return fail_node(tok.line, "'extends' cannot appear more than once in the same template");
    node->body = std::move(rest.nodes);
    return node;
  }

  NodePtr do_include(const Token& tok) {
    auto bits = smart_split(tok.contents);
    if (bits.size() < 2)
      return fail_node(tok.line, "'include' tag takes at least one argument: the name of the template to be included.");
    auto node = std::make_unique<IncludeNode>(tok.line, &t_);
    node->conditional = conditional_ > 0;
    std::vector<std::string_view> rest(bits.begin() + 2, bits.end());
    bool seen_with = false, seen_only = false;
    while (!rest.empty()) {
      const std::string_view option = rest.front();
      rest.erase(rest.begin());
      if ((option == "with" && seen_with) || (option == "only" && seen_only))
        return fail_node(tok.line, "The '" + std::string(option) + "' option was specified more than once.");
      if (option == "with") {
        seen_with = true;
        std::vector<std::pair<std::string_view, FilterExpr>> kwargs;
        if (!token_kwargs(rest, false, tok.line, kwargs)) return nullptr;
        if (kwargs.empty()) return fail_node(tok.line, "\"with\" in 'include' tag needs at least one keyword argument.");
        node->values = to_assignments(kwargs);
      } else if (option == "only") {
        seen_only = node->only = true;
      } else {
        return fail_node(tok.line, "Unknown argument for 'include' tag: '" + std::string(option) + "'.");
      }
    }
    if (!template_name(bits[1], tok.line, node->target)) return nullptr;
    return node;
  }

  NodePtr do_url(const Token& tok) {
    auto bits = smart_split(tok.contents);
    if (bits.size() < 2)
      return fail_node(tok.line, "'url' takes at least one argument, a URL pattern name.");
    auto node = std::make_unique<UrlNode>(tok.line);
    if (!compile_filter(bits[1], tok.line, node->view_name)) return nullptr;
    std::vector<std::string_view> rest(bits.begin() + 2, bits.end());
    if (rest.size() >= 2 && rest[rest.size() - 2] == "as") {
      node->asvar = lib_.symbols.intern(rest.back());
      rest.resize(rest.size() - 2);
    }
    for (const auto bit : rest) {
      std::string_view name, value;
      const bool is_kwarg = split_kwarg(bit, name, value);
      FilterExpr expr;
      if (!compile_filter(value, tok.line, expr)) return nullptr;
      if (!is_kwarg) {
        node->args.push_back(std::move(expr));
        continue;
      }
      bool replaced = false;
      for (auto& kw : node->kwargs) {
        if (kw.first == name) {
          kw.second = std::move(expr);
          replaced = true;
        }
      }
      if (!replaced) node->kwargs.emplace_back(std::string(name), std::move(expr));
    }
    return node;
  }

  NodePtr do_static(const Token& tok) {
    const auto bits = smart_split(tok.contents);
    if (bits.size() < 2) return fail_node(tok.line, "'static' takes at least one argument (path to file)");
    auto node = std::make_unique<StaticNode>(tok.line);
    if (!compile_filter(bits[1], tok.line, node->path)) return nullptr;
    if (bits[bits.size() - 2] == "as") {
      if (bits.size() < 4) return fail_node(tok.line, "'static' is missing the variable name after 'as'");
      node->asvar = lib_.symbols.intern(bits[3]);
    }
    return node;
  }

  NodePtr do_prefix(const Token& tok) {
    const auto words = split_ws(tok.contents);
    if (words.size() > 1 && words[1] != "as")
      return fail_node(tok.line, "First argument in 'get_static_prefix' must be 'as'");
    auto node = std::make_unique<PrefixNode>(tok.line);
    if (words.size() > 1) {
      if (words.size() < 3) return fail_node(tok.line, "'get_static_prefix' is missing the variable name after 'as'");
      node->asvar = lib_.symbols.intern(words[2]);
    }
    return node;
  }

  // Django's own tag libraries may be loaded; only static's tags exist here
  // (static is a builtin), so the others' tags still fail as unknown.
  NodePtr do_load(const Token& tok) {
    const auto words = split_ws(tok.contents);
    const bool from = words.size() >= 4 && words[words.size() - 2] == "from";
    const std::vector<std::string_view> libraries =
        from ? std::vector<std::string_view>{words.back()} : std::vector<std::string_view>(words.begin() + 1, words.end());
    for (const auto name : libraries) {
      if (!find_tag_library(name))
        return fail_node(tok.line, "'" + std::string(name) +
                                       "' is not a registered tag library. Must be one of: cache, i18n, l10n, static, tz");
    }
    if (from) {
      const TagLibrary* lib = find_tag_library(words.back());
      for (size_t i = 1; i + 2 < words.size(); ++i) {
        if (!lib->has(words[i]))
          return fail_node(tok.line, "'" + std::string(words[i]) + "' is not a valid tag or filter in tag library '" +
                                         std::string(words.back()) + "'");
      }
    }
    return std::make_unique<EmptyNode>(tok.line);
  }

  NodePtr do_comment(const Token& tok) {
    while (pos_ < tokens_.size()) {
      const Token& t = next_token();
      if (t.type == TokenType::block && t.contents == "endcomment") return std::make_unique<EmptyNode>(tok.line);
    }
    return fail_node(tok.line, "Unclosed tag 'comment', expected 'endcomment'");
  }

  NodePtr do_spaceless(const Token& tok) {
    auto node = std::make_unique<SpacelessNode>(tok.line);
    List body;
    if (!parse(body, {"endspaceless"})) return nullptr;
    delete_first_token();
    node->body = std::move(body.nodes);
    return node;
  }

  // The lexer turned everything up to the matching end tag into text.
  NodePtr do_verbatim(const Token& tok) {
    List body;
    if (!parse(body, {"endverbatim"})) return nullptr;
    delete_first_token();
    std::string text;
    for (const auto& n : body.nodes) {
      if (n->kind != NodeKind::text) return fail_node(tok.line, "Unsupported form of 'verbatim': " + std::string(tok.contents));
      text += static_cast<const TextNode&>(*n).text;
    }
    t_.literals.push_back(std::move(text));
    return std::make_unique<TextNode>(tok.line, t_.literals.back());
  }

  NodePtr do_autoescape(const Token& tok) {
    const auto words = split_ws(tok.contents);
    if (words.size() != 2) return fail_node(tok.line, "'autoescape' tag requires exactly one argument.");
    if (words[1] != "on" && words[1] != "off")
      return fail_node(tok.line, "'autoescape' argument should be 'on' or 'off'");
    auto node = std::make_unique<AutoescapeNode>(tok.line, words[1] == "on");
    List body;
    if (!parse(body, {"endautoescape"})) return nullptr;
    delete_first_token();
    node->body = std::move(body.nodes);
    return node;
  }

  LibraryData& lib_;
  Template& t_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool stopped_ = false;
  int conditional_ = 0;
  std::vector<std::pair<std::string_view, int>> command_stack_;
  std::vector<std::string_view> loaded_blocks_;
  Error error_;
  bool failed_ = false;
};

}  // namespace

bool FilterExpr::constant_string(std::string_view& out) const {
  if (var.symbol >= 0 || !var.literal.is_string() || !filters.empty()) return false;
  out = var.literal.text();
  return true;
}

bool parse_template(LibraryData& lib, Template& t, Error* err) { return Parser(lib, t).run(err); }

}  // namespace tmpl::detail
