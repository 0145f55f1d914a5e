"""Extragradient and optimistic GDA: the exact-kernel runs against an independent plain-NumPy
implementation (`numpy_gda.numpy_extrapolated_gda`, the witness as an explicit list of centres),
the optax path of finite states against the closed form of the history, and the linearized step
maps against their closed forms in the flow's eigenvalues."""

import jax.numpy as jnp
import numpy as np
import pytest
from numpy_gda import numpy_extrapolated_gda

import dualflow as df

SIGMA, REG, LR_G, LR_D = 0.7, 0.3, 0.2, 0.25
SOLVERS = {"extragradient": df.Extragradient, "optimistic": df.OptimisticGDA}


def _problem(seed=1):
    rng = np.random.default_rng(seed)
    y, p = rng.normal(size=(5, 2)), rng.uniform(0.5, 1.5, 5)
    x, m = 0.5 * rng.normal(size=(4, 2)), rng.uniform(0.2, 0.6, 4)  # total masses differ
    return y, p, x, m


@pytest.mark.parametrize("scheme", sorted(SOLVERS))
@pytest.mark.parametrize("velocity", ["mass_weighted", "wasserstein"])
def test_exact_kernel_run_matches_numpy(scheme, velocity):
    y, p, x, m = _problem()
    game = df.KernelGame(df.Measure(y, p), df.ExactRKHS(df.Gaussian(SIGMA)), reg=REG, velocity=velocity)
    sol = df.solve(game, df.Measure(x, m), SOLVERS[scheme](lr_g=LR_G, lr_d=LR_D), n_steps=30)
    weights = m if velocity == "mass_weighted" else np.ones_like(m)
    expected = numpy_extrapolated_gda(y, p, x, m, scheme, 30, weights, sigma=SIGMA, reg=REG, lr_g=LR_G, lr_d=LR_D)
    assert sol.result_name == "SUCCESSFUL"
    np.testing.assert_allclose(np.asarray(sol.points), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(sol.ts), LR_G * np.arange(31), atol=1e-12)
    assert float(sol.stats["dropped_weight"]) < 1e-10  # the buffer was sized for both pushes of a step


@pytest.mark.parametrize("scheme", sorted(SOLVERS))
def test_truncated_history_stays_within_its_dropped_weight(scheme):
    """A long run whose buffer is sized by `decay_per_push` drops only small weights, and the bound
    it reports (magnitudes summed without decay) covers what truncation changed."""
    y, p, x, m = _problem(2)
    game = df.KernelGame(df.Measure(y, p), df.ExactRKHS(df.Gaussian(SIGMA), history_tol=1e-6), reg=1.0)
    full = df.KernelGame(df.Measure(y, p), df.ExactRKHS(df.Gaussian(SIGMA), history_size=2 * 400 + 2), reg=1.0)
    solver = SOLVERS[scheme](lr_g=0.2, lr_d=0.5)
    a, b = df.solve(game, df.Measure(x, m), solver, n_steps=400), df.solve(full, df.Measure(x, m), solver, n_steps=400)
    dropped = float(a.stats["dropped_weight"])
    assert 0 < dropped < 1e-3 and float(b.stats["dropped_weight"]) == 0.0
    assert a.final_discriminator.history_weights.shape[0] < 400  # truncated indeed
    assert 0 < np.max(np.abs(np.asarray(a.points) - np.asarray(b.points))) < dropped


@pytest.mark.parametrize("scheme", sorted(SOLVERS))
def test_optax_on_the_lattice_matches_the_history(scheme):
    """The spectral critic's D-steps go through optax's optimistic gradient (finite state); the exact
    one's through the history's closed form: the same Gaussian game to the lattice's accuracy."""
    y, p, x, m = _problem(3)
    solver = SOLVERS[scheme](lr_g=LR_G, lr_d=LR_D)
    runs = [
        df.solve(df.KernelGame(df.Measure(y, p), critic, reg=REG), df.Measure(x, m), solver, n_steps=40)
        for critic in (df.ExactRKHS(df.Gaussian(SIGMA)), df.SpectralRKHS(df.Gaussian(SIGMA), tol=1e-11))
    ]
    moved = np.max(np.abs(np.asarray(runs[0].points[-1]) - x))
    assert moved > 0.05
    np.testing.assert_allclose(np.asarray(runs[1].points), np.asarray(runs[0].points), rtol=0, atol=1e-8)


