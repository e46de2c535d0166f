// `cosmograd discover inject|search|anomalies|map`: exploring a survey's stamps through their
// embeddings (a self-supervised encoder's, or standardised non-parametric measures as the
// classical baseline): rare objects injected into mock stamps, exact nearest-neighbour search
// scored against the truth classes, isolation-forest and kNN-distance anomaly scores scored by
// the share of injected objects among the top N (Lochner & Bassett 2021), and a
// self-organising map (Kohonen 1982) drawn as a mosaic of stamps.
#include <ATen/Parallel.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <iomanip>
#include <numeric>
#include <random>
#include <sstream>

#include "apps/discover.hpp"
#include "apps/mock_common.hpp"
#include "apps/options.hpp"
#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/log.hpp"
#include "sim/core/require.hpp"
#include "sim/core/settings.hpp"
#include "surveys/discovery/anomaly_detection.hpp"
#include "surveys/discovery/anomaly_injection.hpp"
#include "surveys/discovery/embeddings_file.hpp"
#include "surveys/discovery/neighbours.hpp"
#include "surveys/discovery/self_organising_map.hpp"
#include "surveys/discovery/stamp_mosaic.hpp"
#include "surveys/images/stamp_set.hpp"
#include "surveys/mocks/table.hpp"
#include "surveys/vision/classifier_metrics.hpp"
#include "surveys/vision/morphology_labels.hpp"

namespace cosmograd::apps {
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}

/// A `mock stamps` directory: stamps.h5 and the table "truth" of truth.h5.
struct StampDir {
  surveys::StampSet set;
  surveys::Table truth;
};

StampDir read_stamp_dir(const std::string& dir) {
  if (dir.empty()) sim::bad_setting("stamps", dir, "give the directory of a `mock stamps` set");
  StampDir d;
  d.set = surveys::read_stamp_set(dir + "/stamps.h5");
  for (surveys::Table& t : surveys::read_tables_hdf5(dir + "/truth.h5"))
    if (t.name == "truth") d.truth = std::move(t);
  if (d.truth.rows() != d.set.count())
    sim::bad_setting("stamps", dir,
                     "needs truth.h5 with a table 'truth' of one row per stamp (" +
                         std::to_string(d.set.count()) + ")");
  return d;
}

bool has_column(const surveys::Table& t, const std::string& name) {
  return std::any_of(t.columns.begin(), t.columns.end(),
                     [&](const surveys::Column& c) { return c.name == name; });
}

/// Adds the truth's labels the embeddings lack: "morphology" (from `arms`) and, when the truth
/// has it, "anomaly" (rows through e.index, which must be in range).
void add_truth_labels(surveys::Embeddings& e, const surveys::Table& truth) {
  const std::size_t n = e.count();
  if (has_column(truth, "arms") && e.labels.count("morphology") == 0) {
    const auto& arms = truth.column("arms").as<std::int32_t>();
    std::vector<std::int32_t> m(n);
    for (std::size_t i = 0; i < n; ++i)
      m[i] = static_cast<std::int32_t>(surveys::morphology_class(arms[e.index[i]]));
    e.labels["morphology"] = m;
    e.label_names["morphology"] = surveys::morphology_class_names();
  }
  if (has_column(truth, "anomaly") && e.labels.count("anomaly") == 0) {
    const auto& a = truth.column("anomaly").as<std::int32_t>();
    std::vector<std::int32_t> v(n);
    for (std::size_t i = 0; i < n; ++i) v[i] = a[e.index[i]];
    e.labels["anomaly"] = v;
    e.label_names["anomaly"] = surveys::anomaly_class_names();
  }
}

