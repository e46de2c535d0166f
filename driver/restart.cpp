#include "driver/restart.hpp"

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <csignal>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iomanip>
#include <sstream>
#include <stdexcept>

#include "driver/output_dir.hpp"
#include "sim/core/atomic_file.hpp"
#include "sim/core/check.hpp"
#include "sim/core/interrupt.hpp"
#include "sim/core/log.hpp"
#include "sim/core/settings.hpp"
#include "sim/core/timer.hpp"

namespace cosmograd::driver {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[8] = {'C', 'G', 'R', 'S', 'T', 'R', 'T', '1'};
constexpr std::uint32_t kVersion = 1;
constexpr const char* kInfoName = "RESTART.txt";

/// The fixed header of a rank file (72 bytes, little-endian as written on x86-64 and arm64).
struct RankHeader {
  char magic[8];
  std::uint32_t version;
  std::uint32_t scalar_bytes;  // 4 or 8
  std::uint32_t rank, ranks;
  std::uint32_t step;
  std::int32_t n_side;
  double box_size;  // [Mpc/h]
  double a;
  std::uint64_t config_hash;
  std::uint64_t count;     // particles in this file
  std::uint64_t checksum;  // payload_checksum() of ids, disp, mom
};
static_assert(sizeof(RankHeader) == 72, "RankHeader must have no padding");

/// Bytes per particle in a rank file.
std::uint64_t particle_bytes(std::uint32_t scalar_bytes) { return 8 + 6ull * scalar_bytes; }

/// A 64-bit checksum of `n` bytes, eight at a time (corruption, not attacks, is the threat).
std::uint64_t checksum_bytes(const void* data, std::size_t n, std::uint64_t h) {
  const unsigned char* p = static_cast<const unsigned char*>(data);
  std::size_t i = 0;
  for (; i + 8 <= n; i += 8) {
    std::uint64_t w;
    std::memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x9e3779b97f4a7c15ull;
    h ^= h >> 29;
  }
  for (; i < n; ++i) h = (h ^ p[i]) * 0x100000001b3ull;
  return h;
}

template <class T>
std::uint64_t payload_checksum(const sim::Particles<T>& p) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  h = checksum_bytes(p.id.data(), p.id.size() * sizeof(std::uint64_t), h);
  h = checksum_bytes(p.disp.data(), p.disp.size() * sizeof(T), h);
  return checksum_bytes(p.mom.data(), p.mom.size() * sizeof(T), h);
}

/// ".rank_RRRR.bin", the end of every restart file of `rank`.
std::string rank_suffix(int rank) {
  std::ostringstream os;
  os << ".rank_" << std::setw(4) << std::setfill('0') << rank << ".bin";
  return os.str();
}

/// DIR/restart/step_SSSSSS.rank_RRRR.bin.
std::string rank_file(const std::string& output_dir, int step, int rank) {
  std::ostringstream os;
  os << "step_" << std::setw(6) << std::setfill('0') << step << rank_suffix(rank);
  return (fs::path(restart_dir(output_dir)) / os.str()).string();
}

std::string hex(std::uint64_t v) {
  std::ostringstream os;
  os << std::hex << std::setw(16) << std::setfill('0') << v;
  return os.str();
}

/// Throws std::invalid_argument "<file>: <problem>".
[[noreturn]] void bad_file(const std::string& file, const std::string& problem) {
  throw std::invalid_argument(file + ": " + problem);
}

/// The next line of `in` that is not a comment, split at " = "; false at the end.
bool next_entry(std::istream& in, std::string& key, std::string& value) {
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::size_t eq = line.find(" = ");
    key = eq == std::string::npos ? line : line.substr(0, eq);
    value = eq == std::string::npos ? "" : line.substr(eq + 3);
    return true;
  }
  return false;
}

/// `text` as an integer in [lo, hi], else bad_file naming `key`.
long long info_int(const std::string& file, const std::string& key, const std::string& text,
                   long long lo, long long hi) {
  std::size_t used = 0;
  long long v = 0;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != text.size() || v < lo || v > hi) {
    bad_file(file, key + " = '" + text + "' is not an integer in [" + std::to_string(lo) + ", " +
                       std::to_string(hi) + "]");
  }
  return v;
}

}  // namespace

const std::vector<std::string>& resume_overridable_keys() {
  static const std::vector<std::string> keys = {"threads", "progress", "restart_every",
                                                "log_level"};
  return keys;
}

