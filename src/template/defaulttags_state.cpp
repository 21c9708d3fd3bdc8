// Default tags that keep state or bind names (django.template.defaulttags):
// cycle, resetcycle, firstof, ifchanged, regroup and filter.
#include "template/parser.h"

namespace tmpl::detail {

namespace {

class CycleNode final : public Node {
 public:
  explicit CycleNode(int line) : Node(NodeKind::other, line) {}
  // Django's render_context[self] = itertools.cycle(values).
  bool render(Renderer& r, std::string& out) const override {
    if (values.empty()) return true;
    NodeState& state = r.node_state(this);
    const FilterExpr& expr = values[state.index % values.size()];
    state.index = (state.index + 1) % values.size();
    Value v;
    const Status st = r.resolve(expr, false, v);
    if (st != Status::ok) return fail_lookup(r, st, line);
    if (name >= 0) r.set_upward(name, v);
    if (!silent) append_rendered(out, v, r.autoescape);
    return true;
  }
  std::vector<FilterExpr> values;
  int name = -1;
  bool silent = false;
};

// {% cycle name %}: the named node itself, so the position is shared.
class CycleRefNode final : public Node {
 public:
  CycleRefNode(int line, const Node* target) : Node(NodeKind::other, line), target(target) {}
  bool render(Renderer& r, std::string& out) const override { return target->render(r, out); }
  const Node* target;
};

class ResetCycleNode final : public Node {
 public:
  ResetCycleNode(int line, const Node* target) : Node(NodeKind::other, line), target(target) {}
  bool render(Renderer& r, std::string&) const override {
    r.node_state(target).index = 0;
    return true;
  }
  const Node* target;
};

class FirstOfNode final : public Node {
 public:
  explicit FirstOfNode(int line) : Node(NodeKind::other, line) {}
  bool render(Renderer& r, std::string& out) const override {
    std::string first;
    for (const auto& expr : values) {
      Value v;
      const Status st = r.resolve(expr, true, v);
      if (st == Status::error) return false;
      if (st == Status::ok && truthy(v)) {
        append_rendered(first, v, r.autoescape);
        break;
      }
    }
    if (asvar >= 0) {
      r.set(asvar, Value::owned(std::move(first), r.autoescape));
    } else {
      out += first;
    }
    return true;
  }
  std::vector<FilterExpr> values;
  int asvar = -1;
};

Value owned_copy(Value v) {
  if (v.is_string() && !v.owns_text) {
    const bool safe = v.safe;
    v = Value::owned(std::string(v.text()), safe);
  }
  return v;
}

class IfChangedNode final : public Node {
 public:
  explicit IfChangedNode(int line) : Node(NodeKind::other, line) {}
  void child_lists(std::vector<NodeList*>& out) override {
    out.push_back(&body);
    out.push_back(&otherwise);
  }
  bool render(Renderer& r, std::string& out) const override {
    // Inside a loop the state lives on that loop's forloop, else on the
    // render context (_get_context_stack_frame).
    NodeState* state = nullptr;
    if (const LoopState* loop = r.current_loop()) {
      for (auto& s : loop->states) {
        if (s.node == this) state = &s;
      }
      if (!state) {
        loop->states.emplace_back();
        state = &loop->states.back();
        state->node = this;
      }
    } else {
      state = &r.node_state(this);
    }
    std::vector<Value> compare_to;
    std::string rendered;
    if (values.empty()) {
      if (!r.render_list(body, rendered)) return false;
      compare_to.push_back(Value::owned(rendered, true));
    } else {
      for (const auto& expr : values) {
        Value v;
        const Status st = r.resolve(expr, true, v);
        if (st == Status::error) return false;
        if (st == Status::missing) v = Value::none_value();
        compare_to.push_back(owned_copy(std::move(v)));
      }
    }
    bool changed = !state->seen_any || state->seen.size() != compare_to.size();
    for (size_t k = 0; !changed && k < compare_to.size(); ++k) changed = !values_equal(compare_to[k], state->seen[k]);
    if (changed) {
      state->seen_any = true;
      state->seen = std::move(compare_to);
      if (!values.empty() || rendered.empty()) return r.render_list(body, out);
      out += rendered;
      return true;
    }
    return r.render_list(otherwise, out);
  }
  std::vector<FilterExpr> values;
  NodeList body, otherwise;
};

class RegroupNode final : public Node {
 public:
  explicit RegroupNode(int line) : Node(NodeKind::other, line) {}
  bool render(Renderer& r, std::string&) const override {
    Value list;
    Status st = r.resolve(target, true, list);
    if (st == Status::error) return false;
    if (st == Status::missing || list.kind == Value::Kind::none) {
      r.set(var_name, make_list(Json::array()));
      return true;
    }
    Sequence seq;
    if (!seq.init(list)) {
      std::string shown;
      append_str(shown, list);
      return r.fail("'" + shown + "' object is not iterable", line);
    }
    Json groups = Json::array();
    Value last_key;
    for (size_t i = 0; i < seq.size(); ++i) {
      const Value item = seq.at(i);
      r.set(var_name, item);  // resolve_expression: context[var_name] = obj
      Value key;
      st = r.resolve(expression, true, key);
      if (st == Status::error) return false;
      if (st == Status::missing) key = Value::none_value();
      if (groups.empty() || !values_equal(key, last_key)) {
        groups.push_back(Json{{"$group", Json::array({to_json(key), Json::array()})}});
        last_key = owned_copy(key);
      }
      groups.back()["$group"][1].push_back(to_json(item));
    }
    r.set(var_name, make_list(std::move(groups)));
    return true;
  }
  FilterExpr target, expression;
  int var_name = -1;
};

class FilterNode final : public Node {
 public:
  FilterNode(int line, int var) : Node(NodeKind::other, line), var(var) {}
  void child_lists(std::vector<NodeList*>& out) override { out.push_back(&body); }
  bool render(Renderer& r, std::string& out) const override {
    std::string output;
    if (!r.enter(line)) return false;
    bool ok = r.render_list(body, output);
    r.leave();
    if (!ok) return false;
    r.push();
    r.set(var, Value::owned(std::move(output), true));
    Value v;
    const Status st = r.resolve(expr, false, v);
    r.pop();
    if (st != Status::ok) return fail_lookup(r, st, line);
    append_str(out, v);  // NodeList.render: str(), no escaping
    return true;
  }
  int var;
  FilterExpr expr;
  NodeList body;
};

}  // namespace

Parser::NodePtr Parser::do_cycle(const Token& tok) {
  auto bits = smart_split(tok.contents);
  if (bits.size() < 2) return fail_node(tok.line, "'cycle' tag requires at least two arguments");
  if (bits.size() == 2) {
    if (named_cycles_.empty())
      return fail_node(tok.line, "No named cycles in template. '" + std::string(bits[1]) + "' is not defined");
    for (auto it = named_cycles_.rbegin(); it != named_cycles_.rend(); ++it) {
      if (it->first == bits[1]) return std::make_unique<CycleRefNode>(tok.line, it->second);
    }
    return fail_node(tok.line, "Named cycle '" + std::string(bits[1]) + "' does not exist");
  }
  auto node = std::make_unique<CycleNode>(tok.line);
  bool as_form = false;
  if (bits.size() > 4) {
    if (bits[bits.size() - 3] == "as") {
      if (bits.back() != "silent")
        return fail_node(tok.line, "Only 'silent' flag is allowed after cycle's name, not '" + std::string(bits.back()) + "'.");
      as_form = node->silent = true;
      bits.pop_back();
    } else if (bits[bits.size() - 2] == "as") {
      as_form = true;
    }
  }
  const size_t end = as_form ? bits.size() - 2 : bits.size();
  for (size_t i = 1; i < end; ++i) {
    node->values.emplace_back();
    if (!compile_filter(bits[i], tok.line, node->values.back())) return nullptr;
  }
  if (as_form) {
    node->name = intern(bits.back());
    named_cycles_.emplace_back(bits.back(), node.get());
  }
  last_cycle_ = node.get();
  return node;
}

Parser::NodePtr Parser::do_resetcycle(const Token& tok) {
  const auto bits = smart_split(tok.contents);
  if (bits.size() > 2) return fail_node(tok.line, "'resetcycle' tag accepts at most one argument.");
  if (bits.size() == 2) {
    for (auto it = named_cycles_.rbegin(); it != named_cycles_.rend(); ++it) {
      if (it->first == bits[1]) return std::make_unique<ResetCycleNode>(tok.line, it->second);
    }
    return fail_node(tok.line, "Named cycle '" + std::string(bits[1]) + "' does not exist.");
  }
  if (!last_cycle_) return fail_node(tok.line, "No cycles in template.");
  return std::make_unique<ResetCycleNode>(tok.line, last_cycle_);
}

Parser::NodePtr Parser::do_firstof(const Token& tok) {
  auto bits = smart_split(tok.contents);
  bits.erase(bits.begin());
  if (bits.empty()) return fail_node(tok.line, "'firstof' statement requires at least one argument");
  auto node = std::make_unique<FirstOfNode>(tok.line);
  if (bits.size() >= 2 && bits[bits.size() - 2] == "as") {
    node->asvar = intern(bits.back());
    bits.resize(bits.size() - 2);
  }
  for (const auto bit : bits) {
    node->values.emplace_back();
    if (!compile_filter(bit, tok.line, node->values.back())) return nullptr;
  }
  return node;
}

Parser::NodePtr Parser::do_ifchanged(const Token& tok) {
  const auto bits = smart_split(tok.contents);
  auto node = std::make_unique<IfChangedNode>(tok.line);
  ++conditional_;
  List body;
  if (!parse(body, {"else", "endifchanged"})) return nullptr;
  node->body = std::move(body.nodes);
  if (next_token().contents == "else") {
    if (!parse_body(node->otherwise, {"endifchanged"})) return nullptr;
    delete_first_token();
  }
  --conditional_;
  for (size_t i = 1; i < bits.size(); ++i) {
    node->values.emplace_back();
    if (!compile_filter(bits[i], tok.line, node->values.back())) return nullptr;
  }
  return node;
}

Parser::NodePtr Parser::do_regroup(const Token& tok) {
  const auto bits = smart_split(tok.contents);
  if (bits.size() != 6) return fail_node(tok.line, "'regroup' tag takes five arguments");
  auto node = std::make_unique<RegroupNode>(tok.line);
  if (!compile_filter(bits[1], tok.line, node->target)) return nullptr;
  if (bits[2] != "by") return fail_node(tok.line, "second argument to 'regroup' tag must be 'by'");
  if (bits[4] != "as") return fail_node(tok.line, "next-to-last argument to 'regroup' tag must be 'as'");
  node->var_name = intern(bits[5]);
  const std::string_view expression = keep(std::string(bits[5]) + "." + std::string(bits[3]));
  if (!compile_filter(expression, tok.line, node->expression)) return nullptr;
  return node;
}

Parser::NodePtr Parser::do_filter(const Token& tok) {
  const auto words = split_ws(tok.contents);
  if (words.size() < 2) return fail_node(tok.line, "'filter' tag requires an argument: the filters to apply");
  // _, rest = token.contents.split(None, 1)
  size_t at = words[1].data() - tok.contents.data();
  const std::string_view expression = keep("var|" + std::string(tok.contents.substr(at)));
  auto node = std::make_unique<FilterNode>(tok.line, intern("var"));
  if (!compile_filter(expression, tok.line, node->expr)) return nullptr;
  for (const auto& f : node->expr.filters) {
    if (f.def->name == "escape" || f.def->name == "safe")
      return fail_node(tok.line, "\"filter " + std::string(f.def->name) +
                                     "\" is not permitted.  Use the \"autoescape\" tag instead.");
  }
  if (!parse_body(node->body, {"endfilter"})) return nullptr;
  delete_first_token();
  return node;
}

}  // namespace tmpl::detail
