// {% if %}: django.template.smartif's Pratt parser and operators, the
// IfNode that renders the first true branch.
#include "template/parser.h"

namespace tmpl::detail {

using Kind = Value::Kind;

namespace {

// ----- {% if %} expressions (django.template.smartif)

struct IfToken {
  Cond::Op op;
  std::string_view text;
  FilterExpr expr;
  int lbp;
};

int binding_power(Cond::Op op) {
  switch (op) {
    case Cond::Op::or_: return 6;
    case Cond::Op::and_: return 7;
    case Cond::Op::not_: return 8;
    case Cond::Op::in:
    case Cond::Op::not_in: return 9;
    case Cond::Op::literal: return 0;
    default: return 10;
  }
}

bool operator_for(std::string_view s, Cond::Op& op) {
  static const std::pair<std::string_view, Cond::Op> kOps[] = {
      {"or", Cond::Op::or_}, {"and", Cond::Op::and_}, {"not", Cond::Op::not_},
      {"in", Cond::Op::in},  {"not in", Cond::Op::not_in}, {"is", Cond::Op::is},
      {"is not", Cond::Op::is_not}, {"==", Cond::Op::eq}, {"!=", Cond::Op::ne},
      {">", Cond::Op::gt},   {">=", Cond::Op::ge},   {"<", Cond::Op::lt}, {"<=", Cond::Op::le}};
  for (const auto& [name, o] : kOps) {
    if (s == name) {
      op = o;
      return true;
    }
  }
  return false;
}

class IfParser {
 public:
  IfParser(Parser& p, std::vector<IfToken> tokens, int line) : p_(p), tokens_(std::move(tokens)), line_(line) {}

  std::unique_ptr<Cond> parse() {
    auto result = expression(0);
    if (!result) return nullptr;
    if (pos_ < tokens_.size()) {
      p_.fail(line_, "Unused '" + std::string(tokens_[pos_].text) + "' at end of if expression.");
      return nullptr;
    }
    return result;
  }

 private:
  int current_lbp() const { return pos_ < tokens_.size() ? tokens_[pos_].lbp : 0; }

  std::unique_ptr<Cond> expression(int rbp) {
    if (++depth_ > kMaxExprNesting) {
      p_.fail(line_, "if expression nested too deeply");
      return nullptr;
    }
    if (pos_ >= tokens_.size()) {
      p_.fail(line_, "Unexpected end of expression in if tag.");
      return nullptr;
    }
    IfToken& t = tokens_[pos_++];
    std::unique_ptr<Cond> left = nud(t);
    while (left && rbp < current_lbp()) left = led(tokens_[pos_++], std::move(left));
    --depth_;
    return left;
  }

  std::unique_ptr<Cond> nud(IfToken& t) {
    auto c = std::make_unique<Cond>();
    c->op = t.op;
    if (t.op == Cond::Op::literal) {
      c->expr = std::move(t.expr);
      return c;
    }
    if (t.op != Cond::Op::not_) {
      p_.fail(line_, "Not expecting '" + std::string(t.text) + "' in this position in if tag.");
      return nullptr;
    }
    c->lhs = expression(binding_power(Cond::Op::not_));
    return c->lhs ? std::move(c) : nullptr;
  }

  std::unique_ptr<Cond> led(IfToken& t, std::unique_ptr<Cond> left) {
    if (t.op == Cond::Op::literal || t.op == Cond::Op::not_) {
      p_.fail(line_, "Not expecting '" + std::string(t.text) + "' as infix operator in if tag.");
      return nullptr;
    }
    auto c = std::make_unique<Cond>();
    c->op = t.op;
    c->lhs = std::move(left);
    c->rhs = expression(t.lbp);
    return c->rhs ? std::move(c) : nullptr;
  }

  Parser& p_;
  std::vector<IfToken> tokens_;
  size_t pos_ = 0;
  int line_;
  int depth_ = 0;
};

}  // namespace

std::unique_ptr<Cond> Parser::parse_condition(const std::vector<std::string_view>& bits, int line) {
  std::vector<IfToken> tokens;
  for (size_t i = 1; i < bits.size(); ++i) {
    std::string_view text = bits[i];
    const bool pair = i + 1 < bits.size() &&
                      ((text == "is" && bits[i + 1] == "not") || (text == "not" && bits[i + 1] == "in"));
    IfToken t{Cond::Op::literal, text, {}, 0};
    if (pair) {
      t.op = text == "is" ? Cond::Op::is_not : Cond::Op::not_in;
      t.text = text == "is" ? "is not" : "not in";
      ++i;
    } else if (!operator_for(text, t.op) && !compile_filter(text, line, t.expr)) {
      return nullptr;
    }
    t.lbp = binding_power(t.op);
    tokens.push_back(std::move(t));
  }
  return IfParser(*this, std::move(tokens), line).parse();
}


Parser::NodePtr Parser::do_if(const Token& tok) {
  auto node = std::make_unique<IfNode>(tok.line);
  auto cond = parse_condition(smart_split(tok.contents), tok.line);
  if (!cond) return nullptr;
  const Token* end = nullptr;
  if (!parse_branch(*node, std::move(cond), {"elif", "else", "endif"}, end)) return nullptr;
  while (end->contents.substr(0, 4) == "elif") {
    cond = parse_condition(smart_split(end->contents), end->line);
    if (!cond || !parse_branch(*node, std::move(cond), {"elif", "else", "endif"}, end)) return nullptr;
  }
  if (end->contents == "else" && !parse_branch(*node, nullptr, {"endif"}, end)) return nullptr;
  if (end->contents != "endif")
    return fail_node(end->line, "Malformed template tag: \"" + std::string(end->contents) + "\"");
  return node;
}

bool Parser::parse_branch(IfNode& node, std::unique_ptr<Cond> cond, Until until, const Token*& end) {
  List body;
  ++conditional_;
  const bool ok = parse(body, until);
  --conditional_;
  if (!ok) return false;
  node.branches.push_back({std::move(cond), std::move(body.nodes)});
  end = &next_token();
  return true;
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

}  // namespace tmpl::detail
