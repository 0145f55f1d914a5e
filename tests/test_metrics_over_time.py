"""Metrics along a run (`metrics_over_time`), the occupancy KL and mode hopping, checked against
plain NumPy counts, closed forms and scipy."""

import json
import math

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist

import dualflow as df
from dualflow.measures import Measure, ring8_centres
from dualflow.metrics import (
    MetricsOverTime,
    ModeHops,
    default_bandwidth,
    metrics_over_time,
    mode_hops,
    mode_labels,
    occupancy_kl,
    particle_hops,
)

STD = 0.02
CENTRES = np.asarray(ring8_centres(2.0))


@pytest.fixture
def rng():
    return np.random.default_rng(7)


def _numpy_occupancy(points, masses, radius):
    dist = cdist(points, CENTRES)
    high = dist.min(axis=1) <= radius
    nearest = dist.argmin(axis=1)
    occupancy = np.array([masses[high & (nearest == k)].sum() for k in range(len(CENTRES))]) / masses.sum()
    return occupancy, masses[high].sum() / masses.sum()


def _kl_by_hand(occupancy, weights):
    p = occupancy / occupancy.sum()
    q = weights / weights.sum()
    return sum(pk * math.log(pk / qk) for pk, qk in zip(p, q) if pk > 0)


# ------------------------------------------------------------------------- mode coverage over time


def test_occupancy_matches_numpy_counts_at_every_save(rng):
    n_saves, n = 5, 60
    points = CENTRES[rng.integers(0, 8, size=(n_saves, n))] + 0.06 * rng.normal(size=(n_saves, n, 2))
    points[:, :5] = rng.uniform(-0.5, 0.5, size=(n_saves, 5, 2))  # far from every mode
    masses = rng.uniform(0.2, 1.0, size=n)
    weights = np.arange(1.0, 9.0)
    ts = np.linspace(0.0, 2.0, n_saves)
    result = metrics_over_time(
        (ts, points, masses), Measure(CENTRES), CENTRES, STD, target_weights=weights, which=("modes",)
    )
    assert isinstance(result, MetricsOverTime)
    for s in range(n_saves):
        occupancy, high = _numpy_occupancy(points[s], masses, 3 * STD)
        np.testing.assert_allclose(result.occupancy[s], occupancy, rtol=1e-12)
        np.testing.assert_allclose(result.high_quality_fraction[s], high, rtol=1e-12)
        assert result.n_covered[s] == np.sum(occupancy >= 0.05)
        np.testing.assert_allclose(result.kl_occupancy[s], _kl_by_hand(occupancy, weights), rtol=1e-10)
    np.testing.assert_array_equal(result.ts, ts)
    assert result.w2 is None and result.w2_squared is None and result.sinkhorn is None and result.mmd is None


def test_counts_with_uniform_masses_are_exact_fractions():
    # 10 particles: 5 at mode 0, 3 at mode 4, 1 at mode 6, 1 at the origin (no mode)
    frame = np.concatenate([np.repeat(CENTRES[[0]], 5, 0), np.repeat(CENTRES[[4]], 3, 0), CENTRES[[6]], [[0, 0]]])
    result = metrics_over_time((np.zeros(1), frame[None], None), Measure(CENTRES), CENTRES, STD, which=("modes",))
    expected = np.zeros(8)
    expected[[0, 4, 6]] = [0.5, 0.3, 0.1]
    np.testing.assert_array_equal(result.occupancy[0], expected)
    assert result.n_covered[0] == 3 and result.high_quality_fraction[0] == 0.9
    p = np.array([5, 3, 1]) / 9
    np.testing.assert_allclose(result.kl_occupancy[0], np.sum(p * np.log(8 * p)), rtol=1e-12)
    # exactly 5%: 7 of 140 particles (7 * fl(1/140) < 0.05, so the fraction must be 7 / 140)
    frame = np.concatenate([np.repeat(CENTRES[[0]], 133, 0), np.repeat(CENTRES[[1]], 7, 0)])
    result = metrics_over_time((np.zeros(1), frame[None], None), Measure(CENTRES), CENTRES, STD, which=("modes",))
    assert result.occupancy[0, 1] == 0.05 and result.n_covered[0] == 2


