"""cosmograd.Cosmology against the `cosmograd theory` tables and against analytic results.

The tables print 9 (a, k, ell, P, C_ell) or 11 (background) significant digits, so Python and
the command line agree to ~1e-8 where both evaluate the same code; the comparisons use
rtol = 1e-6 (loose enough for the printed rounding of a and k, tight enough to catch any other
normalisation, unit or convention difference).
"""

import os
import subprocess

import numpy as np
import pytest

import cosmograd as cg

EXE = os.environ.get("COSMOGRAD_EXE", "")

# A non-default cosmology exercising every background term: CPL dark energy, curvature and
# radiation.
PARAMS = dict(Omega_m=0.3, Omega_b=0.045, h=0.7, n_s=0.96, sigma8=0.81, w0=-0.9, wa=0.1,
              Omega_k=0.01, radiation=True)
REDSHIFTS = (0.0, 1.0)
SOURCES = (0.5, 1.0)
RTOL = 1e-6  # the tables' printed digits, see the module docstring


def cli_value(v):
    return ("true" if v else "false") if isinstance(v, bool) else repr(v)


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    if not EXE or not os.path.exists(EXE):
        pytest.skip("COSMOGRAD_EXE (the cosmograd command line) is not set")
    out = tmp_path_factory.mktemp("theory")
    cmd = [EXE, "theory", "--out", str(out), "--log_level", "warn",
           "--z", ",".join(str(z) for z in REDSHIFTS),
           "--source_z", ",".join(str(z) for z in SOURCES)]
    for key, value in PARAMS.items():
        cmd += ["--" + key, cli_value(value)]
    subprocess.run(cmd, check=True, timeout=120)
    return {name: np.loadtxt(out / f"{name}.txt")
            for name in ("background", "linear_power", "halofit_power", "kappa_cl")}


@pytest.fixture(scope="module")
def cosmo():
    return cg.Cosmology(**PARAMS)


def test_background_matches_cli(tables, cosmo):
    t = tables["background"]
    a = t[:, 0]
    np.testing.assert_allclose(cosmo.E(a), t[:, 2], rtol=RTOL)
    np.testing.assert_allclose(cosmo.chi(a), t[:, 3], rtol=RTOL, atol=1e-6)  # chi(1) = 0
    np.testing.assert_allclose(cosmo.D1_norm(a), t[:, 4], rtol=RTOL)
    np.testing.assert_allclose(cosmo.f1(a), t[:, 5], rtol=RTOL)
    np.testing.assert_allclose(cosmo.D2_norm(a), t[:, 6], rtol=RTOL)
    np.testing.assert_allclose(cosmo.f2(a), t[:, 7], rtol=RTOL)


@pytest.mark.parametrize("name", ["linear_power", "halofit_power"])
def test_power_matches_cli(tables, cosmo, name):
    t = tables[name]
    k = t[:, 0]
    for column, z in enumerate(REDSHIFTS, start=1):
        a = 1.0 / (1.0 + z)
        p = cosmo.linear_power(k, a) if name == "linear_power" else cosmo.halofit_power(k, a)
        np.testing.assert_allclose(p, t[:, column], rtol=RTOL, err_msg=f"{name} z={z}")


def test_kappa_cl_matches_cli(tables, cosmo):
    t = tables["kappa_cl"]
    ell = t[:, 0]
    for i, zs in enumerate(SOURCES):
        lin = cosmo.kappa_cl(ell, source_z=zs, halofit=False)
        nl = cosmo.kappa_cl(ell, source_z=zs, halofit=True)
        np.testing.assert_allclose(lin, t[:, 1 + 2 * i], rtol=RTOL, err_msg=f"linear z_s={zs}")
        np.testing.assert_allclose(nl, t[:, 2 + 2 * i], rtol=RTOL, err_msg=f"halofit z_s={zs}")


def test_flat_lcdm_expansion_is_friedmann():
    # E(a)^2 = Omega_m a^-3 + 1 - Omega_m without radiation or curvature (exact formula).
    c = cg.Cosmology(Omega_m=0.27, radiation=False)
    a = np.geomspace(1e-4, 2.0, 50)
    np.testing.assert_allclose(c.E(a), np.sqrt(0.27 * a**-3 + 0.73), rtol=1e-13)
    np.testing.assert_allclose(c.Omega_m_a(a), 0.27 * a**-3 / (0.27 * a**-3 + 0.73), rtol=1e-13)


