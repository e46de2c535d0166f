"""Measurements (P(k), cross power, FoF) and files (snapshots, fields, halo catalogues, P(k)
text) of cosmograd on NumPy arrays: analytic spectra, synthetic halos, exact round trips, and
the files of the `cosmograd` command line read back and re-measured.

Estimator conventions (sim/measure/power_spectrum.hpp): delta_k = FFT[delta] / N^3,
P = V <|delta_k|^2> in bins [b, b + 1) k_F, k_F = 2 pi / L; `modes` counts k and -k.
"""

import glob
import os
import subprocess

import numpy as np
import pytest

import cosmograd as cg

EXE = os.environ.get("COSMOGRAD_EXE", "")


def cosine_field(n, m, amplitude, dtype=np.float64):
    """amplitude cos(2 pi m x / n) on an (n, n, n) mesh, varying along axis 0."""
    x = np.arange(n)
    wave = amplitude * np.cos(2 * np.pi * m * x / n)
    return np.broadcast_to(wave[:, None, None], (n, n, n)).astype(dtype)


def peak_bin(ps, m, box):
    """Index of the bin holding |m| k_F, and that the bin is the right one."""
    i = int(np.argmax(ps["power"]))
    kf = 2 * np.pi / box
    assert m * kf <= ps["k"][i] < (m + 1) * kf
    return i


# ---- P(k) of fields ---------------------------------------------------------------------


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-12), (np.float32, 1e-5)])
def test_single_cosine_mode_power(dtype, rtol):
    # delta = A cos(k x) has delta_k = A/2 at k and -k: the bin holding them has
    # P = V (2 (A/2)^2) / modes, every other bin zero.
    n, box, m, amp = 16, 100.0, 3, 0.7
    ps = cg.power_spectrum(cosine_field(n, m, amp, dtype), box)
    i = peak_bin(ps, m, box)
    expected = box**3 * 2 * (amp / 2) ** 2 / ps["modes"][i]
    assert ps["power"][i] == pytest.approx(expected, rel=rtol)
    others = np.delete(ps["power"], i)
    assert np.all(np.abs(others) < 1e-6 * expected)
    assert ps["box_size"] == box
    # Bins [b, b + 1) k_F up to Nyquist, b = 0 (k = 0 only) dropped: n/2 - 1 bins.
    assert len(ps["k"]) == n // 2 - 1


def test_window_compensation_divides_by_w_squared():
    # window='cic' divides delta_k by W = prod_i sinc(pi m_i / n)^2; the mode (m, 0, 0)
    # gains 1 / sinc(pi m / n)^4 in power.
    n, box, m = 16, 50.0, 5
    field = cosine_field(n, m, 1.0)
    raw = cg.power_spectrum(field, box)
    cic = cg.power_spectrum(field, box, window="cic")
    i = peak_bin(raw, m, box)
    w = np.sinc(m / n) ** 2  # np.sinc(x) = sin(pi x) / (pi x)
    assert cic["power"][i] / raw["power"][i] == pytest.approx(1 / w**2, rel=1e-12)


def test_white_noise_power_parseval_and_level():
    # Parseval: with every mode binned (k_max beyond the corner), sum_b P_b modes_b / V =
    # sum_{k != 0} |delta_k|^2 = mean(delta^2) - mean(delta)^2, exactly.
    n, box, sigma = 32, 64.0, 1.3
    rng = np.random.default_rng(7)
    delta = rng.normal(0.0, sigma, (n, n, n))
    ps = cg.power_spectrum(delta, box, k_max=1e3)
    total = np.sum(ps["power"] * ps["modes"]) / box**3
    assert total == pytest.approx(np.mean(delta**2) - np.mean(delta) ** 2, rel=1e-10)
    assert np.sum(ps["modes"]) == n**3 - 1
    # White noise: P = sigma^2 V / N^3 in every bin, within 6 sigma of the mode scatter
    # (each complex mode exponential, modes/2 independent ones per bin).
    level = sigma**2 * (box / n) ** 3
    scatter = np.sqrt(2.0 / ps["modes"])
    assert np.all(np.abs(ps["power"] / level - 1) < 6 * scatter + 1e-12)


