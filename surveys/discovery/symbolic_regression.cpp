#include "surveys/discovery/symbolic_regression.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>
#include <sstream>
#include <stdexcept>

#include "sim/core/require.hpp"

namespace cosmograd::surveys::symbolic {
namespace {

using sim::require;

/// xoshiro256** (Blackman & Vigna 2018) seeded by SplitMix64: the search's own generator, so
/// results do not depend on the standard library's distributions.
class Rng {
 public:
  explicit Rng(std::uint64_t seed) {
    std::uint64_t z = seed;
    for (auto& s : s_) {
      z += 0x9e3779b97f4a7c15ULL;
      std::uint64_t t = z;
      t = (t ^ (t >> 30)) * 0xbf58476d1ce4e5b9ULL;
      t = (t ^ (t >> 27)) * 0x94d049bb133111ebULL;
      s = t ^ (t >> 31);
    }
  }
  std::uint64_t next() {
    const std::uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }
  /// Uniform in [0, 1).
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  /// Uniform integer in [0, n).
  std::size_t below(std::size_t n) {
    return std::min(n - 1, static_cast<std::size_t>(uniform() * static_cast<double>(n)));
  }
  /// Standard normal (Box-Muller).
  double normal() {
    const double u = 1.0 - uniform(), v = uniform();
    return std::sqrt(-2.0 * std::log(u)) * std::cos(2.0 * M_PI * v);
  }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
};

/// Solves the small dense system A x = b (n x n, row-major) by Gaussian elimination with
/// partial pivoting; false when singular.
bool solve(std::vector<double> a, std::vector<double> b, std::size_t n, std::vector<double>* x) {
  for (std::size_t c = 0; c < n; ++c) {
    std::size_t p = c;
    for (std::size_t r = c + 1; r < n; ++r)
      if (std::abs(a[r * n + c]) > std::abs(a[p * n + c])) p = r;
    if (!(std::abs(a[p * n + c]) > 1e-300)) return false;
    if (p != c) {
      for (std::size_t k = 0; k < n; ++k) std::swap(a[c * n + k], a[p * n + k]);
      std::swap(b[c], b[p]);
    }
    for (std::size_t r = c + 1; r < n; ++r) {
      const double f = a[r * n + c] / a[c * n + c];
      for (std::size_t k = c; k < n; ++k) a[r * n + k] -= f * a[c * n + k];
      b[r] -= f * b[c];
    }
  }
  x->assign(n, 0.0);
  for (std::size_t r = n; r-- > 0;) {
    double s = b[r];
    for (std::size_t k = r + 1; k < n; ++k) s -= a[r * n + k] * (*x)[k];
    (*x)[r] = s / a[r * n + r];
    if (!std::isfinite((*x)[r])) return false;
  }
  return true;
}

/// Counts evaluations of one search.
thread_local long long g_evaluations = 0;

/// The evaluation of e on d, or false when invalid.
bool predict(const Expr& e, const FitData& d, std::vector<double>* f) {
  ++g_evaluations;
  return evaluate(e, d.x, f);
}

double chi2_mean(const std::vector<double>& f, const FitData& d) {
  double s = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double r = (f[i] - d.y[i]) / d.sigma[i];
    s += r * r;
  }
  const double v = s / static_cast<double>(d.size());
  return std::isfinite(v) ? std::min(v, kInvalidLoss) : kInvalidLoss;
}

/// The search's state and its variation operators.
class Search {
 public:
  Search(const FitData& d, const SymbolicOptions& o) : d_(d), o_(o), rng_(o.seed) {
    for (Op op : o.operators) (arity(op) == 1 ? unary_ : binary_).push_back(op);
    vars_ = static_cast<int>(d.x.size());
  }

  Node random_leaf() {
    if (vars_ > 0 && rng_.uniform() < 0.5) return variable(static_cast<int>(rng_.below(vars_)));
    // Constants: a mix of O(1) values of either sign (LM refines them).
    return constant(std::round(rng_.normal() * 2.0 * 100) / 100);
  }

  Node random_op(int want_arity) {
    if (want_arity == 1 && !unary_.empty()) return op_node(unary_[rng_.below(unary_.size())]);
    return op_node(binary_[rng_.below(binary_.size())]);
  }

