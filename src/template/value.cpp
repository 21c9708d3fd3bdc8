// Runtime values with the Python semantics Django templates rely on:
// str()/repr(), truthiness, len(), ==, ordering, `in`, iteration.
#include <cmath>

#include "template/detail.h"

namespace tmpl::detail {

Value Value::boolean(bool v) {
  Value r;
  r.kind = Kind::boolean;
  r.b = v;
  return r;
}

Value Value::integer(Int v) {
  Value r;
  r.kind = Kind::integer;
  r.i = v;
  return r;
}

Value Value::floating(double v) {
  Value r;
  r.kind = Kind::floating;
  r.d = v;
  return r;
}

Value Value::borrowed(std::string_view s, bool safe) {
  Value r;
  r.kind = Kind::string;
  r.safe = safe;
  r.view = s;
  return r;
}

Value Value::owned(std::string s, bool safe) {
  Value r;
  r.kind = Kind::string;
  r.safe = safe;
  r.owns_text = true;
  r.storage = std::move(s);
  return r;
}

Value Value::container(Kind kind, const Json* json, std::shared_ptr<const Json> holder) {
  Value r;
  r.kind = kind;
  r.json = json;
  r.holder = std::move(holder);
  return r;
}

Value make_list(Json list) {
  auto held = std::make_shared<Json>(std::move(list));
  const Json* raw = held.get();
  return Value::container(Value::Kind::list, raw, std::move(held));
}

const Json& empty_object() {
  static const Json empty = Json::object();
  return empty;
}

Value from_json(const Json& j, const std::shared_ptr<const Json>& holder) {
  switch (j.type()) {
    case Json::value_t::boolean:
      return Value::boolean(*j.get_ptr<const Json::boolean_t*>());
    case Json::value_t::number_integer:
      return Value::integer(*j.get_ptr<const Json::number_integer_t*>());
    case Json::value_t::number_unsigned:
      return Value::integer(*j.get_ptr<const Json::number_unsigned_t*>());
    case Json::value_t::number_float:
      return Value::floating(*j.get_ptr<const Json::number_float_t*>());
    case Json::value_t::string: {
      Value v = Value::borrowed(*j.get_ptr<const Json::string_t*>(), false);
      v.holder = holder;
      return v;
    }
    case Json::value_t::array:
      return Value::container(Value::Kind::list, &j, holder);
    case Json::value_t::object:
      if (j.size() == 1) {
        // The tagged forms real views' Python values arrive in (README).
        const auto& [tag, inner] = *j.get_ptr<const Json::object_t*>()->begin();
        if (!tag.empty() && tag[0] == '$') {
          if (tag == "$safe" && inner.is_string()) {
            Value v = Value::borrowed(*inner.get_ptr<const Json::string_t*>(), true);
            v.holder = holder;
            return v;
          }
          const Value::Kind k = tag == "$date" ? Value::Kind::date
                                : tag == "$datetime" ? Value::Kind::datetime
                                : tag == "$time" ? Value::Kind::time
                                : Value::Kind::dict;
          if (k != Value::Kind::dict && inner.is_string()) return Value::container(k, &inner, holder);
          if (tag == "$group" && inner.is_array() && inner.size() == 2 && inner[1].is_array())
            return Value::container(Value::Kind::group, &inner, holder);
        }
      }
      return Value::container(Value::Kind::dict, &j, holder);
    default:
      return Value();
  }
}

namespace {

using Kind = Value::Kind;

const Json::array_t& array_of(const Value& v) { return *v.json->get_ptr<const Json::array_t*>(); }
const Json::object_t& object_of(const Value& v) { return *v.json->get_ptr<const Json::object_t*>(); }

bool is_object_view(Kind k) {
  return k == Kind::dict || k == Kind::dict_items || k == Kind::dict_keys || k == Kind::dict_values;
}

constexpr std::string_view kLoopKeys[] = {"parentloop", "counter0", "counter", "revcounter",
                                          "revcounter0", "first", "last"};
constexpr size_t kLoopSize = sizeof kLoopKeys / sizeof kLoopKeys[0];

Value loop_field(const LoopState& l, size_t k) {
  const auto c0 = static_cast<Int>(l.counter0);
  const auto n = static_cast<Int>(l.length);
  switch (k) {
    case 0: return l.parent;
    case 1: return Value::integer(c0);
    case 2: return Value::integer(c0 + 1);
    case 3: return Value::integer(n - c0);
    case 4: return Value::integer(n - c0 - 1);
    case 5: return Value::boolean(c0 == 0);
    default: return Value::boolean(c0 == n - 1);
  }
}

}  // namespace

bool loop_get(const LoopState& l, std::string_view key, Value& out) {
  for (size_t k = 0; k < kLoopSize; ++k) {
    if (kLoopKeys[k] == key) {
      out = loop_field(l, k);
      return true;
    }
  }
  return false;
}

namespace {

Value pair_first(const Value& pair) {
  Value key = Value::borrowed(*pair.key, false);
  key.holder = pair.holder;
  return key;
}
Value pair_second(const Value& pair) { return from_json(*pair.json, pair.holder); }

Value make_pair(const std::string& key, const Json& value, const std::shared_ptr<const Json>& holder) {
  Value p = Value::container(Kind::pair, &value, holder);
  p.key = &key;
  return p;
}

void repr_seq_open(std::string& out, Kind kind) {
  switch (kind) {
    case Kind::dict_items: out += "dict_items(["; break;
    case Kind::dict_keys: out += "dict_keys(["; break;
    case Kind::dict_values: out += "dict_values(["; break;
    default: out += '['; break;
  }
}

}  // namespace

bool truthy(const Value& v) {
  switch (v.kind) {
    case Kind::none: return false;
    case Kind::boolean: return v.b;
    case Kind::integer: return v.i != 0;
    case Kind::floating: return v.d != 0.0;
    case Kind::string: return !v.text().empty();
    case Kind::list: return !array_of(v).empty();
    case Kind::dict:
    case Kind::dict_items:
    case Kind::dict_keys:
    case Kind::dict_values: return !object_of(v).empty();
    default: return true;
  }
}

bool length_of(const Value& v, size_t& n) {
  switch (v.kind) {
    case Kind::string: n = char_count(v.text()); return true;
    case Kind::list: n = array_of(v).size(); return true;
    case Kind::dict:
    case Kind::dict_items:
    case Kind::dict_keys:
    case Kind::dict_values: n = object_of(v).size(); return true;
    case Kind::pair:
    case Kind::group: n = 2; return true;
    case Kind::loop: n = kLoopSize; return true;
    default: return false;
  }
}

void append_str(std::string& out, const Value& v) {
  switch (v.kind) {
    case Kind::none: out += "None"; return;
    case Kind::boolean: out += v.b ? "True" : "False"; return;
    case Kind::integer: append_int(out, v.i); return;
    case Kind::floating: append_float_repr(out, v.d); return;
    case Kind::string: out += v.text(); return;
    case Kind::block: return;  // Django prints the node's repr; not reproduced
    case Kind::date:
    case Kind::datetime:
    case Kind::time: append_temporal(out, v, TemporalForm::str); return;
    default: append_repr(out, v, 0); return;
  }
}

void append_repr(std::string& out, const Value& v, int depth) {
  if (depth > kMaxValueDepth) {
    out += "...";
    return;
  }
  switch (v.kind) {
    case Kind::string:
      append_repr_str(out, v.text());
      return;
    case Kind::list: {
      out += '[';
      bool first = true;
      for (const Json& e : array_of(v)) {
        if (!first) out += ", ";
        first = false;
        append_repr(out, from_json(e, v.holder), depth + 1);
      }
      out += ']';
      return;
    }
    case Kind::dict: {
      out += '{';
      bool first = true;
      for (const auto& [k, e] : object_of(v)) {
        if (!first) out += ", ";
        first = false;
        append_repr_str(out, k);
        out += ": ";
        append_repr(out, from_json(e, v.holder), depth + 1);
      }
      out += '}';
      return;
    }
    case Kind::dict_items:
    case Kind::dict_keys:
    case Kind::dict_values: {
      repr_seq_open(out, v.kind);
      bool first = true;
      for (const auto& [k, e] : object_of(v)) {
        if (!first) out += ", ";
        first = false;
        if (v.kind == Kind::dict_keys) {
          append_repr_str(out, k);
        } else if (v.kind == Kind::dict_values) {
          append_repr(out, from_json(e, v.holder), depth + 1);
        } else {
          append_repr(out, make_pair(k, e, v.holder), depth + 1);
        }
      }
      out += "])";
      return;
    }
    case Kind::pair:
      out += '(';
      append_repr_str(out, *v.key);
      out += ", ";
      append_repr(out, pair_second(v), depth + 1);
      out += ')';
      return;
    case Kind::date:
    case Kind::datetime:
    case Kind::time:
      append_temporal(out, v, TemporalForm::repr);
      return;
    case Kind::group:
      out += "GroupedResult(grouper=";
      append_repr(out, from_json((*v.json)[0], v.holder), depth + 1);
      out += ", list=";
      append_repr(out, from_json((*v.json)[1], v.holder), depth + 1);
      out += ')';
      return;
    case Kind::loop:
      out += '{';
      for (size_t k = 0; k < kLoopSize; ++k) {
        if (k) out += ", ";
        append_repr_str(out, kLoopKeys[k]);
        out += ": ";
        append_repr(out, loop_field(*v.loop, k), depth + 1);
      }
      out += '}';
      return;
    default:
      append_str(out, v);
      return;
  }
}

void append_rendered(std::string& out, const Value& v, bool autoescape) {
  switch (v.kind) {
    case Kind::string:
      if (autoescape && !v.safe) {
        append_escaped(out, v.text());
      } else {
        out += v.text();
      }
      return;
    case Kind::integer: append_int(out, v.i); return;
    case Kind::floating: append_float_localized(out, v.d); return;
    case Kind::none:
    case Kind::boolean: append_str(out, v); return;
    case Kind::date:
    case Kind::datetime:
    case Kind::time: {  // localize(): DATE_FORMAT, DATETIME_FORMAT, TIME_FORMAT
      std::string text;
      append_temporal(text, v, TemporalForm::localized);
      if (autoescape) {
        append_escaped(out, text);
      } else {
        out += text;
      }
      return;
    }
    default: {
      std::string text;
      append_str(text, v);
      if (autoescape) {
        append_escaped(out, text);
      } else {
        out += text;
      }
      return;
    }
  }
}

Value to_str_value(const Value& v) {
  if (v.is_string()) return v;
  std::string s;
  append_str(s, v);
  return Value::owned(std::move(s), false);
}

namespace {

Int int_of(const Value& v) { return v.kind == Kind::boolean ? Int(v.b) : v.i; }

Order order_of(bool less, bool greater) {
  return less ? Order::less : greater ? Order::greater : Order::equal;
}

// Python compares int and float exactly, not by converting the int.
Order compare_int_float(Int i, double d) {
  if (std::isnan(d)) return Order::unordered;
  if (d >= 0x1p127) return Order::less;
  if (d < -0x1p127) return Order::greater;
  const double fl = std::floor(d);
  const auto fi = static_cast<Int>(fl);
  if (fl == d) return order_of(i < fi, i > fi);
  return i <= fi ? Order::less : Order::greater;
}

Order reversed(Order o) {
  if (o == Order::less) return Order::greater;
  if (o == Order::greater) return Order::less;
  return o;
}

Order compare_numbers(const Value& a, const Value& b) {
  const bool af = a.kind == Kind::floating, bf = b.kind == Kind::floating;
  if (af && bf) {
    if (std::isnan(a.d) || std::isnan(b.d)) return Order::unordered;
    return order_of(a.d < b.d, a.d > b.d);
  }
  if (af) return reversed(compare_int_float(int_of(b), a.d));
  if (bf) return compare_int_float(int_of(a), b.d);
  const Int x = int_of(a), y = int_of(b);
  return order_of(x < y, x > y);
}

bool is_sequence_like(Kind k) { return k == Kind::list || k == Kind::pair || k == Kind::group; }

size_t seq_size(const Value& v) { return v.kind == Kind::pair || v.kind == Kind::group ? 2 : array_of(v).size(); }

Value seq_at(const Value& v, size_t i) {
  if (v.kind == Kind::pair) return i == 0 ? pair_first(v) : pair_second(v);
  return from_json(array_of(v)[i], v.holder);
}

bool objects_equal(const Value& a, const Value& b, int depth, bool compare_values_too) {
  const auto& x = object_of(a);
  const auto& y = object_of(b);
  if (x.size() != y.size()) return false;
  for (const auto& [k, e] : x) {
    const auto it = y.find(k);
    if (it == y.end()) return false;
    if (compare_values_too && !values_equal(from_json(e, a.holder), from_json(it->second, b.holder), depth + 1))
      return false;
  }
  return true;
}

}  // namespace

bool values_equal(const Value& a, const Value& b, int depth) {
  if (depth > kMaxValueDepth) return false;
  if (a.is_number() && b.is_number()) return compare_numbers(a, b) == Order::equal;
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::none: return true;
    case Kind::string: return a.text() == b.text();
    case Kind::list:
    case Kind::pair: {
      const size_t n = seq_size(a);
      if (n != seq_size(b)) return false;
      for (size_t k = 0; k < n; ++k) {
        if (!values_equal(seq_at(a, k), seq_at(b, k), depth + 1)) return false;
      }
      return true;
    }
    case Kind::dict:
    case Kind::dict_items: return objects_equal(a, b, depth, true);
    case Kind::dict_keys: return objects_equal(a, b, depth, false);
    case Kind::dict_values: return false;  // Python compares values views by identity
    case Kind::loop: return a.loop == b.loop;
    case Kind::block: return a.block == b.block;
    case Kind::date:
    case Kind::datetime:
    case Kind::time: return compare_values(a, b, depth) == Order::equal;
    case Kind::group: return values_equal(seq_at(a, 0), seq_at(b, 0), depth + 1) &&
                             values_equal(seq_at(a, 1), seq_at(b, 1), depth + 1);
    default: return false;
  }
}

