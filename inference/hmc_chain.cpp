// One HMC chain with checkpoints (see hmc_chain.hpp).
#include "inference/hmc_chain.hpp"

#include <chrono>
#include <filesystem>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::inference {

using namespace sim::detail;  // the HDF5 helpers

namespace {

constexpr hsize_t kTransitionColumns = 9;

std::vector<double> transition_row(const HmcTransition& t) {
  return {static_cast<double>(t.iteration),
          t.warmup ? 1.0 : 0.0,
          t.log_density,
          t.accept_stat,
          t.step_size,
          static_cast<double>(t.leapfrog_steps),
          static_cast<double>(t.tree_depth),
          t.divergent ? 1.0 : 0.0,
          t.energy};
}

HmcTransition transition_of(const double* r) {
  HmcTransition t;
  t.iteration = static_cast<int>(r[0]);
  t.warmup = r[1] != 0;
  t.log_density = r[2];
  t.accept_stat = r[3];
  t.step_size = r[4];
  t.leapfrog_steps = static_cast<int>(r[5]);
  t.tree_depth = static_cast<int>(r[6]);
  t.divergent = r[7] != 0;
  t.energy = r[8];
  return t;
}

// The first line where two identities differ, for the refusal message.
std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t i = 0, line = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    if (a[i] == '\n') line = i + 1;
    ++i;
  }
  const auto line_at = [&](const std::string& s) {
    const std::size_t end = s.find('\n', line);
    return s.substr(line, end == std::string::npos ? std::string::npos : end - line);
  };
  return "'" + line_at(a) + "' against '" + line_at(b) + "'";
}

}  // namespace

void write_chain_checkpoint(const std::string& path, const ChainRun& run,
                            const std::string& identity) {
  sim::AtomicWrite write(path);
  {
    H5Id f = h5_create_file(write.temp_path());
    const hid_t g = f.get();
    const HmcState& s = run.state;
    const hid_t dbl = h5_file_float_type<double>();
    h5_write_string_attribute(g, "identity", identity, path);
    h5_write_attribute(g, "iteration", s.iteration, path);
    h5_write_attribute(g, "da_count", s.da_count, path);
    h5_write_attribute(g, "window_count", s.window_count, path);
    h5_write_attribute(g, "kept", run.kept, path);
    h5_write_attribute(g, "seconds", run.seconds, path);
    h5_write_attribute(g, "gradient_evaluations", s.gradient_evaluations, path);
    h5_write_attribute(
        g, "scalars",
        std::vector<double>{s.log_density, s.step_size, s.da_mu, s.da_log_step_bar, s.da_h_bar},
        path);
    h5_write_dataset(g, "q", dbl, s.q, 0, path);
    h5_write_dataset(g, "grad", dbl, s.grad, 0, path);
    h5_write_dataset(g, "inv_mass", dbl, s.inv_mass, 0, path);
    h5_write_dataset(g, "window_mean", dbl, s.window_mean, 0, path);
    h5_write_dataset(g, "window_m2", dbl, s.window_m2, 0, path);
    h5_write_dataset(g, "field_mean", dbl, run.field_mean, 0, path);
    h5_write_dataset(g, "field_m2", dbl, run.field_m2, 0, path);
    std::vector<double> rows;
    for (const HmcTransition& t : run.transitions) {
      const std::vector<double> r = transition_row(t);
      rows.insert(rows.end(), r.begin(), r.end());
    }
    h5_write_dataset(g, "transitions", dbl, rows, kTransitionColumns, path);
    const std::size_t nq = run.quantities.empty() ? 0 : run.quantities.front().size();
    std::vector<double> qs;
    for (const auto& q : run.quantities) qs.insert(qs.end(), q.begin(), q.end());
    h5_write_attribute(g, "quantities_per_iteration", static_cast<int>(nq), path);
    h5_write_dataset(g, "quantities", dbl, qs, 0, path);
    f.close("H5Fclose", path);
  }
  write.commit();
}