  /// A random tree of at most `max_depth` levels ("grow" when !full).
  void random_tree(int max_depth, bool full, Expr* out) {
    if (max_depth <= 1 || (!full && rng_.uniform() < 0.3)) {
      out->push_back(random_leaf());
      return;
    }
    const bool unary = !unary_.empty() && rng_.uniform() < 0.25;
    const Node n = random_op(unary ? 1 : 2);
    out->push_back(n);
    for (int k = 0; k < arity(n.op); ++k) random_tree(max_depth - 1, full, out);
  }

  Expr random_expression(int max_depth, bool full) {
    for (;;) {
      Expr e;
      random_tree(max_depth, full, &e);
      if (complexity(e) <= o_.max_complexity) return e;
    }
  }

  static Expr splice(const Expr& a, std::size_t i, std::size_t i_end, const Expr& b, std::size_t j,
                     std::size_t j_end) {
    Expr c(a.begin(), a.begin() + static_cast<std::ptrdiff_t>(i));
    c.insert(c.end(), b.begin() + static_cast<std::ptrdiff_t>(j),
             b.begin() + static_cast<std::ptrdiff_t>(j_end));
    c.insert(c.end(), a.begin() + static_cast<std::ptrdiff_t>(i_end), a.end());
    return c;
  }

  Expr crossover(const Expr& a, const Expr& b) {
    for (int t = 0; t < 10; ++t) {
      const std::size_t i = rng_.below(a.size()), j = rng_.below(b.size());
      Expr c = splice(a, i, subtree_end(a, i), b, j, subtree_end(b, j));
      if (complexity(c) <= o_.max_complexity) return c;
    }
    return a;
  }

  Expr mutate(const Expr& a) {
    const double u = rng_.uniform();
    const std::size_t i = rng_.below(a.size()), i_end = subtree_end(a, i);
    if (u < 0.25) {  // subtree mutation
      const Expr s = random_expression(1 + static_cast<int>(rng_.below(3)), false);
      return splice(a, i, i_end, s, 0, s.size());
    }
    if (u < 0.45) {  // point mutation: same arity
      Expr c = a;
      Node& n = c[i];
      const int ar = arity(n.op);
      if (ar == 0) {
        n = random_leaf();
      } else {
        const Op keep = n.op;
        n = random_op(ar);
        if (arity(n.op) != ar) n.op = keep;  // no unary operator allowed
      }
      return c;
    }
    if (u < 0.65) {  // constant perturbation
      Expr c = a;
      std::vector<std::size_t> cs;
      for (std::size_t k = 0; k < c.size(); ++k)
        if (c[k].op == Op::kConst) cs.push_back(k);
      if (cs.empty()) return mutate(a);
      Node& n = c[cs[rng_.below(cs.size())]];
      n.value = rng_.uniform() < 0.5 ? n.value * (1 + 0.5 * rng_.normal()) : rng_.normal();
      return c;
    }
    if (u < 0.8) {  // hoist: a subtree replaced by one of its own subtrees
      const std::size_t j = i + rng_.below(i_end - i);
      return splice(a, i, i_end, a, j, subtree_end(a, j));
    }
    // insertion: a subtree wrapped in a new operator (with a random leaf or small tree)
    const Expr sub(a.begin() + static_cast<std::ptrdiff_t>(i),
                   a.begin() + static_cast<std::ptrdiff_t>(i_end));
    Expr w;
    if (!unary_.empty() && rng_.uniform() < 0.3) {
      w.push_back(random_op(1));
      w.insert(w.end(), sub.begin(), sub.end());
    } else {
      w.push_back(random_op(2));
      const Expr other = random_expression(1 + static_cast<int>(rng_.below(2)), false);
      if (rng_.uniform() < 0.5) {
        w.insert(w.end(), sub.begin(), sub.end());
        w.insert(w.end(), other.begin(), other.end());
      } else {
        w.insert(w.end(), other.begin(), other.end());
        w.insert(w.end(), sub.begin(), sub.end());
      }
    }
    return splice(a, i, i_end, w, 0, w.size());
  }

  double fitness(const Candidate& c) const {
    return std::log(std::max(c.loss, 1e-30)) + o_.parsimony * c.complexity;
  }

  Candidate make(Expr e) {
    Candidate c;
    c.loss = optimize_constants(&e, d_, o_.const_iterations);
    c.complexity = complexity(e);
    c.expr = std::move(e);
    remember(c);
    return c;
  }