Order compare_values(const Value& a, const Value& b, int depth) {
  if (depth > kMaxValueDepth) return Order::unordered;
  if (a.is_number() && b.is_number()) return compare_numbers(a, b);
  if (a.is_string() && b.is_string()) {
    const int c = a.text().compare(b.text());  // UTF-8 byte order is code point order
    return order_of(c < 0, c > 0);
  }
  if (a.kind == b.kind && (a.kind == Kind::date || a.kind == Kind::datetime || a.kind == Kind::time)) {
    std::string x, y;  // str() of the same type sorts chronologically
    append_temporal(x, a, TemporalForm::str);
    append_temporal(y, b, TemporalForm::str);
    const int c = x.compare(y);
    return order_of(c < 0, c > 0);
  }
  if (a.kind != b.kind || !is_sequence_like(a.kind)) return Order::unordered;
  const size_t n = seq_size(a), m = seq_size(b);
  for (size_t k = 0; k < n && k < m; ++k) {
    const Value x = seq_at(a, k), y = seq_at(b, k);
    if (!values_equal(x, y, depth + 1)) return compare_values(x, y, depth + 1);
  }
  return order_of(n < m, n > m);
}

namespace {

bool is_hashable(const Value& v) {
  return v.kind != Kind::list && !is_object_view(v.kind) && v.kind != Kind::loop;
}

Tri key_membership(const Value& item, bool found_if_string) {
  if (!is_hashable(item)) return Tri::error;
  return found_if_string ? Tri::yes : Tri::no;
}

}  // namespace