def test_cross_power_correlation():
    n, box = 16, 80.0
    rng = np.random.default_rng(3)
    a = rng.normal(size=(n, n, n))
    b = rng.normal(size=(n, n, n))
    same = cg.cross_power(a, a, box)
    np.testing.assert_allclose(same["r"], 1.0, rtol=1e-12)
    np.testing.assert_allclose(same["power"], cg.power_spectrum(a, box)["power"], rtol=1e-12)
    np.testing.assert_allclose(cg.cross_power(a, -2.0 * a, box)["r"], -1.0, rtol=1e-12)
    # Independent fields: r scatters about 0 with sigma ~ sqrt(2 / modes).
    indep = cg.cross_power(a, b, box)
    assert np.all(np.abs(indep["r"]) < 6 * np.sqrt(2.0 / indep["modes"]))
    # r = P_ab / sqrt(P_aa P_bb) bin by bin.
    np.testing.assert_allclose(indep["r"],
                               indep["power"] / np.sqrt(indep["power_a"] * indep["power_b"]),
                               rtol=1e-12)


# ---- P(k) of particles ------------------------------------------------------------------


def sine_lattice(n, box, m, eps):
    """n^3 particles at cell centres (i + 1/2) L/n, displaced along x by
    eps sin(2 pi m (i + 1/2) / n) [Mpc/h]."""
    dx = box / n
    q = (np.arange(n) + 0.5) * dx
    x, y, z = np.meshgrid(q, q, q, indexing="ij")
    x = x + eps * np.sin(2 * np.pi * m * x / box)
    return np.stack([x.ravel(), y.ravel(), z.ravel()], axis=1)


@pytest.mark.parametrize("dtype,rtol", [(np.float64, 1e-9), (np.float32, 1e-4)])
def test_particle_power_of_a_displaced_lattice(dtype, rtol):
    # CIC of cell-centred particles displaced by d_i (|d| < half a cell) gives the mesh
    # density 1 - (d_i - d_{i-1}) / dx exactly: for d_i = eps sin(k (i + 1/2) dx) that is
    # the single mode delta_i = -A cos(k i dx), A = (2 eps / dx) sin(pi m / n). Compensation
    # divides by W = sinc(pi m / n)^2, so P = V 2 (A / 2W)^2 / modes in that bin, 0 elsewhere.
    n, box, m = 16, 64.0, 2
    dx = box / n
    eps = 0.2 * dx
    pos = sine_lattice(n, box, m, eps).astype(dtype)
    ps = cg.particle_power(pos, box, n, painter="cic", interlace=False,
                           subtract_shot_noise=False)
    i = peak_bin(ps, m, box)
    amp = 2 * eps / dx * np.sin(np.pi * m / n)
    w = np.sinc(m / n) ** 2
    expected = box**3 * 2 * (amp / (2 * w)) ** 2 / ps["modes"][i]
    assert ps["power"][i] == pytest.approx(expected, rel=rtol)
    assert np.all(np.abs(np.delete(ps["power"], i)) < 1e-5 * expected)
    assert ps["shot_noise"] == pytest.approx(box**3 / n**3, rel=1e-14)
    # Shot-noise subtraction removes exactly V / N from every bin.
    sub = cg.particle_power(pos, box, n, painter="cic", interlace=False)
    np.testing.assert_allclose(sub["power"], ps["power"] - box**3 / n**3, rtol=1e-12,
                               atol=1e-9 * box**3 / n**3)


# ---- FoF ----------------------------------------------------------------------------------


BOX = 100.0
CLUMPS = [  # centre [Mpc/h], members, bulk velocity [km/s]
    ((20.0, 20.0, 20.0), 40, (100.0, 0.0, -50.0)),
    ((60.0, 70.0, 30.0), 25, (0.0, 300.0, 0.0)),
    ((99.6, 50.0, 50.0), 12, (-20.0, 10.0, 5.0)),  # straddles the periodic x boundary
]
ISOLATED = [(5.0, 80.0, 80.0), (40.0, 45.0, 70.0), (80.0, 10.0, 60.0), (50.0, 90.0, 5.0),
            (30.0, 60.0, 40.0), (75.0, 35.0, 85.0)]


