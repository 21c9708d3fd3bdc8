// Node types of the parsed template tree and the per-render state.
#pragma once

#include <optional>

#include "template/detail.h"

namespace tmpl::detail {

// ---------------------------------------------------------------------------
// Per-render state: Django's Context (a stack of dicts) and RenderContext.

// Django's BlockContext: per block name, the overriding blocks from the root
// template (front) to the most derived child (back).
// Stacks are bounded by the extends chain, itself bounded by
// kMaxIncludeDepth, so they live inline: one allocation per render.
struct BlockContext {
  static constexpr size_t kMaxChain = kMaxIncludeDepth + 2;
  struct Entry {
    int name;
    size_t size = 0;
    const BlockNode* stack[kMaxChain];
  };
  bool active = false;  // an {% extends %} ran in this Template.render
  std::vector<Entry> entries;
  size_t history_size = 0;  // extends chain, to refuse loops
  const Template* history[kMaxChain];

  bool add_blocks(const std::vector<const BlockNode*>& blocks);  // false: chain too long
  const BlockNode* pop(int name);
  void push(int name, const BlockNode* block);
  const BlockNode* top(int name) const;
  bool in_history(const Template* t) const;
  bool add_history(const Template* t);
};

class Renderer {
 public:
  Renderer(const LibraryData& lib, const Json* root, const std::vector<const Json*>* root_by_symbol,
           const RenderInputs& inputs)
      : lib(lib), inputs(inputs), root_(root), root_by_symbol_(root_by_symbol) {
    bindings_.reserve(16);
    frames_.reserve(16);
  }

  // Context stack. Assignments go to the innermost frame, lookups walk
  // outwards, then the user's JSON object, then Django's True/False/None.
  void push() { frames_.push_back(bindings_.size()); }
  void pop();
  void set(int symbol, Value v);
  bool find_name(int symbol, Value& out) const;

  Status lookup(const Variable& var, Value& out);
  // FilterExpression.resolve: a missing base variable becomes "" (None with
  // ignore_failures); a missing filter argument is Status::missing.
  Status resolve(const FilterExpr& e, bool ignore_failures, Value& out);
  Status eval(const Cond& c, Value& out);

  bool render_list(const NodeList& nodes, std::string& out);
  // Django's Template.render: an isolated block context.
  bool render_template(const Template& t, std::string& out);
  // Template.render(context.new(values)) for {% include ... only %}.
  bool render_isolated(const Template& t, std::vector<std::pair<int, Value>>& values, std::string& out);
  bool render_block(const BlockNode& self, std::string& out);
  Status block_super(const BlockFrame& frame, Value& out);

  // Context.set_upward: rebinds the innermost frame that has the name, else
  // binds it in the innermost frame.
  void set_upward(int symbol, Value v);
  // RenderContext[node] for the template being rendered (isolated per
  // Template.render, shared along an extends chain).
  NodeState& node_state(const Node* node);
  // context['forloop'] when rendering inside a {% for %}.
  const LoopState* current_loop() const;

  bool enter(int line);  // nesting guard
  void leave() { --depth_; }
  bool fail(std::string message, int line = 0);
  Status fail_status(std::string message) {
    fail(std::move(message));
    return Status::error;
  }

  const LibraryData& lib;
  const RenderInputs& inputs;
  bool autoescape = true;
  BlockContext* blocks = nullptr;
  const Template* current = nullptr;
  int include_depth = 0;
  Error error;
  bool failed = false;
  std::string missing_key;  // the lookup that last failed, for messages

 private:
  struct Binding {
    int symbol;
    Value value;
  };
  Status get_attr(Value& v, const Lookup& l);

