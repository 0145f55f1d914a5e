"""`SpectralRKHS` (the exact Gaussian-kernel discriminator on a spectral lattice) against
independent references: a plain-NumPy exact-kernel GDA, the history (`ExactRKHS`) GDA, the
Richardson-extrapolated history-quadrature flow; the GDA -> flow slope; the box guard; vmapped
sweeps against loops; the linearization against the kernel trick."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from numpy_gda import numpy_gda

import dualflow as df

SIGMA, REG, LR_G, LR_D = 0.7, 0.3, 0.2, 0.25


def _problem(seed=1, n=4, m=5):
    rng = np.random.default_rng(seed)
    y, p = rng.normal(size=(m, 2)), rng.uniform(0.5, 1.5, m)
    x, q = 0.5 * rng.normal(size=(n, 2)), rng.uniform(0.2, 0.6, n)  # total masses differ
    return y, p, x, q


@pytest.mark.parametrize(
    "order, n_critic, velocity",
    [
        ("simultaneous", 1, "mass_weighted"),
        ("alternating_d_first", 3, "wasserstein"),
        ("alternating_g_first", 1, "wasserstein"),
        ("alternating_d_first", 1, "mass_weighted"),
    ],
)
def test_spectral_gda_matches_numpy_and_the_history(order, n_critic, velocity):
    """300 steps: within 1e-8 of the never-truncated NumPy GDA and of ExactRKHS."""
    y, p, x, q = _problem()
    solver = df.GDA(lr_g=LR_G, lr_d=LR_D, order=order, n_critic=n_critic)
    spectral = df.KernelGame(df.Measure(y, p), df.SpectralRKHS(df.Gaussian(SIGMA)), reg=REG, velocity=velocity)
    history = df.KernelGame(df.Measure(y, p), df.ExactRKHS(df.Gaussian(SIGMA)), reg=REG, velocity=velocity)
    sol = df.solve(spectral, df.Measure(x, q), solver, n_steps=300, save_every=10)
    ref = df.solve(history, df.Measure(x, q), solver, n_steps=300, save_every=10)
    weights = q if velocity == "mass_weighted" else np.ones_like(q)
    expected = numpy_gda(y, p, x, q, order, n_critic, 300, weights, sigma=SIGMA, reg=REG, lr_g=LR_G, lr_d=LR_D)
    assert sol.result_name == "SUCCESSFUL"
    np.testing.assert_allclose(np.asarray(sol.points), expected[::10], rtol=0, atol=1e-8)
    np.testing.assert_allclose(np.asarray(sol.points), np.asarray(ref.points), rtol=0, atol=1e-8)
    np.testing.assert_allclose(np.asarray(sol.payoff_gap), np.asarray(ref.payoff_gap), rtol=0, atol=1e-8)


def test_spectral_gda_with_the_logistic_payoff_matches_the_history():
    y, p, x, q = _problem(seed=3)
    solver = df.GDA(lr_g=0.3, lr_d=0.3, n_critic=2)
    games = [
        df.KernelGame(df.Measure(y, p), d(df.Gaussian(SIGMA)), reg=0.1, payoff=df.Logistic())
        for d in (df.SpectralRKHS, df.ExactRKHS)
    ]
    a, b = (df.solve(g, df.Measure(x, q), solver, n_steps=200, save_every=20) for g in games)
    np.testing.assert_allclose(np.asarray(a.points), np.asarray(b.points), rtol=0, atol=1e-8)
    # the best response of a non-linear payoff starts both at the same f*
    a, b = (
        df.solve(g, df.Measure(x, q), solver, n_steps=40, save_every=20, init_discriminator="best_response")
        for g in games
    )
    np.testing.assert_allclose(np.asarray(a.points), np.asarray(b.points), rtol=0, atol=1e-8)


def _history_flow(game, x, q, kappa, t1, dt):
    return df.solve(game, df.Measure(x, q), df.DualFlow(kappa=kappa, dt0=dt), t1=t1, n_saves=5).points[-1]


def test_spectral_flow_matches_the_converged_history_flow():
    """The adaptive spectral flow (Tsit5, rtol 1e-10) at t = 3 within 1e-6 of the history-quadrature
    flow Richardson-extrapolated from steps 3/1000 and 3/2000 (second order: the extrapolation's
    error is far below 1e-6, which the gap between the two history runs shows)."""
    y, p, x, q = _problem(seed=2, n=5)
    kappa, t1 = 2.0, 3.0
    history = df.KernelGame(df.Measure(y, p), df.ExactRKHS(df.Gaussian(SIGMA)), reg=REG)
    coarse, fine = (np.asarray(_history_flow(history, x, q, kappa, t1, t1 / n)) for n in (1000, 2000))
    reference = (4 * fine - coarse) / 3
    spectral = df.KernelGame(df.Measure(y, p), df.SpectralRKHS(df.Gaussian(SIGMA)), reg=REG)
    sol = df.solve(spectral, df.Measure(x, q), df.DualFlow(kappa=kappa, rtol=1e-10, atol=1e-12), t1=t1, n_saves=5)
    assert sol.result_name == "SUCCESSFUL"
    assert np.max(np.abs(fine - coarse)) > 1e-7  # the history runs have not converged on their own ...
    np.testing.assert_allclose(np.asarray(sol.points[-1]), reference, rtol=0, atol=1e-6)  # ... their limit agrees


def test_gda_tends_to_the_spectral_flow_at_first_order():
    y, p, x, q = _problem(seed=4)
    kappa, t1 = 1.5, 2.0
    game = df.KernelGame(df.Measure(y, p), df.SpectralRKHS(df.Gaussian(SIGMA)), reg=REG)
    flow = df.solve(game, df.Measure(x, q), df.DualFlow(kappa=kappa, rtol=1e-10, atol=1e-12), t1=t1, n_saves=2)
    taus = np.array([0.04, 0.02, 0.01])
    errors = []
    for tau in taus:
        gda = df.solve(
            game,
            df.Measure(x, q),
            df.GDA(lr_g=tau, lr_d=kappa * tau),
            n_steps=int(round(t1 / tau)),
            save_every=int(round(t1 / tau)),
        )
        errors.append(np.max(np.abs(np.asarray(gda.points[-1] - flow.points[-1]))))
    slope = np.polyfit(np.log(taus), np.log(errors), 1)[0]
    assert 0.9 < slope < 1.1, (errors, slope)


def _runaway():
    """A lone generated point far from the data with a weak ridge: it runs away
    (lam^2 < (eta_g / eta_d) w^2 / sigma^2, docs/science.md §3)."""
    data = df.Measure(jnp.array([[-3.0, 0.0]]))
    start = df.Measure(jnp.array([[2.0, 0.05]]))
    game = df.KernelGame(data, df.SpectralRKHS(df.Gaussian(0.5), box=(-4.0, 3.0)), reg=0.01)
    return game, start


@pytest.mark.parametrize(
    "solver, options, edge",
    [(df.GDA(lr_g=0.5, lr_d=0.5), dict(n_steps=3000), 2.0), (df.DualFlow(kappa=1.0), dict(t1=1500.0), 3.0 - 1e-6)],
)
def test_a_particle_leaving_the_box_ends_the_run_labelled(solver, options, edge):
    """GDA keeps the last step inside the box; the adaptive flow ends on the box's edge (the
    event's root finder), where the particle was leaving."""
    game, start = _runaway()
    sol = df.solve(game, start, solver, throw=False, **options)
    assert sol.result_name == "LEFT_BOX"
    final = np.asarray(sol.final_points)
    assert np.all(final >= -4.0) and np.all(final <= 3.0 + 1e-9)  # the last valid state
    assert np.max(final) > edge
    assert float(sol.final_time) < options.get("t1", options.get("n_steps", 0) * 0.5)
    with pytest.raises(RuntimeError, match=r"left the spectral box \[-4, 3\]\^d.*box=\(-7\.5, 6\.5\)"):
        df.solve(game, start, solver, **options)


