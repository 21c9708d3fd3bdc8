// Parser core (django.template.base.Parser and FilterExpression): the token
// loop, block nesting, filter expressions and the tag dispatch table. The
// tags themselves live in defaulttags.cpp, smartif.cpp (if), loader_tags.cpp
// (extends/include/block) and static_tags.cpp.
#include "template/parser.h"

namespace tmpl::detail {

int Symbols::intern(std::string_view name) {
  const auto it = ids.find(std::string(name));
  if (it != ids.end()) return it->second;
  const int id = static_cast<int>(names.size());
  names.emplace_back(name);
  ids.emplace(names.back(), id);
  return id;
}

bool Parser::run(Error* err) {
  tokens_ = tokenize(t_.text);
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

bool Parser::fail(int line, std::string message) {
  if (!failed_) {
    error_ = Error{t_.name, line, std::move(message)};
    failed_ = true;
  }
  return false;
}

Parser::NodePtr Parser::fail_node(int line, std::string message) {
  fail(line, std::move(message));
  return nullptr;
}

// Parser.parse(parse_until): stops before a block tag whose first word is
// in `until`, leaving it as the next token.
bool Parser::parse(List& list, Until until) {
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

bool Parser::parse_tag(List& list, const Token& tok, Until until) {
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

Parser::NodePtr Parser::compile_tag(std::string_view command, const Token& tok, Until until) {
  // Called directly, not through a table of member pointers: a function whose
  // address is in the module's table is never dropped, and the WASM build
  // drops the whole parser once the templates are parsed (src/CMakeLists.txt).

  // django.template.defaulttags
  if (command == "autoescape") return do_autoescape(tok);
  if (command == "comment") return do_comment(tok);
  if (command == "csrf_token") return do_csrf_token(tok);
  if (command == "cycle") return do_cycle(tok);
  if (command == "debug") return do_debug(tok);
  if (command == "filter") return do_filter(tok);
  if (command == "firstof") return do_firstof(tok);
  if (command == "for") return do_for(tok);
  if (command == "if") return do_if(tok);
  if (command == "ifchanged") return do_ifchanged(tok);
  if (command == "load") return do_load(tok);
  if (command == "lorem") return do_lorem(tok);
  if (command == "now") return do_now(tok);
  if (command == "querystring") return do_querystring(tok);
  if (command == "regroup") return do_regroup(tok);
  if (command == "resetcycle") return do_resetcycle(tok);
  if (command == "spaceless") return do_spaceless(tok);
  if (command == "templatetag") return do_templatetag(tok);
  if (command == "url") return do_url(tok);
  if (command == "verbatim") return do_verbatim(tok);
  if (command == "widthratio") return do_widthratio(tok);
  if (command == "with") return do_with(tok);
  // django.template.loader_tags
  if (command == "block") return do_block(tok);
  if (command == "extends") return do_extends(tok);
  if (command == "include") return do_include(tok);
  // django.templatetags.static, a builtin here
  if (command == "static") return do_static(tok);
  if (command == "get_static_prefix" || command == "get_media_prefix") return do_prefix(tok);
  std::string msg = "unknown tag '" + std::string(command) + "'";
  if (until.size() > 0) msg += ", expected " + quote_list(until);
  return fail_node(tok.line, std::move(msg));
}

bool Parser::compile_variable(std::string_view var, int line, Variable& out) {
  out.text = std::string(var);
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
  if (var.size() >= 5 && var.substr(0, 2) == "_(" && var.back() == ')' && is_quote(var[2])) {
    // _("...") translates; English is the identity, with gettext's '%' doubling.
    std::string text;
    for (char c : unescape_literal(var.substr(2, var.size() - 3))) {
      text += c;
      if (c == '%') text += '%';
    }
    t_.literals.push_back(std::move(text));
    out.literal = Value::borrowed(t_.literals.back(), true);
    return true;
  }
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

bool Parser::compile_filter(std::string_view token, int line, FilterExpr& out) {
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

bool Parser::check_arity(const FilterDef& def, bool has_arg, int line) {
  if (def.arity == Arity::required && !has_arg)
    return fail(line, std::string(def.name) + " requires 2 arguments, 1 provided");
  if (def.arity == Arity::none && has_arg)
    return fail(line, std::string(def.name) + " requires 1 arguments, 2 provided");
  return true;
}

// token_kwargs(): `a=b c=d`, or legacy `b as a and d as c`.
bool Parser::token_kwargs(std::vector<std::string_view>& bits, bool legacy, int line,
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
void Parser::assign(KwArgs& out, std::string_view name, FilterExpr expr) {
  for (auto& entry : out) {
    if (entry.first == name) {
      entry.second = std::move(expr);
      return;
    }
  }
  out.emplace_back(name, std::move(expr));
}

Assignments Parser::to_assignments(std::vector<std::pair<std::string_view, FilterExpr>>& kwargs) {
  Assignments values;
  for (auto& [name, expr] : kwargs) values.emplace_back(lib_.symbols.intern(name), std::move(expr));
  return values;
}

bool FilterExpr::constant_string(std::string_view& out) const {
  if (var.symbol >= 0 || !var.literal.is_string() || !filters.empty()) return false;
  out = var.literal.text();
  return true;
}

bool parse_template(LibraryData& lib, Template& t, Error* err) { return Parser(lib, t).run(err); }

}  // namespace tmpl::detail
