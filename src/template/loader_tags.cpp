// Loader tags (django.template.loader_tags): {% block %}, {% extends %},
// {% include %}, Django's BlockContext and relative template names.
#include <algorithm>

#include "template/parser.h"

namespace tmpl::detail {

using Kind = Value::Kind;

namespace {

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

// ---------------------------------------------------------------------------
// BlockContext

bool BlockContext::add_blocks(const std::vector<const BlockNode*>& blocks) {
  if (entries.capacity() == 0) entries.reserve(16);
  for (const BlockNode* b : blocks) {
    auto it = std::find_if(entries.begin(), entries.end(), [&](const Entry& e) { return e.name == b->name; });
    if (it == entries.end()) {
      entries.emplace_back();
      it = entries.end() - 1;
      it->name = b->name;
    }
    if (it->size == kMaxChain) return false;
    std::copy_backward(it->stack, it->stack + it->size, it->stack + it->size + 1);
    it->stack[0] = b;
    ++it->size;
  }
  return true;
}

const BlockNode* BlockContext::pop(int name) {
  for (auto& e : entries) {
    if (e.name == name) return e.size == 0 ? nullptr : e.stack[--e.size];
  }
  return nullptr;
}

// Only re-pushes what pop() returned, so the stack has room.
void BlockContext::push(int name, const BlockNode* block) {
  for (auto& e : entries) {
    if (e.name == name) e.stack[e.size++] = block;
  }
}

const BlockNode* BlockContext::top(int name) const {
  for (const auto& e : entries) {
    if (e.name == name) return e.size == 0 ? nullptr : e.stack[e.size - 1];
  }
  return nullptr;
}

bool BlockContext::in_history(const Template* t) const {
  return std::find(history, history + history_size, t) != history + history_size;
}

bool BlockContext::add_history(const Template* t) {
  if (history_size == kMaxChain) return false;
  history[history_size++] = t;
  return true;
}

Parser::NodePtr Parser::do_block(const Token& tok) {
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
bool Parser::template_name(std::string_view bit, int line, FilterExpr& out) {
  std::string name, error;
  if (!relative_template_name(t_.name, bit, name, error)) return fail(line, error);
  t_.literals.push_back(std::move(name));
  return compile_filter(t_.literals.back(), line, out);
}

Parser::NodePtr Parser::do_extends(const Token& tok) {
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

Parser::NodePtr Parser::do_include(const Token& tok) {
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

// bound so {{ block.super }} can render the next one up.
bool Renderer::render_block(const BlockNode& self, std::string& out) {
  if (!enter(self.line)) return false;
  push();
  BlockContext* bc = blocks && blocks->active ? blocks : nullptr;
  const BlockNode* pushed = bc ? bc->pop(self.name) : nullptr;
  const BlockNode* block = pushed ? pushed : &self;
  BlockFrame frame{block, self.name, bc != nullptr};
  Value v;
  v.kind = Kind::block;
  v.block = &frame;
  set(lib.sym_block, std::move(v));
  const Template* saved = current;
  current = block->owner;
  const bool ok = render_list(block->body, out);
  current = saved;
  if (pushed) bc->push(self.name, pushed);
  pop();
  leave();
  return ok;
}

Status Renderer::block_super(const BlockFrame& frame, Value& out) {
  if (!frame.has_context)
    return fail_status("'BlockNode' object has no attribute 'context'. Did you use {{ block.super }} in a base template?");
  if (!blocks || !blocks->active || !blocks->top(frame.name)) {
    out = Value::borrowed("", false);
    return Status::ok;
  }
  std::string text;
  if (!render_block(*frame.node, text)) return Status::error;
  out = Value::owned(std::move(text), true);
  return Status::ok;
}

bool ExtendsNode::render(Renderer& r, std::string& out) const {
  const Template* target = parent;
  if (!target) {
    Value name;
    const Status st = r.resolve(parent_name, false, name);
    if (st != Status::ok) return fail_lookup(r, st, line);
    if (!name.is_string() || name.text().empty())
      return r.fail("Invalid template name in 'extends' tag", line);
    target = r.lib.find(name.text());
    if (!target) return r.fail("TemplateDoesNotExist: " + std::string(name.text()), line);
  }
  BlockContext& bc = *r.blocks;
  if (bc.history_size == 0) bc.add_history(owner);
  if (bc.in_history(target)) return r.fail("TemplateDoesNotExist: " + target->name + " (extends loop)", line);
  bc.active = true;
  if (!bc.add_history(target) || !bc.add_blocks(owner->blocks) || (!target->extends && !bc.add_blocks(target->blocks)) ||
      ++r.include_depth > kMaxIncludeDepth)
    return r.fail("extends/include nested too deeply", line);
  if (!r.enter(line)) return false;
  const Template* saved = r.current;
  r.current = target;
  const bool ok = r.render_list(target->nodes, out);
  r.current = saved;
  r.leave();
  --r.include_depth;
  return ok;
}

namespace {

// IncludeNode: a name (relative names resolved), or the first existing of a list.
const Template* find_included(Renderer& r, const Value& target, const Template& owner, int line) {
  if (target.is_string() && !target.text().empty()) {
    std::string name, error;
    if (!relative_template_name(owner.name, target.text(), name, error)) {
      r.fail(error, line);
      return nullptr;
    }
    if (const Template* t = r.lib.find(name)) return t;
    r.fail("TemplateDoesNotExist: " + name, line);
    return nullptr;
  }
  Sequence names;
  if (target.kind == Kind::list && names.init(target)) {
    for (size_t i = 0; i < names.size(); ++i) {
      const Value name = names.at(i);
      if (!name.is_string()) break;
      if (const Template* t = r.lib.find(name.text())) return t;
    }
  }
  r.fail("TemplateDoesNotExist: no usable template name in 'include'", line);
  return nullptr;
}

}  // namespace

bool IncludeNode::render(Renderer& r, std::string& out) const {
  const Template* t = resolved;
  if (!t) {
    Value name;
    const Status st = r.resolve(target, false, name);
    if (st != Status::ok) return fail_lookup(r, st, line);
    t = find_included(r, name, *owner, line);
    if (!t) return false;
  }
  std::vector<std::pair<int, Value>> bound;
  if (!resolve_assignments(r, values, bound, line)) return false;
  if (++r.include_depth > kMaxIncludeDepth) return r.fail("extends/include nested too deeply", line);
  if (!r.enter(line)) return false;
  bool ok;
  if (only) {
    ok = r.render_isolated(*t, bound, out);
  } else {
    r.push();
    for (auto& [symbol, value] : bound) r.set(symbol, std::move(value));
    ok = r.render_template(*t, out);
    r.pop();
  }
  r.leave();
  --r.include_depth;
  return ok;
}

}  // namespace tmpl::detail
