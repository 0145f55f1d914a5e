"""The continuous limits: GDA -> dual flow at first order, the history quadrature at
second order, and finite-rank flows -> the exact-kernel flow as features grow."""

import jax
import numpy as np
import pytest

import dualflow as df
from dualflow.analysis import gda_flow_convergence, loglog_slope

RNG = np.random.default_rng(3)
DATA = df.Measure(RNG.normal(size=(6, 2)), RNG.uniform(0.5, 1.5, 6) / 6)
GEN = df.Measure(0.5 * RNG.normal(size=(5, 2)))
KERNEL = df.Gaussian(1.0)


@pytest.mark.parametrize("order", ["simultaneous", "alternating_d_first", "alternating_g_first"])
def test_gda_converges_to_finite_rank_flow_at_first_order(order):
    game = df.KernelGame(DATA, df.FiniteRank(df.RandomFourier(KERNEL, 64, 2, key=jax.random.PRNGKey(0))),
                         reg=0.5, velocity="wasserstein")
    study = gda_flow_convergence(game, GEN, kappa=2.0, horizon=2.0, taus=[0.04, 0.02, 0.01, 0.005], order=order)
    assert 0.9 <= study.slope <= 1.1, study
    assert np.all(np.diff(study.errors) < 0)


def test_gda_converges_to_exact_kernel_flow_at_first_order():
    game = df.KernelGame(DATA, df.ExactRKHS(KERNEL), reg=0.5, velocity="wasserstein")
    study = gda_flow_convergence(game, GEN, kappa=2.0, horizon=1.0, taus=[0.05, 0.025, 0.0125])
    assert 0.9 <= study.slope <= 1.1, study


def _exact_flow(dt, horizon=1.0):
    game = df.KernelGame(DATA, df.ExactRKHS(KERNEL), reg=0.5, velocity="wasserstein")
    return np.asarray(df.solve(game, GEN, df.DualFlow(kappa=2.0, dt0=dt), t1=horizon, n_saves=2).final_points)


def test_history_quadrature_is_second_order():
    reference = _exact_flow(1 / 640)
    dts = np.array([1 / 10, 1 / 20, 1 / 40])
    errors = [np.max(np.abs(_exact_flow(h) - reference)) for h in dts]
    assert 1.8 <= loglog_slope(dts, errors) <= 2.2, errors


def test_finite_rank_flow_approaches_exact_kernel_flow():
    """Random Fourier features: error O(D^{-1/2}), averaged over independent feature draws."""
    reference = _exact_flow(1 / 320)
    dims = np.array([64, 256, 1024, 4096])
    errors = []
    for D in dims:
        runs = []
        for seed in range(4):
            rff = df.RandomFourier(KERNEL, int(D), 2, key=jax.random.PRNGKey(seed))
            game = df.KernelGame(DATA, df.FiniteRank(rff), reg=0.5, velocity="wasserstein")
            sol = df.solve(game, GEN, df.DualFlow(kappa=2.0, rtol=1e-10, atol=1e-12), t1=1.0, n_saves=2)
            runs.append(np.max(np.abs(np.asarray(sol.final_points) - reference)))
        errors.append(np.mean(runs))
    slope = loglog_slope(dims, errors)
    assert -0.75 <= slope <= -0.3, (errors, slope)
    assert errors[-1] < errors[0] / 4


def test_nystrom_on_many_landmarks_matches_exact_kernel_flow():
    reference = _exact_flow(1 / 320)
    grid = np.stack(np.meshgrid(np.linspace(-3, 3, 25), np.linspace(-3, 3, 25)), -1).reshape(-1, 2)
    game = df.KernelGame(DATA, df.FiniteRank(df.Nystrom(KERNEL, grid)), reg=0.5, velocity="wasserstein")
    sol = df.solve(game, GEN, df.DualFlow(kappa=2.0, rtol=1e-10, atol=1e-12), t1=1.0, n_saves=2)
    assert np.max(np.abs(np.asarray(sol.final_points) - reference)) < 1e-4
