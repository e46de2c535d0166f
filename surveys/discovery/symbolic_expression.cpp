#include "surveys/discovery/symbolic_expression.hpp"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <stdexcept>

namespace cosmograd::surveys::symbolic {
namespace {

constexpr double kTinyDivisor = 1e-12;
constexpr double kHuge = 1e100;

struct OpInfo {
  Op op;
  const char* name;
  int arity;
};
constexpr OpInfo kOps[] = {
    {Op::kConst, "const", 0}, {Op::kVar, "var", 0},       {Op::kAdd, "+", 2},
    {Op::kSub, "-", 2},       {Op::kMul, "*", 2},         {Op::kDiv, "/", 2},
    {Op::kPow, "pow", 2},     {Op::kSquare, "square", 1}, {Op::kCube, "cube", 1},
    {Op::kSqrt, "sqrt", 1},   {Op::kLog, "log", 1},       {Op::kExp, "exp", 1},
    {Op::kInv, "inv", 1},     {Op::kNeg, "neg", 1},
};

const OpInfo& info(Op op) { return kOps[static_cast<int>(op)]; }

bool ok_value(double v) { return std::isfinite(v) && std::abs(v) < kHuge; }

/// Applies a binary operator in place: a[i] = a[i] op b[i]; false when any point is invalid.
bool apply_binary(Op op, double* a, const double* b, std::size_t n) {
  bool ok = true;
  switch (op) {
    case Op::kAdd:
      for (std::size_t i = 0; i < n; ++i) a[i] += b[i];
      break;
    case Op::kSub:
      for (std::size_t i = 0; i < n; ++i) a[i] -= b[i];
      break;
    case Op::kMul:
      for (std::size_t i = 0; i < n; ++i) a[i] *= b[i];
      break;
    case Op::kDiv:
      for (std::size_t i = 0; i < n; ++i) {
        if (std::abs(b[i]) < kTinyDivisor) return false;
        a[i] /= b[i];
      }
      break;
    case Op::kPow:
      for (std::size_t i = 0; i < n; ++i) {
        if (a[i] < 0 && b[i] != std::floor(b[i])) return false;
        if (a[i] == 0 && b[i] < 0) return false;
        a[i] = std::pow(a[i], b[i]);
      }
      break;
    default:
      return false;
  }
  for (std::size_t i = 0; i < n; ++i) ok = ok && ok_value(a[i]);
  return ok;
}

/// Applies a unary operator in place; false when any point is invalid.
bool apply_unary(Op op, double* a, std::size_t n) {
  switch (op) {
    case Op::kSquare:
      for (std::size_t i = 0; i < n; ++i) a[i] *= a[i];
      break;
    case Op::kCube:
      for (std::size_t i = 0; i < n; ++i) a[i] = a[i] * a[i] * a[i];
      break;
    case Op::kSqrt:
      for (std::size_t i = 0; i < n; ++i) {
        if (a[i] < 0) return false;
        a[i] = std::sqrt(a[i]);
      }
      break;
    case Op::kLog:
      for (std::size_t i = 0; i < n; ++i) {
        if (!(a[i] > 0)) return false;
        a[i] = std::log(a[i]);
      }
      break;
    case Op::kExp:
      for (std::size_t i = 0; i < n; ++i) {
        if (a[i] > 230) return false;  // e^230 ~ 1e100
        a[i] = std::exp(a[i]);
      }
      break;
    case Op::kInv:
      for (std::size_t i = 0; i < n; ++i) {
        if (std::abs(a[i]) < kTinyDivisor) return false;
        a[i] = 1 / a[i];
      }
      break;
    case Op::kNeg:
      for (std::size_t i = 0; i < n; ++i) a[i] = -a[i];
      break;
    default:
      return false;
  }
  bool ok = true;
  for (std::size_t i = 0; i < n; ++i) ok = ok && ok_value(a[i]);
  return ok;
}

bool is_const(const Node& n, double v) { return n.op == Op::kConst && n.value == v; }

bool same_subtree(const Expr& e, std::size_t a, std::size_t a_end, std::size_t b,
                  std::size_t b_end) {
  if (a_end - a != b_end - b) return false;
  for (std::size_t i = 0; i < a_end - a; ++i) {
    const Node &p = e[a + i], &q = e[b + i];
    if (p.op != q.op) return false;
    if (p.op == Op::kVar && p.var != q.var) return false;
    if (p.op == Op::kConst && p.value != q.value) return false;
  }
  return true;
}

/// Simplifies the subtree at `pos` of `e` (whose children are already simplified), returning
/// the replacement.
Expr simplify_at(const Expr& e, std::size_t pos);

Expr simplify_rec(const Expr& e, std::size_t pos) {
  const Op op = e[pos].op;
  const int ar = arity(op);
  if (ar == 0) return Expr{e[pos]};
  Expr out{e[pos]};
  std::size_t child = pos + 1;
  for (int k = 0; k < ar; ++k) {
    const std::size_t end = subtree_end(e, child);
    const Expr c = simplify_rec(e, child);
    out.insert(out.end(), c.begin(), c.end());
    child = end;
  }
  return simplify_at(out, 0);
}

Expr simplify_at(const Expr& e, std::size_t pos) {
  const Op op = e[pos].op;
  const int ar = arity(op);
  const std::size_t a = pos + 1, a_end = subtree_end(e, a);
  // Constant folding: every child a constant.
  bool all_const = e[a].op == Op::kConst;
  std::size_t b = a_end, b_end = a_end;
  if (ar == 2) {
    b_end = subtree_end(e, b);
    all_const = all_const && e[b].op == Op::kConst;
  }
  if (all_const) {
    const Expr sub(e.begin() + static_cast<std::ptrdiff_t>(pos),
                   e.begin() + static_cast<std::ptrdiff_t>(b_end));
    const double v = evaluate_at(sub, {});
    if (std::isfinite(v)) return Expr{constant(v)};
    return sub;
  }
  const Expr A(e.begin() + static_cast<std::ptrdiff_t>(a),
               e.begin() + static_cast<std::ptrdiff_t>(a_end));
  if (ar == 1) {
    if (op == Op::kNeg && e[a].op == Op::kNeg) return Expr(A.begin() + 1, A.end());
    Expr out{e[pos]};
    out.insert(out.end(), A.begin(), A.end());
    return out;
  }
  const Expr B(e.begin() + static_cast<std::ptrdiff_t>(b),
               e.begin() + static_cast<std::ptrdiff_t>(b_end));
  switch (op) {
    case Op::kAdd:
      if (is_const(e[a], 0)) return B;
      if (is_const(e[b], 0)) return A;
      break;
    case Op::kSub:
      if (is_const(e[b], 0)) return A;
      if (same_subtree(e, a, a_end, b, b_end)) return Expr{constant(0)};
      break;
    case Op::kMul:
      if (is_const(e[a], 1)) return B;
      if (is_const(e[b], 1)) return A;
      if (is_const(e[a], 0) || is_const(e[b], 0)) return Expr{constant(0)};
      // c1 * (c2 * x) and (c2 * x) * c1 -> (c1 c2) * x; x * c -> c * x.
      {
        const Expr* c = nullptr;
        const Expr* other = nullptr;
        if (e[a].op == Op::kConst) c = &A, other = &B;
        if (e[b].op == Op::kConst) c = &B, other = &A;
        if (c != nullptr) {
          const Expr& o = *other;
          if (o[0].op == Op::kMul && o.size() > 1) {
            const std::size_t o_a_end = subtree_end(o, 1);
            if (o[1].op == Op::kConst) {
              Expr out{op_node(Op::kMul), constant((*c)[0].value * o[1].value)};
              out.insert(out.end(), o.begin() + 2, o.end());
              return out;
            }
            if (o[o_a_end].op == Op::kConst && o_a_end + 1 == o.size()) {
              Expr out{op_node(Op::kMul), constant((*c)[0].value * o[o_a_end].value)};
              out.insert(out.end(), o.begin() + 1,
                         o.begin() + static_cast<std::ptrdiff_t>(o_a_end));
              return out;
            }
          }
          Expr out{op_node(Op::kMul), (*c)[0]};
          out.insert(out.end(), o.begin(), o.end());
          return out;
        }
      }
      break;
    case Op::kDiv:
      if (is_const(e[b], 1)) return A;
      if (same_subtree(e, a, a_end, b, b_end)) return Expr{constant(1)};
      break;
    case Op::kPow:
      if (is_const(e[b], 1)) return A;
      break;
    default:
      break;
  }
  Expr out{e[pos]};
  out.insert(out.end(), A.begin(), A.end());
  out.insert(out.end(), B.begin(), B.end());
  return out;
}

std::string number_text(double v, int precision) {
  std::ostringstream o;
  o.precision(precision);
  o << v;
  return o.str();
}

std::string text_rec(const Expr& e, std::size_t pos, const std::vector<std::string>& names,
                     int precision, std::size_t* end) {
  const Node& n = e[pos];
  switch (n.op) {
    case Op::kConst: {
      *end = pos + 1;
      const std::string t = number_text(n.value, precision);
      return n.value < 0 ? "(" + t + ")" : t;
    }
    case Op::kVar:
      *end = pos + 1;
      if (n.var < static_cast<int>(names.size())) return names[static_cast<std::size_t>(n.var)];
      return "x" + std::to_string(n.var);
    default:
      break;
  }
  std::size_t a_end = 0;
  const std::string a = text_rec(e, pos + 1, names, precision, &a_end);
  if (arity(n.op) == 1) {
    *end = a_end;
    if (n.op == Op::kNeg) return "(-" + a + ")";
    if (n.op == Op::kInv) return "(1 / " + a + ")";
    return std::string(op_name(n.op)) + "(" + a + ")";
  }
  const std::string b = text_rec(e, a_end, names, precision, end);
  if (n.op == Op::kPow) return "(" + a + " ^ " + b + ")";
  return "(" + a + " " + op_name(n.op) + " " + b + ")";
}

}  // namespace

Node constant(double value) {
  Node n;
  n.op = Op::kConst;
  n.value = value;
  return n;
}

Node variable(int index) {
  if (index < 0) throw std::invalid_argument("symbolic variable index must be >= 0");
  Node n;
  n.op = Op::kVar;
  n.var = index;
  return n;
}

Node op_node(Op op) {
  if (arity(op) == 0) throw std::invalid_argument("op_node: give an operator, not a leaf");
  Node n;
  n.op = op;
  return n;
}

int arity(Op op) { return info(op).arity; }

const char* op_name(Op op) { return info(op).name; }

std::vector<Op> parse_operators(const std::string& list, const std::string& field) {
  std::vector<Op> ops;
  std::string allowed;
  for (const OpInfo& i : kOps)
    if (i.arity > 0) allowed += std::string(allowed.empty() ? "" : ", ") + i.name;
  std::stringstream in(list);
  std::string item;
  bool binary = false;
  while (std::getline(in, item, ',')) {
    item.erase(0, item.find_first_not_of(" \t"));
    item.erase(item.find_last_not_of(" \t") + 1);
    bool found = false;
    for (const OpInfo& i : kOps)
      if (i.arity > 0 && item == i.name) {
        if (std::find(ops.begin(), ops.end(), i.op) != ops.end())
          throw std::invalid_argument(field + " = " + list + ": operator '" + item +
                                      "' is repeated");
        ops.push_back(i.op);
        binary = binary || i.arity == 2;
        found = true;
      }
    if (!found)
      throw std::invalid_argument(field + " = " + list + ": unknown operator '" + item +
                                  "' (allowed: " + allowed + ")");
  }
  if (!binary)
    throw std::invalid_argument(field + " = " + list +
                                ": needs at least one binary operator (+, -, *, /, pow)");
  return ops;
}

std::string operators_string(const std::vector<Op>& ops) {
  std::string s;
  for (Op op : ops) s += std::string(s.empty() ? "" : ",") + op_name(op);
  return s;
}

std::size_t subtree_end(const Expr& e, std::size_t begin) {
  std::size_t need = 1, i = begin;
  while (need > 0 && i < e.size()) {
    need += static_cast<std::size_t>(arity(e[i].op));
    --need;
    ++i;
  }
  return i;
}

bool well_formed(const Expr& e) {
  if (e.empty()) return false;
  long need = 1;
  for (std::size_t i = 0; i < e.size(); ++i) {
    if (need <= 0) return false;
    need += arity(e[i].op) - 1;
  }
  return need == 0;
}

int complexity(const Expr& e) { return static_cast<int>(e.size()); }

int constant_count(const Expr& e) {
  return static_cast<int>(
      std::count_if(e.begin(), e.end(), [](const Node& n) { return n.op == Op::kConst; }));
}

int depth(const Expr& e) {
  // Reverse prefix order: a stack of subtree depths.
  std::vector<int> stack;
  for (std::size_t k = e.size(); k-- > 0;) {
    const int ar = arity(e[k].op);
    int d = 0;
    for (int j = 0; j < ar; ++j) {
      d = std::max(d, stack.back());
      stack.pop_back();
    }
    stack.push_back(d + 1);
  }
  return stack.empty() ? 0 : stack.back();
}

bool evaluate(const Expr& e, const Columns& x, std::vector<double>* out) {
  const std::size_t n = x.empty() ? 1 : x[0].size();
  // Reverse prefix order with a stack of buffers (kept between calls: no allocation).
  thread_local std::vector<std::vector<double>> pool;
  if (pool.size() < e.size() + 1) pool.resize(e.size() + 1);
  std::size_t top = 0;
  for (std::size_t k = e.size(); k-- > 0;) {
    const Node& node = e[k];
    switch (node.op) {
      case Op::kConst: {
        std::vector<double>& buf = pool[top++];
        buf.assign(n, node.value);
        break;
      }
      case Op::kVar: {
        if (node.var >= static_cast<int>(x.size()))
          throw std::invalid_argument("symbolic evaluate: variable x" + std::to_string(node.var) +
                                      " of " + std::to_string(x.size()) + " columns");
        std::vector<double>& buf = pool[top++];
        buf.assign(x[static_cast<std::size_t>(node.var)].begin(),
                   x[static_cast<std::size_t>(node.var)].end());
        break;
      }
      default:
        if (arity(node.op) == 1) {
          if (!apply_unary(node.op, pool[top - 1].data(), n)) return false;
        } else {
          // The first operand was pushed last: it is on top.
          std::vector<double>& first = pool[top - 1];
          std::vector<double>& second = pool[top - 2];
          if (!apply_binary(node.op, first.data(), second.data(), n)) return false;
          std::swap(pool[top - 2], pool[top - 1]);
          --top;
        }
    }
  }
  if (top != 1) throw std::invalid_argument("symbolic evaluate: malformed expression");
  out->assign(pool[0].begin(), pool[0].end());
  return true;
}

double evaluate_at(const Expr& e, const std::vector<double>& point) {
  Columns x;
  for (double v : point) x.push_back({v});
  if (x.empty()) x.push_back({0.0});
  std::vector<double> out;
  return evaluate(e, x, &out) ? out[0] : std::nan("");
}

Expr simplify(const Expr& e) {
  if (!well_formed(e)) throw std::invalid_argument("symbolic simplify: malformed expression");
  // Two passes: folding can expose further reductions.
  Expr s = simplify_rec(e, 0);
  return simplify_rec(s, 0);
}

std::string to_string(const Expr& e, const std::vector<std::string>& names, int precision) {
  if (!well_formed(e)) throw std::invalid_argument("symbolic to_string: malformed expression");
  std::vector<std::string> n = names;
  std::size_t end = 0;
  if (n.empty()) {
    int vars = 0;
    for (const Node& node : e)
      if (node.op == Op::kVar) vars = std::max(vars, node.var + 1);
    if (vars == 1) n.push_back("x");
  }
  return text_rec(e, 0, n, precision, &end);
}

}  // namespace cosmograd::surveys::symbolic
