// `cosmograd reconstruct evaluate`: RIM-T, Adam-10, Adam-100, L-BFGS-400 and annealed Adam on
// held-out data sets, r(k) and T(k) against the truth, wall times; a Markdown table and a plot.
#include <torch/torch.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <stdexcept>

#include "apps/emulate_common.hpp"
#include "apps/options.hpp"
#include "apps/reconstruct_common.hpp"
#include "nn/train/model_file.hpp"
#include "sim/core/atomic_file.hpp"
#include "viz/plot.hpp"

namespace cosmograd::apps {

namespace {

/// One method's results over the data sets.
struct MethodResult {
  MethodSpec spec;
  std::vector<double> k, r, t;   // mean over the data sets, per bin
  std::vector<double> seconds;   // per data set
  std::vector<int> evaluations;  // per data set
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n == 0 ? 0.0 : n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

/// Indices of the bins nearest to the fractions f k_Nyq (each at most once, ascending).
std::vector<std::size_t> column_bins(const std::vector<double>& k, double k_nyq) {
  std::vector<std::size_t> idx;
  for (const double f : {0.1, 0.2, 0.3, 0.4, 0.5, 0.75, 1.0}) {
    std::size_t best = 0;
    for (std::size_t i = 0; i < k.size(); ++i) {
      if (std::abs(k[i] - f * k_nyq) < std::abs(k[best] - f * k_nyq)) best = i;
    }
    if (idx.empty() || best > idx.back()) idx.push_back(best);
  }
  return idx;
}

std::string fmt(const char* f, double v) {
  char buf[64];
  std::snprintf(buf, sizeof buf, f, v);
  return buf;
}

}  // namespace

int reconstruct_evaluate(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"data", "", "", "held-out data sets, comma-separated DIR/data.h5 (one problem)"},
      {"model", "", "", "the trained RIM (empty: no RIM row)"},
      {"learning_rate", "", "0.1", "Adam step size in white-noise units"},
      {"lbfgs_iterations", "", "400", "L-BFGS iterations"},
      {"anneal", "Mpc/h", "",
       "smoothing radii of annealed Adam (empty: 4, 2, 1, 0.5, 0 data cells)"},
      {"anneal_iterations", "", "100", "annealed Adam: iterations over all stages"},
      {"title", "", "", "heading of the report section"},
      {"threads", "", "0", "threads (0: all)"},
      {"out", "", "reconstruction.md", "Markdown report; the plot goes to <out without .md>.png"}};
  const ParsedArgs parsed = parse_command(
      "reconstruct evaluate",
      "usage: cosmograd reconstruct evaluate --data D1/data.h5,D2/data.h5 [--model rim.cgm] "
      "[--key value ...] --out REPORT.md",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::vector<std::string> paths = sim::split_list(s.get_string("data"));
  if (paths.empty()) sim::bad_setting("data", "''", "names no data set");
  const int threads = reconstruction_threads(s);
  std::vector<DataSet> sets;
  for (const std::string& p : paths) {
    sets.push_back(read_data_set(p));
    if (!sets.back().truth) throw std::runtime_error(p + ": no truth_white_noise.h5 to compare to");
    const sim::SimSpec& a = sets.front().problem.spec;
    const sim::SimSpec& b = sets.back().problem.spec;
    if (a.particles != b.particles || a.box_size != b.box_size) {
      sim::bad_setting("data", p, "is not the same problem as " + paths.front());
    }
  }
  const Problem& problem = sets.front().problem;
  const double cell = problem.spec.box_size / problem.model.mesh;
  std::vector<double> anneal = s.get_doubles("anneal");
  if (anneal.empty()) anneal = {4 * cell, 2 * cell, cell, 0.5 * cell, 0.0};
  const double lr = s.get_double("learning_rate");
  std::vector<MethodSpec> methods;
  const auto add = [&](const std::string& method, int its, const std::vector<double>& radii,
                       const std::string& path, const std::string& label) {
    MethodSpec m;
    m.method = method;
    m.iterations = its;
    m.learning_rate = lr;
    m.anneal = radii;
    m.model_path = path;
    m.label = label;
    methods.push_back(m);
  };
  const std::string model = s.get_string("model");
  if (!model.empty()) {
    const int t = static_cast<int>(nn::read_model_header(model).get_int("rim_iterations"));
    add("rim", t, {}, model, "RIM-" + std::to_string(t));
  }
  add("adam", 10, {}, "", "Adam-10");
  add("adam", 100, {}, "", "Adam-100");
  const int lbfgs = count_setting(s, "lbfgs_iterations");
  add("lbfgs", lbfgs, {}, "", "L-BFGS-" + std::to_string(lbfgs));
  const int anneal_its = count_setting(s, "anneal_iterations");
  add("adam", anneal_its, anneal, "", "annealed Adam-" + std::to_string(anneal_its));

  std::vector<MethodResult> results;
  for (const MethodSpec& m : methods) {
    MethodResult mr;
    mr.spec = m;
    for (const DataSet& d : sets) {
      const Reconstruction r = reconstruct(d, m, threads, false);
      const inference::TransferComparison c = compare_to_truth(d, r.white_noise, threads);
      if (mr.k.empty()) {
        mr.k = c.k;
        mr.r.assign(c.k.size(), 0.0);
        mr.t.assign(c.k.size(), 0.0);
      }
      for (std::size_t i = 0; i < c.k.size(); ++i) {
        mr.r[i] += c.r[i] / static_cast<double>(sets.size());
        mr.t[i] += c.transfer[i] / static_cast<double>(sets.size());
      }
      mr.seconds.push_back(r.seconds);
      mr.evaluations.push_back(r.evaluations);
      std::printf("reconstruct evaluate: %-22s %s: %.2f s, %d evaluations\n", m.label.c_str(),
                  d.path.c_str(), r.seconds, r.evaluations);
    }
    results.push_back(std::move(mr));
  }

  const int n = problem.spec.particles;
  const double k_nyq = M_PI * n / problem.spec.box_size;
  const std::vector<double>& k = results.front().k;
  const std::vector<std::size_t> cols = column_bins(k, k_nyq);
  std::ostringstream md;
  const std::string title = s.get_string("title");
  md << "### " << (title.empty() ? "Reconstruction" : title) << "\n\n";
  md << "Problem: " << n << "^3 particles, " << problem.spec.mesh << "^3 force mesh, "
     << problem.spec.box_size << " Mpc/h, " << problem.spec.steps
     << " PM steps from a = " << problem.spec.a_init << "; "
     << inference::tracer_name(problem.model.tracer) << " data on " << problem.model.mesh
     << "^3, noise power " << problem.model.noise_power << " (Mpc/h)^3"
     << (problem.model.rsd_axis >= 0 ? ", redshift space" : "")
     << (problem.model.mask.empty() ? "" : ", slab mask") << ". " << sets.size()
     << " held-out data sets (r and T averaged over them; wall time the median). k_Nyq = "
     << fmt("%.3f", k_nyq) << " h/Mpc.\n\n";
  md << "| method | wall time [s] | evaluations |";
  for (std::size_t c : cols) md << " r(" << fmt("%.3f", k[c]) << ") |";
  for (std::size_t c : cols) md << " T(" << fmt("%.3f", k[c]) << ") |";
  md << "\n|---|---|---|";
  for (std::size_t i = 0; i < 2 * cols.size(); ++i) md << "---|";
  md << "\n";
  for (const MethodResult& mr : results) {
    std::vector<double> ev(mr.evaluations.begin(), mr.evaluations.end());
    md << "| " << mr.spec.label << " | " << fmt("%.2f", median(mr.seconds)) << " | "
       << fmt("%.0f", median(ev)) << " |";
    for (std::size_t c : cols) md << " " << fmt("%.3f", mr.r[c]) << " |";
    for (std::size_t c : cols) md << " " << fmt("%.3f", mr.t[c]) << " |";
    md << "\n";
  }
  // The criterion: RIM above L-BFGS at every k <= k_Nyq / 2, in <= 1/10 of its time.
  if (!model.empty()) {
    const MethodResult& rim = results.front();
    const MethodResult* lb = nullptr;
    for (const MethodResult& mr : results) {
      if (mr.spec.method == "lbfgs") lb = &mr;
    }
    double worst = 1e300;
    double worst_k = 0;
    for (std::size_t i = 0; i < k.size() && k[i] <= 0.5 * k_nyq * (1 + 1e-9); ++i) {
      if (rim.r[i] - lb->r[i] < worst) worst = rim.r[i] - lb->r[i], worst_k = k[i];
    }
    const double ratio = median(rim.seconds) / median(lb->seconds);
    md << "\n"
       << rim.spec.label << " vs " << lb->spec.label << ": smallest r difference up to "
       << "k_Nyq/2 = " << fmt("%+.3f", worst) << " (at k = " << fmt("%.3f", worst_k) << " h/Mpc; "
       << (worst > 0 ? "higher at every k" : "not higher at every k") << "); wall-time ratio "
       << fmt("%.3f", ratio) << " (" << (ratio <= 0.1 ? "within" : "over") << " 1/10).\n";
  }
  md << "\n" << machine_line(threads);
  const std::string out = s.get_string("out");
  sim::write_file_atomic(out, md.str());

  viz::PlotSpec plot;
  plot.title =
      (title.empty() ? std::string("Reconstruction") : title) + ": r(k) solid, T(k) dashed";
  plot.xlabel = "k [h/Mpc]";
  plot.ylabel = "r(k), T(k)";
  plot.yrange = viz::AxisRange{0.0, 1.2};
  for (std::size_t i = 0; i < results.size(); ++i) {
    viz::Series r;
    r.label = results[i].spec.label;
    r.x = k;
    r.y = results[i].r;
    r.color = viz::tab10(static_cast<int>(i));
    viz::Series t = r;
    t.label = "";
    t.y = results[i].t;
    t.line = viz::LineStyle::dashed;
    plot.series.push_back(r);
    plot.series.push_back(t);
  }
  const std::string stem =
      out.size() > 3 && out.substr(out.size() - 3) == ".md" ? out.substr(0, out.size() - 3) : out;
  viz::write_plot_png(stem + ".png", plot);
  std::fputs(md.str().c_str(), stdout);
  std::printf("reconstruct evaluate: wrote %s and %s.png\n", out.c_str(), stem.c_str());
  return 0;
}

}  // namespace cosmograd::apps
