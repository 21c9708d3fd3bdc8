// Link step: resolves constant extends/include targets and {% url %} names,
// folds constant {% url %}/{% static %} results, and rejects cycles that
// would recurse forever.
#include <map>

#include "template/nodes.h"

namespace tmpl::detail {

class Linker {
 public:
  Linker(LibraryData& lib, Error* err) : lib(lib), err_(err) {}

  bool fail(int line, std::string message) {
    if (err_) *err_ = Error{current ? current->name : std::string(), line, std::move(message)};
    return false;
  }

  LibraryData& lib;
  const Template* current = nullptr;

 private:
  Error* err_;
};

namespace {

bool constant_value(const FilterExpr& e, Value& out) {
  if (e.var.symbol >= 0 || !e.filters.empty()) return false;
  out = e.var.literal;
  return true;
}

}  // namespace

bool ExtendsNode::link(Linker& l) {
  std::string_view name;
  if (!parent_name.constant_string(name)) return true;
  parent = l.lib.find(name);
  if (!parent) return l.fail(line, "missing parent template '" + std::string(name) + "'");
  return true;
}

bool IncludeNode::link(Linker& l) {
  std::string_view name;
  if (!target.constant_string(name)) return true;
  resolved = l.lib.find(name);
  if (!resolved) return l.fail(line, "included template '" + std::string(name) + "' does not exist");
  return true;
}

// Only folds: unknown names and arguments that match no route fail when
// the tag renders (Django's NoReverseMatch), so a template whose unrendered
// branches name routes this deployment does not serve still loads.
bool UrlNode::link(Linker& l) {
  std::string_view name;
  if (!view_name.constant_string(name)) return true;
  routes = l.lib.routes_named(name);
  if (routes.empty() || (!args.empty() && !kwargs.empty())) return true;
  std::vector<Value> arg_values;
  std::vector<std::pair<std::string, Value>> kwarg_values;
  for (const auto& a : args) {
    arg_values.emplace_back();
    if (!constant_value(a, arg_values.back())) return true;
  }
  for (const auto& [key, expr] : kwargs) {
    kwarg_values.emplace_back(key, Value());
    if (!constant_value(expr, kwarg_values.back().second)) return true;
  }
  std::string url;
  for (const Route* r : routes) {
    if (reverse_route(*r, arg_values, kwarg_values, url)) {
      append_escaped(constant_escaped, url);
      constant = std::move(url);
      return true;
    }
  }
  return true;  // NoReverseMatch happens only if the tag renders
}

bool StaticNode::link(Linker& l) {
  Value p;
  if (!constant_value(path, p) || !p.is_string()) return true;
  constant = static_url_for(l.lib.hooks.static_url, p.text());
  append_escaped(constant_escaped, *constant);
  return true;
}

namespace {

// Edges that always run when a template renders: its parent, and (for
// templates that do not extend) includes outside {% if %}/{% for %}.
std::vector<const Template*> hard_edges(Template& t) {
  std::vector<const Template*> edges;
  if (t.extends) {
    if (t.extends->parent) edges.push_back(t.extends->parent);
    return edges;
  }
  walk_nodes(t.nodes, [&](Node& n) {
    if (n.kind != NodeKind::include) return;
    const auto& inc = static_cast<const IncludeNode&>(n);
    if (inc.resolved && !inc.conditional) edges.push_back(inc.resolved);
  });
  return edges;
}

class CycleFinder {
 public:
  explicit CycleFinder(LibraryData& lib) {
    for (auto& t : lib.templates) edges_[t.get()] = hard_edges(*t);
  }

  // Returns the cycle as a, b, a; empty when there is none.
  std::vector<const Template*> find() {
    for (auto& [t, unused] : edges_) {
      if (state_[t] == 0 && visit(t)) {
        size_t start = 0;
        while (path_[start] != path_.back()) ++start;
        return {path_.begin() + static_cast<std::ptrdiff_t>(start), path_.end()};
      }
    }
    return {};
  }

 private:
  bool visit(const Template* t) {
    state_[t] = 1;
    path_.push_back(t);
    for (const Template* next : edges_[t]) {
      if (state_[next] == 1) {
        path_.push_back(next);
        return true;
      }
      if (state_[next] == 0 && visit(next)) return true;
    }
    path_.pop_back();
    state_[t] = 2;
    return false;
  }

