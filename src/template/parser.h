// The template parser shared by the tag compilers (Django's
// django.template.base.Parser): lexer.cpp tokenizes, parser.cpp runs the
// token loop and compiles filter expressions, and each tag library's file
// (defaulttags.cpp, smartif.cpp, loader_tags.cpp, static_tags.cpp)
// defines its Parser::do_* compilers next to the nodes they build.
#pragma once

#include <initializer_list>

#include "template/nodes.h"

namespace tmpl::detail {

// ---------------------------------------------------------------------------
// lexer.cpp: tag_re = {%.*?%}|{{.*?}}|{#.*?#} with '.' not matching newlines.

enum class TokenType : uint8_t { text, var, block };

struct Token {
  TokenType type;
  std::string_view contents;  // stripped inner text for tags
  int line;
};

std::vector<Token> tokenize(std::string_view src);
// smart_split: whitespace-separated bits, keeping quoted strings together.
std::vector<std::string_view> smart_split(std::string_view s);
// kwarg_re = (?:(\w+)=)?(.+)
bool split_kwarg(std::string_view bit, std::string_view& name, std::string_view& value);
size_t quoted_end(std::string_view s, size_t i);
bool is_quote(char c);
size_t constant_end(std::string_view s, size_t i);  // _("...") | "..." | '...'
size_t var_end(std::string_view s, size_t i);       // [\w.]+ | [-+.]?\d[\d.e]*
size_t skip_spaces(std::string_view s, size_t i);
std::string unescape_literal(std::string_view s);   // unescape_string_literal
bool is_digit_run(std::string_view s);
std::string quote_list(std::initializer_list<std::string_view> names);  // 'a', 'b' or 'c'

using KwArgs = std::vector<std::pair<std::string_view, FilterExpr>>;

class Parser {
 public:
  using Until = std::initializer_list<std::string_view>;
  using NodePtr = std::unique_ptr<Node>;
  struct List {
    NodeList nodes;
    bool contains_nontext = false;
  };

  Parser(LibraryData& lib, Template& t) : lib_(lib), t_(t) {}
  bool run(Error* err);

  bool fail(int line, std::string message);
  NodePtr fail_node(int line, std::string message);
  // Parser.parse(parse_until): stops before a block tag whose first word is
  // in `until`, leaving it as the next token.
  bool parse(List& list, Until until);
  const Token& next_token() { return tokens_[pos_++]; }
  // Consumes the end tag that stopped the last parse().
  void delete_first_token() { ++pos_; }
  // parse(until) then consume the end tag; false on error.
  bool parse_body(NodeList& out, Until until) {
    List body;
    if (!parse(body, until)) return false;
    out = std::move(body.nodes);
    return true;
  }

  bool compile_variable(std::string_view var, int line, Variable& out);
  bool compile_filter(std::string_view token, int line, FilterExpr& out);
  bool check_arity(const FilterDef& def, bool has_arg, int line);
  // token_kwargs(): `a=b c=d`, or legacy `b as a and d as c`.
  bool token_kwargs(std::vector<std::string_view>& bits, bool legacy, int line, KwArgs& out);
  static void assign(KwArgs& out, std::string_view name, FilterExpr expr);
  Assignments to_assignments(KwArgs& kwargs);
  int intern(std::string_view name) { return lib_.symbols.intern(name); }
  // A string kept alive as long as the template.
  std::string_view keep(std::string s) {
    t_.literals.push_back(std::move(s));
    return t_.literals.back();
  }

  // smartif.cpp
  std::unique_ptr<Cond> parse_condition(const std::vector<std::string_view>& bits, int line);
  bool parse_branch(IfNode& node, std::unique_ptr<Cond> cond, Until until, const Token*& end);
  // loader_tags.cpp
  bool template_name(std::string_view bit, int line, FilterExpr& out);

  // Tag compilers, one per builtin tag.
  NodePtr do_if(const Token& tok);
  NodePtr do_for(const Token& tok);
  bool parse_loopvars(const std::vector<std::string_view>& bits, size_t in_index, const Token& tok, ForNode& node);
  NodePtr do_with(const Token& tok);
  NodePtr do_block(const Token& tok);
  NodePtr do_extends(const Token& tok);
  NodePtr do_include(const Token& tok);
  NodePtr do_url(const Token& tok);
  NodePtr do_static(const Token& tok);
  NodePtr do_prefix(const Token& tok);
  NodePtr do_load(const Token& tok);
  NodePtr do_comment(const Token& tok);
  NodePtr do_csrf_token(const Token& tok);
  NodePtr do_spaceless(const Token& tok);
  NodePtr do_verbatim(const Token& tok);
  NodePtr do_autoescape(const Token& tok);
  // defaulttags_more.cpp
  NodePtr do_cycle(const Token& tok);
  NodePtr do_resetcycle(const Token& tok);
  NodePtr do_firstof(const Token& tok);
  NodePtr do_ifchanged(const Token& tok);
  NodePtr do_regroup(const Token& tok);
  NodePtr do_filter(const Token& tok);
  NodePtr do_now(const Token& tok);
  NodePtr do_widthratio(const Token& tok);
  NodePtr do_templatetag(const Token& tok);
  NodePtr do_lorem(const Token& tok);
  NodePtr do_debug(const Token& tok);
  NodePtr do_querystring(const Token& tok);

  LibraryData& lib_;
  Template& t_;
  std::vector<Token> tokens_;
  size_t pos_ = 0;
  bool stopped_ = false;
  int conditional_ = 0;
  std::vector<std::pair<std::string_view, int>> command_stack_;
  std::vector<std::string_view> loaded_blocks_;
  // {% cycle ... as name %} nodes by name, and the last cycle (resetcycle).
  std::vector<std::pair<std::string_view, Node*>> named_cycles_;
  Node* last_cycle_ = nullptr;
  Error error_;
  bool failed_ = false;

 private:
  bool parse_tag(List& list, const Token& tok, Until until);
  NodePtr compile_tag(std::string_view command, const Token& tok, Until until);
};

}  // namespace tmpl::detail