def test_occupancy_kl_by_hand():
    np.testing.assert_allclose(occupancy_kl(jnp.array([0.5, 0.5, 0.0]), jnp.array([1.0, 1.0, 2.0])), math.log(2))
    # p = (.25, .25, .5) against uniform thirds
    expected = 2 * 0.25 * math.log(0.75) + 0.5 * math.log(1.5)
    np.testing.assert_allclose(occupancy_kl(jnp.array([0.1, 0.1, 0.2])), expected, rtol=1e-12)
    # matching the target exactly gives 0; no high-quality mass gives log(1 / min q)
    np.testing.assert_allclose(occupancy_kl(jnp.array([0.1, 0.1, 0.2]), jnp.array([1.0, 1.0, 2.0])), 0.0, atol=1e-15)
    np.testing.assert_allclose(occupancy_kl(jnp.zeros(3), jnp.array([1.0, 1.0, 2.0])), math.log(4))
    np.testing.assert_allclose(occupancy_kl(jnp.zeros(8)), math.log(8))
    batch = occupancy_kl(jnp.array([[0.5, 0.5, 0.0], [0.0, 0.0, 0.0]]), jnp.array([1.0, 1.0, 2.0]))
    np.testing.assert_allclose(batch, [math.log(2), math.log(4)])


def test_occupancy_kl_errors():
    with pytest.raises(ValueError, match=r"`target_weights` must have shape \(3,\)"):
        occupancy_kl(jnp.ones(3), jnp.ones(2))
    with pytest.raises(ValueError, match="`target_weights` must be finite and positive"):
        occupancy_kl(jnp.ones(3), jnp.array([1.0, 0.0, 1.0]))
    with pytest.raises(ValueError, match=r"`occupancy` must have shape \(..., K\)"):
        occupancy_kl(jnp.ones(()))


def test_mode_labels_match_numpy(rng):
    points = CENTRES[rng.integers(0, 8, size=100)] + 0.05 * rng.normal(size=(100, 2))
    dist = cdist(points, CENTRES)
    expected = np.where(dist.min(axis=1) <= 3 * STD, dist.argmin(axis=1), -1)
    np.testing.assert_array_equal(mode_labels(points, CENTRES, STD), expected)
    assert 0 < np.sum(expected == -1) < 100  # both cases are exercised


# ------------------------------------------------------------------------- distances over time


def test_w2_and_sinkhorn_of_translations_are_the_squared_shift(rng):
    data = Measure(rng.normal(size=(30, 2)))
    shifts = np.array([[0.0, 0.0], [0.3, -0.4], [1.0, 2.0]])
    points = np.asarray(data.points)[None] + shifts[:, None, :]
    result = metrics_over_time((np.arange(3.0), points, None), data, CENTRES, STD, which=("w2", "sinkhorn"))
    squared = np.sum(shifts**2, axis=1)
    np.testing.assert_allclose(result.w2_squared, squared, atol=1e-10)
    np.testing.assert_allclose(result.w2, np.sqrt(squared), atol=1e-8)
    np.testing.assert_allclose(result.sinkhorn, squared, rtol=1e-3, atol=1e-4)
    assert result.occupancy is None and result.mmd is None


def test_w2_equal_sizes_is_an_assignment_problem(rng):
    data = Measure(rng.normal(size=(25, 2)))
    points = rng.normal(size=(2, 25, 2)) + np.array([0.5, 0.0])
    result = metrics_over_time((np.arange(2.0), points, None), data, CENTRES, STD, which=("w2",))
    for s in range(2):
        cost = cdist(points[s], np.asarray(data.points), "sqeuclidean")
        rows, cols = linear_sum_assignment(cost)
        np.testing.assert_allclose(result.w2_squared[s], cost[rows, cols].mean(), rtol=1e-10)