def test_data_outside_the_box_is_refused():
    game = df.KernelGame(df.Measure(jnp.array([[5.0]])), df.SpectralRKHS(df.Gaussian(1.0), box=(-1, 1)), reg=0.1)
    with pytest.raises(ValueError, match="span .* but the spectral box is"):
        df.solve(game, df.Measure(jnp.zeros((1, 1))), df.GDA(0.1, 0.1), n_steps=2)
    with pytest.raises(ValueError, match="WGAN"):
        df.KernelGame(df.Measure(jnp.zeros((1, 1))), df.SpectralRKHS(df.Gaussian(1.0)), payoff=df.WGAN(clip=1.0))


def test_vmapped_sweep_over_bandwidth_reg_and_rates_matches_the_loop():
    y, p, x, q = _problem(seed=5, n=3, m=4)
    bandwidths, regs, rates = jnp.array([0.5, 0.8, 1.1]), jnp.array([0.1, 0.3, 0.2]), jnp.array([0.1, 0.2, 0.15])
    lattice = df.SpectralLattice.fit(df.Gaussian(1.0), -4.0, 4.0, 2, 1e-10, bandwidths=(0.5, 1.1))

    def one(bandwidth, reg, rate, discriminator):
        game = df.KernelGame(df.Measure(jnp.asarray(y), jnp.asarray(p)), discriminator(df.Gaussian(bandwidth)), reg=reg)
        return df.solve(
            game,
            df.Measure(jnp.asarray(x), jnp.asarray(q)),
            df.GDA(lr_g=rate, lr_d=2 * rate),
            n_steps=100,
            save_every=100,
        ).points[-1]

    spectral = jax.vmap(lambda b, r, e: one(b, r, e, lambda k: df.SpectralRKHS(k, lattice=lattice)))(
        bandwidths, regs, rates
    )
    loop = [one(b, r, e, df.ExactRKHS) for b, r, e in zip(bandwidths, regs, rates)]
    np.testing.assert_allclose(np.asarray(spectral), np.stack([np.asarray(a) for a in loop]), rtol=0, atol=1e-8)


