// `cosmograd properties <task> <mode>`: galaxy property modules trained on the project's own
// lightcone mocks (`cosmograd mock catalog`): photometric redshifts with calibrated p(z),
// stellar masses, structural (Sersic) parameters from stamps, the SED emulator. Each task
// function takes the arguments after the task name (args[0] is the mode).
#pragma once

#include <string>
#include <vector>

namespace cosmograd::apps {

/// `cosmograd properties photoz train|evaluate|apply ...`: the mixture density network on
/// photometry, against kNN and template fits (and the hybrid CNN) on the same test galaxies.
int properties_photoz(const std::vector<std::string>& args);
/// `cosmograd properties mass train|evaluate|apply ...`: stellar masses from photometry (MDN).
int properties_mass(const std::vector<std::string>& args);
/// `cosmograd properties stamps ...` and `cosmograd properties hybrid train|apply ...`:
/// multi-band stamps of the catalogue's galaxies and the CNN + photometry photo-z network.
int properties_stamps(const std::vector<std::string>& args);
/// See properties_stamps.
int properties_hybrid(const std::vector<std::string>& args);
/// `cosmograd properties structure data|train|evaluate|apply ...`: Sersic parameters from
/// stamps (CNN with uncertainties) against a Levenberg-Marquardt fitter.
int properties_structure(const std::vector<std::string>& args);
/// `cosmograd properties sed train|evaluate ...`: the neural emulator of the SED model's
/// magnitudes, against the direct calculation.
int properties_sed(const std::vector<std::string>& args);

}  // namespace cosmograd::apps
