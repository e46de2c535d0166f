// `cosmograd discover symbolic`: symbolic regression by genetic programming
// (surveys/discovery/symbolic_regression.hpp; Schmidt & Lipson 2009; Cranmer 2023, PySR) on
// mock data it is not told the law of (the Sersic b_n of Ciotti & Bertin 1999, the HOD
// satellite occupation of Zheng et al. 2007 drawn by the project's HOD) or on a user's CSV
// file: the Pareto front of complexity against loss, the chosen expression, its test against
// the true law, and a cubic least-squares polynomial on the same points as the baseline, on
// held-out points and beyond the training range.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <functional>
#include <iomanip>
#include <sstream>

#include "apps/discover.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/settings.hpp"
#include "surveys/discovery/symbolic_data.hpp"
#include "surveys/discovery/symbolic_regression.hpp"
#include "surveys/mocks/hod.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {
namespace {

namespace sr = surveys::symbolic;
using Fn = std::function<double(double)>;

/// chi^2 / N of f on d and the rms relative deviation of f from `truth` (or, without a truth,
/// from the data) at the points of d.
struct Scores {
  double chi2 = std::nan("");
  double rel = std::nan("");
};
Scores score(const Fn& f, const sr::FitData& d, const Fn& truth) {
  Scores s;
  if (d.size() == 0) return s;
  double c = 0, r = 0;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const double x = d.x[0][i], v = f(x);
    const double ref = truth ? truth(x) : d.y[i];
    c += std::pow((v - d.y[i]) / d.sigma[i], 2);
    r += std::pow((v - ref) / ref, 2);
  }
  const double n = static_cast<double>(d.size());
  s.chi2 = c / n;
  s.rel = std::sqrt(r / n);
  return s;
}

std::string num(double v, int precision = 4) {
  if (!std::isfinite(v)) return "-";
  std::ostringstream o;
  o << std::setprecision(precision) << v;
  return o.str();
}

/// Points of a FitData as a plot series.
viz::Series points(const std::string& label, const sr::FitData& d, viz::Marker marker, int color) {
  viz::Series s;
  s.label = label;
  if (!d.x.empty()) s.x = d.x[0];
  s.y = d.y;
  for (std::size_t i = 0; i < d.size(); ++i) {
    s.y_lo.push_back(d.y[i] - d.sigma[i]);
    s.y_hi.push_back(d.y[i] + d.sigma[i]);
  }
  s.line = viz::LineStyle::none;
  s.marker = marker;
  s.marker_size = 0.6;
  s.color = viz::tab10(color);
  return s;
}

viz::Series curve(const std::string& label, const std::vector<double>& x, const Fn& f,
                  viz::LineStyle style, sim::RGB color) {
  viz::Series s;
  s.label = label;
  s.x = x;
  for (double v : x) s.y.push_back(f(v));
  s.line = style;
  s.color = color;
  return s;
}

}  // namespace

