// Expression trees for symbolic regression (Koza 1992; Schmidt & Lipson 2009, Science 324, 81;
// Cranmer 2023, PySR, arXiv:2305.01582): a tree stored as its nodes in prefix order (a node,
// then its first operand's subtree, then its second's), so that every subtree is a contiguous
// range and crossover is a splice. Evaluation is vectorised over the data points and
// "protected": a division by |d| < 1e-12, the log or sqrt of a negative number, a negative base
// under a non-integer power or any non-finite or |value| > 1e100 intermediate makes the whole
// evaluation invalid (a penalty for the search) instead of propagating NaN.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace cosmograd::surveys::symbolic {

/// What a node does.
enum class Op : std::uint8_t {
  kConst,   ///< a numeric constant (its value is optimised)
  kVar,     ///< an input variable
  kAdd,     ///< a + b
  kSub,     ///< a - b
  kMul,     ///< a * b
  kDiv,     ///< a / b (invalid for |b| < 1e-12)
  kPow,     ///< a^b (invalid for a < 0 with non-integer b, and for a = 0 with b < 0)
  kSquare,  ///< a^2
  kCube,    ///< a^3
  kSqrt,    ///< sqrt(a) (invalid for a < 0)
  kLog,     ///< natural log (invalid for a <= 0)
  kExp,     ///< e^a
  kInv,     ///< 1 / a (invalid for |a| < 1e-12)
  kNeg,     ///< -a
};

/// One node of a prefix-order tree.
struct Node {
  Op op = Op::kConst;  ///< what it does
  int var = 0;         ///< variable index (kVar)
  double value = 0;    ///< the constant (kConst)
};

/// A tree: nodes in prefix order.
using Expr = std::vector<Node>;

/// A constant node.
Node constant(double value);
/// A variable node (index >= 0).
Node variable(int index);
/// An operator node (not kConst or kVar).
Node op_node(Op op);

/// Operands of `op`: 0 (leaves), 1 (square, cube, sqrt, log, exp, inv, neg) or 2.
int arity(Op op);
/// The operator's name as `parse_operators` reads it: + - * / pow square cube sqrt log exp inv
/// neg ("const" and "var" for leaves).
const char* op_name(Op op);
/// The operators of a comma-separated list of names (e.g. "+,-,*,/,pow,sqrt,log,exp");
/// throws std::invalid_argument naming `field`, the unknown name and the allowed names, or when
/// the list has no binary operator or a repeated one.
std::vector<Op> parse_operators(const std::string& list, const std::string& field = "operators");
/// The operator names of `ops` joined by commas.
std::string operators_string(const std::vector<Op>& ops);

/// One past the last node of the subtree starting at `begin` (begin < size).
std::size_t subtree_end(const Expr& e, std::size_t begin);
/// Whether `e` is one complete tree (every operator has its operands, nothing left over).
bool well_formed(const Expr& e);
/// Complexity: the number of nodes (PySR's default, every node 1).
int complexity(const Expr& e);
/// The number of constant nodes.
int constant_count(const Expr& e);
/// Depth: 1 for a leaf.
int depth(const Expr& e);

/// Input columns: x[v][i] is variable v at point i (every column the same length).
using Columns = std::vector<std::vector<double>>;

/// Evaluates `e` at every point of `x` into *out (resized to the point count). Returns false
/// (and leaves *out unspecified) when any point is invalid (see the file comment).
bool evaluate(const Expr& e, const Columns& x, std::vector<double>* out);
/// `e` at one point (values of the variables); NaN when invalid.
double evaluate_at(const Expr& e, const std::vector<double>& point);

/// Simplified for printing: constant subtrees folded into one constant (when valid), x + 0,
/// x - 0, x * 1, x / 1, x^1 reduced, 0 * x -> 0, x - x -> 0, x / x -> 1 (for identical
/// subtrees), neg(neg(x)) -> x, and c1 * (c2 * x) -> (c1 c2) * x. Evaluates like `e` wherever
/// `e` is valid.
Expr simplify(const Expr& e);
/// Infix text with `precision` significant digits for constants, e.g.
/// "((2.0003 * n) - 0.33297)"; names[v] names variable v (default x0, x1, ...; "x" for one).
std::string to_string(const Expr& e, const std::vector<std::string>& names = {}, int precision = 5);

}  // namespace cosmograd::surveys::symbolic
