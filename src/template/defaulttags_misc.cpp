// Default tags that produce text (django.template.defaulttags): now,
// widthratio, templatetag, lorem, debug, csrf_token, and querystring.
#include <cmath>
#include <algorithm>
#include <cstring>
#include <cstdio>

#include "template/parser.h"

namespace tmpl::detail {

namespace {

void assign_or_append(Renderer& r, int asvar, std::string text, std::string& out) {
  if (asvar >= 0) {
    r.set(asvar, Value::owned(std::move(text), false));
  } else {
    out += text;
  }
}

class NowNode final : public Node {
 public:
  explicit NowNode(int line) : Node(NodeKind::other, line) {}
  // date(datetime.now(), format): naive, TIME_ZONE='UTC'.
  bool render(Renderer& r, std::string& out) const override {
    const auto micros = static_cast<int64_t>(std::floor(r.inputs.now * 1e6));
    std::string text;
    if (!format_timestamp(text, micros / 1000000, static_cast<int>(micros % 1000000), format)) text.clear();
    assign_or_append(r, asvar, std::move(text), out);
    return true;
  }
  std::string format;
  int asvar = -1;
};

class WidthRatioNode final : public Node {
 public:
  explicit WidthRatioNode(int line) : Node(NodeKind::other, line) {}
  bool render(Renderer& r, std::string& out) const override {
    Value value, max_value, max_width;
    Status st = r.resolve(max_expr, false, max_value);
    if (st == Status::ok) st = r.resolve(width_expr, false, max_width);
    if (st == Status::error) return false;
    if (st == Status::missing) return true;  // VariableDoesNotExist: ''
    Int width;
    if (py_int(max_width, width) != IntConv::ok) return r.fail("widthratio final argument must be a number", line);
    st = r.resolve(value_expr, false, value);
    if (st == Status::error) return false;
    std::string result;
    double v, m;
    if (st == Status::ok && as_float(value, v) && as_float(max_value, m)) {
      if (m == 0) {
        result = "0";  // ZeroDivisionError
      } else {
        const double ratio = v / m * static_cast<double>(width);
        if (std::isfinite(ratio)) {
          char buf[400];
          std::snprintf(buf, sizeof buf, "%.0f", std::nearbyint(ratio));  // round(): half to even
          result = std::strcmp(buf, "-0") == 0 ? "0" : buf;
        }
      }
    }
    assign_or_append(r, asvar, std::move(result), out);
    return true;
  }
  // float(x) for what a context holds.
  static bool as_float(const Value& x, double& out) {
    switch (x.kind) {
      case Value::Kind::boolean: out = x.b; return true;
      case Value::Kind::integer: out = static_cast<double>(x.i); return true;
      case Value::Kind::floating: out = x.d; return true;
      case Value::Kind::string: return parse_float(x.text(), out);
      default: return false;
    }
  }
  FilterExpr value_expr, max_expr, width_expr;
  int asvar = -1;
};

constexpr std::pair<std::string_view, std::string_view> kTemplateTags[] = {
    {"openblock", "{%"},    {"closeblock", "%}"}, {"openvariable", "{{"}, {"closevariable", "}}"},
    {"openbrace", "{"},     {"closebrace", "}"},  {"opencomment", "{#"},  {"closecomment", "#}"},
};

// django.utils.lorem_ipsum
constexpr std::string_view kCommonP =
    "Lorem ipsum dolor sit amet, consectetur adipisicing elit, sed do eiusmod tempor incididunt ut labore et "
    "dolore magna aliqua. Ut enim ad minim veniam, quis nostrud exercitation ullamco laboris nisi ut aliquip ex "
    "ea commodo consequat. Duis aute irure dolor in reprehenderit in voluptate velit esse cillum dolore eu fugiat "
    "nulla pariatur. Excepteur sint occaecat cupidatat non proident, sunt in culpa qui officia deserunt mollit "
    "anim id est laborum.";
constexpr std::string_view kCommonWords[] = {"lorem", "ipsum", "dolor", "sit", "amet", "consectetur", "adipisicing",
                                             "elit", "sed", "do", "eiusmod", "tempor", "incididunt", "ut", "labore",
                                             "et", "dolore", "magna", "aliqua"};
constexpr std::string_view kWords =
    "exercitationem perferendis perspiciatis laborum eveniet sunt iure nam nobis eum cum officiis excepturi odio "
    "consectetur quasi aut quisquam vel eligendi itaque non odit tempore quaerat dignissimos facilis neque nihil "
    "expedita vitae vero ipsum nisi animi cumque pariatur velit modi natus iusto eaque sequi illo sed ex et "
    "voluptatibus tempora veritatis ratione assumenda incidunt nostrum placeat aliquid fuga provident praesentium "
    "rem necessitatibus suscipit adipisci quidem possimus voluptas debitis sint accusantium unde sapiente voluptate "
    "qui aspernatur laudantium soluta amet quo aliquam saepe culpa libero ipsa dicta reiciendis nesciunt doloribus "
    "autem impedit minima maiores repudiandae ipsam obcaecati ullam enim totam delectus ducimus quis voluptates "
    "dolores molestiae harum dolorem quia voluptatem molestias magni distinctio omnis illum dolorum voluptatum ea "
    "quas quam corporis quae blanditiis atque deserunt laboriosam earum consequuntur hic cupiditate quibusdam "
    "accusamus ut rerum error minus eius ab ad nemo fugit officia at in id quos reprehenderit numquam iste fugiat "
    "sit inventore beatae repellendus magnam recusandae quod explicabo doloremque aperiam consequatur asperiores "
    "commodi optio dolor labore temporibus repellat veniam architecto est esse mollitia nulla a similique eos "
    "alias dolore tenetur deleniti porro facere maxime corrupti";

// Random text differs from Django's (random.sample); only its shape matches.
class Lorem {
 public:
  explicit Lorem(uint64_t seed) : state_(seed * 6364136223846793005ULL + 1442695040888963407ULL) {
    words_ = split_ws(kWords);
  }
  size_t randint(size_t lo, size_t hi) { return lo + next() % (hi - lo + 1); }
  // random.sample(WORDS, n): n distinct words.
  void sample(size_t n, std::vector<std::string_view>& out) {
    std::vector<std::string_view> pool = words_;
    for (size_t i = 0; i < n && !pool.empty(); ++i) {
      const size_t k = next() % pool.size();
      out.push_back(pool[k]);
      pool[k] = pool.back();
      pool.pop_back();
    }
  }
  std::string sentence() {
    std::string s;
    const size_t sections = randint(1, 5);
    for (size_t i = 0; i < sections; ++i) {
      if (i) s += ", ";
      std::vector<std::string_view> w;
      sample(randint(3, 12), w);
      for (size_t k = 0; k < w.size(); ++k) {
        if (k) s += ' ';
        s += w[k];
      }
    }
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    s += next() % 2 ? '?' : '.';
    return s;
  }
  std::string paragraph() {
    std::string p;
    const size_t n = randint(1, 4);
    for (size_t i = 0; i < n; ++i) {
      if (i) p += ' ';
      p += sentence();
    }
    return p;
  }
  std::string words(Int count, bool common) {
    std::vector<std::string_view> list;
    if (common) list.assign(std::begin(kCommonWords), std::end(kCommonWords));
    const Int c = static_cast<Int>(list.size());
    if (count > c) {
      count -= c;
      while (count > 0) {
        const Int n = count < static_cast<Int>(words_.size()) ? count : static_cast<Int>(words_.size());
        count -= n;
        sample(static_cast<size_t>(n), list);
      }
    } else {
      // word_list[:count], negative counts included
      Int keep = count < 0 ? c + count : count;
      if (keep < 0) keep = 0;
      list.resize(static_cast<size_t>(keep));
    }
    std::string s;
    for (size_t k = 0; k < list.size(); ++k) {
      if (k) s += ' ';
      s += list[k];
    }
    return s;
  }

