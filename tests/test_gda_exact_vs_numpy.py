"""Exact-kernel GDA against an independent plain-NumPy implementation of docs/science.md §2:

    D-step:  f <- (1 - eta_d lam) f + eta_d ( sum_i p_i K(., y_i) - sum_j m_j K(., x_j) )
    G-step:  x_j <- x_j + eta_g * w_j * grad f(x_j)

with the discriminator kept as an explicit, never-truncated list of kernel centres."""

import numpy as np
import pytest
from numpy_gda import numpy_gda

import dualflow as df

SIGMA, REG, LR_G, LR_D = 0.7, 0.3, 0.2, 0.25


@pytest.mark.parametrize("order", ["simultaneous", "alternating_d_first", "alternating_g_first"])
@pytest.mark.parametrize("n_critic", [1, 3])
@pytest.mark.parametrize("velocity", ["mass_weighted", "wasserstein"])
def test_exact_gda_matches_numpy(order, n_critic, velocity):
    rng = np.random.default_rng(1)
    y, p = rng.normal(size=(5, 2)), rng.uniform(0.5, 1.5, 5)
    x, m = 0.5 * rng.normal(size=(4, 2)), rng.uniform(0.2, 0.6, 4)  # total masses differ
    game = df.KernelGame(df.Measure(y, p), df.ExactRKHS(df.Gaussian(SIGMA)), reg=REG, velocity=velocity)
    sol = df.solve(game, df.Measure(x, m), df.GDA(lr_g=LR_G, lr_d=LR_D, order=order, n_critic=n_critic), n_steps=30)
    weights = m if velocity == "mass_weighted" else np.ones_like(m)
    expected = numpy_gda(y, p, x, m, order, n_critic, 30, weights, sigma=SIGMA, reg=REG, lr_g=LR_G, lr_d=LR_D)
    np.testing.assert_allclose(np.asarray(sol.points), expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(np.asarray(sol.ts), LR_G * np.arange(31), atol=1e-12)
    assert sol.result_name == "SUCCESSFUL"


def test_truncated_history_reports_dropped_weight():
    """A buffer shorter than the run overwrites old slots and says by how much."""
    rng = np.random.default_rng(2)
    y, x = rng.normal(size=(3, 1)), rng.normal(size=(3, 1))
    full = df.KernelGame(df.Measure(y), df.ExactRKHS(df.Gaussian(1.0)), reg=1.0)
    short = df.KernelGame(df.Measure(y), df.ExactRKHS(df.Gaussian(1.0), history_size=10), reg=1.0)
    solver = df.GDA(lr_g=0.5, lr_d=0.5)
    a = df.solve(full, df.Measure(x), solver, n_steps=40)
    b = df.solve(short, df.Measure(x), solver, n_steps=40)
    dropped = float(b.stats["dropped_weight"])
    # after 40 pushes the slots of ages 0..9 are kept; ages 10..39 were overwritten and
    # would now weigh lr_d (1 - lr_d reg)^age each
    assert dropped == pytest.approx(sum(0.5 * 0.5**age for age in range(10, 40)), rel=1e-12)
    assert float(a.stats["dropped_weight"]) == 0.0
    # positions differ by at most a few times the dropped kernel mass
    assert np.max(np.abs(np.asarray(a.points) - np.asarray(b.points))) < 40 * dropped


@pytest.mark.parametrize("order", ["simultaneous", "alternating_d_first"])
def test_saved_field_is_the_witness_at_every_save(order):
    """`solve(..., field_grid=...)` saves f and grad f of the exact history on the grid at every
    save: equal to the NumPy reference's witness at those steps, and read back for drawing."""
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=(5, 2)), rng.uniform(0.5, 1.5, 5)
    x, m = 0.5 * rng.normal(size=(4, 2)), rng.uniform(0.2, 0.6, 4)
    grid = df.FieldGrid.around(np.concatenate([y, x]), 7)
    game = df.KernelGame(df.Measure(y, p), df.ExactRKHS(df.Gaussian(SIGMA)), reg=REG)
    solver = df.GDA(lr_g=LR_G, lr_d=LR_D, order=order)
    sol = df.solve(game, df.Measure(x, m), solver, n_steps=30, save_every=5, field_grid=grid)
    _, fields = numpy_gda(y, p, x, m, order, 1, 30, m, sigma=SIGMA, reg=REG, lr_g=LR_G, lr_d=LR_D, probe=grid.points)
    assert sol.field.shape == (7, 49, 3)
    np.testing.assert_allclose(np.asarray(sol.field), fields[::5], rtol=0, atol=1e-10)
    saved_game, state = sol.saved_discriminator(game, 3)
    f, velocity = df.analysis.discriminator_field(saved_game, state, sol.points[3], sol.masses, grid.points[::8])
    np.testing.assert_allclose(f, fields[15][::8, 0], rtol=0, atol=1e-10)
    np.testing.assert_allclose(velocity, np.mean(m) * fields[15][::8, 1:], rtol=0, atol=1e-10)  # mass-weighted
    off_grid, _ = df.analysis.discriminator_field(saved_game, state, sol.points[3], sol.masses, grid.points[:2] + 0.01)
    assert np.all(np.isnan(off_grid))  # nothing was saved there


def test_saved_field_reads_back_in_float32():
    """A field saved by a float32 run is found at the plotting grid's float32 points."""
    import jax.numpy as jnp

    from dualflow.players.saved import planar_grid

    grid = df.FieldGrid((-1.3, -2.0), (2.1, 1.7), 41)
    saved = jnp.arange(41 * 41 * 3, dtype=jnp.float32).reshape(41 * 41, 3)
    for num in (41, 11):
        _, _, z = planar_grid(*grid.window, num)
        f, grad = grid.lookup(saved, jnp.asarray(z, dtype=jnp.float32))
        assert not np.any(np.isnan(np.asarray(f))) and not np.any(np.isnan(np.asarray(grad)))
        np.testing.assert_array_equal(np.asarray(f), np.asarray(grid.lookup(saved, jnp.asarray(z))[0]))