Tri contains(const Value& container, const Value& item) {
  switch (container.kind) {
    case Kind::string:
      if (!item.is_string()) return Tri::error;
      return container.text().find(item.text()) != std::string_view::npos ? Tri::yes : Tri::no;
    case Kind::list:
    case Kind::pair: {
      const size_t n = seq_size(container);
      for (size_t k = 0; k < n; ++k) {
        if (values_equal(seq_at(container, k), item)) return Tri::yes;
      }
      return Tri::no;
    }
    case Kind::dict:
    case Kind::dict_keys: {
      const bool found = item.is_string() && object_of(container).find(std::string(item.text())) !=
                                                 object_of(container).end();
      return key_membership(item, found);
    }
    case Kind::dict_values:
      for (const auto& entry : object_of(container)) {
        if (values_equal(from_json(entry.second, container.holder), item)) return Tri::yes;
      }
      return Tri::no;
    case Kind::dict_items: {
      if (item.kind != Kind::pair) return Tri::no;
      const auto& obj = object_of(container);
      const auto it = obj.find(*item.key);
      return it != obj.end() && values_equal(from_json(it->second, container.holder), pair_second(item))
                 ? Tri::yes
                 : Tri::no;
    }
    case Kind::loop: {
      bool found = false;
      for (const auto key : kLoopKeys) found = found || (item.is_string() && item.text() == key);
      return key_membership(item, found);
    }
    default:
      return Tri::error;
  }
}