  void remember(const Candidate& c) {
    if (c.loss >= kInvalidLoss) return;
    Candidate& h = hall_[static_cast<std::size_t>(c.complexity)];
    if (h.expr.empty() || c.loss < h.loss) h = c;
  }

  std::size_t tournament(const std::vector<Candidate>& pop, const std::vector<double>& fit) {
    std::size_t best = rng_.below(pop.size());
    for (int k = 1; k < o_.tournament; ++k) {
      const std::size_t j = rng_.below(pop.size());
      if (fit[j] < fit[best]) best = j;
    }
    return best;
  }

  SymbolicResult run() {
    const auto t0 = std::chrono::steady_clock::now();
    g_evaluations = 0;
    hall_.assign(static_cast<std::size_t>(o_.max_complexity) + 1, Candidate{});
    const std::size_t P = static_cast<std::size_t>(o_.population);
    std::vector<Candidate> pop;
    pop.reserve(P);
    // Ramped half-and-half initialisation (Koza 1992).
    for (std::size_t k = 0; k < P; ++k) {
      const int depth = 1 + static_cast<int>(k % static_cast<std::size_t>(o_.max_init_depth));
      pop.push_back(make(random_expression(depth, k % 2 == 0)));
    }
    SymbolicResult res;
    for (int g = 0; g < o_.generations; ++g) {
      std::vector<double> fit(P);
      for (std::size_t k = 0; k < P; ++k) fit[k] = fitness(pop[k]);
      std::vector<std::size_t> order(P);
      std::iota(order.begin(), order.end(), 0);
      std::stable_sort(order.begin(), order.end(),
                       [&](std::size_t a, std::size_t b) { return fit[a] < fit[b]; });
      std::vector<Candidate> next;
      next.reserve(P);
      const std::size_t elite = std::max<std::size_t>(
          1, static_cast<std::size_t>(o_.elite_fraction * static_cast<double>(P)));
      for (std::size_t k = 0; k < elite && k < P; ++k) next.push_back(pop[order[k]]);
      while (next.size() < P) {
        const Expr& a = pop[tournament(pop, fit)].expr;
        Expr child;
        if (rng_.uniform() < o_.crossover)
          child = crossover(a, pop[tournament(pop, fit)].expr);
        else
          child = mutate(a);
        if (complexity(child) > o_.max_complexity) child = a;
        next.push_back(make(std::move(child)));
      }
      if ((g + 1) % o_.migration_every == 0) {
        // The worst 5% replaced by hall-of-fame members.
        std::vector<const Candidate*> hof;
        for (const Candidate& c : hall_)
          if (!c.expr.empty()) hof.push_back(&c);
        std::vector<double> nf(P);
        for (std::size_t k = 0; k < P; ++k) nf[k] = fitness(next[k]);
        std::vector<std::size_t> worst(P);
        std::iota(worst.begin(), worst.end(), 0);
        std::stable_sort(worst.begin(), worst.end(),
                         [&](std::size_t a, std::size_t b) { return nf[a] > nf[b]; });
        for (std::size_t k = 0; k < P / 20 && !hof.empty(); ++k)
          next[worst[k]] = *hof[rng_.below(hof.size())];
      }
      pop = std::move(next);
      res.generations_done = g + 1;
      if (o_.max_seconds > 0 &&
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count() >
              o_.max_seconds)
        break;
    }
    double best = std::numeric_limits<double>::infinity();
    for (const Candidate& c : hall_)
      if (!c.expr.empty() && c.loss < best) {
        best = c.loss;
        res.pareto.push_back(c);
      }
    res.evaluations = g_evaluations;
    res.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return res;
  }

 private:
  const FitData& d_;
  const SymbolicOptions& o_;
  Rng rng_;
  std::vector<Op> unary_, binary_;
  int vars_ = 0;
  std::vector<Candidate> hall_;
};

}  // namespace

void FitData::validate(const std::string& what) const {
  if (y.empty()) throw std::invalid_argument(what + ": no points");
  if (sigma.size() != y.size())
    throw std::invalid_argument(what + ": " + std::to_string(sigma.size()) + " sigmas for " +
                                std::to_string(y.size()) + " points");
  for (const auto& c : x)
    if (c.size() != y.size())
      throw std::invalid_argument(what + ": an input column has " + std::to_string(c.size()) +
                                  " values for " + std::to_string(y.size()) + " points");
  for (std::size_t i = 0; i < y.size(); ++i) {
    bool ok = std::isfinite(y[i]) && std::isfinite(sigma[i]) && sigma[i] > 0;
    for (const auto& c : x) ok = ok && std::isfinite(c[i]);
    if (!ok)
      throw std::invalid_argument(what + ": point " + std::to_string(i) +
                                  " has a non-finite value or a sigma <= 0");
  }
}

