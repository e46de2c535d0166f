// The theory side of cosmograd on NumPy arrays: the background, distances, times and growth
// factors of sim/cosmo/cosmology.hpp, the linear power spectrum (sim/cosmo/linear_power.hpp),
// halofit (Takahashi et al. 2012, sim/cosmo/halofit.hpp) and the Limber convergence power
// spectrum (sim/sky/limber.hpp), all the same code `cosmograd theory` tabulates.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cmath>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "python/bind.hpp"
#include "python/numpy_arrays.hpp"
#include "python/spec.hpp"
#include "sim/cosmo/halofit.hpp"
#include "sim/cosmo/linear_power.hpp"
#include "sim/sky/limber.hpp"
#include "sim/sky/source_redshifts.hpp"

namespace py = pybind11;

namespace cosmograd::python {
namespace {

/// f applied to every element of `x` (a number or an array of numbers, named `name` in
/// errors): a float for a scalar (0-d) input, else an array of x's shape.
template <class F>
py::object elementwise(const py::handle& x, const std::string& name, F f) {
  if (py::isinstance<py::str>(x) || py::isinstance<py::bytes>(x)) {
    throw std::invalid_argument(name + " = " + py::repr(x).cast<std::string>() +
                                " is not allowed (allowed: a number or an array of numbers)");
  }
  const py::array any = as_array(x, name);
  is_float32(any, name);  // real dtypes only
  const CArray<double> a = CArray<double>::ensure(any);
  if (a.ndim() == 0) return py::float_(f(*a.data()));
  py::array_t<double> out(std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim()));
  const double* in = a.data();
  double* o = out.mutable_data();
  for (py::ssize_t i = 0; i < a.size(); ++i) o[i] = f(in[i]);
  return std::move(out);
}

/// A cosmology with its background tables, linear power spectrum and halofit, as Python's
/// `Cosmology`.
class PyCosmology {
 public:
  /// Validates p and the transfer choice (std::invalid_argument naming the field) and builds
  /// the background tables and the linear power spectrum.
  PyCosmology(const sim::CosmologyParams& p, const sim::TransferChoice& transfer)
      : params_(p), transfer_(transfer) {
    params_.validate();
    if (transfer_.name == "table" && transfer_.table_path.empty()) {
      throw std::invalid_argument(
          "transfer_file = '' is empty but transfer = table needs a file (allowed: a CLASS "
          "_pk/_tk or CAMB _matterpower file)");
    }
    sim::LinearPowerOptions o;
    o.table_path = transfer_.table_path;
    linear_ = sim::make_linear_power<double>(transfer_.name, sim::Cosmology(params_), o);
  }

  /// The parameters (validated).
  const sim::CosmologyParams& params() const { return params_; }
  /// The transfer-function choice.
  const sim::TransferChoice& transfer() const { return transfer_; }
  /// The background (the linear spectrum's own copy).
  const sim::Cosmology& background() const { return linear_->cosmology(); }
  /// The linear power spectrum.
  const sim::LinearPower& linear() const { return *linear_; }

  /// Takahashi et al. (2012) halofit at scale factor a (cached for the last few a). Throws
  /// std::invalid_argument naming a when a is out of range or has no nonlinear scale.
  const sim::Halofit& halofit(double a) const {
    const auto it = halofit_.find(a);
    if (it != halofit_.end()) return *it->second;
    background().D1(a);  // the range check, with the engine's message
    std::unique_ptr<sim::Halofit> h;
    try {
      h = std::make_unique<sim::Halofit>(*linear_, a);
    } catch (const std::runtime_error& e) {
      throw std::invalid_argument("halofit_power: a = " + number_text(a) +
                                  " has no nonlinear scale (" + e.what() +
                                  "); allowed: later a, or use linear_power");
    }
    if (halofit_.size() >= 8) halofit_.erase(halofit_.begin());
    return *halofit_.emplace(a, std::move(h)).first->second;
  }