  std::map<const Template*, std::vector<const Template*>> edges_;
  std::map<const Template*, int> state_;  // 0 new, 1 on path, 2 done
  std::vector<const Template*> path_;
};

// A {% url %} or {% static %} that link() folded, unless it binds a variable.
template <typename FoldedTag>
bool folded_output(const Node& node, std::string_view& escaped, std::string_view& raw) {
  const auto& tag = static_cast<const FoldedTag&>(node);
  if (!tag.constant || tag.asvar >= 0) return false;
  raw = *tag.constant;
  escaped = tag.constant_escaped;
  return true;
}

// The node's output when every render gives the same, with autoescaping on
// and off.
bool fixed_output(const Node& node, std::string_view& escaped, std::string_view& raw) {
  switch (node.kind) {
    case NodeKind::text:
      escaped = raw = static_cast<const TextNode&>(node).text;
      return true;
    case NodeKind::empty:
      escaped = raw = {};
      return true;
    case NodeKind::url:
      return folded_output<UrlNode>(node, escaped, raw);
    case NodeKind::static_:
      return folded_output<StaticNode>(node, escaped, raw);
    default:
      return false;
  }
}

// Replaces each run of two or more fixed nodes, in every node list of the
// template, with one FixedNode. Those nodes are referenced from nowhere
// else (blocks, extends and includes are never fixed).
void merge_fixed_runs(NodeList& nodes, Template& t) {
  NodeList merged;
  merged.reserve(nodes.size());
  std::vector<NodeList*> children;
  for (size_t i = 0; i < nodes.size();) {
    children.clear();
    nodes[i]->child_lists(children);
    for (NodeList* list : children) merge_fixed_runs(*list, t);
    std::string escaped, raw;
    std::string_view e, r;
    size_t end = i;
    for (; end < nodes.size() && fixed_output(*nodes[end], e, r); ++end) {
      escaped += e;
      raw += r;
    }
    if (end - i < 2) {
      merged.push_back(std::move(nodes[i]));
      ++i;
      continue;
    }
    t.literals.push_back(std::move(raw));
    const std::string_view raw_view = t.literals.back();
    std::string_view escaped_view = raw_view;
    if (escaped != raw_view) {
      t.literals.push_back(std::move(escaped));
      escaped_view = t.literals.back();
    }
    merged.push_back(std::make_unique<FixedNode>(nodes[i]->line, escaped_view, raw_view));
    i = end;
  }
  nodes = std::move(merged);
}

size_t text_bytes(Template& t) {
  size_t n = 0;
  walk_nodes(t.nodes, [&](Node& node) {
    if (node.kind == NodeKind::text) n += static_cast<const TextNode&>(node).text.size();
    if (node.kind == NodeKind::fixed) n += static_cast<const FixedNode&>(node).raw.size();
  });
  return n;
}

// Output reservation: own text, the parent chain's, and direct includes'.
size_t output_hint(const Template& t, std::map<const Template*, size_t>& text) {
  size_t hint = text[&t] + 64;
  for (const Template* p = t.extends ? t.extends->parent : nullptr; p; p = p->extends ? p->extends->parent : nullptr)
    hint += text[p];
  return hint;
}

}  // namespace

bool link_library(LibraryData& lib, Error* err) {
  Linker linker(lib, err);
  for (auto& t : lib.templates) {
    linker.current = t.get();
    bool ok = true;
    walk_nodes(t->nodes, [&](Node& n) { ok = ok && n.link(linker); });
    if (!ok) return false;
  }
  const auto cycle = CycleFinder(lib).find();
  if (!cycle.empty()) {
    std::string path;
    for (const Template* t : cycle) path += (path.empty() ? "" : " -> ") + t->name;
    if (err) *err = Error{cycle.front()->name, 0, "extends/include cycle: " + path};
    return false;
  }
  for (auto& t : lib.templates) merge_fixed_runs(t->nodes, *t);
  std::map<const Template*, size_t> text;
  for (auto& t : lib.templates) text[t.get()] = text_bytes(*t);
  for (auto& t : lib.templates) t->output_hint = output_hint(*t, text);
  lib.linked = true;
  return true;
}

}  // namespace tmpl::detail