bool identical(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::none: return true;
    case Kind::boolean: return a.b == b.b;
    case Kind::integer: return a.i == b.i && a.i >= -5 && a.i <= 256;  // CPython's small-int cache
    case Kind::list:
    case Kind::dict: return a.json == b.json;
    case Kind::loop: return a.loop == b.loop;
    case Kind::block: return a.block == b.block;
    default: return false;
  }
}

IntConv py_int(const Value& v, Int& out) {
  switch (v.kind) {
    case Kind::boolean:
    case Kind::integer:
      out = int_of(v);
      return IntConv::ok;
    case Kind::floating:
      if (std::isnan(v.d)) return IntConv::bad;
      if (std::isinf(v.d) || std::fabs(v.d) >= 0x1p127) return IntConv::overflow;
      out = static_cast<Int>(std::trunc(v.d));
      return IntConv::ok;
    case Kind::string:
      return parse_int(v.text(), out) ? IntConv::ok : IntConv::bad;
    default:
      return IntConv::bad;
  }
}

IntArg int_arg(FilterCtx& ctx, const Value& arg, Int& out) {
  switch (py_int(arg, out)) {
    case IntConv::ok: return IntArg::ok;
    case IntConv::overflow: *ctx.error = "cannot convert float infinity to integer"; return IntArg::error;
    default: break;
  }
  if (arg.is_string() || arg.kind == Kind::floating) return IntArg::value_error;
  *ctx.error = "int() argument must be a string or a number";
  return IntArg::error;
}