def test_mmd_default_kernel_is_gaussian_at_the_mode_spacing(rng):
    spacing = 4 * math.sin(math.pi / 8)  # neighbouring centres of the ring of radius 2
    assert default_bandwidth(CENTRES) == pytest.approx(spacing, rel=1e-12)
    data = Measure(rng.normal(size=(20, 2)), rng.uniform(0.5, 1.5, size=20))
    points = rng.normal(size=(2, 15, 2))
    masses = rng.uniform(0.5, 2.0, size=15)
    result = metrics_over_time((np.arange(2.0), points, masses), data, CENTRES, STD, which=("mmd",))
    assert result.settings["kernel"] == "Gaussian"
    assert result.settings["bandwidth"] == pytest.approx(spacing, rel=1e-12)

    def gram(x, y):
        return np.exp(-cdist(x, y, "sqeuclidean") / (2 * spacing**2))

    a = masses / masses.sum()
    y, b = np.asarray(data.points), np.asarray(data.masses) / np.asarray(data.masses).sum()
    for s in range(2):
        x = points[s]
        squared = a @ gram(x, x) @ a - 2 * a @ gram(x, y) @ b + b @ gram(y, y) @ b
        np.testing.assert_allclose(result.mmd[s], math.sqrt(squared), rtol=1e-10)
    other = metrics_over_time(
        (np.arange(2.0), points, masses), data, CENTRES, STD, which=("mmd",), kernel=df.Laplace(0.7)
    )
    assert other.settings["kernel"] == "Laplace" and other.settings["bandwidth"] == pytest.approx(0.7)
    assert not np.allclose(other.mmd, result.mmd)


def test_every_subsamples_and_keeps_the_last_save(rng):
    data = Measure(CENTRES)
    points = CENTRES[None] + 0.01 * rng.normal(size=(8, 8, 2))
    ts = np.arange(8.0) / 2
    result = metrics_over_time((ts, points, None), data, CENTRES, STD, every=3, which=("modes", "w2"))
    np.testing.assert_array_equal(result.indices, [0, 3, 6, 7])
    np.testing.assert_array_equal(result.ts, ts[[0, 3, 6, 7]])
    full = metrics_over_time((ts, points, None), data, CENTRES, STD, which=("modes", "w2"))
    np.testing.assert_allclose(result.w2_squared, full.w2_squared[[0, 3, 6, 7]], rtol=1e-12)
    assert metrics_over_time(
        (ts[:7], points[:7], None), data, CENTRES, STD, every=3, which=("modes",)
    ).indices.tolist() == [0, 3, 6]


# ------------------------------------------------------------------------- non-finite saves


def test_non_finite_saves_are_nan_rows_and_json_nulls(rng):
    data = Measure(CENTRES)
    points = CENTRES[None] + 0.01 * rng.normal(size=(5, 8, 2))
    points[2, 3] = np.nan  # a blown-up save at a finite time
    ts = np.array([0.0, 0.5, 1.0, np.inf, np.inf])  # a flow that ended before t = 1.5
    result = metrics_over_time((ts, points, None), data, CENTRES, STD)
    for name in ("n_covered", "high_quality_fraction", "kl_occupancy", "w2", "w2_squared", "sinkhorn", "mmd"):
        values = getattr(result, name)
        assert np.all(np.isfinite(values[:2])), name
        assert np.all(np.isnan(values[2:])), name
    assert np.all(np.isnan(result.occupancy[2:])) and np.all(result.n_covered[:2] == 8)
    as_dict = result.to_dict()
    json.dumps(as_dict, allow_nan=False)
    assert as_dict["ts"][3] == "inf" and as_dict["w2"][2:] == [None, None, None]  # NaN: null; inf: "inf"
    assert as_dict["indices"] == [0, 1, 2, 3, 4] and as_dict["settings"]["std"] == STD
    nothing = metrics_over_time((np.full(2, np.inf), points[:2], None), data, CENTRES, STD, which=("modes", "w2"))
    assert np.all(np.isnan(nothing.occupancy)) and np.all(np.isnan(nothing.w2))