std::string restart_config_text(const std::string& settings_ini) {
  std::istringstream in(settings_ini);
  std::ostringstream out;
  std::string key, value;
  const auto& free = resume_overridable_keys();
  while (next_entry(in, key, value)) {
    if (key == "output_dir" || key == "overwrite") continue;
    if (std::find(free.begin(), free.end(), key) != free.end()) continue;
    out << key << " = " << value << "\n";
  }
  return out.str();
}

std::uint64_t fnv1a64(const std::string& text) {
  std::uint64_t h = 0xcbf29ce484222325ull;
  for (unsigned char c : text) h = (h ^ c) * 0x100000001b3ull;
  return h;
}

std::string restart_dir(const std::string& output_dir) {
  return (fs::path(output_dir) / kRestartDirName).string();
}

template <class T>
void write_restart(const std::string& output_dir, const RestartInfo& info,
                   const sim::Particles<T>& p, const sim::Comm& comm) {
  const std::string file = rank_file(output_dir, info.step, comm.rank());
  {
    RankHeader h{};
    std::memcpy(h.magic, kMagic, sizeof kMagic);
    h.version = kVersion;
    h.scalar_bytes = sizeof(T);
    h.rank = static_cast<std::uint32_t>(comm.rank());
    h.ranks = static_cast<std::uint32_t>(comm.size());
    h.step = static_cast<std::uint32_t>(info.step);
    h.n_side = p.n_side;
    h.box_size = p.box_size;
    h.a = info.a;
    h.config_hash = info.config_hash;
    h.count = p.size();
    h.checksum = payload_checksum(p);
    sim::AtomicWrite w(file);
    std::ofstream out(w.temp_path(), std::ios::binary | std::ios::trunc);
    if (!out) sim::call_failed("OS", "open", errno, w.temp_path() + ": " + std::strerror(errno));
    out.write(reinterpret_cast<const char*>(&h), sizeof h);
    out.write(reinterpret_cast<const char*>(p.id.data()),
              static_cast<std::streamsize>(p.id.size() * sizeof(std::uint64_t)));
    out.write(reinterpret_cast<const char*>(p.disp.data()),
              static_cast<std::streamsize>(p.disp.size() * sizeof(T)));
    out.write(reinterpret_cast<const char*>(p.mom.data()),
              static_cast<std::streamsize>(p.mom.size() * sizeof(T)));
    out.close();
    if (!out) sim::call_failed("OS", "write", errno, w.temp_path() + ": " + std::strerror(errno));
    w.commit();
  }
  comm.barrier();  // every rank's file is in place before the commit point names it
  if (comm.rank() == 0) {
    std::ostringstream os;
    os << "# cosmograd run restart: the state after step " << info.step << " of " << info.steps
       << "; continue with: cosmograd run --resume " << output_dir << "\n"
       << "step = " << info.step << "\nsteps = " << info.steps << "\na = " << std::setprecision(17)
       << info.a << "\nranks = " << comm.size()
       << "\nprecision = " << (sizeof(T) == 4 ? "float" : "double")
       << "\nconfig_hash = " << hex(info.config_hash) << "\n";
    for (const std::string& f : info.files) os << "file = " << f << "\n";
    std::istringstream config(info.config);
    std::string line;
    while (std::getline(config, line)) os << "config = " << line << "\n";
    sim::write_file_atomic((fs::path(restart_dir(output_dir)) / kInfoName).string(), os.str());
  }
  comm.barrier();
  // Older restarts are superseded: each rank removes its own files of earlier steps.
  const std::string mine = rank_suffix(comm.rank());
  std::error_code ec;
  for (const auto& e : fs::directory_iterator(restart_dir(output_dir), ec)) {
    const std::string name = e.path().filename().string();
    if (name.size() > mine.size() &&
        name.compare(name.size() - mine.size(), mine.size(), mine) == 0 &&
        e.path().string() != file) {
      fs::remove(e.path(), ec);
    }
  }
}

