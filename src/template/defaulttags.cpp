// Default tags (django.template.defaulttags) other than {% if %}: parsing
// and rendering of for, with, url, load, comment, spaceless, verbatim,
// autoescape and csrf_token.
#include "template/parser.h"

namespace tmpl::detail {

using Kind = Value::Kind;

namespace {

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

Parser::NodePtr Parser::do_for(const Token& tok) {
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
bool Parser::parse_loopvars(const std::vector<std::string_view>& bits, size_t in_index, const Token& tok, ForNode& node) {
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

Parser::NodePtr Parser::do_with(const Token& tok) {
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

Parser::NodePtr Parser::do_url(const Token& tok) {
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

// Django's own tag libraries may be loaded; only static's tags exist here
// (static is a builtin), so the others' tags still fail as unknown.
Parser::NodePtr Parser::do_load(const Token& tok) {
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

Parser::NodePtr Parser::do_comment(const Token& tok) {
  while (pos_ < tokens_.size()) {
    const Token& t = next_token();
    if (t.type == TokenType::block && t.contents == "endcomment") return std::make_unique<EmptyNode>(tok.line);
  }
  return fail_node(tok.line, "Unclosed tag 'comment', expected 'endcomment'");
}

Parser::NodePtr Parser::do_spaceless(const Token& tok) {
  auto node = std::make_unique<SpacelessNode>(tok.line);
  List body;
  if (!parse(body, {"endspaceless"})) return nullptr;
  delete_first_token();
  node->body = std::move(body.nodes);
  return node;
}

// The lexer turned everything up to the matching end tag into text.
Parser::NodePtr Parser::do_verbatim(const Token& tok) {
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

Parser::NodePtr Parser::do_autoescape(const Token& tok) {
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

void ForNode::child_lists(std::vector<NodeList*>& out) {
  out.push_back(&body);
  out.push_back(&empty);
}

bool ForNode::render(Renderer& r, std::string& out) const {
  LoopState loop;
  if (!r.find_name(r.lib.sym_forloop, loop.parent))
    loop.parent = Value::container(Kind::dict, &empty_object(), nullptr);
  if (!r.enter(line)) return false;
  r.push();
  const bool ok = render_loop(r, loop, out);
  r.pop();
  r.leave();
  return ok;
}

bool ForNode::render_loop(Renderer& r, LoopState& loop, std::string& out) const {
  Value values;
  const Status st = r.resolve(sequence, true, values);
  if (st != Status::ok) return fail_lookup(r, st, line);
  Sequence seq;
  if (values.kind != Kind::none && !seq.init(values)) {
    std::string shown;
    append_str(shown, values);
    return r.fail("'for' cannot iterate over " + shown, line);
  }
  loop.length = seq.size();
  if (loop.length == 0) return r.render_list(empty, out);
  Value loop_value;
  loop_value.kind = Kind::loop;
  loop_value.loop = &loop;
  r.set(r.lib.sym_forloop, loop_value);
  for (size_t i = 0; i < loop.length; ++i) {
    loop.counter0 = i;
    Value item = seq.at(reversed ? loop.length - 1 - i : i);
    if (loopvars.size() == 1) {
      r.set(loopvars[0], std::move(item));
      if (!r.render_list(body, out)) return false;
      continue;
    }
    if (!render_unpacked(r, item, out)) return false;
  }
  return true;
}

bool ForNode::render_unpacked(Renderer& r, const Value& item, std::string& out) const {
  size_t n = 1;
  Sequence parts;
  if (!length_of(item, n) || !parts.init(item)) n = 1;
  if (n != loopvars.size())
    return r.fail("Need " + std::to_string(loopvars.size()) + " values to unpack in for loop; got " +
                      std::to_string(n) + ". ",
                  line);
  r.push();
  for (size_t k = 0; k < n; ++k) r.set(loopvars[k], parts.at(k));
  const bool ok = r.render_list(body, out);
  r.pop();
  return ok;
}

bool WithNode::render(Renderer& r, std::string& out) const {
  std::vector<std::pair<int, Value>> resolved;
  if (!resolve_assignments(r, values, resolved, line)) return false;
  if (!r.enter(line)) return false;
  r.push();
  for (auto& [symbol, value] : resolved) r.set(symbol, std::move(value));
  const bool ok = r.render_list(body, out);
  r.pop();
  r.leave();
  return ok;
}

bool UrlNode::render(Renderer& r, std::string& out) const {
  if (constant && asvar < 0) {
    out += r.autoescape ? constant_escaped : *constant;
    return true;
  }
  std::string url;
  if (constant) {
    url = *constant;
  } else if (!reverse(r, url)) {
    return false;
  }
  if (asvar >= 0) {
    r.set(asvar, Value::owned(std::move(url), false));
  } else {
    append_url(out, url, r.autoescape);
  }
  return true;
}

// Resolves the arguments and reverses; a NoReverseMatch leaves `url` empty
// when the result is assigned with `as`.
bool UrlNode::reverse(Renderer& r, std::string& url) const {
  std::vector<Value> arg_values;
  std::vector<std::pair<std::string, Value>> kwarg_values;
  for (const auto& a : args) {
    Value v;
    const Status st = r.resolve(a, false, v);
    if (st != Status::ok) return fail_lookup(r, st, line);
    arg_values.push_back(std::move(v));
  }
  for (const auto& [name, expr] : kwargs) {
    Value v;
    const Status st = r.resolve(expr, false, v);
    if (st != Status::ok) return fail_lookup(r, st, line);
    kwarg_values.emplace_back(name, std::move(v));
  }
  Value name;
  const Status st = r.resolve(view_name, false, name);
  if (st != Status::ok) return fail_lookup(r, st, line);
  // A ValueError in reverse(), raised even with `as var`.
  if (!args.empty() && !kwargs.empty()) return r.fail("Don't mix *args and **kwargs in call to reverse()!", line);
  std::vector<const Route*> candidates = routes;
  if (candidates.empty() && name.is_string()) candidates = r.lib.routes_named(name.text());
  for (const Route* route : candidates) {
    if (reverse_route(*route, arg_values, kwarg_values, url)) return true;
  }
  url.clear();
  if (asvar >= 0) return true;
  std::string shown;
  append_str(shown, name);
  return r.fail("NoReverseMatch: Reverse for '" + shown + "' not found or its arguments did not match", line);
}

bool CsrfNode::render(Renderer& r, std::string& out) const {
  Value token;
  if (!r.find_name(r.lib.sym_csrf_token, token) || !truthy(token)) return true;
  if (token.is_string() && token.text() == "NOTPROVIDED") return true;
  out += "<input type=\"hidden\" name=\"csrfmiddlewaretoken\" value=\"";
  if (token.is_string() && token.safe) {
    out += token.text();
  } else {
    std::string text;
    append_str(text, token);
    append_escaped(out, text);
  }
  out += "\">";
  return true;
}

bool SpacelessNode::render(Renderer& r, std::string& out) const {
  std::string inner;
  if (!r.enter(line)) return false;
  const bool ok = r.render_list(body, inner);
  r.leave();
  if (!ok) return false;
  // strip_spaces_between_tags(value.strip()): re.sub(r'>\s+<', '><', ...)
  const std::string_view s = strip(inner);
  for (size_t i = 0; i < s.size(); ++i) {
    out += s[i];
    if (s[i] != '>') continue;
    size_t j = i + 1, n;
    while (j < s.size() && (n = space_at(s, j)) > 0) j += n;
    if (j > i + 1 && j < s.size() && s[j] == '<') i = j - 1;
  }
  return true;
}

bool AutoescapeNode::render(Renderer& r, std::string& out) const {
  const bool saved = r.autoescape;
  r.autoescape = on;
  if (!r.enter(line)) return false;
  const bool ok = r.render_list(body, out);
  r.leave();
  r.autoescape = saved;
  return ok;
}

}  // namespace tmpl::detail