def test_solutions_from_solve_gda_and_an_early_ended_flow(key):
    data = df.ring8(key, 64)
    game = df.KernelGame(data, df.FiniteRank(df.RandomFourier(df.Gaussian(0.5), 128, 2, key=key)), reg=0.1)
    start = df.Measure(0.3 * jax.random.normal(key, (32, 2)))
    gda = df.solve(game, start, df.GDA(lr_g=0.05, lr_d=0.5), n_steps=200, save_every=20)
    result = metrics_over_time(gda, data, ring8_centres(2.0), STD, every=2)
    assert result.ts.shape == (6,) and result.occupancy.shape == (6, 8)
    assert np.all(np.isfinite(result.w2)) and np.all(np.isfinite(result.sinkhorn))
    assert result.w2[-1] < result.w2[0]  # the particles leave the centre towards the ring
    # a flow stopped as soon as the particles are slow: saves after its end hold the end state at the end time
    flow = df.solve(game, start, df.DualFlow(kappa=10.0), t1=50.0, n_saves=6, stationary_tol=0.1, throw=False)
    ended = np.asarray(flow.ts) == float(flow.final_time)
    assert flow.result_name == "STATIONARY" and ended.any() and not ended[0]
    result = metrics_over_time(flow, data, ring8_centres(2.0), STD)
    assert np.all(np.isfinite(result.w2))
    np.testing.assert_array_equal(result.w2[ended], result.w2[ended][0])
    np.testing.assert_array_equal(result.n_covered[ended], result.n_covered[ended][0])


def test_errors(rng):
    data = Measure(CENTRES)
    run = (np.arange(2.0), CENTRES[None].repeat(2, 0), None)
    with pytest.raises(ValueError, match="`which` must name some of"):
        metrics_over_time(run, data, CENTRES, STD, which=("modes", "fid"))
    with pytest.raises(ValueError, match=r"`target_weights` must have shape \(8,\)"):
        metrics_over_time(run, data, CENTRES, STD, target_weights=np.ones(3))
    with pytest.raises(ValueError, match=r"expected `ts` of shape \(S,\) and `points` of shape \(S, N, d\)"):
        metrics_over_time((np.arange(3.0), CENTRES[None].repeat(2, 0), None), data, CENTRES, STD)
    with pytest.raises(ValueError, match=r"`masses` must be a finite positive array of shape \(8,\)"):
        metrics_over_time((np.arange(2.0), CENTRES[None].repeat(2, 0), np.ones(3)), data, CENTRES, STD)
    with pytest.raises(ValueError, match=r"`centres` must have shape \(K, 2\)"):
        metrics_over_time(run, data, np.ones((3, 3)), STD)
    with pytest.raises(ValueError, match="`every` must be an integer >= 1"):
        metrics_over_time(run, data, CENTRES, STD, every=0)
    with pytest.raises(ValueError, match="`std` must be finite and positive"):
        metrics_over_time(run, data, CENTRES, -1.0)
    with pytest.raises(ValueError, match=r"`min_fraction` must lie in \[0, 1\]"):
        metrics_over_time(run, data, CENTRES, STD, min_fraction=1.5)
    with pytest.raises(ValueError, match="`radius_stds` must be finite and positive"):
        metrics_over_time(run, data, CENTRES, STD, radius_stds=0.0)
    with pytest.raises(ValueError, match="`epsilon` must be finite and positive"):
        metrics_over_time(run, data, CENTRES, STD, epsilon=0.0)
    with pytest.raises(TypeError, match="`data` must be a dualflow `Measure`"):
        metrics_over_time(run, CENTRES, CENTRES, STD)
    with pytest.raises(TypeError, match="`run` must be a Solution or a tuple"):
        metrics_over_time(CENTRES, data, CENTRES, STD)
    with pytest.raises(ValueError, match="needs at least two distinct centres"):
        metrics_over_time(run, data, CENTRES[:1], STD, which=("mmd",))


# ------------------------------------------------------------------------- mode hopping


def _occupancy_of(labels, n_modes=4, top=0.6, second=0.1):
    """Occupancy rows whose largest entry is `labels[s]` (or empty rows for -1)."""
    occupancy = np.zeros((len(labels), n_modes))
    for s, label in enumerate(labels):
        if label >= 0:
            occupancy[s, label] = top
            occupancy[s, (label + 1) % n_modes] = second
    return occupancy


