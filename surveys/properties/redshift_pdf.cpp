// Redshift densities on a grid and their qp-compatible HDF5 files.
#include "surveys/properties/redshift_pdf.hpp"

#include <hdf5.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "sim/core/atomic_file.hpp"
#include "sim/core/require.hpp"
#include "sim/io/detail/hdf5_file.hpp"

namespace cosmograd::surveys {
namespace {

/// Trapezoid integral of row values v (G points, spacing dz).
double trapezoid(const double* v, int g, double dz) {
  double s = 0.5 * (v[0] + v[g - 1]);
  for (int i = 1; i + 1 < g; ++i) s += v[i];
  return s * dz;
}

}  // namespace

void RedshiftGrid::validate() const {
  sim::require(z_min >= 0 && std::isfinite(z_min), "z_min", z_min, ">= 0");
  sim::require(z_max > z_min && std::isfinite(z_max), "z_max", z_max,
               "> z_min = " + std::to_string(z_min));
  sim::require(points >= 3 && points <= 100000, "points", points, "in [3, 100000]");
}

std::size_t RedshiftPdfs::count() const {
  return grid.points > 0 ? pdf.size() / static_cast<std::size_t>(grid.points) : 0;
}

void RedshiftPdfs::normalise() {
  const int g = grid.points;
  const double dz = grid.dz();
  for (std::size_t i = 0; i < count(); ++i) {
    double* v = pdf.data() + i * g;
    for (int j = 0; j < g; ++j)
      if (!(v[j] > 0)) v[j] = 0;
    const double norm = trapezoid(v, g, dz);
    if (norm > 0 && std::isfinite(norm)) {
      for (int j = 0; j < g; ++j) v[j] /= norm;
    } else {
      for (int j = 0; j < g; ++j) v[j] = 1.0 / (grid.z_max - grid.z_min);
    }
  }
}

RedshiftPdfs mixture_pdfs(const RedshiftGrid& grid, std::size_t components,
                          const std::vector<double>& weights, const std::vector<double>& means,
                          const std::vector<double>& sigmas) {
  grid.validate();
  if (components == 0 || weights.size() % components != 0 || means.size() != weights.size() ||
      sigmas.size() != weights.size())
    throw std::invalid_argument("mixture_pdfs: weights, means and sigmas must all hold N * " +
                                std::to_string(components) + " values");
  const std::size_t n = weights.size() / components;
  RedshiftPdfs out;
  out.grid = grid;
  out.pdf.assign(n * grid.points, 0.0);
  const double inv_sqrt_2pi = 0.3989422804014327;
#pragma omp parallel for schedule(static)
  for (std::size_t i = 0; i < n; ++i) {
    double* v = out.pdf.data() + i * grid.points;
    for (std::size_t k = 0; k < components; ++k) {
      const double w = weights[i * components + k], mu = means[i * components + k],
                   s = sigmas[i * components + k];
      for (int j = 0; j < grid.points; ++j) {
        const double x = (grid.z(j) - mu) / s;
        v[j] += w * inv_sqrt_2pi / s * std::exp(-0.5 * x * x);
      }
    }
  }
  out.normalise();
  return out;
}

double pdf_mode(const RedshiftPdfs& p, std::size_t i) {
  const double* v = p.row(i);
  return p.grid.z(static_cast<int>(std::max_element(v, v + p.grid.points) - v));
}

double pdf_mean(const RedshiftPdfs& p, std::size_t i) {
  const double* v = p.row(i);
  const int g = p.grid.points;
  double s = 0.5 * (v[0] * p.grid.z(0) + v[g - 1] * p.grid.z(g - 1));
  for (int j = 1; j + 1 < g; ++j) s += v[j] * p.grid.z(j);
  return s * p.grid.dz();
}

double pdf_cdf(const RedshiftPdfs& p, std::size_t i, double z) {
  const double* v = p.row(i);
  const int g = p.grid.points;
  const double dz = p.grid.dz();
  if (z <= p.grid.z_min) return 0.0;
  if (z >= p.grid.z_max) return 1.0;
  const double t = (z - p.grid.z_min) / dz;
  const int j = std::min(static_cast<int>(t), g - 2);
  double c = 0;
  for (int m = 0; m < j; ++m) c += 0.5 * (v[m] + v[m + 1]) * dz;
  // Inside cell j the density is linear: integral from z_j to z of the interpolant.
  const double f = t - j, vz = v[j] + f * (v[j + 1] - v[j]);
  c += 0.5 * (v[j] + vz) * f * dz;
  return std::clamp(c, 0.0, 1.0);
}

double pdf_quantile(const RedshiftPdfs& p, std::size_t i, double q) {
  const double* v = p.row(i);
  const int g = p.grid.points;
  const double dz = p.grid.dz();
  q = std::clamp(q, 0.0, 1.0);
  double c = 0;
  for (int j = 0; j + 1 < g; ++j) {
    const double cell = 0.5 * (v[j] + v[j + 1]) * dz;
    if (c + cell >= q && cell > 0) {
      // Solve c + v_j f dz + (v_{j+1} - v_j) f^2 dz / 2 = q for f in [0, 1].
      const double a = 0.5 * (v[j + 1] - v[j]) * dz, b = v[j] * dz, r = q - c;
      double f;
      if (std::abs(a) < 1e-14 * std::max(b, 1e-300))
        f = b > 0 ? r / b : 0.5;
      else
        f = (-b + std::sqrt(std::max(b * b + 4 * a * r, 0.0))) / (2 * a);
      return p.grid.z(j) + std::clamp(f, 0.0, 1.0) * dz;
    }
    c += cell;
  }
  return p.grid.z_max;
}

double pdf_at(const RedshiftPdfs& p, std::size_t i, double z) {
  if (z < p.grid.z_min || z > p.grid.z_max) return 0.0;
  const double t = (z - p.grid.z_min) / p.grid.dz();
  const int j = std::min(static_cast<int>(t), p.grid.points - 2);
  const double* v = p.row(i);
  return v[j] + (t - j) * (v[j + 1] - v[j]);
}

void write_redshift_pdfs(const std::string& path, const RedshiftPdfs& pdfs,
                         const std::vector<std::int64_t>& galaxy_id,
                         const std::vector<double>& redshift, const std::string& method,
                         const std::string& source) {
  using namespace sim::detail;
  const std::size_t n = pdfs.count();
  const int g = pdfs.grid.points;
  if (galaxy_id.size() != n || (!redshift.empty() && redshift.size() != n) ||
      pdfs.pdf.size() != n * g)
    throw std::invalid_argument("write_redshift_pdfs: " + std::to_string(n) + " densities but " +
                                std::to_string(galaxy_id.size()) + " galaxy ids and " +
                                std::to_string(redshift.size()) + " redshifts");
  std::vector<double> xvals(g), zmode(n), zmean(n), zmedian(n);
  for (int j = 0; j < g; ++j) xvals[j] = pdfs.grid.z(j);
  for (std::size_t i = 0; i < n; ++i) {
    zmode[i] = pdf_mode(pdfs, i);
    zmean[i] = pdf_mean(pdfs, i);
    zmedian[i] = pdf_quantile(pdfs, i, 0.5);
  }
  const auto hg = static_cast<hsize_t>(g);
  sim::AtomicWrite out(path);
  {
    H5Id file = h5_create_file(out.temp_path());
    H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
    h5_write_string_attribute(root.get(), "format", kRedshiftPdfFormat, path);
    h5_write_string_attribute(root.get(), "method", method, path);
    h5_write_string_attribute(root.get(), "source", source, path);
    H5Id meta = h5_create_group(root.get(), "meta", path);
    {
      // qp stores pdf_name and pdf_version as one-element datasets of the meta table.
      const std::string name = "interp";
      H5Id type(h5_check(H5Tcopy(H5T_C_S1), "H5Tcopy", path), H5Tclose);
      h5_check(H5Tset_size(type.get(), name.size()), "H5Tset_size", path);
      H5Id space = h5_dataspace({1}, path);
      H5Id d = h5_create_dataset(meta.get(), "pdf_name", type.get(), space.get(), path);
      h5_check(H5Dwrite(d.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, name.data()),
               "H5Dwrite", path + ": /meta/pdf_name");
      const std::vector<std::int64_t> version{0};
      h5_write_dataset(meta.get(), "pdf_version", H5T_STD_I64LE, version, 0, path);
    }
    h5_write_dataset(meta.get(), "xvals", H5T_IEEE_F64LE, xvals, hg, path);
    H5Id data = h5_create_group(root.get(), "data", path);
    h5_write_dataset(data.get(), "yvals", H5T_IEEE_F64LE, pdfs.pdf, hg, path);
    H5Id ancil = h5_create_group(root.get(), "ancil", path);
    h5_write_dataset(ancil.get(), "zmode", H5T_IEEE_F64LE, zmode, 0, path);
    h5_write_dataset(ancil.get(), "zmean", H5T_IEEE_F64LE, zmean, 0, path);
    h5_write_dataset(ancil.get(), "zmedian", H5T_IEEE_F64LE, zmedian, 0, path);
    h5_write_dataset(ancil.get(), "galaxy_id", H5T_STD_I64LE, galaxy_id, 0, path);
    if (!redshift.empty())
      h5_write_dataset(ancil.get(), "redshift", H5T_IEEE_F64LE, redshift, 0, path);
    ancil.close("H5Gclose", path);
    data.close("H5Gclose", path);
    meta.close("H5Gclose", path);
    root.close("H5Gclose", path);
    file.close("H5Fclose", path);
  }
  out.commit();
}

RedshiftPdfs read_redshift_pdfs(const std::string& path, std::vector<std::int64_t>* galaxy_id,
                                std::vector<double>* redshift) {
  using namespace sim::detail;
  H5Id file = h5_open_file(path);
  H5Id root(h5_check(H5Gopen2(file.get(), "/", H5P_DEFAULT), "H5Gopen2", path + ": /"), H5Gclose);
  const std::string format = h5_read_string_attribute(root.get(), "format", path);
  if (format != kRedshiftPdfFormat)
    throw std::runtime_error(path + ": root attribute format = '" + format + "', expected '" +
                             kRedshiftPdfFormat + "' (not a p(z) file)");
  const std::vector<double> x = h5_read_doubles(root.get(), "meta/xvals", path);
  if (x.size() < 3) throw std::runtime_error(path + ": /meta/xvals has fewer than 3 points");
  RedshiftPdfs p;
  p.grid.z_min = x.front();
  p.grid.z_max = x.back();
  p.grid.points = static_cast<int>(x.size());
  for (std::size_t j = 0; j < x.size(); ++j)
    if (std::abs(x[j] - p.grid.z(static_cast<int>(j))) > 1e-9 * (1 + std::abs(x[j])))
      throw std::runtime_error(path + ": /meta/xvals is not a uniform grid (point " +
                               std::to_string(j) + ")");
  p.pdf = h5_read_doubles(root.get(), "data/yvals", path);
  if (p.pdf.size() % x.size() != 0)
    throw std::runtime_error(path + ": /data/yvals does not hold whole rows of the grid");
  if (galaxy_id) {
    H5Id d = h5_open_dataset(root.get(), "ancil/galaxy_id", path);
    galaxy_id->assign(p.count(), 0);
    h5_check(H5Dread(d.get(), H5T_NATIVE_INT64, H5S_ALL, H5S_ALL, H5P_DEFAULT, galaxy_id->data()),
             "H5Dread", path + ": /ancil/galaxy_id");
  }
  if (redshift) {
    redshift->clear();
    if (h5_has_link(root.get(), "ancil/redshift", path))
      *redshift = h5_read_doubles(root.get(), "ancil/redshift", path);
  }
  return p;
}

}  // namespace cosmograd::surveys
