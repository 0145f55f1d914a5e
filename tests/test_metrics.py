"""Metrics against independent references: dense NumPy sums (MMD), sorted quantiles and
the assignment problem (W2), closed forms (Sinkhorn divergence), hand-counted modes."""

import jax
import jax.numpy as jnp
import numpy as np
import prdc as reference_prdc
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

import dualflow.kernels.sums
from dualflow.kernels import Gaussian, Laplace
from dualflow.measures import Measure, ring8_centres
from dualflow.metrics import (
    ModeCoverage,
    mmd,
    mmd_squared,
    mode_coverage,
    prdc,
    sinkhorn_divergence,
    w2,
    w2_squared,
)


@pytest.fixture
def rng():
    return np.random.default_rng(20240611)


def _weighted_cloud(rng, n, d, *, total=1.0):
    points = rng.normal(size=(n, d))
    masses = rng.uniform(0.2, 2.0, size=n)
    return points, total * masses / masses.sum()


# ---------------------------------------------------------------------------- MMD


def _numpy_mmd_squared(gram, x, a, y, b):
    return a @ gram(x, x) @ a - 2 * a @ gram(x, y) @ b + b @ gram(y, y) @ b


_NUMPY_GRAMS = {
    "gaussian": (Gaussian(0.7), lambda x, y: np.exp(-cdist(x, y, "sqeuclidean") / (2 * 0.7**2))),
    "laplace": (Laplace(0.7), lambda x, y: np.exp(-cdist(x, y, "euclidean") / 0.7)),
}