def clumps(seed=11):
    """Positions, velocities and ids of CLUMPS (members uniform in a 1 Mpc/h ball) and the
    ISOLATED particles; ids shuffled."""
    rng = np.random.default_rng(seed)
    pos, vel = [], []
    for centre, count, v in CLUMPS:
        d = rng.normal(size=(count, 3))
        d *= (rng.uniform(size=(count, 1)) ** (1 / 3)) / np.linalg.norm(d, axis=1)[:, None]
        pos.append(np.mod(np.array(centre) + d, BOX))
        vel.append(np.tile(v, (count, 1)))
    pos.append(np.array(ISOLATED))
    vel.append(np.zeros((len(ISOLATED), 3)))
    pos, vel = np.concatenate(pos), np.concatenate(vel)
    ids = rng.permutation(len(pos)) + 1000
    return pos, vel, ids


def periodic_mean(x, box):
    """Centre of mass of points x (M, 3) in a periodic box (about the first point)."""
    d = np.mod(x - x[0] + box / 2, box) - box / 2
    return np.mod(x[0] + d.mean(axis=0), box)


@pytest.fixture(scope="module")
def halos():
    pos, vel, ids = clumps()
    cat = cg.fof(pos, BOX, linking_length=0.2, min_members=10, velocities=vel, ids=ids, a=0.8)
    return pos, vel, ids, cat


def test_fof_finds_the_clumps(halos):
    # Mean separation (L^3 / 83)^(1/3) = 22.9 Mpc/h, link 4.6 Mpc/h: every clump (diameter
    # < 2 Mpc/h, > 20 Mpc/h from anything else) is one group; the isolated particles none.
    pos, vel, ids, cat = halos
    assert len(cat["num_members"]) == len(CLUMPS)
    np.testing.assert_array_equal(cat["num_members"], [c[1] for c in CLUMPS])
    start = 0
    for g, (centre, count, v) in enumerate(CLUMPS):
        members = slice(start, start + count)
        start += count
        offset = int(cat["offsets"][g])
        got = cat["ids"][offset:offset + count]
        np.testing.assert_array_equal(got, np.sort(ids[members]))
        assert cat["first_id"][g] == ids[members].min()
        com = periodic_mean(pos[members], BOX)
        np.testing.assert_allclose(cat["pos"][g], com, atol=1e-9)
        sep = np.mod(pos[members] - com + BOX / 2, BOX) - BOX / 2
        assert cat["radius"][g] == pytest.approx(np.linalg.norm(sep, axis=1).max(), abs=1e-9)
        # Every member moves with the bulk velocity: mean v exact, dispersion 0.
        np.testing.assert_allclose(cat["vel"][g], v, rtol=1e-12, atol=1e-9)
        assert cat["vel_disp"][g] == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(cat["mass"], cat["num_members"] * cat["particle_mass"],
                               rtol=1e-14)
    # Default particle mass: Omega_m rho_crit L^3 / M (Planck 2015 Omega_m, rho_crit =
    # 2.775e11 h^2 Msun/Mpc^3).
    assert cat["particle_mass"] == pytest.approx(0.3089 * 2.77536627e11 * BOX**3 / len(pos),
                                                 rel=1e-6)
    assert cat["a"] == 0.8 and cat["box_size"] == BOX


# ---- file round trips ---------------------------------------------------------------------


def random_particles(n, box, seed, dtype):
    rng = np.random.default_rng(seed)
    pos = rng.uniform(0, box, (n, 3)).astype(dtype)
    mom = rng.normal(0, 5.0, (n, 3)).astype(dtype)
    ids = rng.permutation(10 * n)[:n].astype(np.uint64) + 1
    return pos, mom, ids


def test_snapshot_round_trip_float32_exact(tmp_path):
    box, a = 50.0, 0.5
    pos, mom, ids = random_particles(1000, box, 1, np.float32)
    cosmo = cg.Cosmology(Omega_m=0.28, h=0.69, sigma8=0.85)
    path = str(tmp_path / "snap")
    cg.write_snapshot(path, pos, box, a, momenta=mom, ids=ids, cosmology=cosmo,
                      length_unit="Mpc/h")
    s = cg.read_snapshot(path)
    assert s["positions"].dtype == np.float32
    np.testing.assert_array_equal(s["positions"], pos)  # float32 of the double position
    np.testing.assert_array_equal(s["ids"], ids)
    # Momenta go through Gadget's u = 100 p / a^1.5 in float32: one rounding each way.
    np.testing.assert_allclose(s["momenta"], mom, rtol=3e-7, atol=1e-6)
    np.testing.assert_allclose(s["velocities"], 100 * s["momenta"] / a, rtol=1e-6)
    assert s["box_size"] == box and s["a"] == a and s["redshift"] == pytest.approx(1.0)
    assert s["Omega_m"] == 0.28 and s["h"] == 0.69
    assert s["Omega_lambda"] == pytest.approx(0.72, rel=1e-12)
    assert s["cosmology"] == cosmo.params
    assert s["particle_mass"] == pytest.approx(0.28 * 2.77536627e11 * box**3 / 1000, rel=1e-6)
    assert s["num_part_total"] == 1000 and s["num_files"] == 1