ChainRun read_chain_checkpoint(const std::string& path, const std::string& identity) {
  H5Id f = h5_open_file(path);
  const hid_t g = f.get();
  const std::string saved = h5_read_string_attribute(g, "identity", path);
  if (saved != identity) {
    throw std::invalid_argument(path + " belongs to another run (" +
                                first_difference(saved, identity) +
                                "); use another out directory or the original keys");
  }
  ChainRun run;
  HmcState& s = run.state;
  s.iteration = h5_read_scalar_attribute<int>(g, "iteration", path);
  s.da_count = h5_read_scalar_attribute<int>(g, "da_count", path);
  s.window_count = h5_read_scalar_attribute<int>(g, "window_count", path);
  run.kept = h5_read_scalar_attribute<int>(g, "kept", path);
  run.seconds = h5_read_scalar_attribute<double>(g, "seconds", path);
  s.gradient_evaluations = h5_read_scalar_attribute<std::int64_t>(g, "gradient_evaluations", path);
  const std::vector<double> sc = h5_read_attribute<double>(g, "scalars", 5, path);
  s.log_density = sc[0];
  s.step_size = sc[1];
  s.da_mu = sc[2];
  s.da_log_step_bar = sc[3];
  s.da_h_bar = sc[4];
  s.q = h5_read_doubles(g, "q", path);
  s.grad = h5_read_doubles(g, "grad", path);
  s.inv_mass = h5_read_doubles(g, "inv_mass", path);
  s.window_mean = h5_read_doubles(g, "window_mean", path);
  s.window_m2 = h5_read_doubles(g, "window_m2", path);
  run.field_mean = h5_read_doubles(g, "field_mean", path);
  run.field_m2 = h5_read_doubles(g, "field_m2", path);
  const std::vector<double> rows = h5_read_doubles(g, "transitions", path);
  const std::size_t n = rows.size() / kTransitionColumns;
  if (n != static_cast<std::size_t>(s.iteration)) {
    throw std::runtime_error(path + ": " + std::to_string(n) + " transitions for iteration " +
                             std::to_string(s.iteration));
  }
  for (std::size_t i = 0; i < n; ++i) {
    run.transitions.push_back(transition_of(rows.data() + i * kTransitionColumns));
  }
  const int nq = h5_read_scalar_attribute<int>(g, "quantities_per_iteration", path);
  const std::vector<double> qs = h5_read_doubles(g, "quantities", path);
  if (qs.size() != n * static_cast<std::size_t>(nq)) {
    throw std::runtime_error(path + ": the recorded quantities do not fit the iterations");
  }
  for (std::size_t i = 0; i < n; ++i) {
    run.quantities.emplace_back(qs.begin() + static_cast<std::ptrdiff_t>(i * nq),
                                qs.begin() + static_cast<std::ptrdiff_t>((i + 1) * nq));
  }
  return run;
}

ChainRun run_chain(const GradLogDensity& target, const std::vector<double>& q0,
                   const HmcOptions& hmc, const ChainObserver& observe,
                   const ChainOptions& options) {
  if (options.checkpoint_every < 1) {
    throw std::invalid_argument("checkpoint_every = " + std::to_string(options.checkpoint_every) +
                                " must be >= 1");
  }
  const bool resume = !options.checkpoint.empty() && std::filesystem::exists(options.checkpoint);
  ChainRun run;
  std::unique_ptr<HmcSampler> sampler;
  if (resume) {
    run = read_chain_checkpoint(options.checkpoint, options.identity);
    sampler = std::make_unique<HmcSampler>(target, run.state, hmc);
  } else {
    sampler = std::make_unique<HmcSampler>(target, q0, hmc);
  }
  const auto start = std::chrono::steady_clock::now();
  const double earlier = run.seconds;
  while (!sampler->done()) {
    const HmcTransition t = sampler->iterate();
    const std::vector<double>& q = sampler->state().q;
    if (!t.warmup) {
      ++run.kept;
      if (options.field_values) {
        const std::vector<double> v = options.field_values(q);
        if (run.field_mean.empty()) {
          run.field_mean.assign(v.size(), 0.0);
          run.field_m2.assign(v.size(), 0.0);
        }
        if (v.size() != run.field_mean.size()) {
          throw std::invalid_argument("chain: the accumulated field changed size");
        }
        for (std::size_t i = 0; i < v.size(); ++i) {
          const double d = v[i] - run.field_mean[i];
          run.field_mean[i] += d / run.kept;
          run.field_m2[i] += d * (v[i] - run.field_mean[i]);
        }
      }
    }
    run.transitions.push_back(t);
    run.quantities.push_back(observe ? observe(q) : std::vector<double>{});
    run.state = sampler->state();
    run.seconds =
        earlier + std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (options.on_iteration) options.on_iteration(t, run);
    if (!options.checkpoint.empty() &&
        (run.state.iteration % options.checkpoint_every == 0 || sampler->done())) {
      write_chain_checkpoint(options.checkpoint, run, options.identity);
    }
  }
  run.state = sampler->state();
  return run;
}

}  // namespace cosmograd::inference
