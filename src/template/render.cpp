// Rendering: Django's Context/RenderContext semantics and each node's render().
#include <algorithm>

#include "template/nodes.h"

namespace tmpl::detail {

namespace {
using Kind = Value::Kind;
}  // namespace

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

// ---------------------------------------------------------------------------
// Context stack and lookups

void Renderer::pop() {
  bindings_.erase(bindings_.begin() + static_cast<std::ptrdiff_t>(frames_.back()), bindings_.end());
  frames_.pop_back();
}

void Renderer::set(int symbol, Value v) {
  for (size_t i = frames_.back(); i < bindings_.size(); ++i) {
    if (bindings_[i].symbol == symbol) {
      bindings_[i].value = std::move(v);
      return;
    }
  }
  bindings_.push_back({symbol, std::move(v)});
}

bool Renderer::find_name(int symbol, Value& out) const {
  for (size_t i = bindings_.size(); i > floor_; --i) {
    if (bindings_[i - 1].symbol == symbol) {
      out = bindings_[i - 1].value;
      return true;
    }
  }
  if (root_) {
    const auto it = root_->find(lib.symbols.names[static_cast<size_t>(symbol)]);
    if (it != root_->end()) {
      out = from_json(*it, nullptr);
      return true;
    }
  }
  if (symbol == lib.sym_true || symbol == lib.sym_false) {
    out = Value::boolean(symbol == lib.sym_true);
    return true;
  }
  if (symbol == lib.sym_none) {
    out = Value::none_value();
    return true;
  }
  return false;
}

Status Renderer::lookup(const Variable& var, Value& out) {
  if (var.symbol < 0) {
    out = var.literal;
    return Status::ok;
  }
  if (!find_name(var.symbol, out)) {
    missing_key = lib.symbols.names[static_cast<size_t>(var.symbol)];
    return Status::missing;
  }
  for (const Lookup& l : var.path) {
    const Status st = get_attr(out, l);
    if (st == Status::missing) missing_key = l.key;
    if (st != Status::ok) return st;
  }
  return Status::ok;
}

namespace {

// Python's negative indexing; false when out of range.
bool normalize_index(Int index, size_t size, size_t& out) {
  if (index < 0) index += static_cast<Int>(size);
  if (index < 0 || index >= static_cast<Int>(size)) return false;
  out = static_cast<size_t>(index);
  return true;
}

// Zero-argument str methods Django would call: {{ name.upper }}.
bool string_method(Value& v, std::string_view key) {
  const std::string_view s = v.text();
  std::string out;
  if (key == "upper") {
    append_upper(out, s);
  } else if (key == "lower") {
    append_lower(out, s);
  } else if (key == "title") {
    append_title(out, s);
  } else if (key == "capitalize") {
    append_capitalize(out, s);
  } else if (key == "strip" || key == "lstrip" || key == "rstrip") {
    out = std::string(strip(s, key != "rstrip", key != "lstrip"));
  } else if (key == "split") {
    auto list = std::make_shared<Json>(Json::array());
    for (const auto word : split_ws(s)) list->push_back(std::string(word));
    const Json* raw = list.get();
    v = Value::container(Kind::list, raw, std::move(list));
    return true;
  } else {
    return false;
  }
  v = Value::owned(std::move(out), false);
  return true;
}

// The data attributes of Python's int and float.
bool number_attr(Value& v, std::string_view key) {
  if (v.kind == Kind::floating) {
    if (key == "real") return true;
    if (key != "imag") return false;
    v = Value::floating(0.0);
    return true;
  }
  const Int i = v.kind == Kind::boolean ? Int(v.b) : v.i;
  if (key == "real" || key == "numerator") {
    v = Value::integer(i);
  } else if (key == "imag" || key == "denominator") {
    v = Value::integer(key == "imag" ? 0 : 1);
  } else {
    return false;
  }
  return true;
}

}  // namespace

// dict key, then attribute (dict.items/keys/values, forloop, block), then
// list index, as Variable._resolve_lookup does.
Status Renderer::get_attr(Value& v, const Lookup& l) {
  size_t index;
  switch (v.kind) {
    case Kind::dict: {
      const auto& obj = *v.json->get_ptr<const Json::object_t*>();
      const auto it = obj.find(l.key);
      if (it != obj.end()) {
        v = from_json(it->second, v.holder);
        return Status::ok;
      }
      if (l.key == "items" || l.key == "keys" || l.key == "values") {
        v.kind = l.key == "items" ? Kind::dict_items : l.key == "keys" ? Kind::dict_keys : Kind::dict_values;
        return Status::ok;
      }
      return Status::missing;
    }
    case Kind::string:
      if (!l.has_index) return string_method(v, l.key) ? Status::ok : Status::missing;
      [[fallthrough]];
    case Kind::list:
    case Kind::pair: {
      Sequence seq;
      seq.init(v);
      if (!l.has_index || !normalize_index(l.index, seq.size(), index)) return Status::missing;
      Value item = seq.at(index);
      if (item.is_string() && v.owns_text) item = Value::owned(std::string(item.text()), false);
      v = std::move(item);
      return Status::ok;
    }
    case Kind::boolean:
    case Kind::integer:
    case Kind::floating:
      return number_attr(v, l.key) ? Status::ok : Status::missing;
    case Kind::loop: {
      Value field;
      if (!loop_get(*v.loop, l.key, field)) return Status::missing;
      v = std::move(field);
      return Status::ok;
    }
    case Kind::block:
      if (l.key == "super") {
        const BlockFrame& frame = *v.block;
        return block_super(frame, v);
      }
      if (l.key == "name") {
        v = Value::borrowed(v.block->node->name_text, false);
        return Status::ok;
      }
      return Status::missing;
    default:
      return Status::missing;
  }
}

Status Renderer::resolve(const FilterExpr& e, bool ignore_failures, Value& out) {
  const Status st = lookup(e.var, out);
  if (st == Status::missing) {
    out = ignore_failures ? Value::none_value() : Value::borrowed("", false);
  } else if (st != Status::ok) {
    return st;
  }
  for (const FilterCall& f : e.filters) {
    Value arg;
    if (f.has_arg) {
      const Status as = lookup(f.arg, arg);
      if (as != Status::ok) return as;
    }
    const bool input_safe = out.is_string() && out.safe;
    std::string message;
    FilterCtx ctx{autoescape, &message};
    if (f.def->fn(ctx, out, f.has_arg ? &arg : nullptr) != Status::ok) return fail_status(std::move(message));
    if (f.def->is_safe && input_safe) {
      if (!out.is_string()) out = to_str_value(out);
      out.safe = true;
    }
  }
  return Status::ok;
}

// smartif operators: any exception inside an operator makes it False.
Status Renderer::eval(const Cond& c, Value& out) {
  using Op = Cond::Op;
  if (c.op == Op::literal) return resolve(c.expr, true, out);
  auto operand = [&](const Cond& sub, Value& v) {
    if (eval(sub, v) == Status::ok) return true;
    failed = false;
    error = Error();
    return false;
  };
  Value a, b;
  out = Value::boolean(false);
  if (!operand(*c.lhs, a)) return Status::ok;
  switch (c.op) {
    case Op::not_:
      out = Value::boolean(!truthy(a));
      return Status::ok;
    case Op::or_:
      if (truthy(a)) {
        out = std::move(a);
      } else if (operand(*c.rhs, b)) {
        out = std::move(b);
      }
      return Status::ok;
    case Op::and_:
      if (!truthy(a)) {
        out = std::move(a);
      } else if (operand(*c.rhs, b)) {
        out = std::move(b);
      }
      return Status::ok;
    default:
      break;
  }
  if (!operand(*c.rhs, b)) return Status::ok;
  bool result = false;
  switch (c.op) {
    case Op::in: result = contains(b, a) == Tri::yes; break;
    case Op::not_in: result = contains(b, a) == Tri::no; break;
    case Op::is: result = identical(a, b); break;
    case Op::is_not: result = !identical(a, b); break;
    case Op::eq: result = values_equal(a, b); break;
    case Op::ne: result = !values_equal(a, b); break;
    case Op::lt: result = compare_values(a, b) == Order::less; break;
    case Op::gt: result = compare_values(a, b) == Order::greater; break;
    case Op::le: {
      const Order o = compare_values(a, b);
      result = o == Order::less || o == Order::equal;
      break;
    }
    case Op::ge: {
      const Order o = compare_values(a, b);
      result = o == Order::greater || o == Order::equal;
      break;
    }
    default: break;
  }
  out = Value::boolean(result);
  return Status::ok;
}

// ---------------------------------------------------------------------------
// Rendering helpers

bool Renderer::fail(std::string message, int line) {
  if (!failed) {
    error = Error{current ? current->name : std::string(), line, std::move(message)};
    failed = true;
  }
  return false;
}

bool Renderer::enter(int line) {
  if (++depth_ > kMaxRenderDepth) {
    --depth_;
    return fail("templates nested too deeply", line);
  }
  return true;
}

bool Renderer::render_list(const NodeList& nodes, std::string& out) {
  for (const auto& node : nodes) {
    if (!node->render(*this, out)) return false;
  }
  return true;
}

bool Renderer::render_template(const Template& t, std::string& out) {
  BlockContext local;
  BlockContext* saved_blocks = blocks;
  const Template* saved_current = current;
  blocks = &local;
  current = &t;
  const bool ok = render_list(t.nodes, out);
  blocks = saved_blocks;
  current = saved_current;
  return ok;
}

bool Renderer::render_isolated(const Template& t, std::vector<std::pair<int, Value>>& values, std::string& out) {
  const Json* saved_root = root_;
  const size_t saved_floor = floor_;
  root_ = nullptr;
  floor_ = bindings_.size();
  push();
  for (auto& [symbol, value] : values) set(symbol, std::move(value));
  const bool ok = render_template(t, out);
  pop();
  root_ = saved_root;
  floor_ = saved_floor;
  return ok;
}

// BlockNode.render: the most derived override of this block, with `block`
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

namespace {

bool fail_lookup(Renderer& r, Status st, int line) {
  if (st == Status::missing) return r.fail("Failed lookup for key [" + r.missing_key + "]", line);
  return false;
}

// Resolves `values` before any of them is bound, as Django builds a dict.
bool resolve_assignments(Renderer& r, const Assignments& in, std::vector<std::pair<int, Value>>& out, int line) {
  out.reserve(in.size());
  for (const auto& [symbol, expr] : in) {
    Value v;
    const Status st = r.resolve(expr, false, v);
    if (st != Status::ok) return fail_lookup(r, st, line);
    out.emplace_back(symbol, std::move(v));
  }
  return true;
}

void append_url(std::string& out, std::string_view url, bool autoescape) {
  if (autoescape) {
    append_escaped(out, url);
  } else {
    out += url;
  }
}

}  // namespace

// ---------------------------------------------------------------------------
// Nodes

bool VarNode::render(Renderer& r, std::string& out) const {
  Value v;
  const Status st = r.resolve(expr, false, v);
  if (st != Status::ok) return fail_lookup(r, st, line);
  append_rendered(out, v, r.autoescape);
  return true;
}

void IfNode::child_lists(std::vector<NodeList*>& out) {
  for (auto& b : branches) out.push_back(&b.body);
}

bool IfNode::render(Renderer& r, std::string& out) const {
  for (const auto& branch : branches) {
    if (branch.cond) {
      Value v;
      const Status st = r.eval(*branch.cond, v);
      if (st == Status::error) return false;
      if (st == Status::missing || !truthy(v)) continue;
    }
    if (!r.enter(line)) return false;
    const bool ok = r.render_list(branch.body, out);
    r.leave();
    return ok;
  }
  return true;
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

bool StaticNode::render(Renderer& r, std::string& out) const {
  if (constant && asvar < 0) {
    out += r.autoescape ? constant_escaped : *constant;
    return true;
  }
  std::string url;
  if (constant) {
    url = *constant;
  } else {
    Value p;
    const Status st = r.resolve(path, false, p);
    if (st != Status::ok) return fail_lookup(r, st, line);
    if (!p.is_string()) return r.fail("quote() doesn't support this type", line);
    url = static_url_for(r.lib.hooks.static_url, p.text());
  }
  if (asvar < 0) {
    append_url(out, url, r.autoescape);
    return true;
  }
  std::string stored;
  append_url(stored, url, r.autoescape);
  r.set(asvar, Value::owned(std::move(stored), r.autoescape));
  return true;
}

bool PrefixNode::render(Renderer& r, std::string& out) const {
  std::string prefix;
  append_quoted(prefix, r.lib.hooks.static_url, "/#%[]=:;$&()+,!?*@'~");
  if (asvar >= 0) {
    r.set(asvar, Value::owned(std::move(prefix), false));
  } else {
    out += prefix;
  }
  return true;
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

// ---------------------------------------------------------------------------

bool render_library(const LibraryData& lib, std::string_view name, const Json& context, std::string& out,
                    Error* err) {
  out.clear();
  const Template* t = lib.find(name);
  Error error;
  if (!lib.linked) {
    error = Error{std::string(name), 0, "the template library is not linked"};
  } else if (!t) {
    error = Error{std::string(name), 0, "template not found"};
  } else {
    out.reserve(t->output_hint);
    Renderer r(lib, context.is_object() ? &context : nullptr);
    r.push();  // the user's dict: top-level assignments land here
    if (r.render_template(*t, out)) return true;
    error = std::move(r.error);
  }
  if (err) *err = std::move(error);
  return false;
}

}  // namespace tmpl::detail