def _flow_eigenvalues(game, eq, kappa):
    return np.asarray(df.linearize(game, eq, df.DualFlow(kappa=kappa)).eigenvalues)


def _matches(expected, found, atol):
    """Every expected value has a found one within `atol` (multisets of equal size)."""
    expected, found = np.sort_complex(expected), np.sort_complex(found)
    assert expected.shape == found.shape
    distance = np.abs(expected[:, None] - found[None, :])
    assert np.all(np.min(distance, axis=1) < atol) and np.all(np.min(distance, axis=0) < atol)


def test_step_maps_are_their_closed_forms_in_the_flow_modes():
    r"""With $\eta_d = \kappa\eta_g$ each step map is a polynomial in $A = \eta_g J$ ($J$ the flow's
    Jacobian): extragradient $I + A + A^2$, so $\rho = 1 + \mu + \mu^2$; optimistic GDA
    $\rho^2 = \rho(1 + 2\mu) - \mu$ (two factors per flow mode). The rest mode likewise."""
    data = df.Measure(jnp.array([[-1.0], [1.0]]), jnp.array([0.5, 0.5]))
    eq = df.Measure(jnp.array([[-1.0], [1.0]]), jnp.array([0.5, 0.5]))
    game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(0.8)), reg=0.4, velocity="wasserstein")
    lr_g, kappa = 0.3, 2.5
    mu = lr_g * _flow_eigenvalues(game, eq, kappa)
    extra = df.linearize(game, eq, df.Extragradient(lr_g=lr_g, lr_d=kappa * lr_g))
    _matches(1 + mu + mu**2, np.asarray(extra.eigenvalues), 1e-12)
    c = kappa * lr_g * 0.4
    assert float(extra.rest_eigenvalue) == pytest.approx(1 - c + c**2, abs=1e-14)
    optimistic = df.linearize(game, eq, df.OptimisticGDA(lr_g=lr_g, lr_d=kappa * lr_g))
    roots = np.concatenate([np.roots([1, -(1 + 2 * u), u]) for u in mu])
    _matches(roots, np.asarray(optimistic.eigenvalues), 1e-10)
    assert optimistic.matrix.shape == (8, 8) and optimistic.n_generator == 4
    assert float(optimistic.rest_eigenvalue) == pytest.approx(max(np.roots([1, -(1 - 2 * c), -c])), abs=1e-14)


@pytest.mark.parametrize("c", [0.1, 0.5, 0.6, 1.5])
def test_optimistic_history_decay_is_the_dominant_root(c):
    """The buffer of the optimistic step is sized by the root of largest magnitude of
    rho^2 = (1 - 2c) rho + c (the negative one for c > 1/2)."""
    solver = df.OptimisticGDA(lr_g=0.1, lr_d=c)
    assert float(solver.decay_per_push(1.0)) == pytest.approx(
        np.max(np.abs(np.roots([1, -(1 - 2 * c), -c]))), rel=1e-14
    )


def test_jacfwd_of_the_optimistic_step_counts_the_previous_velocities_as_the_generator():
    """The autodiff state is (X, u_X, theta, u_theta): the generator's share is the particles and
    their previous velocities, as in the kernel trick's (xi, u_xi, a, u_a)."""
    import jax

    features = df.RandomFourier(df.Gaussian(0.8), n_features=6, dim=1, key=jax.random.PRNGKey(0))
    data = df.Measure(jnp.array([[-0.5], [0.4], [1.0]]), jnp.ones(3) / 3)
    game = df.KernelGame(data, df.FiniteRank(features), reg=0.5)
    eq = df.Measure(jnp.array([[0.1], [0.5]]), jnp.ones(2) / 2)
    auto = df.linearize(game, eq, df.OptimisticGDA(lr_g=0.3, lr_d=0.4), method="jacfwd")
    trick = df.linearize(game, eq, df.OptimisticGDA(lr_g=0.3, lr_d=0.4), method="kernel")
    assert auto.n_generator == trick.n_generator == 4
    assert auto.matrix.shape == (2 * (2 + 6), 2 * (2 + 6))
