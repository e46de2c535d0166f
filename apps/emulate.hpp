// The actions of `cosmograd emulate` (apps/cmd_emulate.cpp dispatches to them).
#pragma once

#include <string>
#include <vector>

namespace cosmograd::apps {

/// `cosmograd emulate data [--key value ...]`: training or held-out pairs (2LPT, PM).
int emulate_data(const std::vector<std::string>& args);
/// `cosmograd emulate train --data FILE.h5 [--test FILE.h5] [--out FILE.cgm]`: trains a model.
int emulate_train(const std::vector<std::string>& args);
/// `cosmograd emulate evaluate --model FILE --test FILE.h5`: the held-out metrics table.
int emulate_evaluate(const std::vector<std::string>& args);

/// `cosmograd emulate superres data|train|evaluate`: super-resolution pairs, training, metrics.
int emulate_superres(const std::vector<std::string>& args);
/// `cosmograd emulate superres train --data FILE.h5 [--test FILE.h5] [--out FILE.cgm]`.
int superres_train(const std::vector<std::string>& args);
/// `cosmograd emulate superres evaluate --model FILE --test FILE.h5`: the metrics table.
int superres_evaluate(const std::vector<std::string>& args);
/// `cosmograd emulate --input SNAPSHOT [--model FILE]`: a super-resolved run with run's outputs.
int superres_run(const std::vector<std::string>& args);

}  // namespace cosmograd::apps
