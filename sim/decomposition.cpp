#include "sim/decomposition.hpp"

#include <stdexcept>
#include <string>

namespace cosmograd::sim {

Decomposition::Decomposition(int n, int x_begin, int nx_local)
    : n_(n), x_begin_(x_begin), nx_local_(nx_local) {
  if (n < 2 || n % 2 != 0) {
    throw std::invalid_argument("mesh = " + std::to_string(n) +
                                " is not allowed (allowed: an even number >= 2)");
  }
  if (x_begin < 0 || nx_local < 0 || x_begin + nx_local > n) {
    throw std::invalid_argument("slab [" + std::to_string(x_begin) + ", " +
                                std::to_string(x_begin + nx_local) + ") lies outside a mesh of " +
                                std::to_string(n) + " planes");
  }
}

}  // namespace cosmograd::sim