def test_einstein_de_sitter_growth_distances_and_age():
    # Omega_m = 1: D1 = a, f1 = 1, D2 = -3/7 a^2, chi = 2 c/H0 (1 - sqrt(a)), t = 2/(3 H0) a^1.5.
    h = 0.7
    c = cg.Cosmology(Omega_m=1.0, Omega_b=0.05, h=h, radiation=False)
    a = np.array([0.01, 0.1, 0.3, 0.5, 1.0, 1.5])
    np.testing.assert_allclose(c.D1(a), a, rtol=1e-6)
    np.testing.assert_allclose(c.D1_norm(a), a, rtol=1e-6)
    np.testing.assert_allclose(c.f1(a), 1.0, rtol=1e-6)
    np.testing.assert_allclose(c.D2(a), -3.0 / 7.0 * a**2, rtol=1e-6)
    np.testing.assert_allclose(c.f2(a), 2.0, rtol=1e-6)
    hubble_distance = 299792.458 / 100.0  # c/H0 [Mpc/h]
    np.testing.assert_allclose(c.chi(a), 2 * hubble_distance * (1 - np.sqrt(a)), rtol=1e-6,
                               atol=1e-8)
    # 1/H0 = 977.79222168 / (100 h) Gyr (Mpc / (km/s) in Julian Gyr).
    hubble_time = 3.0856775814913673e19 / 3.15576e16 / (100.0 * h)
    assert c.hubble_time == pytest.approx(hubble_time, rel=1e-12)
    np.testing.assert_allclose(c.age(a), 2.0 / 3.0 * hubble_time * a**1.5, rtol=1e-6)
    np.testing.assert_allclose(c.luminosity_distance(0.5), 2 * c.chi(0.5), rtol=1e-12)
    np.testing.assert_allclose(c.angular_diameter_distance(0.5), 0.5 * c.chi(0.5), rtol=1e-12)


def test_linear_power_normalisation_and_growth_scaling():
    c = cg.Cosmology(sigma8=0.75)
    # sigma(8 Mpc/h, a = 1) is sigma8 by construction of the amplitude (top-hat window).
    assert c.sigma_R(8.0) == pytest.approx(0.75, rel=1e-6)
    k = np.geomspace(1e-3, 5.0, 40)
    a = 0.4
    np.testing.assert_allclose(c.linear_power(k, a), c.linear_power(k) * c.D1_norm(a)**2,
                               rtol=1e-12)
    np.testing.assert_allclose(c.sigma_R(8.0, a), 0.75 * c.D1_norm(a), rtol=1e-6)
    # Halofit reduces to linear theory on large scales (T12: Delta^2_Q -> Delta^2_L as k -> 0).
    np.testing.assert_allclose(c.halofit_power(1e-4, 1.0), c.linear_power(1e-4, 1.0), rtol=1e-3)


def test_scalar_in_float_out_and_shapes_kept():
    c = cg.Cosmology()
    assert isinstance(c.chi(0.5), float)
    assert isinstance(c.linear_power(0.1), float)
    grid = np.linspace(0.2, 1.0, 6).reshape(2, 3)
    assert c.D1(grid).shape == (2, 3)
    np.testing.assert_allclose(c.D1(grid)[1, 2], c.D1(1.0), rtol=0)
    assert c.kappa_cl([10.0, 100.0], source_z=1.0).shape == (2,)


def test_from_spec_and_params_round_trip():
    spec = cg.SimSpec(Omega_m=0.25, sigma8=0.9, w0=-0.95)
    c = cg.Cosmology.from_spec(spec)
    assert c.params["Omega_m"] == 0.25 and c.params["sigma8"] == 0.9
    assert c.params["w0"] == -0.95
    again = cg.Cosmology(**c.params)
    assert again.chi(0.5) == c.chi(0.5)
    assert cg.Cosmology().params == cg.Cosmology.from_spec(cg.SimSpec()).params


@pytest.mark.parametrize("a", [0.0, -0.5, 2.5, float("nan")])
def test_out_of_range_a_raises_value_error(a):
    c = cg.Cosmology()
    with pytest.raises(ValueError, match="a = "):
        c.chi(a)
    with pytest.raises(ValueError, match="a = "):
        c.D1(np.array([0.5, a]))


def test_bad_arguments_raise_value_error_naming_them():
    c = cg.Cosmology()
    with pytest.raises(ValueError, match="k = -1"):
        c.linear_power(np.array([0.1, -1.0]))
    with pytest.raises(ValueError, match="Omega_m"):
        cg.Cosmology(Omega_m=1.5)
    with pytest.raises(ValueError, match="transfer"):
        cg.Cosmology(transfer="bbks")
    with pytest.raises(ValueError, match="transfer_file"):
        cg.Cosmology(transfer="table")
    with pytest.raises(ValueError, match="ell = 0"):
        c.kappa_cl([0.0, 10.0], source_z=1.0)
    with pytest.raises(ValueError, match="source_z"):
        c.kappa_cl(10.0)
    with pytest.raises(ValueError, match="a = 0.01"):
        c.halofit_power(0.1, 0.01)  # no nonlinear scale that early