@pytest.mark.parametrize("name", sorted(_NUMPY_GRAMS))
@pytest.mark.parametrize("chunked", [False, True])
def test_mmd_matches_dense_numpy_double_sum(rng, monkeypatch, name, chunked):
    kernel, gram = _NUMPY_GRAMS[name]
    n, m = 7, 5
    if chunked:  # force the memory-linear tiled path of kernel_sums, and check it ran
        calls = []
        tiled = dualflow.kernels.sums._chunked_sums
        monkeypatch.setattr(dualflow.kernels.sums, "DENSE_PAIRS", 0)
        monkeypatch.setattr(dualflow.kernels.sums, "_chunked_sums", lambda *args: calls.append(1) or tiled(*args))
        n, m = 6, 4  # shapes no other test compiles, so the compiled-function cache cannot bypass the patch
    x, a = _weighted_cloud(rng, n, 3, total=1.3)  # masses as given: not normalized
    y, b = _weighted_cloud(rng, m, 3, total=0.6)
    y = y + 0.4
    expected = _numpy_mmd_squared(gram, x, a, y, b)
    mu, nu = Measure(x, a), Measure(y, b)
    np.testing.assert_allclose(mmd_squared(kernel, mu, nu), expected, rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(mmd(kernel, mu, nu), np.sqrt(expected), rtol=1e-10)
    np.testing.assert_allclose(mmd_squared(kernel, nu, mu), expected, rtol=1e-10, atol=1e-14)
    if chunked:
        assert calls


def test_mmd_uses_masses_as_given(rng):
    # Same atoms, masses a and 2a: MMD^2 = (2 - 1)^2 a^T K a, not zero.
    x, a = _weighted_cloud(rng, 6, 2)
    gram = np.exp(-cdist(x, x, "sqeuclidean") / 2)
    value = mmd_squared(Gaussian(1.0), Measure(x, a), Measure(x, 2 * a))
    np.testing.assert_allclose(value, a @ gram @ a, rtol=1e-12)


@pytest.mark.parametrize("kernel", [Gaussian(0.5), Laplace(2.0)])
def test_mmd_zero_for_identical_measures(rng, kernel):
    x, a = _weighted_cloud(rng, 9, 2)
    mu = Measure(x, a)
    assert abs(float(mmd_squared(kernel, mu, Measure(x.copy(), a.copy())))) < 1e-14
    assert float(mmd(kernel, mu, mu)) < 1e-7


def test_mmd_under_jit(rng):
    x, a = _weighted_cloud(rng, 4, 2)
    y, b = _weighted_cloud(rng, 3, 2)
    expected = _numpy_mmd_squared(_NUMPY_GRAMS["gaussian"][1], x, a, y, b)
    value = jax.jit(mmd_squared)(Gaussian(0.7), Measure(x, a), Measure(y, b))
    np.testing.assert_allclose(value, expected, rtol=1e-10)


def test_mmd_errors():
    mu, nu = Measure(jnp.zeros((3, 2))), Measure(jnp.zeros((3, 3)))
    with pytest.raises(ValueError, match=r"`mu` and `nu`.*d=2.*d=3"):
        mmd_squared(Gaussian(1.0), mu, nu)
    with pytest.raises(TypeError, match="`kernel`"):
        mmd(lambda x, z: 1.0, mu, mu)
    with pytest.raises(TypeError, match="`nu` must be a dualflow `Measure`"):
        mmd(Gaussian(1.0), mu, jnp.zeros((3, 2)))


# ---------------------------------------------------------------------------- W2


def test_w2_one_dimensional_sorted_quantiles(rng):
    x, y = rng.normal(size=20), 2.0 * rng.normal(size=20) + 0.5
    expected = np.mean((np.sort(x) - np.sort(y)) ** 2)
    value = w2_squared(Measure(x[:, None]), Measure(y[:, None]))
    assert isinstance(value, float)
    np.testing.assert_allclose(value, expected, rtol=1e-10)
    np.testing.assert_allclose(w2(Measure(x[:, None]), Measure(y[:, None])), np.sqrt(expected), rtol=1e-10)


def test_w2_equal_size_uniform_is_an_assignment_problem(rng):
    x, y = rng.normal(size=(15, 2)), rng.normal(size=(15, 2)) + 1.0
    cost = cdist(x, y, "sqeuclidean")
    rows, cols = linear_sum_assignment(cost)
    np.testing.assert_allclose(w2_squared(Measure(x), Measure(y)), cost[rows, cols].mean(), rtol=1e-10)


def test_w2_translation_gives_squared_shift_and_normalizes_masses(rng):
    x, a = _weighted_cloud(rng, 12, 3)
    shift = np.array([0.3, -1.2, 0.5])
    # nu carries three times the mass of mu: masses are normalized, so only the shift counts.
    value = w2_squared(Measure(x, a), Measure(x + shift, 3 * a))
    np.testing.assert_allclose(value, shift @ shift, rtol=1e-10)
    assert w2_squared(Measure(x, a), Measure(x, 5 * a)) < 1e-12


def test_w2_errors():
    with pytest.raises(ValueError, match=r"`mu` and `nu`.*d=1.*d=2"):
        w2_squared(Measure(jnp.zeros((3, 1))), Measure(jnp.zeros((3, 2))))
    with pytest.raises(TypeError, match="cannot run under `jit`"):
        jax.jit(lambda p: w2_squared(Measure(p), Measure(p)))(jnp.zeros((3, 2)))


# ---------------------------------------------------------------------------- Sinkhorn


# All Sinkhorn tests use 16 atoms in 2-D and the default solver settings, so ott's solver
# is compiled once for the whole file (a compile costs seconds; a solve, milliseconds).
N_SINKHORN = 16


def test_sinkhorn_two_diracs_is_squared_distance(rng):
    # ott convention: cost |x - y|^2 (no 1/2), S = OT(mu,nu) - (OT(mu,mu) + OT(nu,nu)) / 2,
    # so for Diracs S = |a - b|^2 whatever epsilon. A Dirac is written as 16 coincident atoms.
    a, b = np.array([0.3, -1.0]), np.array([1.0, 0.5])
    dirac_a = Measure(np.tile(a, (N_SINKHORN, 1)), rng.uniform(0.5, 1.0, N_SINKHORN))
    dirac_b = Measure(np.tile(b, (N_SINKHORN, 1)))
    for epsilon in (0.05, 1.0):
        value = sinkhorn_divergence(dirac_a, dirac_b, epsilon=epsilon)
        assert value.shape == () and jnp.issubdtype(value.dtype, jnp.floating)
        np.testing.assert_allclose(value, 0.7**2 + 1.5**2, rtol=1e-8)


def test_sinkhorn_identical_translated_and_different(rng):
    x, a = _weighted_cloud(rng, N_SINKHORN, 2)
    shift = np.array([0.6, -0.8])
    mu = Measure(x, a)
    same = sinkhorn_divergence(mu, Measure(x, 4 * a))  # masses normalized
    assert abs(float(same)) < 1e-5
    # translation: the cross term of |x - y - t|^2 integrates to zero, S = |t|^2 exactly
    # (up to the solver's marginal tolerance, 1e-3 by default)
    for epsilon in (0.05, 0.5):
        np.testing.assert_allclose(sinkhorn_divergence(mu, Measure(x + shift, a), epsilon), shift @ shift, rtol=1e-4)
    other = sinkhorn_divergence(mu, Measure(1.5 * x, a))
    assert float(other) > 1e-3
    # S_eps -> W2^2 as eps -> 0 (independent LP reference via scipy's assignment solver)
    y = rng.normal(size=(N_SINKHORN, 2))
    cost = cdist(x, y, "sqeuclidean")
    rows, cols = linear_sum_assignment(cost)
    uniform = Measure(x)
    np.testing.assert_allclose(sinkhorn_divergence(uniform, Measure(y), 0.01), cost[rows, cols].mean(), rtol=0.05)


def test_sinkhorn_nan_when_not_converged(rng):
    # a tolerance below round-off cannot be reached in max_iterations: nan, not a wrong number
    x, a = _weighted_cloud(rng, N_SINKHORN, 2)
    value = sinkhorn_divergence(Measure(x, a), Measure(1.5 * x, a), threshold=1e-30)
    assert jnp.isnan(value)


def test_sinkhorn_at_very_small_epsilon_approaches_w2_squared():
    """At epsilon = 1e-3 the accelerated iteration breaks down (-inf reported as converged);
    the plain iteration takes over, and S_eps is close to the exact W2^2 (scipy assignment)."""
    ka, kb = jax.random.split(jax.random.PRNGKey(3))
    x, y = np.asarray(jax.random.uniform(ka, (30, 2))), np.asarray(jax.random.uniform(kb, (30, 2))) + 0.5
    value = float(sinkhorn_divergence(Measure(jnp.asarray(x)), Measure(jnp.asarray(y)), 1e-3))
    cost = cdist(x, y, "sqeuclidean")
    rows, cols = linear_sum_assignment(cost)
    assert np.isfinite(value) and abs(value - cost[rows, cols].mean()) < 1e-3


def test_sinkhorn_errors():
    mu = Measure(jnp.zeros((2, 2)))
    with pytest.raises(ValueError, match="`epsilon` must be finite and positive; received 0.0"):
        sinkhorn_divergence(mu, mu, epsilon=0.0)
    with pytest.raises(ValueError, match="`epsilon`"):
        sinkhorn_divergence(mu, mu, epsilon=-1.0)
    with pytest.raises(ValueError, match=r"`mu` and `nu`.*d=2.*d=1"):
        sinkhorn_divergence(mu, Measure(jnp.zeros((2, 1))))
    with pytest.raises(ValueError, match="`max_iterations`"):
        sinkhorn_divergence(mu, mu, max_iterations=0)


# ---------------------------------------------------------------------------- modes

STD = 0.02
CENTRES = ring8_centres(2.0)


def _at(modes, counts, rng, spread=1.0):
    """Particles scattered within `spread` std (per coordinate) of the given modes."""
    centres = np.asarray(CENTRES)
    blocks = [centres[k] + spread * STD * rng.uniform(-1, 1, size=(c, 2)) for k, c in zip(modes, counts)]
    return np.concatenate(blocks)


def test_modes_three_of_eight_covered(rng):
    points = _at([0, 3, 5], [4, 4, 2], rng)
    cov = mode_coverage(points, CENTRES, STD)
    assert isinstance(cov, ModeCoverage)
    expected = np.zeros(8)
    expected[[0, 3, 5]] = [0.4, 0.4, 0.2]
    np.testing.assert_allclose(cov.occupancy, expected, rtol=1e-15)
    np.testing.assert_array_equal(cov.covered, expected > 0)
    assert int(cov.n_covered) == 3
    assert float(cov.high_quality_fraction) == 1.0
    p = expected[expected > 0]
    np.testing.assert_allclose(cov.kl_to_uniform, np.sum(p * np.log(8 * p)), rtol=1e-12)


def test_modes_far_particle_is_not_high_quality(rng):
    points = np.concatenate([_at([1], [10], rng), [[0.0, 0.0]]])  # origin: 2 away from every centre
    cov = mode_coverage(points, CENTRES, STD)
    np.testing.assert_allclose(cov.high_quality_fraction, 10 / 11, rtol=1e-15)
    np.testing.assert_allclose(cov.occupancy[1], 10 / 11, rtol=1e-15)
    np.testing.assert_allclose(cov.kl_to_uniform, np.log(8), rtol=1e-12)  # collapse onto one mode


def test_modes_radius_is_three_std():
    direction = np.asarray(CENTRES[2]) / 2.0
    inside = np.asarray(CENTRES[2]) + 2.9 * STD * direction
    outside = np.asarray(CENTRES[2]) + 3.1 * STD * direction
    cov = mode_coverage(np.stack([inside, outside]), CENTRES, STD)
    np.testing.assert_allclose(cov.high_quality_fraction, 0.5)
    cov = mode_coverage(np.stack([inside, outside]), CENTRES, STD, radius_stds=3.2)
    np.testing.assert_allclose(cov.high_quality_fraction, 1.0)


def test_modes_threshold_at_exactly_five_percent(rng):
    at_five = mode_coverage(_at([0, 1], [19, 1], rng), CENTRES, STD)  # 1/20 = 5%
    assert bool(at_five.covered[1]) and int(at_five.n_covered) == 2
    below = mode_coverage(_at([0, 1], [20, 1], rng), CENTRES, STD)  # 1/21 < 5%
    assert not bool(below.covered[1]) and int(below.n_covered) == 1
    # by mass: one particle of mass 19 on mode 0, one of mass 1 on mode 1
    weighted = mode_coverage(_at([0, 1], [1, 1], rng), CENTRES, STD, masses=jnp.array([19.0, 1.0]))
    np.testing.assert_allclose(weighted.occupancy[:2], [0.95, 0.05])
    assert int(weighted.n_covered) == 2
    assert int(mode_coverage(_at([0, 1], [19, 1], rng), CENTRES, STD, min_fraction=0.06).n_covered) == 1


def test_modes_balanced_and_empty():
    balanced = mode_coverage(CENTRES, CENTRES, STD)
    assert int(balanced.n_covered) == 8
    assert abs(float(balanced.kl_to_uniform)) < 1e-15
    empty = mode_coverage(jnp.zeros((5, 2)), CENTRES, STD)
    assert int(empty.n_covered) == 0 and float(empty.high_quality_fraction) == 0.0
    np.testing.assert_allclose(empty.kl_to_uniform, np.log(8))
    assert np.isfinite(float(empty.kl_to_uniform))


def test_modes_match_numpy_brute_force(rng):
    # Random cloud around the ring (some particles high quality, some not), random masses.
    centres = np.asarray(CENTRES)
    points = centres[rng.integers(0, 8, size=200)] + 0.05 * rng.normal(size=(200, 2))
    masses = rng.uniform(0.1, 1.0, size=200)
    dist = np.linalg.norm(points[:, None, :] - centres[None, :, :], axis=-1)
    hq = dist.min(axis=1) <= 3 * STD
    occupancy = np.array([masses[hq & (dist.argmin(axis=1) == k)].sum() for k in range(8)]) / masses.sum()
    cov = mode_coverage(points, CENTRES, STD, masses)
    np.testing.assert_allclose(cov.occupancy, occupancy, rtol=1e-12)
    np.testing.assert_allclose(cov.high_quality_fraction, masses[hq].sum() / masses.sum(), rtol=1e-12)
    np.testing.assert_array_equal(cov.covered, occupancy >= 0.05)
    p = occupancy / occupancy.sum()
    expected_kl = np.sum(np.where(p > 0, p * np.log(np.where(p > 0, 8 * p, 1.0)), 0.0))
    np.testing.assert_allclose(cov.kl_to_uniform, expected_kl, rtol=1e-10)


def test_modes_vmap_over_time(rng):
    three_modes = _at([0, 3, 5], [4, 4, 2], rng)
    all_modes = _at(list(range(8)) + [0, 0], [1] * 10, rng)
    frames = jnp.stack([jnp.asarray(three_modes), jnp.asarray(all_modes)])  # (time, n, d)
    cov = jax.jit(jax.vmap(lambda x: mode_coverage(x, CENTRES, STD)))(frames)
    assert cov.occupancy.shape == (2, 8) and cov.covered.shape == (2, 8)
    np.testing.assert_array_equal(cov.n_covered, [3, 8])


def test_modes_errors():
    points = jnp.zeros((4, 2))
    with pytest.raises(ValueError, match="`std` must be finite and positive; received -0.1"):
        mode_coverage(points, CENTRES, -0.1)
    with pytest.raises(ValueError, match=r"`centres` must have shape \(K, 3\).*received shape \(8, 2\)"):
        mode_coverage(jnp.zeros((4, 3)), CENTRES, STD)
    with pytest.raises(ValueError, match=r"`masses` must have shape \(4,\)"):
        mode_coverage(points, CENTRES, STD, jnp.ones(3))
    with pytest.raises(ValueError, match="`masses` must be finite and positive"):
        mode_coverage(points, CENTRES, STD, jnp.array([1.0, 0.0, 1.0, 1.0]))
    with pytest.raises(ValueError, match=r"`min_fraction` must lie in \[0, 1\]"):
        mode_coverage(points, CENTRES, STD, min_fraction=1.5)
    with pytest.raises(ValueError, match="`radius_stds`"):
        mode_coverage(points, CENTRES, STD, radius_stds=0.0)
    with pytest.raises(ValueError, match="`points` must be an"):
        mode_coverage(jnp.zeros(4), CENTRES, STD)


@pytest.mark.parametrize("k", [1, 5])
def test_prdc_matches_the_reference_package(k, capsys):
    """Precision, recall, density and coverage equal those of the `prdc` package (Naeem et al.)
    on samples that differ in spread, offset and size, including a collapsed fake sample."""

    rng = np.random.default_rng(k)
    real = rng.normal(size=(300, 2))
    for fake in (
        rng.normal(size=(200, 2)),
        0.3 * rng.normal(size=(250, 2)) + [1.0, 0.0],
        np.concatenate([rng.normal(size=(150, 2)), 0.01 * rng.normal(size=(50, 2)) + 3.0]),
    ):
        ours = prdc(real, fake, k)
        theirs = reference_prdc.compute_prdc(real, fake, k)
        assert ours == pytest.approx({name: float(v) for name, v in theirs.items()}, abs=1e-12)
    capsys.readouterr()  # the package prints its sample sizes


def test_prdc_of_closed_form_configurations():
    """Two clusters far apart: a fake sample on one of them has precision 1 and coverage 1/2;
    density counts the real balls around each fake point."""
    rng = np.random.default_rng(0)
    real = np.concatenate([rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) + 100.0])
    fake = real[:50] + 1e-9
    scores = prdc(real, fake, 3)
    assert scores["precision"] == 1.0 and scores["coverage"] == 0.5 and scores["recall"] == 0.5
    with pytest.raises(ValueError, match="below both sample sizes"):
        prdc(real, fake[:3], 3)
