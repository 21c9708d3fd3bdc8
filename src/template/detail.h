// Internal declarations shared by the template engine's translation units.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <map>
#include <vector>

#include "template/template.h"

namespace tmpl::detail {

// Python ints are unbounded; 128 bits covers every JSON integer and their sums.
using Int = __int128;
using UInt = unsigned __int128;

// Hostile-input limits.
inline constexpr int kMaxParseNesting = 100;   // nested block tags in one template
inline constexpr int kMaxExprNesting = 100;    // nested `not` in an {% if %}
inline constexpr int kMaxIncludeDepth = 32;    // include/extends chain
inline constexpr int kMaxRenderDepth = 200;    // nested nodes across includes
inline constexpr int kMaxValueDepth = 100;     // nested lists/dicts in repr/==

// How an expression evaluation ended, mirroring Django's exceptions:
// `missing` is VariableDoesNotExist, `error` any other exception.
enum class Status : uint8_t { ok, missing, error };

// ---------------------------------------------------------------------------
// text.cpp: Python str semantics on UTF-8 bytes.

// Decodes one code point at s[i]; invalid bytes decode as themselves (len 1).
uint32_t decode_utf8(std::string_view s, size_t i, size_t& len);
void append_utf8(std::string& out, uint32_t cp);
size_t char_count(std::string_view s);
// Byte length of the str.isspace() character at s[i], 0 if it is not one.
size_t space_at(std::string_view s, size_t i);
std::string_view strip(std::string_view s, bool left = true, bool right = true);
std::vector<std::string_view> split_ws(std::string_view s);
// Python's \w for a single byte (non-ASCII bytes count as word characters).
bool is_word_byte(unsigned char c);
bool is_digit(char c);

// Python int(str) / float(str), including surrounding whitespace and '_'.
bool parse_int(std::string_view s, Int& out);
bool parse_float(std::string_view s, double& out);

void divmod_u128(UInt a, UInt b, UInt& quotient, UInt& remainder);
void append_int(std::string& out, Int v);
void append_float_repr(std::string& out, double v);      // Python repr()
void append_float_localized(std::string& out, double v);  // Django localize()
void append_escaped(std::string& out, std::string_view s);  // django.utils.html.escape
void append_repr_str(std::string& out, std::string_view s); // Python repr(str)

void append_upper(std::string& out, std::string_view s);
void append_lower(std::string& out, std::string_view s);
void append_title(std::string& out, std::string_view s);   // str.title()
void append_capfirst(std::string& out, std::string_view s);
void append_capitalize(std::string& out, std::string_view s);  // str.capitalize()
bool is_combining(uint32_t cp);

// urllib.parse.quote(s, safe=safe).
void append_quoted(std::string& out, std::string_view s, std::string_view safe);

// ---------------------------------------------------------------------------
// value.cpp: runtime values with Python semantics.

struct LoopState;
struct BlockFrame;

struct Value {
  enum class Kind : uint8_t {
    none, boolean, integer, floating, string,
    list, dict, dict_items, dict_keys, dict_values,  // `json` points at the container
    pair,                                            // (key, json) from dict.items
    loop,                                            // forloop
    block,                                           // {{ block }} inside a block
    date, datetime, time,                            // tagged JSON; `json` is the ISO string
    group,                                           // regroup's GroupedResult; `json` is [grouper, list]
  };
  Kind kind = Kind::none;
  bool safe = false;       // Django SafeData
  bool owns_text = false;  // string data lives in `storage` rather than `view`
  union {
    bool b;
    Int i;
    double d;
    const Json* json;
    const LoopState* loop;
    const BlockFrame* block;
  };
  const std::string* key = nullptr;    // pair key
  std::string_view view;               // borrowed string data
  std::string storage;                 // owned string data
  std::shared_ptr<const Json> holder;  // keeps computed containers alive

  Value() : i(0) {}
  std::string_view text() const { return owns_text ? std::string_view(storage) : view; }
  bool is_string() const { return kind == Kind::string; }
  bool is_number() const {
    return kind == Kind::boolean || kind == Kind::integer || kind == Kind::floating;
  }