RestartInfo read_restart_info(const std::string& output_dir) {
  const std::string file = (fs::path(restart_dir(output_dir)) / kInfoName).string();
  std::ifstream in(file);
  if (!in) {
    throw std::invalid_argument(
        "--resume " + output_dir + ": no restart in it (" + file +
        " is missing: the run wrote none before it stopped, or it finished; restart files are "
        "written every restart_every steps and at SIGTERM/SIGINT)");
  }
  RestartInfo info;
  std::string key, value, precision;
  bool seen_step = false, seen_steps = false, seen_hash = false;
  while (next_entry(in, key, value)) {
    if (key == "step") {
      info.step = static_cast<int>(info_int(file, key, value, 1, 1000000000));
      seen_step = true;
    } else if (key == "steps") {
      info.steps = static_cast<int>(info_int(file, key, value, 1, 1000000000));
      seen_steps = true;
    } else if (key == "a") {
      info.a = std::strtod(value.c_str(), nullptr);
    } else if (key == "ranks") {
      info.ranks = static_cast<int>(info_int(file, key, value, 1, 1 << 24));
    } else if (key == "precision") {
      if (value != "float" && value != "double")
        bad_file(file, "precision = '" + value + "' (allowed: float, double)");
      info.scalar_bytes = value == "float" ? 4 : 8;
    } else if (key == "config_hash") {
      std::size_t used = 0;
      try {
        info.config_hash = std::stoull(value, &used, 16);
      } catch (const std::exception&) {
        used = 0;
      }
      if (used != 16 || value.size() != 16)
        bad_file(file, "config_hash = '" + value + "' is not 16 hex digits");
      seen_hash = true;
    } else if (key == "file") {
      info.files.push_back(value);
    } else if (key == "config") {
      info.config += value + "\n";
    } else {
      bad_file(file, "unknown entry '" + key + "'");
    }
  }
  if (!seen_step || !seen_steps || !seen_hash) bad_file(file, "step, steps or config_hash missing");
  if (info.step >= info.steps) bad_file(file, "step " + std::to_string(info.step) + " >= steps");
  if (fnv1a64(info.config) != info.config_hash) {
    bad_file(file, "its configuration lines do not match its config_hash (edited or damaged)");
  }
  return info;
}

void check_restart_matches(const RestartInfo& info, const std::string& config, int ranks,
                           int scalar_bytes) {
  const std::string where = "--resume: the restart (step " + std::to_string(info.step) + ")";
  if (info.ranks != ranks) {
    throw std::invalid_argument(where + " was written by " + std::to_string(info.ranks) +
                                " MPI rank(s), this run has " + std::to_string(ranks) +
                                " (allowed: the same number of ranks)");
  }
  if (fnv1a64(config) == info.config_hash && config == info.config) {
    if (info.scalar_bytes != scalar_bytes) {
      throw std::invalid_argument(where + " holds " +
                                  (info.scalar_bytes == 4 ? "float" : "double") + " particles");
    }
    return;
  }
  std::istringstream was(info.config), now(config);
  std::string a, b;
  while (true) {
    const bool more_a = static_cast<bool>(std::getline(was, a));
    const bool more_b = static_cast<bool>(std::getline(now, b));
    if (!more_a && !more_b) break;
    if (more_a && more_b && a == b) continue;
    throw std::invalid_argument(
        where + " belongs to another configuration: it has '" + (more_a ? a : "(nothing)") +
        "' where config.ini now has '" + (more_b ? b : "(nothing)") +
        "' (allowed to change on resume: threads, progress, restart_every, log_level)");
  }
}