 private:
  sim::CosmologyParams params_;
  sim::TransferChoice transfer_;
  std::unique_ptr<sim::LinearPower> linear_;
  mutable std::map<double, std::unique_ptr<sim::Halofit>> halofit_;
};

/// One background function of a, vectorised: f(background, a) for each a.
template <class F>
auto of_a(F f) {
  return [f](const PyCosmology& c, const py::object& a) {
    return elementwise(a, "a", [&](double x) { return f(c.background(), x); });
  };
}

/// The sources of kappa_cl: one plane (source_z) or one n(z) entry (source_nz).
sim::SourceDistribution one_source(const py::object& source_z, const py::object& source_nz) {
  if (source_z.is_none() == source_nz.is_none()) {
    throw std::invalid_argument(
        "kappa_cl: give exactly one of source_z (a source-plane redshift) and source_nz (an "
        "n(z) entry smail:ALPHA:BETA:Z0[:ZMAX] or a file of z n(z) rows)");
  }
  if (!source_z.is_none()) {
    if (!py::isinstance<py::float_>(source_z) && !py::isinstance<py::int_>(source_z)) {
      throw std::invalid_argument("source_z = " + py::repr(source_z).cast<std::string>() +
                                  " is not allowed (allowed: one redshift, 0 < z <= 20)");
    }
    return sim::SourceDistribution::plane(source_z.cast<double>());
  }
  const std::vector<sim::SourceDistribution> s =
      sim::parse_sources("", source_nz.cast<std::string>());
  if (s.size() != 1) {
    throw std::invalid_argument("source_nz = '" + source_nz.cast<std::string>() + "' gives " +
                                std::to_string(s.size()) + " sources (allowed: exactly one)");
  }
  return s.front();
}

std::unique_ptr<PyCosmology> make_cosmology(double Omega_m, double Omega_b, double h, double n_s,
                                            double sigma8, double w0, double wa, double Omega_k,
                                            bool radiation, double T_cmb, double N_eff, double A_s,
                                            const std::string& transfer,
                                            const std::string& transfer_file) {
  sim::CosmologyParams p;
  p.Omega_m = Omega_m;
  p.Omega_b = Omega_b;
  p.h = h;
  p.n_s = n_s;
  p.sigma8 = sigma8;
  p.w0 = w0;
  p.wa = wa;
  p.Omega_k = Omega_k;
  p.radiation = radiation;
  p.T_cmb = T_cmb;
  p.N_eff = N_eff;
  p.A_s = A_s;
  return std::make_unique<PyCosmology>(p, sim::TransferChoice{transfer, transfer_file});
}

}  // namespace

