// A check for readers that must refuse a bad file with a message naming what is wrong.
#pragma once

#include <gtest/gtest.h>

#include <stdexcept>
#include <string>
#include <vector>

namespace cosmograd::testing {

/// Runs `read` and expects std::runtime_error whose message contains every part.
template <class Read>
void expect_rejected(Read read, const std::vector<std::string>& parts) {
  try {
    read();
    FAIL() << "no throw";
  } catch (const std::runtime_error& e) {
    for (const std::string& part : parts) {
      EXPECT_NE(std::string(e.what()).find(part), std::string::npos) << e.what();
    }
  }
}

}  // namespace cosmograd::testing
