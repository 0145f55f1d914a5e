"""The continuous limits: GDA -> dual flow at first order, the history quadrature at
second order, and finite-rank flows -> the exact-kernel flow as features grow."""

import diffrax
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
    game = df.KernelGame(
        DATA, df.FiniteRank(df.RandomFourier(KERNEL, 64, 2, key=jax.random.PRNGKey(0))), reg=0.5, velocity="wasserstein"
    )
    study = gda_flow_convergence(game, GEN, kappa=2.0, t1=2.0, taus=[0.04, 0.02, 0.01, 0.005], order=order)
    assert 0.9 <= study.slope <= 1.1, study
    assert np.all(np.diff(study.errors) < 0)


def test_gda_converges_to_exact_kernel_flow_at_first_order():
    game = df.KernelGame(DATA, df.ExactRKHS(KERNEL), reg=0.5, velocity="wasserstein")
    study = gda_flow_convergence(game, GEN, kappa=2.0, t1=1.0, taus=[0.05, 0.025, 0.0125])
    assert 0.9 <= study.slope <= 1.1, study


def _exact_flow(dt, horizon=1.0, solver=None, kappa=2.0):
    game = df.KernelGame(DATA, df.ExactRKHS(KERNEL), reg=0.5, velocity="wasserstein")
    flow = df.DualFlow(kappa=kappa, dt0=dt, solver=solver)
    return np.asarray(df.solve(game, GEN, flow, t1=horizon, n_saves=2).final_points)


@pytest.mark.parametrize("solver,order", [(None, 2), (diffrax.Euler(), 1), (diffrax.Tsit5(), 2)])
def test_history_quadrature_has_order_min_2_p(solver, order):
    """Heun (default) and Tsit5: second order (the trapezoid rule caps it); Euler: first."""
    reference = _exact_flow(1 / 640)
    dts = np.array([1 / 10, 1 / 20, 1 / 40])
    errors = [np.max(np.abs(_exact_flow(h, solver=solver) - reference)) for h in dts]
    assert order - 0.2 <= loglog_slope(dts, errors) <= order + 0.2, errors


def test_optimal_witness_matches_numpy_and_the_fast_discriminator_limit():
    """f* = (m_nu - m_mu)/lam against NumPy; the exact flow approaches the MMD flow as kappa grows."""
    game = df.KernelGame(DATA, df.OptimalWitness(KERNEL), reg=0.5, velocity="wasserstein")
    x, y = np.asarray(GEN.points), np.asarray(DATA.points)
    m, p = np.asarray(GEN.masses), np.asarray(DATA.masses)

    def grad_mean(c, w):  # sum_k w_k grad_x K(x, c_k)
        diff = x[:, None, :] - c[None]
        return np.einsum("nk,k,nkd->nd", np.exp(-np.sum(diff**2, -1) / 2), w, -diff)

    _, grad = game.discriminator.witness(game, None, GEN.points, GEN.masses, GEN.points)
    np.testing.assert_allclose(np.asarray(grad), (grad_mean(y, p) - grad_mean(x, m)) / 0.5, atol=1e-13)
    mmd_flow = np.asarray(df.solve(game, GEN, df.DualFlow(rtol=1e-10, atol=1e-12), t1=0.5, n_saves=2).final_points)
    gaps = [np.max(np.abs(_exact_flow(0.5 / 200, horizon=0.5, kappa=k) - mmd_flow)) for k in (10.0, 100.0)]
    assert gaps[1] < gaps[0] / 5, gaps


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