/// The classical baseline's embeddings: morphology_features of every stamp, each column
/// standardised over the set (mean 0, sd 1, ignoring NaN) and NaN set to 0 (the mean).
surveys::Embeddings features_embeddings(const StampDir& d, const std::string& dir) {
  std::vector<std::size_t> rows(d.set.count());
  std::iota(rows.begin(), rows.end(), 0);
  const torch::Tensor f = surveys::morphology_features(d.set, rows).to(torch::kDouble).contiguous();
  const std::size_t n = rows.size(), m = static_cast<std::size_t>(f.size(1));
  const double* p = f.data_ptr<double>();
  surveys::Embeddings e;
  e.dim = static_cast<std::int64_t>(m);
  e.values.assign(n * m, 0.0f);
  for (std::size_t j = 0; j < m; ++j) {
    double s = 0, s2 = 0;
    std::size_t c = 0;
    for (std::size_t i = 0; i < n; ++i)
      if (std::isfinite(p[i * m + j])) {
        s += p[i * m + j];
        s2 += p[i * m + j] * p[i * m + j];
        ++c;
      }
    const double mean = c > 0 ? s / c : 0, var = c > 1 ? (s2 - c * mean * mean) / (c - 1) : 0;
    const double sd = var > 0 ? std::sqrt(var) : 1.0;
    for (std::size_t i = 0; i < n; ++i)
      e.values[i * m + j] =
          std::isfinite(p[i * m + j]) ? static_cast<float>((p[i * m + j] - mean) / sd) : 0.0f;
  }
  e.index.resize(n);
  std::iota(e.index.begin(), e.index.end(), std::int64_t{0});
  e.source = dir + "/stamps.h5";
  std::string names;
  for (const std::string& s : surveys::morphology_feature_names())
    names += (names.empty() ? "" : " ") + s;
  e.model = "features: standardised non-parametric measures (" + names + ")";
  add_truth_labels(e, d.truth);
  return e;
}

/// The keys every exploring mode shares.
std::vector<sim::KeySpec> input_keys() {
  return {
      {"embeddings", "", "", "embeddings file (surveys/discovery/embeddings_file.hpp)"},
      {"features", "", "false",
       "true: use standardised non-parametric measures of --stamps instead (the classical "
       "baseline; written to embeddings_features.h5 in --out)"},
      {"stamps", "", "", "the `mock stamps` (or `discover inject`) directory of the rows"},
      {"standardise", "", "true", "z-score each embedding dimension before distances"},
      {"threads", "", "1", "torch threads (measures of --features)"},
      {"seed", "", "1", "random seed"},
  };
}

struct Inputs {
  surveys::Embeddings e;
  StampDir stamps;
  bool have_stamps = false;
  std::string what;      // a line for reports
  std::vector<float> x;  // the (standardised) values
};

Inputs read_inputs(const sim::Settings& s, bool need_stamps) {
  at::set_num_threads(static_cast<int>(std::max<std::int64_t>(1, s.get_int("threads"))));
  Inputs in;
  const std::string dir = s.get_string("stamps");
  const bool features = s.get_bool("features");
  if (features || need_stamps || !dir.empty()) {
    in.stamps = read_stamp_dir(dir);
    in.have_stamps = true;
  }
  if (features) {
    if (!s.get_string("embeddings").empty())
      sim::bad_setting("embeddings", s.get_string("embeddings"),
                       "give either --embeddings or --features true, not both");
    in.e = features_embeddings(in.stamps, dir);
    in.what = "features of " + dir + " (" + in.e.model + ")";
  } else {
    const std::string path = s.get_string("embeddings");
    if (path.empty())
      sim::bad_setting("embeddings", path, "give an embeddings file or --features true");
    in.e = surveys::read_embeddings(path);
    in.what = "embeddings " + path + " (model " + in.e.model + ", " + std::to_string(in.e.dim) +
              " dimensions)";
  }
  if (in.have_stamps)
    for (std::size_t i = 0; i < in.e.count(); ++i)
      if (in.e.index[i] < 0 || static_cast<std::size_t>(in.e.index[i]) >= in.stamps.set.count())
        sim::bad_setting("stamps", dir,
                         "has " + std::to_string(in.stamps.set.count()) +
                             " stamps but the embeddings' row " + std::to_string(i) +
                             " has index " + std::to_string(in.e.index[i]));
  // Labels the embeddings file lacks come from the truth of --stamps.
  if (in.have_stamps) add_truth_labels(in.e, in.stamps.truth);
  // Class names of the known labels when the file has none.
  if (in.e.labels.count("anomaly") && !in.e.label_names.count("anomaly"))
    in.e.label_names["anomaly"] = surveys::anomaly_class_names();
  if (in.e.labels.count("morphology") && !in.e.label_names.count("morphology"))
    in.e.label_names["morphology"] = surveys::morphology_class_names();
  in.x = in.e.values;
  if (s.get_bool("standardise"))
    surveys::standardise_columns(in.x, in.e.count(), static_cast<std::size_t>(in.e.dim));
  return in;
}

/// Writes embeddings_features.h5 when the inputs are features; returns the files written.
std::vector<std::string> save_features(const sim::Settings& s, const Inputs& in,
                                       const std::string& dir) {
  if (!s.get_bool("features")) return {};
  const std::string path = dir + "/embeddings_features.h5";
  surveys::write_embeddings(path, in.e);
  return {path};
}