bool Sequence::init(const Value& v) {
  base_ = v;
  switch (v.kind) {
    case Kind::string: {
      const std::string_view s = base_.text();
      offsets_.clear();
      for (size_t i = 0, len; i < s.size(); i += len) {
        decode_utf8(s, i, len);
        offsets_.push_back(static_cast<uint32_t>(i));
      }
      offsets_.push_back(static_cast<uint32_t>(s.size()));
      size_ = offsets_.size() - 1;
      return true;
    }
    case Kind::list: size_ = array_of(v).size(); return true;
    case Kind::dict:
    case Kind::dict_items:
    case Kind::dict_keys:
    case Kind::dict_values: size_ = object_of(v).size(); return true;
    case Kind::pair:
    case Kind::group: size_ = 2; return true;
    case Kind::loop: size_ = kLoopSize; return true;
    default: return false;
  }
}

Value Sequence::at(size_t i) const {
  switch (base_.kind) {
    case Kind::string:
      return Value::borrowed(base_.text().substr(offsets_[i], offsets_[i + 1] - offsets_[i]), false);
    case Kind::list:
    case Kind::group:
      return from_json(array_of(base_)[i], base_.holder);
    case Kind::pair:
      return i == 0 ? pair_first(base_) : pair_second(base_);
    case Kind::loop:
      return Value::borrowed(kLoopKeys[i], false);
    default: {
      const auto& entry = *(object_of(base_).begin() + static_cast<std::ptrdiff_t>(i));
      if (base_.kind == Kind::dict_values) return from_json(entry.second, base_.holder);
      if (base_.kind == Kind::dict_items) return make_pair(entry.first, entry.second, base_.holder);
      Value key = Value::borrowed(entry.first, false);
      key.holder = base_.holder;
      return key;
    }
  }
}

Json to_json(const Value& v, int depth) {
  switch (v.kind) {
    case Kind::none: return nullptr;
    case Kind::boolean: return v.b;
    case Kind::integer:
      if (v.i >= INT64_MIN && v.i <= INT64_MAX) return static_cast<int64_t>(v.i);
      return static_cast<double>(v.i);
    case Kind::floating: return v.d;
    case Kind::string:
      if (v.safe) return Json{{"$safe", std::string(v.text())}};
      return std::string(v.text());
    case Kind::date: return Json{{"$date", *v.json}};
    case Kind::datetime: return Json{{"$datetime", *v.json}};
    case Kind::time: return Json{{"$time", *v.json}};
    case Kind::group: return Json{{"$group", *v.json}};
    case Kind::list:
    case Kind::dict: return *v.json;
    default: {
      if (depth > kMaxValueDepth) return nullptr;
      Json list = Json::array();
      Sequence seq;
      if (!seq.init(v)) return nullptr;
      for (size_t k = 0; k < seq.size(); ++k) list.push_back(to_json(seq.at(k), depth + 1));
      return list;
    }
  }
}

}  // namespace tmpl::detail