  static Value none_value() { return Value(); }
  static Value boolean(bool v);
  static Value integer(Int v);
  static Value floating(double v);
  static Value borrowed(std::string_view s, bool safe);
  static Value owned(std::string s, bool safe);
  static Value container(Kind kind, const Json* json, std::shared_ptr<const Json> holder);
};

class BlockNode;

class Node;
// State a node keeps while one template renders: a {% cycle %} position,
// the last values an {% ifchanged %} saw (Django's RenderContext[node], or
// the forloop dict for an ifchanged inside a loop).
struct NodeState {
  const Node* node = nullptr;
  size_t index = 0;
  bool seen_any = false;
  std::vector<Value> seen;
};

struct LoopState {  // Django's forloop dict
  size_t counter0 = 0;
  size_t length = 0;
  Value parent;  // forloop.parentloop
  mutable std::vector<NodeState> states;  // ifchanged inside this loop
};

struct BlockFrame {  // the `block` variable inside {% block %}
  const BlockNode* node;
  int name;          // interned block name
  bool has_context;  // false when rendered outside any {% extends %}
};

Value from_json(const Json& j, const std::shared_ptr<const Json>& holder);
// The value as JSON (tagged forms for safe strings, dates, groups), so
// computed lists can be built and held.
Json to_json(const Value& v, int depth = 0);
// A computed list held by the value itself.
Value make_list(Json list);
const Json& empty_object();
bool loop_get(const LoopState& l, std::string_view key, Value& out);  // forloop[key]

bool truthy(const Value& v);
bool length_of(const Value& v, size_t& n);  // false: TypeError
void append_str(std::string& out, const Value& v);   // Python str()
void append_repr(std::string& out, const Value& v, int depth);
// Django's render_value_in_context: localize, then escape unless safe.
void append_rendered(std::string& out, const Value& v, bool autoescape);
// str(v) as a Value, keeping the safe flag for strings (stringfilter).
Value to_str_value(const Value& v);
bool values_equal(const Value& a, const Value& b, int depth = 0);
enum class Order : uint8_t { less, equal, greater, unordered };
Order compare_values(const Value& a, const Value& b, int depth = 0);
enum class Tri : uint8_t { no, yes, error };
Tri contains(const Value& container, const Value& item);
bool identical(const Value& a, const Value& b);  // Python `is`
// Python int(x): ok, ValueError/TypeError (bad), or OverflowError (inf).
enum class IntConv : uint8_t { ok, bad, overflow };
IntConv py_int(const Value& v, Int& out);

// Iteration in Python order (list items, dict keys, str characters, ...).
class Sequence {
 public:
  bool init(const Value& v);  // false: not iterable
  size_t size() const { return size_; }
  Value at(size_t i) const;