def test_snapshot_round_trip_double_multifile_kpc(tmp_path):
    box, a = 200.0, 1.0
    pos, mom, ids = random_particles(999, box, 2, np.float64)
    vel = 100.0 * mom / a
    path = str(tmp_path / "snap_double")
    cg.write_snapshot(path, pos, box, a, velocities=vel, ids=ids, num_files=3,
                      double_precision=True, particle_mass=1.5e11)
    assert sorted(os.listdir(tmp_path)) == [f"snap_double.{i}.hdf5" for i in range(3)]
    s = cg.read_snapshot(path + ".1.hdf5", double_precision=True)
    assert s["positions"].dtype == np.float64 and s["num_files"] == 3
    # kpc/h on disk: x 1000 and / 1000 in double, a few ulp.
    np.testing.assert_allclose(s["positions"], pos, rtol=1e-14, atol=1e-12)
    np.testing.assert_allclose(s["velocities"], vel, rtol=1e-13, atol=1e-12)
    np.testing.assert_array_equal(s["ids"], ids)
    assert s["particle_mass"] == pytest.approx(1.5e11, rel=1e-15)
    assert s["cosmology"] == cg.Cosmology().params  # the defaults of `cosmograd run`


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_field_round_trip_exact(tmp_path, dtype):
    rng = np.random.default_rng(5)
    field = rng.normal(size=(8, 8, 8)).astype(dtype)
    path = str(tmp_path / "f.h5")
    cg.write_field(path, field, 123.5, 0.25, attributes={"quantity": "test", "seed": 5})
    f = cg.read_field(path)
    assert f["field"].dtype == dtype
    np.testing.assert_array_equal(f["field"], field)
    assert f["box_size"] == 123.5 and f["a"] == 0.25 and f["redshift"] == 3.0
    assert f["attributes"]["quantity"] == "test" and f["attributes"]["seed"] == 5.0
    assert f["attributes"]["mesh"] == 8.0


@pytest.mark.parametrize("unit", ["Mpc/h", "kpc/h"])
def test_halo_catalog_round_trip(tmp_path, halos, unit):
    cat = halos[3]
    path = str(tmp_path / "halos.hdf5")
    cg.write_halo_catalog(path, cat, length_unit=unit)
    back = cg.read_halo_catalog(path)
    assert set(back) == set(cat)
    for key in ("num_members", "offsets", "ids", "first_id"):
        np.testing.assert_array_equal(back[key], cat[key], err_msg=key)
    # Floats are stored as float64 in 1e10 Msun/h and kpc/h or Mpc/h: at most an ulp off.
    for key in ("mass", "pos", "vel", "vel_disp", "radius", "so_pos", "m200m", "r200m",
                "m200c", "r200c"):
        np.testing.assert_allclose(back[key], cat[key], rtol=1e-15, atol=1e-300, err_msg=key)
    for key in ("box_size", "a", "Omega_m", "Omega_lambda", "h", "particle_mass",
                "linking_length", "min_members"):
        assert back[key] == pytest.approx(cat[key], rel=1e-15), key


def test_power_text_round_trip(tmp_path):
    ps = cg.power_spectrum(cosine_field(16, 2, 1.0) + 0.01 * np.arange(16**3).reshape(16, 16, 16)
                           / 16**3, 40.0)
    path = str(tmp_path / "p.txt")
    cg.write_power(path, ps, comment="round trip")
    back = cg.read_power(path)
    np.testing.assert_allclose(back["k"], ps["k"], rtol=1e-8)  # 9 significant digits
    np.testing.assert_allclose(back["power"], ps["power"], rtol=1e-8)
    np.testing.assert_array_equal(back["modes"], ps["modes"])
    assert open(path).readline().startswith("# round trip")


# ---- files of the command line ------------------------------------------------------------