def test_linearization_of_the_lattice_state_contains_the_kernel_trick_spectrum():
    """jacfwd of the spectral flow at an equilibrium: the kernel trick's eigenvalues (ExactRKHS)
    plus copies of the rest mode -kappa lam, to the lattice's tolerance."""
    data = df.Measure(jnp.array([[-1.0], [1.0]]), jnp.array([0.6, 0.4]))
    start = df.Measure(jnp.array([[-0.9], [0.8]]), jnp.array([0.5, 0.5]))
    exact = df.KernelGame(data, df.ExactRKHS(df.Gaussian(0.6)), reg=0.2)
    eq = df.find_equilibrium(exact, start)
    assert bool(eq.converged)
    flow = df.DualFlow(kappa=1.5)
    kernel_trick = np.asarray(df.linearize(exact, eq.measure, flow).eigenvalues)
    spectral = df.KernelGame(data, df.SpectralRKHS(df.Gaussian(0.6), tol=1e-12), reg=0.2)
    # forward mode through the NUFFTs, under the tests' strict promotion (kernels._nufft's workaround)
    lattice = np.asarray(df.linearize(spectral, eq.measure, flow, method="jacfwd").eigenvalues)
    for lam in kernel_trick:
        assert np.min(np.abs(lattice - lam)) < 1e-6, lam
    rest = -1.5 * 0.2
    unmatched = [v for v in lattice if np.min(np.abs(kernel_trick - v)) > 1e-6]
    np.testing.assert_allclose(unmatched, rest, atol=1e-6)
    # method="auto" linearizes the spectral game by the kernel trick on its Gaussian kernel
    np.testing.assert_allclose(
        np.sort_complex(np.asarray(df.linearize(spectral, eq.measure, flow).eigenvalues)),
        np.sort_complex(kernel_trick),
        atol=1e-12,
    )