 private:
  Value base_;
  size_t size_ = 0;
  std::vector<uint32_t> offsets_;  // character starts, strings only
};

// ---------------------------------------------------------------------------
// Parsed expressions.

struct Lookup {   // one dotted segment of a variable
  std::string key;
  bool has_index = false;  // Python int(key) succeeds: usable as a list index
  Int index = 0;
};

struct Variable {  // Django's Variable: a literal or a lookup path
  std::string text;  // as written, for string_if_invalid's %s
  int symbol = -1;  // interned root name; -1 for a literal
  std::vector<Lookup> path;
  Value literal;
};

struct FilterDef;
struct FilterCall {
  const FilterDef* def = nullptr;
  bool has_arg = false;
  Variable arg;
};

struct FilterExpr {
  Variable var;
  std::vector<FilterCall> filters;
  // True for a quoted string without filters, e.g. {% include "x.html" %}.
  bool constant_string(std::string_view& out) const;
};

struct Cond {  // {% if %} expression tree
  enum class Op : uint8_t { literal, or_, and_, not_, in, not_in, is, is_not, eq, ne, lt, gt, le, ge };
  Op op = Op::literal;
  FilterExpr expr;
  std::unique_ptr<Cond> lhs, rhs;
};

// ---------------------------------------------------------------------------
// filters.cpp

struct FilterCtx {
  bool autoescape;
  std::string* error;  // message for Status::error
  const RenderInputs* inputs;
};
using FilterFn = Status (*)(FilterCtx& ctx, Value& value, const Value* arg);

// A filter's error: the message for the render, Status::error to return.
inline Status fail(FilterCtx& ctx, std::string message) {
  *ctx.error = std::move(message);
  return Status::error;
}

// int(arg) for a filter's argument, telling a ValueError (which the
// truncate filters catch, answering the value unchanged) from other errors
// (the message is set).
enum class IntArg : uint8_t { ok, value_error, error };
IntArg int_arg(FilterCtx& ctx, const Value& arg, Int& out);
enum class Arity : uint8_t { none, optional, required };
struct FilterDef {
  std::string_view name;
  Arity arity;
  bool is_safe;  // Django's is_safe flag
  FilterFn fn;
};
const FilterDef* find_filter(std::string_view name);
const FilterDef* find_more_filter(std::string_view name);  // filters_more.cpp
const FilterDef* find_number_filter(std::string_view name);  // filters_numbers.cpp
const FilterDef* find_html_filter(std::string_view name);  // filters_html.cpp
// urlize.cpp: trim_url_limit applies when `trim`.
std::string urlize(std::string_view text, bool safe_input, bool autoescape, Int limit, bool trim);

// dateformat.cpp: the date and time filters, and the tagged temporal values.
Status date_filter(FilterCtx& ctx, Value& v, const Value* arg);
Status time_filter(FilterCtx& ctx, Value& v, const Value* arg);
enum class TemporalForm : uint8_t { str, repr, localized };
void append_temporal(std::string& out, const Value& v, TemporalForm form);
// Seconds since 1970 (offset applied); false for a time or a non-date.
bool temporal_seconds(const Value& v, int64_t& seconds, bool& aware, bool& is_datetime);
void civil_from_seconds(int64_t s, int& y, int& m, int& d, int& hh, int& mm, int& ss);
// {% now %}: formats a UTC timestamp (named formats allowed).
bool format_timestamp(std::string& out, int64_t seconds, int micro, std::string_view fmt);
// timesince.cpp
Status timesince_filter(FilterCtx& ctx, Value& v, const Value* arg);
Status timeuntil_filter(FilterCtx& ctx, Value& v, const Value* arg);

// ---------------------------------------------------------------------------
// urls.cpp

struct Route {
  struct Part {
    std::string literal;
    int param = -1;  // index into params, or -1 for a literal part
  };
  enum class Converter : uint8_t { str, int_, slug, path, uuid };
  std::string name;
  std::vector<Part> parts;
  std::vector<std::string> params;
  std::vector<Converter> converters;
};
Route parse_route(std::string name, std::string_view pattern);
// Django's reverse(): false is NoReverseMatch.
bool reverse_route(const Route& route, const std::vector<Value>& args,
                   const std::vector<std::pair<std::string, Value>>& kwargs, std::string& url);
// urljoin(static_url, quote(path)) as in django.templatetags.static.
std::string static_url_for(std::string_view static_url, std::string_view path);

// ---------------------------------------------------------------------------
// Nodes and templates.

class Renderer;
class Linker;
class Node;
using NodeList = std::vector<std::unique_ptr<Node>>;

enum class NodeKind : uint8_t {
  text, var, if_, for_, with, block, extends, include, url, static_, prefix,
  csrf, spaceless, autoescape, empty, fixed, other,
};

class Node {
 public:
  Node(NodeKind kind, int line) : kind(kind), line(line) {}
  virtual ~Node() = default;
  // False aborts the render; the reason is in the Renderer.
  virtual bool render(Renderer& r, std::string& out) const = 0;
  virtual void child_lists(std::vector<NodeList*>& out) { (void)out; }
  virtual bool link(Linker& l) { (void)l; return true; }

  const NodeKind kind;
  const int line;
};

class ExtendsNode;

struct Template {
  std::string name;
  std::string_view text;              // the source; text nodes view into it
  std::string source;                 // text's storage, unless it is static
  std::deque<std::string> literals;   // stable storage for parsed constants
  NodeList nodes;
  const ExtendsNode* extends = nullptr;
  std::vector<const BlockNode*> blocks;  // every {% block %} (get_nodes_by_type)
  size_t output_hint = 0;
};

struct Symbols {
  std::map<std::string, int> ids;
  std::vector<std::string> names;
  int intern(std::string_view name);
};

struct LibraryData {
  Hooks hooks;
  std::vector<Route> routes;
  std::vector<std::unique_ptr<Template>> templates;
  std::map<std::string_view, const Template*> by_name;
  Symbols symbols;
  int sym_forloop = -1, sym_block = -1, sym_csrf_token = -1;
  int sym_true = -1, sym_false = -1, sym_none = -1;
  bool linked = false;

  const Template* find(std::string_view name) const;
  // Routes with this name, the last defined first (Django's reverse order).
  std::vector<const Route*> routes_named(std::string_view name) const;
};

// parser.cpp
bool parse_template(LibraryData& lib, Template& t, Error* err);
// link.cpp
bool link_library(LibraryData& lib, Error* err);
// render.cpp
// root_by_symbol: the context's value for each symbol (BoundContext), or null
// to look names up in the context object.
bool render_library(const LibraryData& lib, std::string_view name, const Json& context,
                    const std::vector<const Json*>* root_by_symbol, std::string& out, Error* err,
                    const RenderInputs& inputs);

}  // namespace tmpl::detail