std::string class_name(const surveys::Embeddings& e, const std::string& label, std::int32_t c) {
  const auto it = e.label_names.find(label);
  if (it != e.label_names.end() && c >= 0 && static_cast<std::size_t>(c) < it->second.size())
    return it->second[static_cast<std::size_t>(c)];
  return std::to_string(c);
}

sim::RGB kind_colour(std::int32_t k) {
  switch (k) {
    case 1:
      return {60, 140, 255};  // lens: blue
    case 2:
      return {255, 160, 0};  // merger: orange
    case 3:
      return {230, 30, 30};  // artefact: red
    default:
      return {0, 200, 0};
  }
}

}  // namespace

int discover_inject(const std::vector<std::string>& args) {
  const std::vector<sim::KeySpec> keys = {
      {"stamps", "", "", "a `mock stamps` directory (stamps.h5 with noiseless images, truth.h5)"},
      {"fraction_lens", "", "0.01", "share of stamps made galaxy-scale strong lenses"},
      {"fraction_merger", "", "0.01", "share of stamps given a merging second galaxy"},
      {"fraction_artefact", "", "0.01",
       "share of stamps given an artefact (cosmic rays, satellite trail, saturated star, hot "
       "column)"},
      {"seed", "", "7", "random seed (which stamps, every drawn parameter)"},
      {"overwrite", "", "false", "replace an earlier set in --out"},
      {"out", "", "injected", "output directory"},
  };
  const ParsedArgs parsed = parse_command(
      "discover inject",
      "usage: cosmograd discover inject --stamps DIR [--fraction_lens 0.01 ...] [--out DIR]", keys,
      args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string dir = s.get_string("stamps");
  StampDir d = read_stamp_dir(dir);
  if (has_column(d.truth, "anomaly"))
    sim::bad_setting("stamps", dir, "already has injected anomalies (truth column 'anomaly')");
  surveys::InjectionOptions o;
  o.fraction_lens = s.get_double("fraction_lens");
  o.fraction_merger = s.get_double("fraction_merger");
  o.fraction_artefact = s.get_double("fraction_artefact");
  o.seed = seed_setting(s);
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    sim::bad_setting("fraction_lens", s.get_string("fraction_lens"), e.what());
  }
  std::vector<std::int32_t> detail;
  const std::vector<std::int32_t> label = surveys::inject_anomalies(d.set, o, &detail);
  d.set.source +=
      "; anomalies injected by cosmograd discover inject (seed " + std::to_string(o.seed) + ")";
  d.truth.add("anomaly", "", "injected rare kind: 0 ordinary, 1 lens, 2 merger, 3 artefact", label)
      .add("artefact_kind", "",
           "artefact: 0 cosmic rays, 1 satellite trail, 2 saturated star, 3 hot column; -1 none",
           detail);
  d.truth.numeric_meta.push_back({"InjectSeed", static_cast<double>(o.seed)});

  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  const std::string odir = out.path();
  std::vector<std::string> files = {odir + "/stamps.h5"};
  surveys::write_stamp_set(files[0], d.set);
  for (const auto& f : write_mock_tables(odir + "/truth", {d.truth}, "hdf5")) files.push_back(f);
  // Examples: one row per kind, up to 8 stamps each.
  std::vector<std::vector<std::size_t>> rows(3);
  std::size_t counts[4] = {0, 0, 0, 0};
  for (std::size_t k = 0; k < label.size(); ++k) {
    ++counts[label[k]];
    if (label[k] > 0 && rows[label[k] - 1].size() < 8) rows[label[k] - 1].push_back(k);
  }
  rows.erase(std::remove_if(rows.begin(), rows.end(), [](const auto& r) { return r.empty(); }),
             rows.end());
  if (!rows.empty()) {
    surveys::write_stamp_rows_png(odir + "/inject_examples.png", d.set, rows, 3);
    files.push_back(odir + "/inject_examples.png");
  }
  std::ostringstream sum;
  sum << "# cosmograd discover inject\nstamps " << d.set.count() << "\nsource " << dir
      << "\nordinary " << counts[0] << "\nlens " << counts[1] << "\nmerger " << counts[2]
      << "\nartefact " << counts[3] << "\nseed " << o.seed << "\n";
  finish_mock_dir(out, files, sum.str(), s, "cosmograd discover inject");
  sim::log_info("discover inject: ", counts[1], " lenses, ", counts[2], " mergers, ", counts[3],
                " artefacts among ", d.set.count(), " stamps in ", odir);
  return 0;
}