template <class T>
sim::Particles<T> read_restart_particles(const std::string& output_dir, const RestartInfo& info,
                                         const sim::Comm& comm) {
  const std::string file = rank_file(output_dir, info.step, comm.rank());
  std::ifstream in(file, std::ios::binary);
  if (!in)
    bad_file(file, "missing (the restart of step " + std::to_string(info.step) +
                       " needs one file per rank)");
  in.seekg(0, std::ios::end);
  const std::uint64_t size = static_cast<std::uint64_t>(in.tellg());
  in.seekg(0);
  RankHeader h{};
  if (size < sizeof h || !in.read(reinterpret_cast<char*>(&h), sizeof h)) {
    bad_file(file, "truncated: " + std::to_string(size) + " bytes, shorter than its header");
  }
  if (std::memcmp(h.magic, kMagic, sizeof kMagic) != 0) bad_file(file, "not a restart file");
  if (h.version != kVersion) {
    bad_file(file, "version " + std::to_string(h.version) + " (this build reads " +
                       std::to_string(kVersion) + ")");
  }
  if (h.scalar_bytes != sizeof(T)) {
    bad_file(file, "scalar size " + std::to_string(h.scalar_bytes) + " bytes (expected " +
                       std::to_string(sizeof(T)) + ")");
  }
  if (h.rank != static_cast<std::uint32_t>(comm.rank()) ||
      h.ranks != static_cast<std::uint32_t>(info.ranks) ||
      h.step != static_cast<std::uint32_t>(info.step) || h.config_hash != info.config_hash) {
    bad_file(file, "written for rank " + std::to_string(h.rank) + " of " + std::to_string(h.ranks) +
                       " at step " + std::to_string(h.step) +
                       ", not for this rank and the step and configuration of RESTART.txt");
  }
  if (!(h.n_side > 0) || !(h.box_size > 0) || !std::isfinite(h.box_size)) {
    bad_file(file, "lattice " + std::to_string(h.n_side) + " or box " + std::to_string(h.box_size) +
                       " Mpc/h is not positive");
  }
  const std::uint64_t want = sizeof h + h.count * particle_bytes(h.scalar_bytes);
  if (h.count > (size / particle_bytes(h.scalar_bytes)) || size != want) {  // before allocating
    bad_file(file, std::to_string(size) + " bytes, but its header's " + std::to_string(h.count) +
                       " particles need " + std::to_string(want) + " (truncated or damaged)");
  }
  sim::Particles<T> p;
  p.n_side = h.n_side;
  p.box_size = h.box_size;
  p.resize(h.count);
  in.read(reinterpret_cast<char*>(p.id.data()),
          static_cast<std::streamsize>(p.id.size() * sizeof(std::uint64_t)));
  in.read(reinterpret_cast<char*>(p.disp.data()),
          static_cast<std::streamsize>(p.disp.size() * sizeof(T)));
  in.read(reinterpret_cast<char*>(p.mom.data()),
          static_cast<std::streamsize>(p.mom.size() * sizeof(T)));
  if (!in) bad_file(file, "read failed: " + std::string(std::strerror(errno)));
  if (payload_checksum(p) != h.checksum) bad_file(file, "checksum mismatch (damaged)");
  return p;
}

void remove_restart(const std::string& output_dir) {
  std::error_code ec;
  fs::remove_all(restart_dir(output_dir), ec);
}

template <class T>
RestartObserver<T>::RestartObserver(std::string output_dir, RestartPolicy policy, RestartInfo info,
                                    const std::vector<std::string>& files, const sim::Comm& comm)
    : dir_(std::move(output_dir)),
      policy_(policy),
      info_(std::move(info)),
      files_(files),
      comm_(comm) {}

template <class T>
void RestartObserver<T>::on_state(const sim::StepInfo& step, const sim::Particles<T>& p) {
  // One decision for all ranks: a signal seen by any rank, the clock of rank 0.
  const double minutes = step.total_seconds / 60.0;
  const bool by_steps = policy_.steps > 0 && step.step % policy_.steps == 0;
  const bool by_time =
      comm_.rank() == 0 && policy_.minutes > 0 && minutes - last_minutes_ >= policy_.minutes;
  std::int64_t flags[2] = {sim::pending_interrupt() != 0 ? 1 : 0, by_time ? 1 : 0};
  comm_.sum(flags, 2);
  const bool stop = flags[0] > 0;
  if (!stop && !by_steps && flags[1] == 0) return;
  sim::Stopwatch w;
  info_.step = step.step;
  info_.a = step.a;
  info_.files.clear();
  for (const std::string& f : files_) {
    info_.files.push_back(fs::relative(fs::path(f), dir_).string());
  }
  write_restart(dir_, info_, p, comm_);
  seconds_ += w.seconds();
  ++written_;
  last_minutes_ = minutes;
  sim::log_info("restart after step ", step.step, " written to ", restart_dir(dir_), " in ",
                w.seconds(), " s");
  if (stop) {
    const int sig = sim::pending_interrupt();
    throw sim::Interrupted(std::string("stopped by ") +
                           (sig == SIGINT    ? "SIGINT"
                            : sig == SIGTERM ? "SIGTERM"
                                             : "a signal") +
                           " after step " + std::to_string(step.step) + " of " +
                           std::to_string(step.steps) + "; the state is saved in " +
                           restart_dir(dir_) + "; continue with: cosmograd run --resume " + dir_);
  }
}

template void write_restart<float>(const std::string&, const RestartInfo&,
                                   const sim::Particles<float>&, const sim::Comm&);
template void write_restart<double>(const std::string&, const RestartInfo&,
                                    const sim::Particles<double>&, const sim::Comm&);
template sim::Particles<float> read_restart_particles<float>(const std::string&, const RestartInfo&,
                                                             const sim::Comm&);
template sim::Particles<double> read_restart_particles<double>(const std::string&,
                                                               const RestartInfo&,
                                                               const sim::Comm&);
template class RestartObserver<float>;
template class RestartObserver<double>;

}  // namespace cosmograd::driver