void bind_cosmology(py::module_& m) {
  using sim::Cosmology;
  const sim::CosmologyParams d = sim::SimSpec{}.cosmology;  // the defaults of `cosmograd run`
  py::class_<PyCosmology> c(
      m, "Cosmology",
      "Background, distances, times, growth factors, linear and halofit power of one "
      "cosmology: the engine's own code (sim/cosmo), as `cosmograd theory` tabulates it. Units: "
      "comoving Mpc/h, k in h/Mpc, P in (Mpc/h)^3, times in Gyr, a = scale factor (a = 1 today). "
      "Functions of a take a number (-> float) or an array (-> array of its shape); the "
      "table-based ones (chi, distances, times, growth) need 0 < a <= 2, the analytic ones "
      "(E, Omega_m_a, w) any a > 0; other a raise ValueError.");
  c.def(py::init(&make_cosmology), py::kw_only(), py::arg("Omega_m") = d.Omega_m,
        py::arg("Omega_b") = d.Omega_b, py::arg("h") = d.h, py::arg("n_s") = d.n_s,
        py::arg("sigma8") = d.sigma8, py::arg("w0") = d.w0, py::arg("wa") = d.wa,
        py::arg("Omega_k") = d.Omega_k, py::arg("radiation") = d.radiation,
        py::arg("T_cmb") = d.T_cmb, py::arg("N_eff") = d.N_eff, py::arg("A_s") = d.A_s,
        py::arg("transfer") = sim::TransferChoice{}.name, py::arg("transfer_file") = "",
        ("Cosmology(*, Omega_m, Omega_b, h, n_s, sigma8, w0, wa, Omega_k, radiation, T_cmb [K], "
         "N_eff, A_s, transfer, transfer_file): the cosmology keys of `cosmograd run` / `theory` "
         "with the same defaults (Planck 2015) and checks; w(a) = w0 + wa (1 - a) (CPL); "
         "transfer: " +
         sim::transfer_names() +
         " (table: transfer_file is a CLASS _pk/_tk or CAMB _matterpower file; A_s > 0 "
         "normalises tables instead of sigma8). A bad value raises ValueError naming it.")
            .c_str());
  c.def_static(
      "from_spec",
      [](const Spec& spec) {
        return std::make_unique<PyCosmology>(spec.sim.cosmology, spec.sim.transfer);
      },
      py::arg("spec"), "The cosmology (parameters and transfer) of a SimSpec.");
  c.def_property_readonly(
      "params", [](const PyCosmology& self) { return params_to_dict(self.params()); },
      "the parameters as a dict (Omega_m, Omega_b, h, n_s, sigma8, w0, wa, Omega_k, T_cmb [K], "
      "N_eff, radiation, A_s): Cosmology(**params) rebuilds this cosmology's background");
  c.def_property_readonly(
      "transfer", [](const PyCosmology& self) { return self.transfer().name; },
      "the transfer-function choice (eisenstein_hu, eisenstein_hu_nowiggle or table)");
  c.def_property_readonly(
      "transfer_file", [](const PyCosmology& self) { return self.transfer().table_path; },
      "the CLASS/CAMB file of transfer = table ('' otherwise)");
  c.def_property_readonly(
      "Omega_r", [](const PyCosmology& self) { return self.background().Omega_r(); },
      "radiation density today (0 unless radiation), dimensionless");
  c.def_property_readonly(
      "Omega_de", [](const PyCosmology& self) { return self.background().Omega_de(); },
      "dark-energy density today, 1 - Omega_m - Omega_r - Omega_k");
  c.def_property_readonly(
      "hubble_time", [](const PyCosmology& self) { return self.background().hubble_time(); },
      "1/H0 [Gyr]");
  c.def_property_readonly(
      "a_max", [](const PyCosmology& self) { return self.background().a_max(); },
      "largest a the table-based functions accept (2)");

  c.def("E", of_a([](const Cosmology& b, double a) { return b.E(a); }), py::arg("a"),
        "E(a) = H(a)/H0 (Friedmann equation with CPL dark energy; any a > 0)");
  c.def("dlnE_dlna", of_a([](const Cosmology& b, double a) { return b.dlnE_dlna(a); }),
        py::arg("a"), "d ln E / d ln a (any a > 0)");
  c.def("w", of_a([](const Cosmology& b, double a) { return b.w(a); }), py::arg("a"),
        "dark-energy equation of state w0 + wa (1 - a) (Chevallier & Polarski 2001, Linder "
        "2003; any a > 0)");
  c.def("Omega_m_a", of_a([](const Cosmology& b, double a) { return b.Omega_m_a(a); }),
        py::arg("a"), "matter density parameter at a, Omega_m a^-3 / E(a)^2 (any a > 0)");
  c.def("chi", of_a([](const Cosmology& b, double a) { return b.chi(a); }), py::arg("a"),
        "comoving radial distance to a, c/H0 int_a^1 da'/(a'^2 E) [Mpc/h] (Hogg 1999 eq. 15)");
  c.def("transverse_distance",
        of_a([](const Cosmology& b, double a) { return b.transverse_distance(a); }), py::arg("a"),
        "comoving transverse distance f_K(chi) [Mpc/h] (Hogg 1999 eq. 16)");
  c.def("angular_diameter_distance",
        of_a([](const Cosmology& b, double a) { return b.angular_diameter_distance(a); }),
        py::arg("a"), "angular diameter distance a f_K(chi) [Mpc/h] (Hogg 1999 eq. 18)");
  c.def("luminosity_distance",
        of_a([](const Cosmology& b, double a) { return b.luminosity_distance(a); }), py::arg("a"),
        "luminosity distance f_K(chi) / a [Mpc/h] (Hogg 1999 eq. 21)");
  c.def("conformal_time", of_a([](const Cosmology& b, double a) { return b.conformal_time(a); }),
        py::arg("a"), "conformal time since a = 0 times c, c eta(a) [Mpc/h]");
  c.def("age", of_a([](const Cosmology& b, double a) { return b.age(a); }), py::arg("a"),
        "cosmic time since a = 0 [Gyr]");
  c.def("lookback_time", of_a([](const Cosmology& b, double a) { return b.lookback_time(a); }),
        py::arg("a"), "lookback time from today to a [Gyr]");
  c.def("D1", of_a([](const Cosmology& b, double a) { return b.D1(a); }), py::arg("a"),
        "linear growth factor normalised in matter domination, D1/a -> 1 as a -> 0 (FastPM, "
        "pmwd convention; from the growth ODE)");
  c.def("D1_norm", of_a([](const Cosmology& b, double a) { return b.D1_norm(a); }), py::arg("a"),
        "linear growth factor normalised today, D1(a)/D1(1) (P_lin scales as its square)");
  c.def("f1", of_a([](const Cosmology& b, double a) { return b.f1(a); }), py::arg("a"),
        "linear growth rate f1 = d ln D1 / d ln a");
  c.def("D2", of_a([](const Cosmology& b, double a) { return b.D2(a); }), py::arg("a"),
        "second-order (2LPT) growth factor, D2 -> -3/7 D1^2 in matter domination (same "
        "normalisation as D1)");
  c.def("D2_norm", of_a([](const Cosmology& b, double a) { return b.D2_norm(a); }), py::arg("a"),
        "D2(a)/D1(1)^2, so that D2_norm ~ -3/7 D1_norm^2");
  c.def("f2", of_a([](const Cosmology& b, double a) { return b.f2(a); }), py::arg("a"),
        "second-order growth rate f2 = d ln D2 / d ln a");

  c.def(
      "linear_power",
      [](const PyCosmology& self, const py::object& k, double a) {
        self.background().D1_norm(a);  // the range check of a, once
        return elementwise(k, "k", [&](double kk) {
          require_positive(kk, "k", "h/Mpc");
          return self.linear().power(kk, a);
        });
      },
      py::arg("k"), py::arg("a") = 1.0,
      "linear matter power P_lin(k, a) = A k^n_s T(k)^2 D1_norm(a)^2 [(Mpc/h)^3] at k [h/Mpc] "
      "(> 0; a number or an array) and one scale factor a, with T the transfer function "
      "(Eisenstein & Hu 1998 by "
      "default) and A fixed by sigma8 (or A_s for tables)");
  c.def(
      "halofit_power",
      [](const PyCosmology& self, const py::object& k, double a) {
        const sim::Halofit& hf = self.halofit(a);
        return elementwise(k, "k", [&](double kk) {
          require_positive(kk, "k", "h/Mpc");
          return hf.power(kk);
        });
      },
      py::arg("k"), py::arg("a") = 1.0,
      "nonlinear matter power P_nl(k, a) [(Mpc/h)^3] from halofit (Takahashi et al. 2012, ApJ "
      "761, 152) on the linear spectrum, at k [h/Mpc] (> 0; a number or an array) and one "
      "scale factor a, which must have "
      "a nonlinear scale (sigma_G(R) = 1 for some R, true for a >~ 0.05 in LCDM)");
  c.def(
      "sigma_R",
      [](const PyCosmology& self, const py::object& R, double a) {
        self.background().D1_norm(a);
        return elementwise(R, "R", [&](double r) {
          require_positive(r, "R", "Mpc/h");
          return self.linear().sigma(r, a);
        });
      },
      py::arg("R"), py::arg("a") = 1.0,
      "rms linear density contrast in top-hat spheres of radius R [Mpc/h] at a "
      "(sigma_R(8) = sigma8 at a = 1 unless A_s normalises a table)");
  c.def(
      "kappa_cl",
      [](const PyCosmology& self, const py::object& ell, const py::object& source_z,
         const py::object& source_nz, bool halofit, double k_max) {
        const sim::SourceDistribution src = one_source(source_z, source_nz);
        require_positive(k_max, "k_max", "h/Mpc");
        sim::LimberOptions o;
        o.k_max = k_max;
        const py::array any = as_array(ell, "ell");
        is_float32(any, "ell");
        const CArray<double> a = CArray<double>::ensure(any);
        std::vector<double> values(a.data(), a.data() + a.size());
        for (std::size_t i = 0; i < values.size(); ++i) {
          if (!(values[i] >= 1) || !std::isfinite(values[i])) {
            throw std::invalid_argument("ell = " + number_text(values[i]) +
                                        " is not allowed (allowed: ell >= 1)");
          }
        }
        std::vector<double> cl;
        {
          py::gil_scoped_release release;
          cl = sim::limber_kappa_cl(self.background(), self.linear(), src, values, halofit, o);
        }
        if (a.ndim() == 0) return py::object(py::float_(cl.front()));
        return py::object(to_numpy(cl, std::vector<py::ssize_t>(a.shape(), a.shape() + a.ndim())));
      },
      py::arg("ell"), py::kw_only(), py::arg("source_z") = py::none(),
      py::arg("source_nz") = py::none(), py::arg("halofit") = true, py::arg("k_max") = 1.0e3,
      "Limber convergence power spectrum C_ell^kk (dimensionless; Kaiser 1992 with ell + 1/2, "
      "LoVerde & Afshordi 2008) at multipoles ell >= 1 (a number or an array) for one source "
      "plane at redshift source_z or one n(z) source_nz ('smail:ALPHA:BETA:Z0[:ZMAX]' or a file "
      "of z n(z) rows), from halofit (Takahashi et al. 2012) or linear P(k), cut at k_max "
      "[h/Mpc]; the same code as kappa_cl.txt of `cosmograd theory`");
  c.def("__repr__", [](const PyCosmology& self) {
    const sim::CosmologyParams& p = self.params();
    return "Cosmology(Omega_m=" + number_text(p.Omega_m) + ", Omega_b=" + number_text(p.Omega_b) +
           ", h=" + number_text(p.h) + ", n_s=" + number_text(p.n_s) +
           ", sigma8=" + number_text(p.sigma8) + ", w0=" + number_text(p.w0) +
           ", wa=" + number_text(p.wa) + ", Omega_k=" + number_text(p.Omega_k) + ", transfer='" +
           self.transfer().name + "')";
  });
  c.def(py::pickle(
      [](const PyCosmology& self) {
        return py::make_tuple(params_to_dict(self.params()), self.transfer().name,
                              self.transfer().table_path);
      },
      [](const py::tuple& t) {
        if (t.size() != 3) throw std::invalid_argument("Cosmology: bad pickled state");
        return std::make_unique<PyCosmology>(
            params_from(t[0]),
            sim::TransferChoice{t[1].cast<std::string>(), t[2].cast<std::string>()});
      }));
}

}  // namespace cosmograd::python
