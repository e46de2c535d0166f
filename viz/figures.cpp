#include "viz/figures.hpp"

#include <cmath>
#include <cstdio>
#include <stdexcept>

#include "viz/detail/layout.hpp"

namespace cosmograd::viz {
namespace {

/// Throws unless `b` has as many values as `a`.
template <class A, class B>
void same_length(const detail::Check& check, const char* a_name, const A& a, const char* b_name,
                 const B& b) {
  if (a.size() != b.size()) {
    check.fail(b_name, std::to_string(b.size()) + " values",
               std::string("as many as ") + a_name + " (" + std::to_string(a.size()) + ")");
  }
}

/// "1 bin", "N bins".
std::string bins(std::size_t n) { return std::to_string(n) + (n == 1 ? " bin" : " bins"); }

/// A series with a label, a colour and its points.
Series curve(std::string label, sim::RGB color, std::vector<double> x = {},
             std::vector<double> y = {}) {
  Series s;
  s.label = std::move(label);
  s.color = color;
  s.x = std::move(x);
  s.y = std::move(y);
  return s;
}

}  // namespace

PlotSpec power_spectrum_plot(const PowerSpectrumFigure& f) {
  const detail::Check check("PowerSpectrumFigure");
  same_length(check, "k", f.k, "power", f.power);
  same_length(check, "theory_k", f.theory_k, "linear", f.linear);
  same_length(check, "theory_k", f.theory_k, "nonlinear", f.nonlinear);
  PlotSpec spec;
  spec.title = f.title;
  spec.xlabel = "k [h/Mpc]";
  spec.ylabel = "P(k) [(Mpc/h)#u3#d]";
  spec.logx = spec.logy = true;
  Series linear = curve("linear theory", tab10(7), f.theory_k, f.linear);
  linear.line = LineStyle::dashed;
  linear.line_width = 1.8;
  const Series nonlinear = curve(f.nonlinear_label, tab10(1), f.theory_k, f.nonlinear);
  Series measured = curve("measured", tab10(0));
  measured.line_width = 1.2;
  measured.marker = Marker::circle;
  measured.marker_size = 0.8;
  measured.marker_spacing = 0.012;  // about 80 markers across the plot at most
  Series negative = curve("|P(k)| where P(k) < 0", tab10(0));
  negative.line = LineStyle::none;
  negative.marker = Marker::open_circle;
  negative.marker_size = 0.8;
  std::size_t undefined = 0;
  for (std::size_t i = 0; i < f.k.size(); ++i) {
    const double p = f.power[i];
    if (!(std::isfinite(p) && std::isfinite(f.k[i]) && f.k[i] > 0.0 && p != 0.0)) {
      ++undefined;
      continue;
    }
    // A negative bin breaks the line of the positive ones (NaN) and gets an open marker.
    measured.x.push_back(f.k[i]);
    measured.y.push_back(p > 0.0 ? p : std::nan(""));
    if (p < 0.0) {
      negative.x.push_back(f.k[i]);
      negative.y.push_back(-p);
    }
  }
  spec.series = {linear, nonlinear};
  if (negative.x.size() < measured.x.size()) spec.series.push_back(measured);  // a P > 0 bin
  if (!negative.x.empty()) {
    negative.label += " (" + bins(negative.x.size()) + ")";
    spec.series.push_back(negative);
  }
  if (undefined > 0) spec.notes.push_back(bins(undefined) + " with P = 0 or undefined not shown");
  return spec;
}

PlotSpec mass_function_plot(const MassFunctionFigure& f) {
  const detail::Check check("MassFunctionFigure");
  same_length(check, "m_center", f.m_center, "dndlnm", f.dndlnm);
  same_length(check, "m_center", f.m_center, "error", f.error);
  same_length(check, "m_center", f.m_center, "count", f.count);
  same_length(check, "theory_m", f.theory_m, "tinker", f.tinker);
  same_length(check, "theory_m", f.theory_m, "sheth_tormen", f.sheth_tormen);
  PlotSpec spec;
  char title[160];
  std::snprintf(title, sizeof title,
                "FoF mass function at z = %.2f: %zu halos, b = %s, ≥ %d members", f.redshift,
                f.halos, detail::format(f.linking_length).c_str(), f.min_members);
  spec.title = title;
  spec.xlabel = "M [M#d⊙#u/h]";
  spec.ylabel = "dn/dlnM [(h/Mpc)#u3#d]";
  spec.logx = spec.logy = true;
  Series measured = curve("FoF halos (Poisson errors)", tab10(0));
  measured.line = LineStyle::none;
  measured.marker = Marker::circle;
  measured.line_width = 1.5;
  for (std::size_t b = 0; b < f.count.size(); ++b) {
    if (f.count[b] <= 0) continue;
    measured.x.push_back(f.m_center[b]);
    measured.y.push_back(f.dndlnm[b]);
    measured.y_lo.push_back(f.dndlnm[b] - f.error[b]);  // <= 0 runs off the bottom
    measured.y_hi.push_back(f.dndlnm[b] + f.error[b]);
  }
  if (measured.x.empty()) {
    spec.empty_message = "No halos found";
    char note[160];
    std::snprintf(note, sizeof note, "FoF with b = %s and at least %d members at z = %.2f",
                  detail::format(f.linking_length).c_str(), f.min_members, f.redshift);
    spec.notes = {note};
    return spec;
  }
  const Series tinker = curve("Tinker et al. 2008", tab10(1), f.theory_m, f.tinker);
  Series st = curve("Sheth & Tormen 1999", tab10(2), f.theory_m, f.sheth_tormen);
  st.line = LineStyle::dashed;
  spec.series = {tinker, st, measured};
  char note[96];
  std::snprintf(note, sizeof note, "analytic curves: σ#d8#u = %.3f", f.sigma8);
  spec.notes = {note};
  return spec;
}

}  // namespace cosmograd::viz