@pytest.fixture(scope="module")
def cli_run(tmp_path_factory):
    if not EXE or not os.path.exists(EXE):
        pytest.skip("COSMOGRAD_EXE (the cosmograd command line) is not set")
    out = tmp_path_factory.mktemp("run")
    subprocess.run([EXE, "run", "--particles", "16", "--mesh", "32", "--box_size", "64",
                    "--steps", "2", "--output_dir", str(out), "--progress", "false",
                    "--log_level", "warn", "--threads", "2"], check=True, timeout=300)
    return out


def test_cli_snapshot_and_density(cli_run):
    (snap_path,) = glob.glob(str(cli_run / "snapshot*.hdf5"))
    s = cg.read_snapshot(snap_path)
    assert s["positions"].shape == (16**3, 3)
    assert s["box_size"] == 64.0 and s["a"] == 1.0
    assert np.all(s["positions"] >= 0) and np.all(s["positions"] < 64.0)
    np.testing.assert_array_equal(np.sort(s["ids"]), np.arange(1, 16**3 + 1))
    assert s["cosmology"] == cg.Cosmology().params
    # Particles moved: rms displacement from the lattice of a few Mpc/h at z = 0.
    lattice = np.stack(np.meshgrid(*[np.arange(16) * 4.0] * 3, indexing="ij"), -1).reshape(-1, 3)
    disp = np.mod(s["positions"] - lattice[s["ids"] - 1] + 32.0, 64.0) - 32.0
    assert 0.5 < np.sqrt(np.mean(disp**2)) < 10.0
    (density_path,) = glob.glob(str(cli_run / "density*.h5"))
    d = cg.read_field(density_path)
    assert d["field"].shape == (32, 32, 32) and d["box_size"] == 64.0 and d["a"] == 1.0
    assert abs(float(np.mean(d["field"], dtype=np.float64))) < 1e-5  # a density contrast
    assert d["attributes"]["window"] == "cic"
    # The density file is the CIC mesh of the run's particles: its P(k), CIC-compensated,
    # equals particle_power of the snapshot without interlacing (measured 1e-7 apart: the
    # snapshot rounds positions to float32 in kpc/h; rtol 1e-5).
    field_ps = cg.power_spectrum(d["field"], 64.0, window="cic")
    part_ps = cg.particle_power(s["positions"], 64.0, 32, interlace=False,
                                subtract_shot_noise=False)
    np.testing.assert_allclose(field_ps["power"], part_ps["power"], rtol=1e-5)
    # The run's own P(k) file (force mesh, CIC, interlaced, no shot-noise subtraction).
    (power_path,) = glob.glob(str(cli_run / "power*.txt"))
    run_ps = cg.read_power(power_path)
    ps = cg.particle_power(s["positions"], 64.0, 32, subtract_shot_noise=False)
    np.testing.assert_allclose(ps["power"], run_ps["power"], rtol=1e-5)
    np.testing.assert_array_equal(ps["modes"], run_ps["modes"])


def test_cli_power_matches_particle_power(cli_run, tmp_path):
    (snap_path,) = glob.glob(str(cli_run / "snapshot*.hdf5"))
    out = tmp_path / "power.txt"
    subprocess.run([EXE, "power", snap_path, "--mesh", "32", "--out", str(out),
                    "--log_level", "warn"], check=True, timeout=120)
    cli = cg.read_power(str(out))
    s = cg.read_snapshot(snap_path)
    py = cg.particle_power(s["positions"], s["box_size"], 32, painter="cic", interlace=True,
                           subtract_shot_noise=False)
    np.testing.assert_allclose(py["k"], cli["k"], rtol=1e-8)  # the text's 9 digits
    np.testing.assert_allclose(py["power"], cli["power"], rtol=1e-8)
    np.testing.assert_array_equal(py["modes"], cli["modes"])


def test_cli_halos_match_fof(cli_run, tmp_path):
    (snap_path,) = glob.glob(str(cli_run / "snapshot*.hdf5"))
    out = tmp_path / "halos.hdf5"
    subprocess.run([EXE, "halos", snap_path, "--min_members", "2", "--out", str(out),
                    "--log_level", "warn"], check=True, timeout=120)
    cli = cg.read_halo_catalog(str(out))
    s = cg.read_snapshot(snap_path)
    py = cg.fof(s["positions"], s["box_size"], linking_length=0.2, min_members=2,
                momenta=s["momenta"], ids=s["ids"], a=s["a"], cosmology=s["cosmology"],
                particle_mass=s["particle_mass"])
    assert len(py["num_members"]) > 0
    for key in ("num_members", "offsets", "ids", "first_id"):
        np.testing.assert_array_equal(py[key], cli[key], err_msg=key)
    for key in ("mass", "pos", "vel", "vel_disp", "radius", "m200m", "r200m", "m200c", "r200c"):
        np.testing.assert_allclose(py[key], cli[key], rtol=1e-12, atol=1e-12, err_msg=key)