def test_spectral_mmd_flow_matches_brute_force():
    y, p, x, q = _problem(seed=6, n=6)
    a, b = (
        df.solve(
            df.KernelGame(df.Measure(y, p), df.OptimalWitness(df.Gaussian(SIGMA), method=m), reg=REG),
            df.Measure(x, q),
            df.DualFlow(rtol=1e-10, atol=1e-12),
            t1=2.0,
            n_saves=3,
        )
        for m in ("spectral", "brute")
    )
    np.testing.assert_allclose(np.asarray(a.points), np.asarray(b.points), rtol=0, atol=1e-8)


def test_decoupled_proximal_step_matches_the_history_and_joint_is_refused():
    y, p, x, q = _problem(seed=7)
    games = [df.KernelGame(df.Measure(y, p), d(df.Gaussian(SIGMA)), reg=REG) for d in (df.SpectralRKHS, df.ExactRKHS)]
    # the implicit G-step differentiates through the NUFFTs in reverse mode, whose jax-finufft transpose
    # rules run outside kernels._nufft's promotion context: they need jax's default promotion
    with jax.numpy_rank_promotion("allow"), jax.numpy_dtype_promotion("standard"):
        a, b = [df.solve(g, df.Measure(x, q), df.ProximalGDA(lr_g=LR_G, lr_d=LR_D), n_steps=10) for g in games]
    np.testing.assert_allclose(np.asarray(a.points), np.asarray(b.points), rtol=0, atol=1e-8)
    with pytest.raises(ValueError, match="SpectralRKHS holds .* too large for a dense Newton solve"):
        df.solve(games[0], df.Measure(x, q), df.ProximalGDA(lr_g=LR_G, lr_d=LR_D, coupling="joint"), n_steps=2)


def test_a_large_lattice_saves_f_on_a_grid_and_a_small_one_its_coefficients():
    """A lattice of more than `SMALL_TRACE` numbers is not saved at every save (it would be
    139 MB for the 5 x 5 grid's 293^2 modes over 101 saves): the run saves f on a `FieldGrid`
    instead, equal to the never-truncated NumPy GDA's witness there; a small lattice is its own
    trace, from which f is redrawn."""
    from dualflow.players.base import SMALL_TRACE

    y, p, x, q = _problem()
    lr_g = LR_G / 10  # at sigma = 0.2 the steps of LR_G amplify rounding 10-fold every two steps
    solver = df.GDA(lr_g=lr_g, lr_d=LR_D, order="alternating_d_first")
    grid = df.FieldGrid.around(np.concatenate([y, x]), 9)
    for sigma, small in ((0.2, False), (SIGMA, True)):
        game = df.KernelGame(df.Measure(y, p), df.SpectralRKHS(df.Gaussian(sigma)), reg=REG)
        prepared = game.discriminator.prepared(game, jnp.asarray(x))
        assert prepared.redrawable is small and (2 * prepared.lattice.size <= SMALL_TRACE) is small
        sol = df.solve(game, df.Measure(x, q), solver, n_steps=40, save_every=10, field_grid=None if small else grid)
        if small:
            assert sol.discriminator_trace.shape == (5, 2) + (prepared.lattice.modes,) * 2
            continue
        assert sol.discriminator_trace is None
        _, fields = numpy_gda(
            y, p, x, q, "alternating_d_first", 1, 40, q, sigma=sigma, reg=REG, lr_g=lr_g, lr_d=LR_D,
            probe=grid.points,
        )  # fmt: skip
        np.testing.assert_allclose(np.asarray(sol.field), fields[::10], rtol=0, atol=1e-8)