def test_mode_hops_ignore_flicker_and_empty_saves():
    # 0 0 0 | flicker 1 | 0 0 | nothing nothing | 2 2 2 2 | flicker 3 | 2 2 | 1 1 1
    labels = [0, 0, 0, 1, 0, 0, -1, -1, 2, 2, 2, 2, 3, 2, 2, 1, 1, 1]
    ts = 0.5 * np.arange(len(labels))
    hops = mode_hops(_occupancy_of(labels), ts, persistence=2)
    assert isinstance(hops, ModeHops)
    np.testing.assert_array_equal(hops.dominant, labels)
    np.testing.assert_array_equal(hops.modes, [0, 2, 1])
    np.testing.assert_array_equal(hops.start_times, [0.0, 4.0, 7.5])
    np.testing.assert_array_equal(hops.switch_times, [4.0, 7.5])
    assert hops.n_hops == 2
    # persistence 1: every change between modes counts (empty saves still do not)
    every = mode_hops(_occupancy_of(labels), ts, persistence=1)
    np.testing.assert_array_equal(every.modes, [0, 1, 0, 2, 3, 2, 1])
    assert every.n_hops == 6
    # persistence 4: only the run of 2 (4 saves) is long enough; nothing to hop to
    long = mode_hops(_occupancy_of(labels), ts, persistence=4)
    np.testing.assert_array_equal(long.modes, [2])
    assert long.n_hops == 0 and long.switch_times.size == 0


def test_mode_hops_threshold_ties_and_non_finite_saves():
    occupancy = np.array(
        [
            [0.04, 0.03, 0.0],  # largest below min_fraction: no dominant mode
            [0.3, 0.3, 0.1],  # tie: the lowest index
            [0.3, 0.3, 0.1],
            [0.0, 0.5, 0.0],
            [np.nan] * 3,  # skipped save
            [0.0, 0.5, 0.0],
        ]
    )
    ts = np.array([0.0, 1.0, 2.0, 3.0, 4.0, np.inf])
    hops = mode_hops(occupancy, ts, persistence=1)
    np.testing.assert_array_equal(hops.dominant, [-1, 0, 0, 1, -1, -1])
    np.testing.assert_array_equal(hops.modes, [0, 1])
    np.testing.assert_array_equal(hops.switch_times, [3.0])
    assert mode_hops(occupancy, ts, min_fraction=0.0, persistence=1).dominant[0] == 0
    empty = mode_hops(np.zeros((3, 2)), np.arange(3.0))
    assert empty.n_hops == 0 and empty.modes.size == 0 and np.all(empty.dominant == -1)


def test_particle_hops_counts_changes_of_mode():
    # 4 particles over 9 saves; labels -1 put the particle at the origin (no mode)
    paths = np.array(
        [
            [0, 0, 0, 0, 0, 0, 0, 0, 0],  # stays: 0 hops
            [0, 0, 0, 2, 0, 0, 5, 5, 5],  # flicker to 2 ignored, then 0 -> 5: 1 hop
            [1, 1, -1, -1, 1, 1, 1, 1, 1],  # leaves mode 1 and comes back: 0 hops
            [3, 3, 4, 4, 4, 6, 6, 7, 7],  # 3 -> 4 -> 6 -> 7: 3 hops
        ]
    )
    points = np.where((paths >= 0)[..., None], CENTRES[np.maximum(paths, 0)], 0.0).transpose(1, 0, 2)
    np.testing.assert_array_equal(particle_hops(points, CENTRES, STD, persistence=2), [0, 1, 0, 3])
    np.testing.assert_array_equal(particle_hops(points, CENTRES, STD, persistence=1), [0, 3, 0, 3])
    # saves at non-finite times are "none": ending after save 5 hides the later hops
    ts = np.where(np.arange(9) < 5, np.arange(9.0), np.inf)
    np.testing.assert_array_equal(particle_hops(points, CENTRES, STD, ts=ts, persistence=2), [0, 0, 0, 1])


def test_mode_hopping_errors():
    with pytest.raises(ValueError, match=r"`ts` must have shape \(3,\)"):
        mode_hops(np.zeros((3, 2)), np.arange(4.0))
    with pytest.raises(ValueError, match="`persistence` must be an integer >= 1"):
        mode_hops(np.zeros((3, 2)), np.arange(3.0), persistence=0)
    with pytest.raises(ValueError, match=r"`min_fraction` must lie in \[0, 1\]"):
        mode_hops(np.zeros((3, 2)), np.arange(3.0), min_fraction=2.0)
    with pytest.raises(ValueError, match=r"`points` must be an \(S, N, d\) array"):
        particle_hops(np.zeros((3, 2)), CENTRES, STD)
    with pytest.raises(ValueError, match=r"`centres` must have shape \(K, 2\)"):
        particle_hops(np.zeros((3, 4, 2)), np.zeros((8, 3)), STD)
