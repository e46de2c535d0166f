// Precompiled header for LibTorch translation units (nn/, inference/, surveys/, apps/).
#pragma once

#include <torch/torch.h>