double loss_of(const Expr& e, const FitData& d) {
  std::vector<double> f;
  if (!predict(e, d, &f)) return kInvalidLoss;
  return chi2_mean(f, d);
}

double optimize_constants(Expr* e, const FitData& d, int iterations) {
  std::vector<double> f;
  if (!predict(*e, d, &f)) return kInvalidLoss;
  double loss = chi2_mean(f, d);
  std::vector<std::size_t> idx;
  for (std::size_t k = 0; k < e->size(); ++k)
    if ((*e)[k].op == Op::kConst) idx.push_back(k);
  const std::size_t m = idx.size(), n = d.size();
  if (m == 0 || iterations <= 0 || loss >= kInvalidLoss) return loss;
  double lambda = 1e-3;
  std::vector<double> jac(n * m), fp, trial;
  bool fresh = false;
  for (int it = 0; it < iterations; ++it) {
    if (!fresh) {
      for (std::size_t j = 0; j < m; ++j) {
        double& c = (*e)[idx[j]].value;
        const double c0 = c, h = 1.5e-8 * std::max(std::abs(c0), 1.0);
        c = c0 + h;
        const bool ok = predict(*e, d, &fp);
        c = c0;
        for (std::size_t i = 0; i < n; ++i)
          jac[i * m + j] = ok ? (fp[i] - f[i]) / h / d.sigma[i] : 0.0;
      }
      fresh = true;
    }
    std::vector<double> a(m * m, 0.0), g(m, 0.0);
    for (std::size_t i = 0; i < n; ++i) {
      const double r = (f[i] - d.y[i]) / d.sigma[i];
      for (std::size_t p = 0; p < m; ++p) {
        g[p] -= jac[i * m + p] * r;
        for (std::size_t q = 0; q < m; ++q) a[p * m + q] += jac[i * m + p] * jac[i * m + q];
      }
    }
    for (std::size_t p = 0; p < m; ++p) a[p * m + p] += lambda * std::max(a[p * m + p], 1e-12);
    std::vector<double> step;
    bool accepted = false;
    if (solve(a, g, m, &step)) {
      std::vector<double> saved(m);
      for (std::size_t j = 0; j < m; ++j) {
        saved[j] = (*e)[idx[j]].value;
        (*e)[idx[j]].value += step[j];
      }
      if (predict(*e, d, &trial)) {
        const double l = chi2_mean(trial, d);
        if (l < loss) {
          accepted = true;
          const double gain = (loss - l) / loss;
          loss = l;
          f.swap(trial);
          fresh = false;
          lambda = std::max(lambda / 3, 1e-12);
          if (gain < 1e-10) break;  // converged
        }
      }
      if (!accepted)
        for (std::size_t j = 0; j < m; ++j) (*e)[idx[j]].value = saved[j];
    }
    if (!accepted) {
      lambda *= 4;
      if (lambda > 1e10) break;
    }
  }
  return loss;
}

void SymbolicOptions::validate() const {
  if (operators.empty()) throw std::invalid_argument("operators: empty (give e.g. +,-,*,/)");
  bool binary = false;
  for (Op op : operators) binary = binary || arity(op) == 2;
  if (!binary) throw std::invalid_argument("operators: needs at least one binary operator");
  require(population >= 10 && population <= 1000000, "population", population, "in [10, 1000000]");
  require(generations >= 1 && generations <= 1000000, "generations", generations,
          "in [1, 1000000]");
  require(max_complexity >= 3 && max_complexity <= 200, "max_complexity", max_complexity,
          "in [3, 200]");
  require(tournament >= 2 && tournament <= population, "tournament", tournament,
          "in [2, population]");
  require(crossover >= 0 && crossover <= 1, "crossover", crossover, "in [0, 1]");
  require(parsimony >= 0 && std::isfinite(parsimony), "parsimony", parsimony, ">= 0");
  require(const_iterations >= 0 && const_iterations <= 1000, "const_iterations", const_iterations,
          "in [0, 1000]");
  require(max_init_depth >= 1 && max_init_depth <= 10, "max_init_depth", max_init_depth,
          "in [1, 10]");
  require(elite_fraction >= 0 && elite_fraction < 1, "elite_fraction", elite_fraction, "in [0, 1)");
  require(migration_every >= 1, "migration_every", migration_every, ">= 1");
  require(max_seconds >= 0 && std::isfinite(max_seconds), "max_seconds", max_seconds, ">= 0 [s]");
}