int discover_search(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = input_keys();
  keys.push_back({"label", "", "morphology", "the embeddings' label scored (its classes)"});
  keys.push_back({"k", "", "10", "neighbours per query"});
  keys.push_back({"metric", "", "euclidean", "euclidean, or cosine (rows scaled to unit length)"});
  keys.push_back({"show", "", "2", "queries per class drawn in search.png (needs --stamps)"});
  keys.push_back({"overwrite", "", "false", "replace an earlier result in --out"});
  keys.push_back({"out", "", "search", "output directory"});
  const ParsedArgs parsed = parse_command(
      "discover search",
      "usage: cosmograd discover search --embeddings E.h5 | --features true --stamps DIR "
      "[--label morphology --k 10] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::string metric = s.get_string("metric");
  if (metric != "euclidean" && metric != "cosine")
    sim::bad_setting("metric", metric, "allowed: euclidean, cosine");
  const std::int64_t k = s.get_int("k");
  Inputs in = read_inputs(s, false);
  const std::size_t n = in.e.count(), dim = static_cast<std::size_t>(in.e.dim);
  if (k < 1 || static_cast<std::size_t>(k) >= n)
    sim::bad_setting("k", s.get_string("k"), "allowed 1 <= k < N = " + std::to_string(n));
  const std::string label = s.get_string("label");
  std::vector<std::int32_t> cls;
  try {
    cls = in.e.label(label);
  } catch (const std::invalid_argument& e) {
    sim::bad_setting("label", label, e.what());
  }
  if (metric == "cosine") surveys::normalise_rows(in.x, n, dim);
  const auto t0 = Clock::now();
  const surveys::NeighbourTable t =
      surveys::nearest_neighbours(in.x, n, dim, static_cast<std::size_t>(k));
  const double wall = seconds_since(t0);
  std::ostringstream md, csv;
  md << std::setprecision(4);
  md << "# discover search: nearest neighbours\n\ninput: " << in.what << "\nobjects " << n
     << ", label " << label << ", k " << k << ", metric " << metric
     << (s.get_bool("standardise") ? " on z-scored dimensions" : "") << ", exact brute force ("
     << wall << " s)\n\nprecision@k: the mean share of a query's k nearest neighbours in its "
     << "class; hit rate@k: the share of queries with at least one of the k in its class; "
     << "chance: random neighbours (sum p_c^2 and sum p_c (1 - (1 - p_c)^k) of the class "
     << "shares p_c).\n\n";
  csv << "label,k,scope,queries,precision_at_k,chance_precision,hit_rate_at_k,chance_hit_rate\n";
  md << "| k | queries | precision@k | chance | hit rate@k | chance |\n|---|---|---|---|---|---|\n";
  std::vector<std::size_t> ks = {1, 5, static_cast<std::size_t>(k)};
  ks.erase(std::remove_if(ks.begin(), ks.end(),
                          [&](std::size_t q) { return q > static_cast<std::size_t>(k); }),
           ks.end());
  std::sort(ks.begin(), ks.end());
  ks.erase(std::unique(ks.begin(), ks.end()), ks.end());
  surveys::RetrievalScores at_k;
  for (std::size_t q : ks) {
    const surveys::RetrievalScores r = surveys::retrieval_scores(t, cls, q);
    md << "| " << q << " | " << r.queries << " | " << r.precision << " | " << r.chance_precision
       << " | " << r.hit_rate << " | " << r.chance_hit_rate << " |\n";
    csv << label << "," << q << ",all," << r.queries << "," << r.precision << ","
        << r.chance_precision << "," << r.hit_rate << "," << r.chance_hit_rate << "\n";
    if (q == static_cast<std::size_t>(k)) at_k = r;
  }
  md << "\n| class | queries | share p_c | precision@" << k << " |\n|---|---|---|---|\n";
  for (std::size_t c = 0; c < at_k.class_count.size(); ++c) {
    if (at_k.class_count[c] == 0) continue;
    const double pc = double(at_k.class_count[c]) / at_k.queries;
    md << "| " << class_name(in.e, label, static_cast<std::int32_t>(c)) << " | "
       << at_k.class_count[c] << " | " << pc << " | " << at_k.class_precision[c] << " |\n";
    csv << label << "," << k << ",class_" << class_name(in.e, label, static_cast<std::int32_t>(c))
        << "," << at_k.class_count[c] << "," << at_k.class_precision[c] << "," << pc << ",,\n";
  }
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  std::vector<std::string> files = save_features(s, in, out.path());
  if (in.have_stamps) {
    // Queries: the first `show` objects of each class in a seeded order; each row the query
    // (white frame) then its neighbours, green framed in the query's class, red otherwise.
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), 0);
    std::mt19937_64 rng(seed_setting(s));
    std::shuffle(order.begin(), order.end(), rng);
    const std::size_t show = static_cast<std::size_t>(std::max<std::int64_t>(0, s.get_int("show")));
    std::vector<std::vector<std::size_t>> rows;
    std::vector<std::vector<sim::RGB>> colours;
    std::vector<std::vector<bool>> framed;
    for (std::size_t c = 0; c < at_k.class_count.size(); ++c) {
      std::size_t shown = 0;
      for (std::size_t i : order) {
        if (shown >= show) break;
        if (cls[i] != static_cast<std::int32_t>(c)) continue;
        std::vector<std::size_t> r = {static_cast<std::size_t>(in.e.index[i])};
        std::vector<sim::RGB> col = {{255, 255, 255}};
        for (std::int64_t q = 0; q < k; ++q) {
          const std::size_t j =
              t.index[i * static_cast<std::size_t>(k) + static_cast<std::size_t>(q)];
          r.push_back(static_cast<std::size_t>(in.e.index[j]));
          col.push_back(cls[j] == cls[i] ? sim::RGB{0, 200, 0} : sim::RGB{230, 30, 30});
        }
        rows.push_back(r);
        colours.push_back(col);
        framed.emplace_back(r.size(), true);
        ++shown;
      }
    }
    if (!rows.empty()) {
      const std::string png = out.path() + "/search.png";
      surveys::write_stamp_rows_png(png, in.stamps.set, rows, 2, colours, framed);
      files.push_back(png);
      md << "\nsearch.png: " << show << " queries per class (rows in class order:";
      for (std::size_t c = 0; c < at_k.class_count.size(); ++c)
        if (at_k.class_count[c] > 0)
          md << " " << class_name(in.e, label, static_cast<std::int32_t>(c));
      md << "), the query first (white frame), then its " << k
         << " nearest neighbours, nearest first: green frame same class, red another.\n";
    }
  }
  const std::string mdp = out.path() + "/search.md", csvp = out.path() + "/search.csv";
  sim::write_file_atomic(mdp, md.str());
  sim::write_file_atomic(csvp, csv.str());
  files.push_back(mdp);
  files.push_back(csvp);
  finish_mock_dir(out, files, md.str(), s, "cosmograd discover search");
  std::printf("%s", md.str().c_str());
  return 0;
}

