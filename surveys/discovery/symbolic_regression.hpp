// Symbolic regression by genetic programming (Koza 1992; Schmidt & Lipson 2009, Science 324,
// 81; Cranmer 2023, PySR, arXiv:2305.01582), written here: a population of expression trees
// (symbolic_expression.hpp) evolved by tournament selection, subtree crossover and point,
// subtree, hoist, insertion and constant mutations; the numeric constants of every new
// candidate are fitted by a few Levenberg-Marquardt iterations (Marquardt 1963) so that the
// search is over forms, not numbers; fitness log(loss) + parsimony x complexity; a hall of fame
// keeps the best loss at each complexity, whose Pareto front (complexity, loss) is the result.
// Single-threaded and driven by its own seeded generator: the same seed gives the same result.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "surveys/discovery/symbolic_expression.hpp"

namespace cosmograd::surveys::symbolic {

/// Points to fit: inputs, targets and their 1-sigma errors.
struct FitData {
  Columns x;                  ///< x[v][i]: variable v at point i
  std::vector<double> y;      ///< targets
  std::vector<double> sigma;  ///< 1-sigma errors of y, > 0 (the loss weights)

  /// Points.
  std::size_t size() const { return y.size(); }
  /// Throws std::invalid_argument naming `what` unless the columns, y and sigma have one length
  /// >= 1, every value is finite and every sigma > 0.
  void validate(const std::string& what) const;
};

/// The loss of an invalid expression: worse than any valid one.
inline constexpr double kInvalidLoss = 1e30;

/// chi^2 / N = mean(((y - f) / sigma)^2) of `e` on `d`; kInvalidLoss when `e` is invalid there.
double loss_of(const Expr& e, const FitData& d);

/// Fits the constants of *e to `d` by up to `iterations` Levenberg-Marquardt steps (forward-
/// difference Jacobian, Marquardt's diagonal damping; a step is kept only when the loss drops).
/// Returns the final loss (kInvalidLoss when *e is invalid at its starting constants).
double optimize_constants(Expr* e, const FitData& d, int iterations);

/// Search settings.
struct SymbolicOptions {
  std::vector<Op> operators = parse_operators("+,-,*,/,pow,sqrt,log,exp");  ///< allowed ops
  int population = 500;          ///< candidates per generation, >= 10
  int generations = 100;         ///< generations, >= 1
  int max_complexity = 20;       ///< largest tree (nodes), in [3, 200]
  int tournament = 5;            ///< tournament size, in [2, population]
  double crossover = 0.4;        ///< probability an offspring comes from crossover, in [0, 1]
  double parsimony = 0.03;       ///< fitness = ln(loss) + parsimony x complexity, >= 0
  int const_iterations = 8;      ///< Levenberg-Marquardt steps per new candidate, >= 0
  int max_init_depth = 4;        ///< depth of the initial random trees, in [1, 10]
  double elite_fraction = 0.02;  ///< best fraction copied unchanged into the next generation
  int migration_every = 10;      ///< every this many generations hall-of-fame members replace the
                                 ///< worst 5% (PySR's migration), >= 1
  double max_seconds = 0;        ///< stop after this wall time [s] (0: none; breaks determinism)
  std::uint64_t seed = 1;        ///< random seed

  /// Throws std::invalid_argument naming the field, its value and the allowed range.
  void validate() const;
};

/// One expression with its fit.
struct Candidate {
  Expr expr;           ///< the tree (not simplified)
  double loss = 0;     ///< training loss (chi^2 / N)
  int complexity = 0;  ///< nodes
};

/// What a search found.
struct SymbolicResult {
  /// The Pareto front: increasing complexity, each strictly lower loss than all simpler ones.
  std::vector<Candidate> pareto;
  int generations_done = 0;   ///< generations run
  long long evaluations = 0;  ///< expression evaluations (constant fitting included)
  double seconds = 0;         ///< wall time [s]
};

/// Runs the search on `d` (validated) with `o` (validated).
SymbolicResult run_symbolic_regression(const FitData& d, const SymbolicOptions& o);

/// The knee of a Pareto front: the index of the simplest member whose loss is at most
/// (1 + tolerance) x the lowest loss of the front (tolerance >= 0); front not empty.
std::size_t choose_knee(const std::vector<Candidate>& front, double tolerance);
/// The member of a Pareto front minimising the BIC-like N ln(loss) + complexity ln(N) / 2
/// (Schwarz 1978 with every node counted as half a parameter), N = training points >= 1.
std::size_t choose_bic(const std::vector<Candidate>& front, std::size_t n_points);
/// PySR's "best" (Cranmer 2023): the highest pysr_score among members whose loss is at most
/// 1.5 x the lowest loss of the front.
std::size_t choose_pysr_best(const std::vector<Candidate>& front);
/// PySR's score of front member i: -d ln(loss) / d complexity against member i - 1 (0 for the
/// first).
double pysr_score(const std::vector<Candidate>& front, std::size_t i);

/// A weighted least-squares polynomial y = sum_k c_k t^k in t = (x - shift) / scale.
struct Polynomial {
  std::vector<double> coeffs;  ///< c_0 .. c_degree
  double shift = 0;            ///< centre of the training x
  double scale = 1;            ///< half-width of the training x
  /// The polynomial at x.
  double operator()(double x) const;
};
/// The degree-`degree` polynomial minimising sum ((y - p(x)) / sigma)^2 over the first column
/// of `d` (normal equations in the centred, scaled variable); needs degree + 1 points.
Polynomial fit_polynomial(const FitData& d, int degree);

}  // namespace cosmograd::surveys::symbolic