SymbolicResult run_symbolic_regression(const FitData& d, const SymbolicOptions& o) {
  d.validate("symbolic regression data");
  o.validate();
  Search s(d, o);
  return s.run();
}

std::size_t choose_knee(const std::vector<Candidate>& front, double tolerance) {
  if (front.empty()) throw std::invalid_argument("choose_knee: empty Pareto front");
  require(tolerance >= 0 && std::isfinite(tolerance), "knee tolerance", tolerance, ">= 0");
  double best = front[0].loss;
  for (const Candidate& c : front) best = std::min(best, c.loss);
  for (std::size_t i = 0; i < front.size(); ++i)
    if (front[i].loss <= (1 + tolerance) * best) return i;
  return front.size() - 1;
}

std::size_t choose_bic(const std::vector<Candidate>& front, std::size_t n_points) {
  if (front.empty()) throw std::invalid_argument("choose_bic: empty Pareto front");
  if (n_points == 0) throw std::invalid_argument("choose_bic: no training points");
  const double n = static_cast<double>(n_points);
  std::size_t best = 0;
  double best_v = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < front.size(); ++i) {
    const double v =
        n * std::log(std::max(front[i].loss, 1e-300)) + 0.5 * std::log(n) * front[i].complexity;
    if (v < best_v) {
      best_v = v;
      best = i;
    }
  }
  return best;
}

std::size_t choose_pysr_best(const std::vector<Candidate>& front) {
  if (front.empty()) throw std::invalid_argument("choose_pysr_best: empty Pareto front");
  double lowest = front[0].loss;
  for (const Candidate& c : front) lowest = std::min(lowest, c.loss);
  std::size_t best = front.size() - 1;
  double best_score = -std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < front.size(); ++i)
    if (front[i].loss <= 1.5 * lowest && pysr_score(front, i) > best_score) {
      best_score = pysr_score(front, i);
      best = i;
    }
  return best;
}

double pysr_score(const std::vector<Candidate>& front, std::size_t i) {
  if (i == 0 || i >= front.size()) return 0;
  const double l0 = std::max(front[i - 1].loss, 1e-300), l1 = std::max(front[i].loss, 1e-300);
  return -(std::log(l1) - std::log(l0)) / (front[i].complexity - front[i - 1].complexity);
}

double Polynomial::operator()(double x) const {
  const double t = (x - shift) / scale;
  double s = 0;
  for (std::size_t k = coeffs.size(); k-- > 0;) s = s * t + coeffs[k];
  return s;
}

Polynomial fit_polynomial(const FitData& d, int degree) {
  d.validate("polynomial fit data");
  require(degree >= 0 && degree <= 12, "polynomial degree", degree, "in [0, 12]");
  if (d.x.empty()) throw std::invalid_argument("polynomial fit data: no input column");
  const std::size_t m = static_cast<std::size_t>(degree) + 1;
  if (d.size() < m)
    throw std::invalid_argument("polynomial fit: " + std::to_string(d.size()) +
                                " points for degree " + std::to_string(degree));
  const auto [lo, hi] = std::minmax_element(d.x[0].begin(), d.x[0].end());
  Polynomial p;
  p.shift = 0.5 * (*lo + *hi);
  p.scale = std::max(0.5 * (*hi - *lo), 1e-300);
  std::vector<double> a(m * m, 0.0), b(m, 0.0), pw(m);
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double t = (d.x[0][i] - p.shift) / p.scale, w = 1 / (d.sigma[i] * d.sigma[i]);
    pw[0] = 1;
    for (std::size_t k = 1; k < m; ++k) pw[k] = pw[k - 1] * t;
    for (std::size_t r = 0; r < m; ++r) {
      b[r] += w * pw[r] * d.y[i];
      for (std::size_t c = 0; c < m; ++c) a[r * m + c] += w * pw[r] * pw[c];
    }
  }
  if (!solve(a, b, m, &p.coeffs))
    throw std::invalid_argument("polynomial fit: singular normal equations (too few distinct x)");
  return p;
}

}  // namespace cosmograd::surveys::symbolic