 private:
  uint64_t next() {
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return (state_ * 2685821657736338717ULL) >> 11;
  }
  uint64_t state_;
  std::vector<std::string_view> words_;
};

class LoremNode final : public Node {
 public:
  explicit LoremNode(int line) : Node(NodeKind::other, line) {}
  bool render(Renderer& r, std::string& out) const override {
    Value v;
    const Status st = r.resolve(count, false, v);
    if (st != Status::ok) return fail_lookup(r, st, line);
    Int n;
    if (py_int(v, n) != IntConv::ok) n = 1;
    if (n > 100000) return r.fail("lorem count too large", line);  // a hostile count
    const uint64_t seed = r.inputs.seed;
    Lorem lorem(seed);
    if (method == 'w') {
      out += lorem.words(n, common);
      return true;
    }
    for (Int i = 0; i < n; ++i) {
      if (i) out += "\n\n";
      if (method == 'p') out += "<p>";
      out += common && i == 0 ? std::string(kCommonP) : lorem.paragraph();
      if (method == 'p') out += "</p>";
    }
    return true;
  }
  FilterExpr count;
  char method = 'b';
  bool common = true;
};

class TextOnlyNode final : public Node {  // templatetag, debug
 public:
  TextOnlyNode(int line, std::string_view text) : Node(NodeKind::other, line), text(text) {}
  bool render(Renderer&, std::string& out) const override {
    out += text;
    return true;
  }
  std::string_view text;
};

// QueryDict.urlencode pieces: quote_plus(x, safe='').
void append_quote_plus(std::string& out, std::string_view s) {
  std::string quoted;
  append_quoted(quoted, s, " ");
  for (char c : quoted) out += c == ' ' ? '+' : c;
}

class QueryStringNode final : public Node {
 public:
  explicit QueryStringNode(int line) : Node(NodeKind::other, line) {}
  bool render(Renderer& r, std::string& out) const override {
    Value base;
    Status st;
    if (!args.empty()) {
      st = r.resolve(args[0], false, base);
    } else {
      st = r.lookup(request_get, base);
      if (st == Status::missing) return r.fail("'querystring' needs request.GET in the context", line);
    }
    if (st != Status::ok) return fail_lookup(r, st, line);
    std::vector<std::pair<std::string, std::vector<Value>>> params;
    if (base.kind == Value::Kind::dict) {
      for (const auto& [key, value] : base.json->items()) {
        params.emplace_back(key, std::vector<Value>());
        const Value v = from_json(value, base.holder);
        if (v.kind == Value::Kind::list) {
          Sequence seq;
          seq.init(v);
          for (size_t k = 0; k < seq.size(); ++k) params.back().second.push_back(seq.at(k));
        } else {
          params.back().second.push_back(v);
        }
      }
    } else if (base.kind != Value::Kind::none) {
      return r.fail("'querystring' argument must be a mapping", line);
    }
    for (const auto& kwarg : kwargs) {
      const std::string& name = kwarg.first;
      Value v;
      st = r.resolve(kwarg.second, false, v);
      if (st != Status::ok) return fail_lookup(r, st, line);
      auto it = std::find_if(params.begin(), params.end(), [&](const auto& p) { return p.first == name; });
      if (v.kind == Value::Kind::none) {
        if (it != params.end()) params.erase(it);
        continue;
      }
      std::vector<Value> values;
      Sequence seq;
      if (!v.is_string() && v.kind != Value::Kind::dict && seq.init(v)) {
        for (size_t k = 0; k < seq.size(); ++k) values.push_back(seq.at(k));
      } else {
        values.push_back(v);
      }
      if (it == params.end()) {
        params.emplace_back(name, std::move(values));
      } else {
        it->second = std::move(values);
      }
    }
    std::string text;
    for (const auto& [key, values] : params) {
      for (const auto& v : values) {
        text += text.empty() ? '?' : '&';
        append_quote_plus(text, key);
        text += '=';
        std::string s;
        append_str(s, v);
        append_quote_plus(text, s);
      }
    }
    if (asvar >= 0) {
      r.set(asvar, Value::owned(std::move(text), false));
    } else {
      append_rendered(out, Value::borrowed(text, false), r.autoescape);
    }
    return true;
  }
  std::vector<FilterExpr> args;
  std::vector<std::pair<std::string, FilterExpr>> kwargs;
  Variable request_get;
  int asvar = -1;
};

}  // namespace

Parser::NodePtr Parser::do_now(const Token& tok) {
  auto bits = smart_split(tok.contents);
  auto node = std::make_unique<NowNode>(tok.line);
  if (bits.size() == 4 && bits[2] == "as") {
    node->asvar = intern(bits[3]);
    bits.resize(2);
  }
  if (bits.size() != 2) return fail_node(tok.line, "'now' statement takes one argument");
  node->format = std::string(bits[1].substr(1, bits[1].size() >= 2 ? bits[1].size() - 2 : 0));
  return node;
}

Parser::NodePtr Parser::do_widthratio(const Token& tok) {
  const auto bits = smart_split(tok.contents);
  auto node = std::make_unique<WidthRatioNode>(tok.line);
  if (bits.size() == 6) {
    if (bits[4] != "as") return fail_node(tok.line, "Invalid syntax in widthratio tag. Expecting 'as' keyword");
    node->asvar = intern(bits[5]);
  } else if (bits.size() != 4) {
    return fail_node(tok.line, "widthratio takes at least three arguments");
  }
  if (!compile_filter(bits[1], tok.line, node->value_expr) || !compile_filter(bits[2], tok.line, node->max_expr) ||
      !compile_filter(bits[3], tok.line, node->width_expr))
    return nullptr;
  return node;
}

Parser::NodePtr Parser::do_templatetag(const Token& tok) {
  const auto bits = split_ws(tok.contents);
  if (bits.size() != 2) return fail_node(tok.line, "'templatetag' statement takes one argument");
  for (const auto& [name, text] : kTemplateTags) {
    if (bits[1] == name) return std::make_unique<TextOnlyNode>(tok.line, text);
  }
  std::string names;
  for (const auto& [name, text] : kTemplateTags) names += std::string(names.empty() ? "" : ", ") + "'" + std::string(name) + "'";
  return fail_node(tok.line, "Invalid templatetag argument: '" + std::string(bits[1]) + "'. Must be one of: [" + names + "]");
}

Parser::NodePtr Parser::do_lorem(const Token& tok) {
  auto bits = smart_split(tok.contents);
  auto node = std::make_unique<LoremNode>(tok.line);
  node->common = bits.back() != "random";
  if (!node->common) bits.pop_back();
  if (!bits.empty() && (bits.back() == "w" || bits.back() == "p" || bits.back() == "b")) {
    node->method = bits.back()[0];
    bits.pop_back();
  }
  std::string_view count = "1";
  if (bits.size() > 1) {
    count = bits.back();
    bits.pop_back();
  }
  if (!compile_filter(count, tok.line, node->count)) return nullptr;
  if (bits.size() != 1) return fail_node(tok.line, "Incorrect format for 'lorem' tag");
  return node;
}

// Django 5.2's DebugNode renders nothing unless settings.DEBUG, which a
// deployed Worker never has.
Parser::NodePtr Parser::do_debug(const Token& tok) { return std::make_unique<TextOnlyNode>(tok.line, ""); }

Parser::NodePtr Parser::do_csrf_token(const Token& tok) { return std::make_unique<CsrfNode>(tok.line); }

// {% querystring %} (Django 5.1): request.GET, or a mapping argument, with
// keyword updates; None removes a key, a list sets several values.
Parser::NodePtr Parser::do_querystring(const Token& tok) {
  auto bits = smart_split(tok.contents);
  auto node = std::make_unique<QueryStringNode>(tok.line);
  if (bits.size() >= 3 && bits[bits.size() - 2] == "as") {
    node->asvar = intern(bits.back());
    bits.resize(bits.size() - 2);
  }
  for (size_t i = 1; i < bits.size(); ++i) {
    std::string_view name, value;
    const bool is_kwarg = split_kwarg(bits[i], name, value);
    FilterExpr expr;
    if (!compile_filter(value, tok.line, expr)) return nullptr;
    if (is_kwarg) {
      node->kwargs.emplace_back(std::string(name), std::move(expr));
    } else {
      if (!node->kwargs.empty() || !node->args.empty())
        return fail_node(tok.line, "'querystring' received too many positional arguments");
      node->args.push_back(std::move(expr));
    }
  }
  if (!compile_variable("request.GET", tok.line, node->request_get)) return nullptr;
  return node;
}

}  // namespace tmpl::detail
