// `cosmograd campaign`: simulations over a prior reduced to summary files (driver/campaign.hpp).
#include <cstdio>

#include "apps/commands.hpp"
#include "apps/options.hpp"
#include "driver/campaign.hpp"
#include "sim/mpi/comm.hpp"

namespace cosmograd::apps {

int cmd_campaign(const std::vector<std::string>& args) {
  const ParsedArgs parsed = parse_command(
      "campaign",
      "usage: cosmograd campaign [config.ini] [--key value ...] --out DIR\n"
      "  one simulation per design point over the prior, each reduced to DIR/sims/sim_NNNNNN.h5;\n"
      "  rerun the same command to resume; under mpirun the ranks share the points; --tasks I:J\n"
      "  runs a slice (batch arrays)",
      driver::campaign_keys(), args);
  if (parsed.help) return 0;
  const driver::CampaignConfig config = driver::campaign_config_from(parsed.settings);
  sim::Settings identity;
  for (const auto& [k, v] : parsed.settings.values()) {
    if (!driver::campaign_key_is_local(k)) identity.set(k, v);
  }
  const sim::Comm world = sim::Comm::world();
  const driver::CampaignReport r = driver::run_campaign(config, identity, world);
  if (world.rank() == 0) {
    std::printf(
        "cosmograd campaign: %d simulations run, %d already complete, %d in the design; "
        "%.1f s; %s/manifest.txt\n",
        r.ran, r.skipped, r.total, r.seconds, config.out.c_str());
  }
  return 0;
}

}  // namespace cosmograd::apps
