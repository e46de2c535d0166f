// expect_throw<E>(f, parts): f throws E with a message containing every one of `parts`.
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace cosmograd::testing {

/// Expects `f` to throw E with a message containing every one of `parts`.
template <class E, class F>
void expect_throw(F&& f, const std::vector<std::string>& parts) {
  try {
    f();
    ADD_FAILURE() << "no exception; expected one mentioning " << parts.front();
  } catch (const E& e) {
    for (const std::string& p : parts)
      EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << e.what() << " lacks " << p;
  }
}

}  // namespace cosmograd::testing