int discover_symbolic(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"dataset", "", "sersic_bn", "mock data set: sersic_bn or hod_nsat (ignored with --data)"},
      {"data", "", "", "a CSV file x,y[,sigma] to fit instead of a mock (header line allowed)"},
      {"points", "", "200", "sersic_bn: points in the training range (20% held out)"},
      {"extrapolation_points", "", "50", "sersic_bn: points beyond n_max"},
      {"noise", "", "0.002", "sersic_bn: relative Gaussian noise of b_n"},
      {"n_min", "", "0.5", "sersic_bn: smallest Sersic n"},
      {"n_max", "", "6", "sersic_bn: largest n of the training range"},
      {"n_extrapolate", "", "10", "sersic_bn: largest n of the extrapolation range"},
      {"hod", "", "zheng07_mr20", "hod_nsat: Zheng et al. 2007 parameter set (the mock's default)"},
      {"halos", "", "100000", "hod_nsat: halos drawn (log-uniform in mass)"},
      {"bins", "", "40", "hod_nsat: mass bins in the training range"},
      {"extrapolation_bins", "", "16", "hod_nsat: bins of the same width beyond log_m_max"},
      {"log_m_min", "log10 Msun/h", "12", "hod_nsat: smallest halo mass"},
      {"log_m_max", "log10 Msun/h", "14.5", "hod_nsat: largest mass of the training range"},
      {"log_m_extrapolate", "log10 Msun/h", "15.5", "hod_nsat: largest extrapolation mass"},
      {"mass_unit", "Msun/h", "1e13", "hod_nsat: the variable is x = M / mass_unit"},
      {"holdout_fraction", "", "0.2", "fraction of the in-range points held out"},
      {"operators", "", "+,-,*,/,pow,sqrt,log,exp",
       "operators (+ - * / pow square cube sqrt log exp inv neg)"},
      {"population", "", "500", "candidates per generation"},
      {"generations", "", "100", "generations"},
      {"max_complexity", "", "20", "largest expression (nodes)"},
      {"tournament", "", "5", "tournament size"},
      {"crossover", "", "0.4", "probability of crossover (else mutation)"},
      {"parsimony", "", "0.03", "fitness = ln(chi2/N) + parsimony x complexity"},
      {"const_iterations", "", "8", "Levenberg-Marquardt steps on the constants per candidate"},
      {"select", "", "bic",
       "choice from the Pareto front: bic (min N ln loss + complexity ln N / 2), knee (simplest "
       "with loss <= (1 + knee_tolerance) x the lowest) or pysr (PySR's best score)"},
      {"knee_tolerance", "", "0.1", "select knee: loss tolerance"},
      {"poly_degree", "", "3", "degree of the least-squares polynomial baseline"},
      {"max_seconds", "s", "0", "stop the search after this wall time (0: none)"},
      {"seed", "", "1", "random seed (data and search)"},
      {"overwrite", "", "false", "replace an earlier result in --out"},
      {"out", "", "discover_symbolic", "output directory (symbolic.md, pareto.csv, fit.png)"},
  };
  const ParsedArgs parsed = parse_command(
      "discover symbolic",
      "usage: cosmograd discover symbolic [--dataset sersic_bn|hod_nsat | --data FILE.csv] "
      "[--key value ...] [--out DIR]\n"
      "Genetic-programming symbolic regression on mock data whose law it is not told; writes\n"
      "symbolic.md (Pareto front, chosen expression, errors against a polynomial, timing),\n"
      "pareto.csv, data.csv, fit.png and residuals.png",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::uint64_t seed = seed_setting(s);
  const std::string data_path = s.get_string("data");
  const std::string which = data_path.empty() ? s.get_string("dataset") : "csv";
  if (which != "sersic_bn" && which != "hod_nsat" && which != "csv")
    sim::bad_setting("dataset", which, "is not a data set (allowed: sersic_bn, hod_nsat)");
  const std::string select = s.get_string("select");
  if (select != "bic" && select != "knee" && select != "pysr")
    sim::bad_setting("select", select, "is not a rule (allowed: bic, knee, pysr)");
  sr::SymbolicOptions o;
  o.operators = sr::parse_operators(s.get_string("operators"), "operators");
  o.population = static_cast<int>(s.get_int("population"));
  o.generations = static_cast<int>(s.get_int("generations"));
  o.max_complexity = static_cast<int>(s.get_int("max_complexity"));
  o.tournament = static_cast<int>(s.get_int("tournament"));
  o.crossover = s.get_double("crossover");
  o.parsimony = s.get_double("parsimony");
  o.const_iterations = static_cast<int>(s.get_int("const_iterations"));
  o.max_seconds = s.get_double("max_seconds");
  o.seed = seed;
  o.validate();
  const int degree = static_cast<int>(s.get_int("poly_degree"));
  if (degree < 0 || degree > 12)
    sim::bad_setting("poly_degree", s.get_string("poly_degree"), "is not in [0, 12]");
  const double knee_tol = s.get_double("knee_tolerance");
  if (!(knee_tol >= 0)) sim::bad_setting("knee_tolerance", s.get_string("knee_tolerance"), "< 0");
  const double holdout = s.get_double("holdout_fraction");

  // The data.
  const auto t_data = std::chrono::steady_clock::now();
  sr::SymbolicDataset d;
  double alpha = 0;
  if (which == "sersic_bn") {
    sr::SersicBnOptions so;
    so.points = static_cast<int>(s.get_int("points"));
    so.extrapolation_points = static_cast<int>(s.get_int("extrapolation_points"));
    so.noise = s.get_double("noise");
    so.n_min = s.get_double("n_min");
    so.n_max = s.get_double("n_max");
    so.n_extrapolate = s.get_double("n_extrapolate");
    so.holdout_fraction = holdout;
    so.seed = seed;
    d = sr::sersic_bn_dataset(so);
  } else if (which == "hod_nsat") {
    sr::HodNsatOptions ho;
    ho.params = surveys::hod_preset(s.get_string("hod"));
    ho.halos = s.get_int("halos");
    ho.bins = static_cast<int>(s.get_int("bins"));
    ho.extrapolation_bins = static_cast<int>(s.get_int("extrapolation_bins"));
    ho.log_m_min = s.get_double("log_m_min");
    ho.log_m_max = s.get_double("log_m_max");
    ho.log_m_extrapolate = s.get_double("log_m_extrapolate");
    ho.mass_unit = s.get_double("mass_unit");
    ho.holdout_fraction = holdout;
    ho.seed = seed;
    d = sr::hod_nsat_dataset(ho);
    alpha = ho.params.alpha;
  } else {
    d = sr::csv_dataset(data_path, holdout, seed);
  }
  const double data_seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_data).count();
  if (d.train.size() < static_cast<std::size_t>(degree) + 1)
    sim::bad_setting("poly_degree", s.get_string("poly_degree"),
                     "needs more training points than " + std::to_string(d.train.size()));

  // The search and the baseline.
  const sr::SymbolicResult r = sr::run_symbolic_regression(d.train, o);
  if (r.pareto.empty())
    throw std::runtime_error("discover symbolic: no valid expression was found");
  const std::size_t pick = select == "bic"    ? sr::choose_bic(r.pareto, d.train.size())
                           : select == "knee" ? sr::choose_knee(r.pareto, knee_tol)
                                              : sr::choose_pysr_best(r.pareto);
  const sr::Expr chosen = sr::simplify(r.pareto[pick].expr);
  const std::vector<std::string> names = {d.x_name};
  const std::string chosen_text = sr::to_string(chosen, names, 5);
  const sr::Polynomial poly = sr::fit_polynomial(d.train, degree);
  const Fn f_expr = [&](double x) { return sr::evaluate_at(chosen, {x}); };
  const Fn f_poly = [&](double x) { return poly(x); };
  sr::LawCheck law;
  if (which == "sersic_bn") law = sr::check_sersic_law(chosen);
  if (which == "hod_nsat") law = sr::check_hod_law(chosen, alpha);
  // Which front members pass the law test (for the table).
  std::vector<int> front_pass(r.pareto.size(), -1);
  if (which != "csv")
    for (std::size_t i = 0; i < r.pareto.size(); ++i) {
      const sr::Expr e = sr::simplify(r.pareto[i].expr);
      front_pass[i] = which == "sersic_bn" ? sr::check_sersic_law(e).passed
                                           : sr::check_hod_law(e, alpha).passed;
    }

  // Report.
  std::ostringstream md;
  const std::string title = which == "sersic_bn"  ? "Sersic b_n(n)"
                            : which == "hod_nsat" ? "HOD <N_sat>(M)"
                                                  : "user data " + data_path;
  md << "## Symbolic regression: " << title << "\n\n"
     << "Data: " << d.description << " Synthetic (the project's own mock): the search is not "
     << "told the law.\n\n";
  if (!d.truth_text.empty()) md << "True relation: " << d.truth_text << ".\n\n";
  md << "Search: genetic programming over expression trees (written here, PySR-style): "
     << "population " << o.population << ", " << r.generations_done << " generations, operators "
     << sr::operators_string(o.operators) << ", complexity <= " << o.max_complexity
     << " nodes, tournament " << o.tournament << ", crossover " << o.crossover
     << ", fitness ln(chi2/N) + " << o.parsimony << " x complexity, " << o.const_iterations
     << " Levenberg-Marquardt steps on the constants of every new candidate, seed " << seed
     << "; loss = chi2/N = mean(((y - f)/sigma)^2) on the " << d.train.size()
     << " training points. Wall time " << num(r.seconds, 3) << " s on one core (" << r.evaluations
     << " expression evaluations); data " << num(data_seconds, 3) << " s.\n\n";
  md << "### Pareto front (complexity against training loss)\n\n"
     << "| complexity | train chi2/N | held-out chi2/N | PySR score | law test | expression |\n"
     << "|---|---|---|---|---|---|\n";
  for (std::size_t i = 0; i < r.pareto.size(); ++i) {
    const sr::Expr e = sr::simplify(r.pareto[i].expr);
    const Fn f = [&](double x) { return sr::evaluate_at(e, {x}); };
    md << "| " << r.pareto[i].complexity << " | " << num(r.pareto[i].loss) << " | "
       << num(score(f, d.holdout, d.truth).chi2) << " | " << num(sr::pysr_score(r.pareto, i), 3)
       << " | "
       << (front_pass[i] < 0 ? "-"
           : front_pass[i]   ? "pass"
                             : "fail")
       << " | `" << sr::to_string(e, names, 5) << "`" << (i == pick ? " (chosen)" : "") << " |\n";
  }
  const std::string rule =
      select == "bic" ? "the front member minimising N ln(chi2/N) + complexity ln(N) / 2 "
                        "(BIC with each node half a parameter), N = training points"
      : select == "knee"
          ? "the simplest front member with loss <= (1 + " + num(knee_tol) + ") x the lowest"
          : "PySR's best: the highest score -d ln(loss)/d complexity among "
            "members with loss <= 1.5 x the lowest";
  md << "\nChosen (" << rule << "): `" << chosen_text << "` (complexity "
     << r.pareto[pick].complexity << ").\n\n";
  if (!law.text.empty())
    md << "Law test: " << law.text << ".\n\n"
       << "RESULT: the chosen expression " << (law.passed ? "recovers" : "does NOT recover")
       << " the law.\n\n";
  const Scores e_tr = score(f_expr, d.train, d.truth), e_ho = score(f_expr, d.holdout, d.truth),
               e_ex = score(f_expr, d.extrapolation, d.truth);
  const Scores p_tr = score(f_poly, d.train, d.truth), p_ho = score(f_poly, d.holdout, d.truth),
               p_ex = score(f_poly, d.extrapolation, d.truth);
  const std::string rel = d.truth ? "rms rel. dev. from truth" : "rms rel. dev. from data";
  md << "### Chosen expression against a degree-" << degree
     << " least-squares polynomial (same weighted points)\n\n"
     << "| method | constants | train chi2/N | held-out chi2/N | held-out " << rel
     << " | extrapolation chi2/N | extrapolation " << rel << " |\n|---|---|---|---|---|---|---|\n"
     << "| symbolic `" << chosen_text << "` | " << sr::constant_count(chosen) << " | "
     << num(e_tr.chi2) << " | " << num(e_ho.chi2) << " | " << num(e_ho.rel, 3) << " | "
     << num(e_ex.chi2) << " | " << num(e_ex.rel, 3) << " |\n"
     << "| polynomial degree " << degree << " | " << degree + 1 << " | " << num(p_tr.chi2) << " | "
     << num(p_ho.chi2) << " | " << num(p_ho.rel, 3) << " | " << num(p_ex.chi2) << " | "
     << num(p_ex.rel, 3) << " |\n\n"
     << "Held out: " << d.holdout.size()
     << " points in the training range; extrapolation: " << d.extrapolation.size()
     << " points beyond it ('-' when none). chi2/N is against the "
     << "noisy points (about 1 for a model at the noise level).\n";

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string md_path = out.path() + "/symbolic.md", csv_path = out.path() + "/pareto.csv",
                    data_csv = out.path() + "/data.csv", png = out.path() + "/fit.png",
                    png_res = out.path() + "/residuals.png";
  md << "\nFiles: pareto.csv (the front), data.csv (the points and their split), fit.png"
     << (d.truth ? ", residuals.png" : "") << ".\n";
  sim::write_file_atomic(md_path, md.str());
  {
    std::ostringstream c;
    c << std::setprecision(10) << "complexity,train_loss,holdout_loss,chosen,law_test,expression\n";
    for (std::size_t i = 0; i < r.pareto.size(); ++i) {
      const sr::Expr e = sr::simplify(r.pareto[i].expr);
      const Fn f = [&](double x) { return sr::evaluate_at(e, {x}); };
      c << r.pareto[i].complexity << "," << r.pareto[i].loss << ","
        << score(f, d.holdout, d.truth).chi2 << "," << (i == pick) << "," << front_pass[i] << ",\""
        << sr::to_string(e, names, 10) << "\"\n";
    }
    sim::write_file_atomic(csv_path, c.str());
    std::ostringstream dc;
    dc << std::setprecision(10) << "x,y,sigma,part\n";
    const auto rows = [&](const sr::FitData& f, const char* part) {
      for (std::size_t i = 0; i < f.size(); ++i)
        dc << f.x[0][i] << "," << f.y[i] << "," << f.sigma[i] << "," << part << "\n";
    };
    rows(d.train, "train");
    rows(d.holdout, "holdout");
    rows(d.extrapolation, "extrapolation");
    sim::write_file_atomic(data_csv, dc.str());
  }
  // Pictures: the points, the truth, the expression and the polynomial.
  double lo = *std::min_element(d.train.x[0].begin(), d.train.x[0].end()), hi = lo;
  for (const sr::FitData* f : {&d.train, &d.holdout, &d.extrapolation})
    if (f->size() > 0) {
      lo = std::min(lo, *std::min_element(f->x[0].begin(), f->x[0].end()));
      hi = std::max(hi, *std::max_element(f->x[0].begin(), f->x[0].end()));
    }
  std::vector<double> grid;
  for (int i = 0; i < 400; ++i) {
    const double t = i / 399.0;
    grid.push_back(d.log_axes && lo > 0 ? lo * std::pow(hi / lo, t) : lo + (hi - lo) * t);
  }
  viz::PlotSpec spec;
  spec.title = "Symbolic regression: " + title;
  spec.xlabel = d.x_label;
  spec.ylabel = d.y_label;
  spec.logx = spec.logy = d.log_axes;
  spec.series.push_back(points("training", d.train, viz::Marker::circle, 0));
  spec.series.push_back(points("held out", d.holdout, viz::Marker::open_circle, 1));
  if (d.extrapolation.size() > 0)
    spec.series.push_back(points("extrapolation", d.extrapolation, viz::Marker::square, 2));
  if (d.truth)
    spec.series.push_back(curve("truth", grid, d.truth, viz::LineStyle::dashed, sim::RGB{0, 0, 0}));
  spec.series.push_back(
      curve("symbolic: " + chosen_text, grid, f_expr, viz::LineStyle::solid, viz::tab10(3)));
  spec.series.push_back(curve("polynomial degree " + std::to_string(degree), grid, f_poly,
                              viz::LineStyle::dotted, viz::tab10(4)));
  spec.legend = viz::LegendPosition::upper_left;
  viz::write_plot_png(png, spec);
  std::vector<std::string> files = {md_path, csv_path, data_csv, png};
  if (d.truth) {
    viz::PlotSpec rs;
    rs.title = "Relative deviation from the true law: " + title;
    rs.xlabel = d.x_label;
    rs.ylabel = "model / truth - 1 [%]";
    rs.logx = d.log_axes;
    const Fn truth = d.truth;
    const auto rel_pts = [&](const std::string& label, const sr::FitData& f, viz::Marker m,
                             int color) {
      viz::Series p = points(label, f, m, color);
      for (std::size_t i = 0; i < f.size(); ++i) {
        const double t = truth(f.x[0][i]);
        p.y[i] = 100 * (f.y[i] / t - 1);
        p.y_lo[i] = 100 * ((f.y[i] - f.sigma[i]) / t - 1);
        p.y_hi[i] = 100 * ((f.y[i] + f.sigma[i]) / t - 1);
      }
      return p;
    };
    rs.series.push_back(rel_pts("training", d.train, viz::Marker::circle, 0));
    rs.series.push_back(rel_pts("held out", d.holdout, viz::Marker::open_circle, 1));
    if (d.extrapolation.size() > 0)
      rs.series.push_back(rel_pts("extrapolation", d.extrapolation, viz::Marker::square, 2));
    rs.series.push_back(curve(
        "symbolic", grid, [&](double x) { return 100 * (f_expr(x) / truth(x) - 1); },
        viz::LineStyle::solid, viz::tab10(3)));
    rs.series.push_back(curve(
        "polynomial", grid, [&](double x) { return 100 * (f_poly(x) / truth(x) - 1); },
        viz::LineStyle::dotted, viz::tab10(4)));
    // The interesting range: a few noise sigmas.
    double span = 0;
    for (std::size_t i = 0; i < d.train.size(); ++i)
      span = std::max(span, 4 * d.train.sigma[i] / std::abs(d.train.y[i]));
    span = std::min(std::max(span, 0.02), 1.0);
    rs.yrange = viz::AxisRange{-100 * span, 100 * span};
    rs.legend = viz::LegendPosition::upper_left;
    viz::write_plot_png(png_res, rs);
    files.push_back(png_res);
  }
  std::ostringstream sum;
  sum << "# cosmograd discover symbolic\ndataset " << which << "\nchosen " << chosen_text
      << "\nlaw_test "
      << (law.text.empty() ? "none"
          : law.passed     ? "pass"
                           : "fail")
      << "\nholdout_chi2 " << e_ho.chi2 << "\npolynomial_holdout_chi2 " << p_ho.chi2
      << "\nextrapolation_rel " << e_ex.rel << "\npolynomial_extrapolation_rel " << p_ex.rel
      << "\nseconds " << r.seconds << "\n";
  finish_mock_dir(out, files, sum.str(), s, "cosmograd discover symbolic");
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace cosmograd::apps