  const Json* root_;
  const std::vector<const Json*>* root_by_symbol_;  // root_'s values by symbol, when bound
  // RenderContext frames: states tagged with the Template.render depth that
  // made them, so a render without stateful tags allocates nothing.
  std::vector<std::pair<int, NodeState>> render_context_;
  int render_frame_ = 0;
  std::vector<Binding> bindings_;
  std::vector<size_t> frames_;
  size_t floor_ = 0;  // lookups stop here inside an isolated include
  int depth_ = 0;
};

// ---------------------------------------------------------------------------
// Nodes.

class TextNode final : public Node {
 public:
  TextNode(int line, std::string_view text) : Node(NodeKind::text, line), text(text) {}
  bool render(Renderer&, std::string& out) const override {
    out += text;
    return true;
  }
  std::string_view text;
};

// Adjacent nodes whose output link() found fixed (text, {% load %},
// {% comment %}, {% url %} and {% static %} with constant arguments), as
// one: a page renders with one call and one append per run instead of one
// per node. The output with autoescaping on and off.
class FixedNode final : public Node {
 public:
  FixedNode(int line, std::string_view escaped, std::string_view raw)
      : Node(NodeKind::fixed, line), escaped(escaped), raw(raw) {}
  bool render(Renderer& r, std::string& out) const override;
  std::string_view escaped, raw;
};

class EmptyNode final : public Node {  // {% load %}, {% comment %}
 public:
  explicit EmptyNode(int line) : Node(NodeKind::empty, line) {}
  bool render(Renderer&, std::string&) const override { return true; }
};

class VarNode final : public Node {
 public:
  VarNode(int line, FilterExpr expr) : Node(NodeKind::var, line), expr(std::move(expr)) {}
  bool render(Renderer& r, std::string& out) const override;
  FilterExpr expr;
};

class IfNode final : public Node {
 public:
  explicit IfNode(int line) : Node(NodeKind::if_, line) {}
  bool render(Renderer& r, std::string& out) const override;
  void child_lists(std::vector<NodeList*>& out) override;
  struct Branch {
    std::unique_ptr<Cond> cond;  // null for {% else %}
    NodeList body;
  };
  std::vector<Branch> branches;
};

class ForNode final : public Node {
 public:
  explicit ForNode(int line) : Node(NodeKind::for_, line) {}
  bool render(Renderer& r, std::string& out) const override;
  void child_lists(std::vector<NodeList*>& out) override;
  bool render_loop(Renderer& r, LoopState& loop, std::string& out) const;
  bool render_unpacked(Renderer& r, const Value& item, std::string& out) const;
  std::vector<int> loopvars;
  FilterExpr sequence;
  bool reversed = false;
  NodeList body, empty;
};

using Assignments = std::vector<std::pair<int, FilterExpr>>;  // symbol = expression

class WithNode final : public Node {
 public:
  explicit WithNode(int line) : Node(NodeKind::with, line) {}
  bool render(Renderer& r, std::string& out) const override;
  void child_lists(std::vector<NodeList*>& out) override { out.push_back(&body); }
  Assignments values;
  NodeList body;
};

class BlockNode final : public Node {
 public:
  BlockNode(int line, int name, std::string_view name_text, const Template* owner)
      : Node(NodeKind::block, line), name(name), name_text(name_text), owner(owner) {}
  bool render(Renderer& r, std::string& out) const override { return r.render_block(*this, out); }
  void child_lists(std::vector<NodeList*>& out) override { out.push_back(&body); }
  int name;
  std::string_view name_text;
  const Template* owner;
  NodeList body;
};

class ExtendsNode final : public Node {
 public:
  ExtendsNode(int line, const Template* owner) : Node(NodeKind::extends, line), owner(owner) {}
  bool render(Renderer& r, std::string& out) const override;
  void child_lists(std::vector<NodeList*>& out) override { out.push_back(&body); }
  bool link(Linker& l) override;
  FilterExpr parent_name;
  const Template* parent = nullptr;  // resolved at link time for constant names
  const Template* owner;
  NodeList body;  // everything after the tag; only its blocks matter
};

class IncludeNode final : public Node {
 public:
  IncludeNode(int line, const Template* owner) : Node(NodeKind::include, line), owner(owner) {}
  bool render(Renderer& r, std::string& out) const override;
  bool link(Linker& l) override;
  FilterExpr target;
  const Template* resolved = nullptr;
  const Template* owner;
  Assignments values;
  bool only = false;
  bool conditional = false;  // under {% if %}/{% for %}: may not recurse forever
};

class UrlNode final : public Node {
 public:
  explicit UrlNode(int line) : Node(NodeKind::url, line) {}
  bool render(Renderer& r, std::string& out) const override;
  bool link(Linker& l) override;
  bool reverse(Renderer& r, std::string& url) const;
  FilterExpr view_name;
  std::vector<FilterExpr> args;
  std::vector<std::pair<std::string, FilterExpr>> kwargs;
  int asvar = -1;
  std::vector<const Route*> routes;     // candidates for a constant view name
  std::optional<std::string> constant;  // folded result when every input is constant
  std::string constant_escaped;
};

class StaticNode final : public Node {
 public:
  explicit StaticNode(int line) : Node(NodeKind::static_, line) {}
  bool render(Renderer& r, std::string& out) const override;
  bool link(Linker& l) override;
  FilterExpr path;
  int asvar = -1;
  std::optional<std::string> constant;
  std::string constant_escaped;
};

class PrefixNode final : public Node {  // {% get_static_prefix %}, {% get_media_prefix %}
 public:
  explicit PrefixNode(int line) : Node(NodeKind::prefix, line) {}
  bool render(Renderer& r, std::string& out) const override;
  int asvar = -1;
  bool media = false;
};

class CsrfNode final : public Node {
 public:
  explicit CsrfNode(int line) : Node(NodeKind::csrf, line) {}
  bool render(Renderer& r, std::string& out) const override;
};

class SpacelessNode final : public Node {
 public:
  explicit SpacelessNode(int line) : Node(NodeKind::spaceless, line) {}
  bool render(Renderer& r, std::string& out) const override;
  void child_lists(std::vector<NodeList*>& out) override { out.push_back(&body); }
  NodeList body;
};

class AutoescapeNode final : public Node {
 public:
  AutoescapeNode(int line, bool on) : Node(NodeKind::autoescape, line), on(on) {}
  bool render(Renderer& r, std::string& out) const override;
  void child_lists(std::vector<NodeList*>& out) override { out.push_back(&body); }
  bool on;
  NodeList body;
};

// Depth-first visit of every node in a list (Django's get_nodes_by_type).
template <typename F>
void walk_nodes(NodeList& nodes, F&& f) {
  for (auto& node : nodes) {
    f(*node);
    std::vector<NodeList*> children;
    node->child_lists(children);
    for (NodeList* list : children) walk_nodes(*list, f);
  }
}

// Shared by the node renderers (render.cpp).
// A failed lookup (Status::missing) becomes Django's VariableDoesNotExist.
bool fail_lookup(Renderer& r, Status st, int line);
// Resolves `values` before any of them is bound, as Django builds a dict.
bool resolve_assignments(Renderer& r, const Assignments& in, std::vector<std::pair<int, Value>>& out, int line);
void append_url(std::string& out, std::string_view url, bool autoescape);

// construct_relative_path(): "./x" and "../x" names relative to `current`.
// Returns false with a message when the path escapes or names `current`.
bool relative_template_name(std::string_view current, std::string_view name, std::string& out,
                            std::string& error);

}  // namespace tmpl::detail
