// Rendering: Django's Context/RenderContext semantics and each node's render().
#include <algorithm>

#include "template/nodes.h"

namespace tmpl::detail {

namespace {
using Kind = Value::Kind;
}  // namespace

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

void Renderer::set_upward(int symbol, Value v) {
  for (size_t i = bindings_.size(); i > floor_; --i) {
    if (bindings_[i - 1].symbol == symbol) {
      bindings_[i - 1].value = std::move(v);
      return;
    }
  }
  set(symbol, std::move(v));
}

NodeState& Renderer::node_state(const Node* node) {
  for (auto& [frame, s] : render_context_) {
    if (frame == render_frame_ && s.node == node) return s;
  }
  render_context_.emplace_back(render_frame_, NodeState());
  render_context_.back().second.node = node;
  return render_context_.back().second;
}

const LoopState* Renderer::current_loop() const {
  Value v;
  if (!find_name(lib.sym_forloop, v) || v.kind != Kind::loop) return nullptr;
  return v.loop;
}

bool Renderer::find_name(int symbol, Value& out) const {
  for (size_t i = bindings_.size(); i > floor_; --i) {
    if (bindings_[i - 1].symbol == symbol) {
      out = bindings_[i - 1].value;
      return true;
    }
  }
  if (root_by_symbol_) {
    const auto i = static_cast<size_t>(symbol);
    if (i < root_by_symbol_->size() && (*root_by_symbol_)[i]) {
      out = from_json(*(*root_by_symbol_)[i], nullptr);
      return true;
    }
  } else if (root_) {
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
    case Kind::group: {  // GroupedResult(grouper, list): a namedtuple
      Int i = l.has_index ? l.index : l.key == "grouper" ? 0 : l.key == "list" ? 1 : 2;
      if (i < 0) i += 2;
      if (i < 0 || i > 1) return Status::missing;
      v = from_json((*v.json)[static_cast<size_t>(i)], v.holder);
      return Status::ok;
    }
    case Kind::date:
    case Kind::datetime:
    case Kind::time: {
      std::string iso;
      append_temporal(iso, v, TemporalForm::str);
      static constexpr std::pair<std::string_view, int> kFields[] = {
          {"year", 0}, {"month", 5}, {"day", 8}};
      static constexpr std::pair<std::string_view, int> kTimeFields[] = {
          {"hour", 0}, {"minute", 3}, {"second", 6}};
      const size_t time_at = v.kind == Kind::time ? 0 : 11;
      for (const auto& [name, at] : kFields) {
        if (l.key == name && v.kind != Kind::time) {
          Int n = 0;
          parse_int(std::string_view(iso).substr(static_cast<size_t>(at), at == 0 ? 4 : 2), n);
          v = Value::integer(n);
          return Status::ok;
        }
      }
      for (const auto& [name, at] : kTimeFields) {
        if (l.key == name && v.kind != Kind::date) {
          Int n = 0;
          parse_int(std::string_view(iso).substr(time_at + static_cast<size_t>(at), 2), n);
          v = Value::integer(n);
          return Status::ok;
        }
      }
      return Status::missing;
    }
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
    const std::string& invalid = lib.hooks.string_if_invalid;
    if (!ignore_failures && !invalid.empty()) {
      const size_t at = invalid.find("%s");
      out = at == std::string::npos ? Value::borrowed(invalid, false)
                                    : Value::owned(invalid.substr(0, at) + e.var.text + invalid.substr(at + 2), false);
      return Status::ok;
    }
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
    FilterCtx ctx{autoescape, &message, &inputs};
    if (f.def->fn(ctx, out, f.has_arg ? &arg : nullptr) != Status::ok) return fail_status(std::move(message));
    if (f.def->is_safe && input_safe) {
      if (!out.is_string()) out = to_str_value(out);
      out.safe = true;
    }
  }
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
  ++render_frame_;
  const bool ok = render_list(t.nodes, out);
  while (!render_context_.empty() && render_context_.back().first == render_frame_) render_context_.pop_back();
  --render_frame_;
  blocks = saved_blocks;
  current = saved_current;
  return ok;
}

bool Renderer::render_isolated(const Template& t, std::vector<std::pair<int, Value>>& values, std::string& out) {
  const Json* saved_root = root_;
  const auto* saved_root_by_symbol = root_by_symbol_;
  const size_t saved_floor = floor_;
  root_ = nullptr;
  root_by_symbol_ = nullptr;
  floor_ = bindings_.size();
  push();
  for (auto& [symbol, value] : values) set(symbol, std::move(value));
  const bool ok = render_template(t, out);
  pop();
  root_ = saved_root;
  root_by_symbol_ = saved_root_by_symbol;
  floor_ = saved_floor;
  return ok;
}

// BlockNode.render: the most derived override of this block, with `block`

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


// ---------------------------------------------------------------------------
// Nodes

bool FixedNode::render(Renderer& r, std::string& out) const {
  out += r.autoescape ? escaped : raw;
  return true;
}

bool VarNode::render(Renderer& r, std::string& out) const {
  Value v;
  const Status st = r.resolve(expr, false, v);
  if (st != Status::ok) return fail_lookup(r, st, line);
  append_rendered(out, v, r.autoescape);
  return true;
}
// ---------------------------------------------------------------------------

bool render_library(const LibraryData& lib, std::string_view name, const Json& context,
                    const std::vector<const Json*>* root_by_symbol, std::string& out, Error* err,
                    const RenderInputs& inputs) {
  out.clear();
  const Template* t = lib.find(name);
  Error error;
  if (!lib.linked) {
    error = Error{std::string(name), 0, "the template library is not linked"};
  } else if (!t) {
    error = Error{std::string(name), 0, "template not found"};
  } else {
    out.reserve(t->output_hint);
    const bool is_object = context.is_object();
    Renderer r(lib, is_object ? &context : nullptr, is_object ? root_by_symbol : nullptr, inputs);
    r.push();  // the user's dict: top-level assignments land here
    if (r.render_template(*t, out)) return true;
    error = std::move(r.error);
  }
  if (err) *err = std::move(error);
  return false;
}

}  // namespace tmpl::detail
