// Ghost planes of distributed meshes: after painting, what landed on a neighbour's planes
// is sent there and added; before a readout, copies of the neighbours' planes are fetched.
#pragma once

#include "sim/mesh/field.hpp"
#include "sim/mesh/painter.hpp"

namespace cosmograd::sim {

/// Adds the ghost planes of `count` fields of one decomposition into the ranks owning
/// those planes, then zeroes the ghosts (collective; nothing to do when serial).
template <class T>
void reduce_ghosts(Field<T>* const* fields, int count);
/// Fills the ghost planes of `count` fields of one decomposition with copies of their
/// owners' planes (collective; nothing to do when serial).
template <class T>
void fill_ghosts(Field<T>* const* fields, int count);

/// `target` with ghost planes wide enough to paint onto it, or read it out at, the
/// particles that migrate() places on this rank for `particles_mesh` with the window
/// `kernel` at shifts in [0, 1) cell: on the same mesh CIC needs 0 planes below and 2 above,
/// TSC and PCS 1 and 3. Serial layouts come back unchanged.
Decomposition with_paint_ghosts(const Decomposition& target, const Decomposition& particles_mesh,
                                PaintKernel kernel = PaintKernel::pcs);

/// reduce_ghosts() of one field.
template <class T>
void reduce_ghosts(Field<T>& f) {
  Field<T>* one[1] = {&f};
  reduce_ghosts(one, 1);
}
/// fill_ghosts() of one field.
template <class T>
void fill_ghosts(Field<T>& f) {
  Field<T>* one[1] = {&f};
  fill_ghosts(one, 1);
}

}  // namespace cosmograd::sim