# ---- bad input ----------------------------------------------------------------------------


def test_bad_input_raises_value_error_naming_the_argument(tmp_path, halos):
    with pytest.raises(ValueError, match=r"field has shape \(4, 4\)"):
        cg.power_spectrum(np.zeros((4, 4)), 10.0)
    with pytest.raises(ValueError, match=r"field has shape \(5, 5, 5\)"):
        cg.power_spectrum(np.zeros((5, 5, 5)), 10.0)
    with pytest.raises(ValueError, match="field has dtype complex128"):
        cg.power_spectrum(np.zeros((4, 4, 4), complex), 10.0)
    with pytest.raises(ValueError, match="box_size = -1"):
        cg.power_spectrum(np.zeros((4, 4, 4)), -1.0)
    with pytest.raises(ValueError, match=r"a has shape \(4, 4, 4\) but b has shape \(6, 6, 6\)"):
        cg.cross_power(np.zeros((4, 4, 4)), np.zeros((6, 6, 6)), 10.0)
    with pytest.raises(ValueError, match=r"positions has shape \(10, 2\)"):
        cg.particle_power(np.zeros((10, 2)), 10.0, 8)
    with pytest.raises(ValueError, match="n_mesh = 7"):
        cg.particle_power(np.zeros((10, 3)), 10.0, 7)
    with pytest.raises(ValueError, match="painter"):
        cg.particle_power(np.zeros((10, 3)), 10.0, 8, painter="ngp")
    with pytest.raises(ValueError, match=r"positions has shape \(5,\)"):
        cg.fof(np.zeros(5), 10.0)
    with pytest.raises(ValueError, match=r"velocities has shape \(3, 3\)"):
        cg.fof(np.zeros((4, 3)), 10.0, velocities=np.zeros((3, 3)))
    with pytest.raises(ValueError, match="linking_length = 2"):
        cg.fof(np.zeros((4, 3)), 10.0, linking_length=2.0)
    with pytest.raises(ValueError, match=r"positions\[1, 2\] = nan"):
        cg.fof(np.array([[1.0, 2, 3], [1, 2, np.nan]]), 10.0)
    with pytest.raises(ValueError, match=r"ids\[0\] = 0"):
        cg.write_snapshot(str(tmp_path / "s"), np.zeros((2, 3)), 10.0, 1.0, ids=[0, 1])
    with pytest.raises(ValueError, match=r"momenta has shape \(1, 3\)"):
        cg.write_snapshot(str(tmp_path / "s"), np.zeros((2, 3)), 10.0, 1.0,
                          momenta=np.zeros((1, 3)))
    with pytest.raises(ValueError, match="length_unit = 'pc'"):
        cg.write_snapshot(str(tmp_path / "s"), np.zeros((2, 3)), 10.0, 1.0, length_unit="pc")
    with pytest.raises(ValueError, match="cosmology has the unknown parameter 'Om'"):
        cg.write_snapshot(str(tmp_path / "s"), np.zeros((2, 3)), 10.0, 1.0,
                          cosmology={"Om": 0.3})
    with pytest.raises(ValueError, match=r"field has shape \(3, 3, 3\)"):
        cg.write_field(str(tmp_path / "f.h5"), np.zeros((3, 3, 3)), 10.0, 1.0)
    with pytest.raises(ValueError, match="attributes has the key 'box_size'"):
        cg.write_field(str(tmp_path / "f.h5"), np.zeros((4, 4, 4)), 10.0, 1.0,
                       attributes={"box_size": 3.0})
    no_mass = {k: v for k, v in halos[3].items() if k != "mass"}
    with pytest.raises(ValueError, match="catalog has no 'mass'"):
        cg.write_halo_catalog(str(tmp_path / "h.hdf5"), no_mass)
    bad_pos = dict(halos[3], pos=np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"catalog\['pos'\] has shape \(2, 3\)"):
        cg.write_halo_catalog(str(tmp_path / "h.hdf5"), bad_pos)
    assert not os.listdir(tmp_path)  # nothing half-written