int discover_anomalies(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = input_keys();
  keys.push_back({"label", "", "anomaly", "the embeddings' label of the rare objects (> 0 rare)"});
  keys.push_back({"top", "", "50,100,200", "top-N sizes scored, comma-separated"});
  keys.push_back({"trees", "", "100", "isolation forest: trees"});
  keys.push_back({"subsample", "", "256", "isolation forest: points per tree"});
  keys.push_back({"k", "", "10", "kNN distance: neighbours averaged"});
  keys.push_back({"show", "", "32", "top-ranked stamps drawn per method in anomalies.png"});
  keys.push_back({"overwrite", "", "false", "replace an earlier result in --out"});
  keys.push_back({"out", "", "anomalies", "output directory"});
  const ParsedArgs parsed = parse_command(
      "discover anomalies",
      "usage: cosmograd discover anomalies --embeddings E.h5 | --features true --stamps DIR "
      "[--label anomaly --top 50,100,200] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  const std::vector<int64_t> tops = int_list(s, "top");
  surveys::IsolationForestOptions fo;
  fo.trees = static_cast<int>(s.get_int("trees"));
  fo.subsample = static_cast<int>(s.get_int("subsample"));
  fo.seed = seed_setting(s);
  try {
    fo.validate();
  } catch (const std::invalid_argument& e) {
    sim::bad_setting("trees", s.get_string("trees") + "/" + s.get_string("subsample"), e.what());
  }
  const std::int64_t k = s.get_int("k");
  Inputs in = read_inputs(s, false);
  const std::size_t n = in.e.count(), dim = static_cast<std::size_t>(in.e.dim);
  if (k < 1 || static_cast<std::size_t>(k) >= n)
    sim::bad_setting("k", s.get_string("k"), "allowed 1 <= k < N = " + std::to_string(n));
  const std::string label = s.get_string("label");
  std::vector<std::int32_t> lab;
  try {
    lab = in.e.label(label);
  } catch (const std::invalid_argument& e) {
    sim::bad_setting("label", label, e.what());
  }
  std::int32_t kinds = 0;
  std::size_t rare = 0, known = 0;
  for (std::int32_t l : lab) {
    kinds = std::max(kinds, l);
    rare += l > 0;
    known += l >= 0;
  }
  if (rare == 0)
    sim::bad_setting("label", label, "has no rare objects (no label > 0) among the embeddings");
  struct Method {
    std::string id;  // the csv's method column
    std::string name;
    std::vector<double> score;
    double wall = 0;
  };
  std::vector<Method> methods;
  auto t0 = Clock::now();
  methods.push_back({"isolation_forest",
                     "isolation forest (" + std::to_string(fo.trees) + " trees, psi " +
                         std::to_string(fo.subsample) + ")",
                     surveys::isolation_forest_scores(in.x, n, dim, fo), 0});
  methods.back().wall = seconds_since(t0);
  t0 = Clock::now();
  methods.push_back({"knn_distance", "kNN distance (k " + std::to_string(k) + ")",
                     surveys::knn_distance_scores(in.x, n, dim, static_cast<std::size_t>(k)), 0});
  methods.back().wall = seconds_since(t0);

  const double base = double(rare) / n;
  std::ostringstream md, csv;
  md << std::setprecision(4);
  md << "# discover anomalies\n\ninput: " << in.what << "\nobjects " << n << ", rare (" << label
     << " > 0) " << rare << ": base rate " << base << "\n";
  for (std::int32_t c = 1; c <= kinds; ++c) {
    const auto nc = std::count(lab.begin(), lab.end(), c);
    md << "  " << class_name(in.e, label, c) << ": " << nc << " (base rate " << double(nc) / n
       << ")\n";
  }
  md << "\nshare: the fraction of rare objects among the N highest scores; ratio: share / base "
     << "rate (target >= 5); AUROC of the score for rare vs ordinary.\n\n";
  md << "| method | top N | rare in top N | share | base rate | ratio |";
  for (std::int32_t c = 1; c <= kinds; ++c) md << " " << class_name(in.e, label, c) << " ratio |";
  md << "\n|---|---|---|---|---|---|";
  for (std::int32_t c = 1; c <= kinds; ++c) md << "---|";
  md << "\n";
  csv << "method,top_n,share,base_rate,ratio";
  for (std::int32_t c = 1; c <= kinds; ++c) csv << ",ratio_" << class_name(in.e, label, c);
  csv << ",auroc,wall_s\n";
  std::vector<bool> is_rare(n);
  for (std::size_t i = 0; i < n; ++i) is_rare[i] = lab[i] > 0;
  std::vector<std::vector<std::size_t>> orders;
  std::vector<double> aucs;
  for (const Method& m : methods) {
    const std::vector<std::size_t> order = surveys::rank_descending(m.score);
    orders.push_back(order);
    const double auc = rare < n ? surveys::auroc(m.score, is_rare) : NAN;
    aucs.push_back(auc);
    for (std::int64_t top : tops) {
      const std::size_t N = std::min<std::size_t>(static_cast<std::size_t>(top), n);
      const double share = surveys::top_n_share(order, lab, N);
      md << "| " << m.name << " | " << N << " | " << std::llround(share * N) << " | " << share
         << " | " << base << " | " << share / base << " |";
      csv << m.id << "," << N << "," << share << "," << base << "," << share / base;
      for (std::int32_t c = 1; c <= kinds; ++c) {
        const double bc = double(std::count(lab.begin(), lab.end(), c)) / n;
        const double sc = surveys::top_n_share(order, lab, N, c);
        md << " " << (bc > 0 ? sc / bc : NAN) << " |";
        csv << "," << (bc > 0 ? sc / bc : NAN);
      }
      md << "\n";
      csv << "," << auc << "," << m.wall << "\n";
    }
  }
  md << "\n| method | AUROC (rare vs ordinary) | wall time [s] |\n|---|---|---|\n";
  for (std::size_t i = 0; i < methods.size(); ++i)
    md << "| " << methods[i].name << " | " << aucs[i] << " | " << methods[i].wall << " |\n";
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  std::vector<std::string> files = save_features(s, in, out.path());
  {
    std::ostringstream sc;
    sc << std::setprecision(6) << "row,index," << label << ",iforest_score,knn_distance\n";
    for (std::size_t i = 0; i < n; ++i)
      sc << i << "," << in.e.index[i] << "," << lab[i] << "," << methods[0].score[i] << ","
         << methods[1].score[i] << "\n";
    const std::string p = out.path() + "/scores.csv";
    sim::write_file_atomic(p, sc.str());
    files.push_back(p);
  }
  if (in.have_stamps) {
    const std::size_t show = static_cast<std::size_t>(std::max<std::int64_t>(1, s.get_int("show")));
    const std::size_t per_row = 16;
    std::vector<std::vector<std::size_t>> rows;
    std::vector<std::vector<sim::RGB>> colours;
    std::vector<std::vector<bool>> framed;
    for (const auto& order : orders)
      for (std::size_t a = 0; a < std::min(show, n); a += per_row) {
        std::vector<std::size_t> r;
        std::vector<sim::RGB> col;
        std::vector<bool> fr;
        for (std::size_t j = a; j < std::min({a + per_row, show, n}); ++j) {
          r.push_back(static_cast<std::size_t>(in.e.index[order[j]]));
          col.push_back(kind_colour(lab[order[j]]));
          fr.push_back(lab[order[j]] > 0);
        }
        rows.push_back(r);
        colours.push_back(col);
        framed.push_back(fr);
      }
    const std::string png = out.path() + "/anomalies.png";
    surveys::write_stamp_rows_png(png, in.stamps.set, rows, 2, colours, framed);
    files.push_back(png);
    md << "\nanomalies.png: the " << show << " highest-scored stamps of each method ("
       << (show + per_row - 1) / per_row << " rows isolation forest, then as many kNN distance), "
       << "highest first; frames: blue lens, orange merger, red artefact, none ordinary.\n";
  }
  const std::string mdp = out.path() + "/anomalies.md", csvp = out.path() + "/anomalies.csv";
  sim::write_file_atomic(mdp, md.str());
  sim::write_file_atomic(csvp, csv.str());
  files.push_back(mdp);
  files.push_back(csvp);
  finish_mock_dir(out, files, md.str(), s, "cosmograd discover anomalies");
  std::printf("%s", md.str().c_str());
  return 0;
}

int discover_map(const std::vector<std::string>& args) {
  std::vector<sim::KeySpec> keys = input_keys();
  keys.push_back({"width", "cells", "12", "map width W"});
  keys.push_back({"height", "cells", "12", "map height H"});
  keys.push_back({"epochs", "", "10", "passes over the embeddings"});
  keys.push_back({"rate_start", "", "0.5", "learning rate at the start (decays exponentially)"});
  keys.push_back({"rate_end", "", "0.01", "learning rate at the end"});
  keys.push_back({"sigma_start", "cells", "0", "neighbourhood width at the start (0: max(W,H)/2)"});
  keys.push_back({"sigma_end", "cells", "0.5", "neighbourhood width at the end"});
  keys.push_back({"label", "", "anomaly",
                  "label whose rare objects (> 0) get coloured frames; "
                  "ignored when absent"});
  keys.push_back({"zoom", "", "2", "screen pixels per stamp pixel in map.png"});
  keys.push_back({"overwrite", "", "false", "replace an earlier result in --out"});
  keys.push_back({"out", "", "map", "output directory"});
  const ParsedArgs parsed = parse_command(
      "discover map",
      "usage: cosmograd discover map --embeddings E.h5 | --features true --stamps DIR "
      "[--width 12 --height 12] [--out DIR]",
      keys, args);
  if (parsed.help) return 0;
  const sim::Settings& s = parsed.settings;
  surveys::SomOptions o;
  o.width = static_cast<int>(s.get_int("width"));
  o.height = static_cast<int>(s.get_int("height"));
  o.epochs = static_cast<int>(s.get_int("epochs"));
  o.rate_start = s.get_double("rate_start");
  o.rate_end = s.get_double("rate_end");
  o.sigma_start = s.get_double("sigma_start");
  o.sigma_end = s.get_double("sigma_end");
  o.seed = seed_setting(s);
  try {
    o.validate();
  } catch (const std::invalid_argument& e) {
    sim::bad_setting("width/height/epochs/rate/sigma", "", e.what());
  }
  const int zoom = static_cast<int>(s.get_int("zoom"));
  if (zoom < 1 || zoom > 8) sim::bad_setting("zoom", s.get_string("zoom"), "allowed 1-8");
  Inputs in = read_inputs(s, true);
  const std::size_t n = in.e.count(), dim = static_cast<std::size_t>(in.e.dim);
  auto t0 = Clock::now();
  const surveys::SelfOrganisingMap som = surveys::train_som(in.x, n, dim, o);
  const double wall = seconds_since(t0);
  const double qe = som.quantisation_error(in.x, n), te = som.topographic_error(in.x, n);
  const std::size_t cells = static_cast<std::size_t>(o.width) * o.height;
  std::vector<std::size_t> hits(cells, 0), nearest(cells, 0);
  std::vector<double> best(cells, INFINITY);
  for (std::size_t i = 0; i < n; ++i) ++hits[som.best_cell(&in.x[i * dim])];
  for (std::size_t c = 0; c < cells; ++c)
    for (std::size_t i = 0; i < n; ++i) {
      double d2 = 0;
      for (std::size_t j = 0; j < dim; ++j) {
        const double v = in.x[i * dim + j] - som.prototypes[c * dim + j];
        d2 += v * v;
      }
      if (d2 < best[c]) {
        best[c] = d2;
        nearest[c] = i;
      }
    }
  const bool have_label = in.e.labels.count(s.get_string("label")) > 0;
  const std::vector<std::int32_t>* lab = have_label ? &in.e.label(s.get_string("label")) : nullptr;
  // The mosaic: cell (x, y) drawn with y = 0 at the top.
  const int sz = in.stamps.set.size * zoom, gap = 1;
  sim::Image img(o.width * (sz + gap) + gap, o.height * (sz + gap) + gap, sim::RGB{40, 40, 40});
  std::size_t framed_cells = 0;
  for (int y = 0; y < o.height; ++y)
    for (int x = 0; x < o.width; ++x) {
      const std::size_t c = static_cast<std::size_t>(y) * o.width + x;
      const int ox = gap + x * (sz + gap), oy = gap + y * (sz + gap);
      surveys::draw_stamp(img, in.stamps.set, static_cast<std::size_t>(in.e.index[nearest[c]]), ox,
                          oy, zoom);
      if (lab != nullptr && (*lab)[nearest[c]] > 0) {
        surveys::draw_frame(img, ox, oy, sz, 1, kind_colour((*lab)[nearest[c]]));
        ++framed_cells;
      }
    }
  std::ostringstream md, csv;
  md << std::setprecision(4);
  md << "# discover map: self-organising map\n\ninput: " << in.what << "\nobjects " << n << ", map "
     << o.width << " x " << o.height << ", " << o.epochs << " epochs, learning rate "
     << o.rate_start << " -> " << o.rate_end << ", neighbourhood sigma "
     << (o.sigma_start > 0 ? o.sigma_start : 0.5 * std::max(o.width, o.height)) << " -> "
     << o.sigma_end << " cells, seed " << o.seed << " (" << wall << " s)\n\n"
     << "| quantity | value |\n|---|---|\n"
     << "| quantisation error (mean distance to the best prototype, z-scored units) | " << qe
     << " |\n| topographic error (best and second-best cells not adjacent) | " << te
     << " |\n| empty cells | " << std::count(hits.begin(), hits.end(), 0) << " of " << cells
     << " |\n";
  if (lab != nullptr)
    md << "| cells drawn with a rare object (" << s.get_string("label") << " > 0) | "
       << framed_cells << " |\n";
  md << "\nmap.png: each cell drawn as the stamp whose embedding is nearest its prototype "
     << "(asinh greyscale)";
  if (lab != nullptr) md << "; frames: blue lens, orange merger, red artefact";
  md << ".\n";
  csv << "cell,x,y,objects,nearest_row,nearest_index\n";
  for (std::size_t c = 0; c < cells; ++c)
    csv << c << "," << c % o.width << "," << c / o.width << "," << hits[c] << "," << nearest[c]
        << "," << in.e.index[nearest[c]] << "\n";
  const driver::OutputDir out(s.get_string("out"), s.get_bool("overwrite"));
  std::vector<std::string> files = save_features(s, in, out.path());
  const std::string png = out.path() + "/map.png", mdp = out.path() + "/map.md",
                    csvp = out.path() + "/map_cells.csv";
  sim::write_png(png, img);
  sim::write_file_atomic(mdp, md.str());
  sim::write_file_atomic(csvp, csv.str());
  files.insert(files.end(), {png, mdp, csvp});
  finish_mock_dir(out, files, md.str(), s, "cosmograd discover map");
  std::printf("%s", md.str().c_str());
  return 0;
}

}  // namespace cosmograd::apps
