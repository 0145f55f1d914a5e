"""The small exact games of docs/science.md §4, each against its closed form."""

import diffrax
import jax
import jax.numpy as jnp
import numpy as np
import pytest
import scipy.linalg

import dualflow as df
from dualflow.dynamics import dual_flow_field

ONE = df.Measure(jnp.ones((1, 1)), jnp.ones(1))


def _x_psi(sol):
    return float(sol.final_points[0, 0]), float(sol.final_discriminator.theta[0])


@pytest.mark.parametrize("s", [0.5, 2.0])
def test_bilinear_flow_conserves_radius(s):
    sol = df.solve(df.bilinear(s), ONE, df.DualFlow(rtol=1e-11, atol=1e-12), t1=7.0)
    x, psi = _x_psi(sol)
    assert x**2 + psi**2 == pytest.approx(1.0, rel=1e-8)
    # closed form: x = cos(s t), psi = -sin(s t) in these coordinates (L = -s psi x)
    assert x == pytest.approx(np.cos(7 * s), abs=1e-8)


@pytest.mark.parametrize("tau", [0.05, 0.2])
def test_bilinear_simultaneous_gda_growth_factor(tau):
    s, n = 1.5, 40
    sol = df.solve(df.bilinear(s), ONE, df.GDA(tau, tau, order="simultaneous"), n_steps=n)
    x, psi = _x_psi(sol)
    assert x**2 + psi**2 == pytest.approx((1 + tau**2 * s**2) ** n, rel=1e-12)


def test_bilinear_alternating_gda_invariant():
    """D first: psi' = psi - u x, x' = x + u psi' (u = tau s) preserves x^2 + psi^2 - u x psi."""
    s, tau = 1.5, 0.2
    u = tau * s
    sol = df.solve(df.bilinear(s), ONE, df.GDA(tau, tau, order="alternating_d_first"), n_steps=300)
    x, psi = _x_psi(sol)
    assert x**2 + psi**2 - u * x * psi == pytest.approx(1.0, rel=1e-11)


def test_bilinear_flow_vs_gda_global_error():
    """Explicit GDA's error on [0, T] is about (s^2 T / 2) tau (docs/science.md §4)."""
    s, T = 1.0, 2.0
    for tau in (0.01, 0.005):
        sol = df.solve(df.bilinear(s), ONE, df.GDA(tau, tau, order="simultaneous"), n_steps=int(T / tau))
        x, psi = _x_psi(sol)
        error = np.hypot(x - np.cos(s * T), psi + np.sin(s * T))
        assert error == pytest.approx(s**2 * T / 2 * tau, rel=0.05)


def _jacobian(game, kappa=1.0):
    masses = jnp.ones(1)
    y0 = (jnp.zeros((1, 1)), df.players.FiniteRankState(jnp.zeros(1)))

    def flat_field(v):
        y = (v[:1].reshape(1, 1), df.players.FiniteRankState(v[1:]))
        generator = df.players.Particles(df.Measure(y[0], masses))
        dx, dd = dual_flow_field(0.0, y, (game, generator, jnp.asarray(kappa)))
        return jnp.concatenate([dx.ravel(), dd.theta])

    return jax.jacfwd(flat_field)(jnp.concatenate([y0[0].ravel(), y0[1].theta]))


def test_dirac_gan_eigenvalues():
    """Mescheder et al.: the Jacobian at (0, 0) has eigenvalues +-i h'(0) = +-i/2 (logistic)."""
    eig = np.linalg.eigvals(np.asarray(_jacobian(df.dirac_gan())))
    np.testing.assert_allclose(np.sort(eig.imag), [-0.5, 0.5], atol=1e-14)
    np.testing.assert_allclose(eig.real, 0.0, atol=1e-14)


def test_dirac_gan_flow_is_a_centre():
    sol = df.solve(
        df.dirac_gan(),
        df.Measure(jnp.full((1, 1), 0.1), jnp.ones(1)),
        df.DualFlow(rtol=1e-11, atol=1e-13),
        t1=4 * np.pi,
    )
    # near the equilibrium the linear flow rotates with angular speed 1/2: after 4 pi, one turn
    x, psi = _x_psi(sol)
    assert np.hypot(x, psi) == pytest.approx(0.1, rel=1e-3)
    assert x == pytest.approx(0.1, rel=2e-3)


@pytest.mark.parametrize("velocity", ["wasserstein", "mass_weighted"])
def test_linear_critic_moves_only_the_mean(velocity):
    """f = psi.x - (a/2)|psi|^2: with equal velocity weights every particle moves by the
    same vector; the mean and psi solve the linear moment ODE, integrated here by expm."""
    rng = np.random.default_rng(0)
    data = df.Measure(rng.normal(size=(7, 2)) + 3.0, rng.uniform(0.5, 1.0, 7))
    n = 5
    gen = df.Measure(rng.normal(size=(n, 2)), np.full(n, 1.0 / n))
    a, kappa, T = 0.3, 2.0, 3.0
    game = df.KernelGame(data, df.FiniteRank(df.Identity(2)), reg=a, velocity=velocity)
    sol = df.solve(game, gen, df.DualFlow(kappa=kappa, rtol=1e-11, atol=1e-12), t1=T, n_saves=4)
    x0 = np.asarray(gen.points)
    shifts = np.asarray(sol.points) - x0[None]
    np.testing.assert_allclose(shifts - shifts[:, :1], 0.0, atol=1e-9)  # a pure translation
    # moments: d mean/dt = w psi, d psi/dt = kappa (P ybar - M xbar - a psi), per coordinate
    w = 1.0 if velocity == "wasserstein" else 1.0 / n
    P, M = float(data.total_mass), 1.0
    ybar = np.asarray(data.masses @ data.points) / P
    A = np.array([[0.0, w, 0.0], [-kappa * M, -kappa * a, kappa * P], [0.0, 0.0, 0.0]])
    for c in range(2):
        z = scipy.linalg.expm(A * T) @ np.array([x0[:, c].mean(), 0.0, ybar[c]])
        assert np.asarray(sol.points)[-1, :, c].mean() == pytest.approx(z[0], abs=1e-9)


@pytest.mark.parametrize("solver", [diffrax.Dopri5(), diffrax.Heun(), diffrax.Kvaerno5(), diffrax.Euler()])
def test_any_diffrax_solver_integrates_the_flow(solver):
    """Adaptive solvers, an implicit one, and fixed-step Euler (first order, 1000 steps)."""
    sol = df.solve(df.bilinear(1.0), ONE, df.DualFlow(solver=solver, rtol=1e-8, atol=1e-10), t1=2.0)
    x, psi = _x_psi(sol)
    tol = 2e-3 if isinstance(solver, diffrax.Euler) else 1e-6
    assert x == pytest.approx(np.cos(2.0), abs=tol) and psi == pytest.approx(-np.sin(2.0), abs=tol)
