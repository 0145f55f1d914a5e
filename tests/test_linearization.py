"""The exact linearization, the isolated-points closed forms and equilibria, each against an
independent reference: closed forms, rates fitted from the exact nonlinear dynamics,
autodiff of finite-rank states, and threshold crossings."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df
from dualflow.analysis import isolated_points as ip
from dualflow.analysis.equilibria import find_equilibrium
from dualflow.analysis.linearization import linearize
from dualflow.analysis.rates import fitted_eigenvalues

ORDERS = ("simultaneous", "alternating_d_first", "alternating_g_first")


def cluster_game(p, sigma, lam, dim=1, velocity="mass_weighted", kernel=None):
    data = df.Measure(jnp.zeros((1, dim)), jnp.array([p]))
    return df.KernelGame(data, df.ExactRKHS(kernel or df.Gaussian(sigma)), reg=lam, velocity=velocity)


def cluster(n, w, dim=1):
    return df.Measure(jnp.zeros((n, dim)), jnp.full(n, w))


def assert_contains(found, expected, tol=1e-10):
    """Every expected eigenvalue is among the found ones."""
    found = np.asarray(found)
    for e in np.atleast_1d(np.asarray(expected)):
        assert np.min(np.abs(found - e)) < tol, (e, found)


def fitted_growth(game, equilibrium, solver, n_steps, skip, key=1, scale=1e-7, delays=None):
    """Dominant |rho| fitted from the exact nonlinear GDA dynamics started at `equilibrium` plus a
    small random offset, with the discriminator at the equilibrium's best response. The
    discriminator's rest mode is not excited (the particles never see it)."""
    x0 = equilibrium.points + scale * jax.random.normal(jax.random.PRNGKey(key), equilibrium.points.shape)
    sol = df.solve(game, df.Measure(x0, equilibrium.masses), solver, n_steps=n_steps, init_discriminator=equilibrium)
    offsets = np.asarray(sol.points[skip:]) - np.asarray(equilibrium.points)
    return np.abs(fitted_eigenvalues(offsets, delays=delays)[0])


CASES = [  # (p, n, w, sigma, lam, lr_g, lr_d, dim)
    (1.0, 1, 0.6, 0.7, 0.5, 0.05, 0.2, 1),
    (1.0, 2, 0.3, 0.7, 0.5, 0.05, 0.2, 1),
    (0.8, 3, 0.2, 1.3, 0.1, 0.1, 0.05, 2),
    (0.5, 2, 0.4, 0.5, 1.0, 0.01, 0.1, 2),  # over-covered (delta < 0)
]


@pytest.mark.parametrize("case", CASES)
def test_closed_forms_are_the_general_linearization(case):
    p, n, w, sigma, lam, lr_g, lr_d, dim = case
    game, gen = cluster_game(p, sigma, lam, dim), cluster(n, w, dim)
    flow = linearize(game, gen, df.DualFlow(kappa=lr_d / lr_g))
    modes = np.asarray(ip.isolated_flow_modes(lr_g, lr_d, lam, sigma, w, p, n))
    expected = modes if n >= 2 else modes[[0, 2, 3]]
    assert_contains(np.append(np.asarray(flow.eigenvalues), flow.rest_eigenvalue) * lr_g, expected)
    assert flow.residual < 1e-12
    for order in ORDERS:
        lin = linearize(game, gen, df.GDA(lr_g=lr_g, lr_d=lr_d, order=order))
        assert_contains(
            lin.eigenvalues, np.linalg.eigvals(np.asarray(ip.isolated_gda_map(lr_g, lr_d, lam, sigma, w, p, n, order)))
        )
        assert float(lin.growth) == pytest.approx(
            float(ip.isolated_spectral_radius(lr_g, lr_d, lam, sigma, w, p, n, order)), rel=1e-12
        )


@pytest.mark.parametrize("order", ORDERS)
@pytest.mark.parametrize("case", CASES[:3])
def test_closed_form_rate_matches_exact_nonlinear_dynamics(case, order):
    p, n, w, sigma, lam, lr_g, lr_d, dim = case
    game, gen = cluster_game(p, sigma, lam, dim), cluster(n, w, dim)
    # the modes a particle offset excites: the 2x2 map's pair and, for n >= 2, the spread 1 - b
    a, b, _ = ip.isolated_coefficients(lr_g, lr_d, lam, sigma, w, p, n)
    pair = np.abs(np.linalg.eigvals(np.asarray(ip.isolated_gda_map(lr_g, lr_d, lam, sigma, w, p, n, order))))
    predicted = max(pair.max(), abs(1 - float(b)) if n >= 2 else 0.0)
    measured = fitted_growth(game, gen, df.GDA(lr_g=lr_g, lr_d=lr_d, order=order), 300, 50)
    assert measured == pytest.approx(predicted, rel=1e-3)


def test_balanced_simultaneous_threshold():
    """delta = 0, one point: simultaneous GDA converges iff reg > lr_g w ptot / sigma^2, crossing
    exactly there (linearization) and visibly in the simulated dynamics."""
    w, sigma, lr_g, lr_d = 1.0, 1.0, 0.1, 0.1
    critical = float(ip.simultaneous_critical_reg(lr_g, w, w, sigma))
    solver = df.GDA(lr_g=lr_g, lr_d=lr_d, order="simultaneous")
    growth = {}
    for factor in (0.999, 1.001):
        lam = critical * factor
        game, gen = cluster_game(w, sigma, lam), cluster(1, w)
        growth[factor] = float(linearize(game, gen, solver).growth)
        measured = fitted_growth(game, gen, solver, 400, 20)
        assert measured == pytest.approx(growth[factor], rel=1e-6)
    assert growth[0.999] > 1 > growth[1.001]


def test_alternating_oscillation_modulus_and_the_unbalanced_correction():
    lr_g, lr_d, sigma, lam = 0.1, 0.2, 0.5, 0.3
    solver = df.GDA(lr_g=lr_g, lr_d=lr_d, order="alternating_d_first")
    # balanced: sqrt(1 - lr_d reg), as docs/science.md §3 says
    game, gen = cluster_game(1.0, sigma, lam), cluster(1, 1.0)
    lin = linearize(game, gen, solver)
    assert np.all(np.abs(np.imag(lin.eigenvalues)) > 0)  # the oscillating regime
    assert np.abs(lin.eigenvalues[0]) == pytest.approx(np.sqrt(1 - lr_d * lam), rel=1e-12)
    assert fitted_growth(game, gen, solver, 300, 20) == pytest.approx(np.sqrt(1 - lr_d * lam), rel=1e-6)
    # unbalanced: the modulus is sqrt((1-a)(1-b)), not sqrt(1 - lr_d reg)
    p, w = 1.0, 0.7
    game, gen = cluster_game(p, sigma, lam), cluster(1, w)
    lin = linearize(game, gen, solver)
    corrected = float(ip.alternating_oscillation_modulus(lr_g, lr_d, lam, sigma, w, p))
    assert np.all(np.abs(np.imag(lin.eigenvalues)) > 0)
    assert np.abs(lin.eigenvalues[0]) == pytest.approx(corrected, rel=1e-12)
    assert fitted_growth(game, gen, solver, 300, 20) == pytest.approx(corrected, rel=1e-6)
    assert abs(corrected - np.sqrt(1 - lr_d * lam)) > 1e-2


def test_zero_reg_centre_divergence_and_neutral_oscillation():
    game, gen = cluster_game(1.0, 1.0, 0.0), cluster(1, 1.0)
    flow = linearize(game, gen, df.DualFlow(kappa=1.0))
    assert np.max(np.abs(np.real(flow.eigenvalues))) < 1e-12 and np.all(np.abs(np.imag(flow.eigenvalues)) > 0)
    assert float(linearize(game, gen, df.GDA(lr_g=0.1, lr_d=0.1, order="simultaneous")).growth) > 1
    assert float(linearize(game, gen, df.GDA(lr_g=0.1, lr_d=0.1)).growth) == pytest.approx(1.0, abs=1e-12)


def test_overcovered_and_lone_point_thresholds():
    lr_g, lr_d, sigma = 0.05, 0.1, 0.6
    p, w = 0.4, 1.0  # over-covered: delta = -0.6
    critical = float(ip.overcovered_critical_reg(lr_g, lr_d, w, p - w, sigma))
    growth = [
        float(linearize(cluster_game(p, sigma, critical * f), cluster(1, w), df.DualFlow(lr_d / lr_g)).growth)
        for f in (0.999, 1.001)
    ]
    assert growth[0] > 0 > growth[1]
    # a lone point far from a true point: the translation mode is 0, the other -(a+b)
    critical = float(ip.lone_point_critical_reg(lr_g, lr_d, w, sigma))
    far = df.Measure(jnp.array([[50.0]]), jnp.array([w]))
    growth = [
        float(linearize(cluster_game(1.0, sigma, critical * f), far, df.DualFlow(lr_d / lr_g)).growth)
        for f in (0.999, 1.001)
    ]
    assert growth[0] > 0 and abs(growth[1]) < 1e-12


def test_lone_point_runs_away_or_is_stuck_in_simulation():
    lr_g, lr_d, sigma, w = 0.05, 0.1, 0.6, 1.0
    critical = float(ip.lone_point_critical_reg(lr_g, lr_d, w, sigma))
    far = df.Measure(jnp.array([[50.0]]), jnp.array([w]))
    moved = []
    for factor in (0.8, 1.25):
        game = cluster_game(1.0, sigma, critical * factor)
        sol = df.solve(
            game,
            df.Measure(far.points + 1e-4, far.masses),
            df.GDA(lr_g=lr_g, lr_d=lr_d),
            n_steps=2000,
            save_every=2000,
            init_discriminator=far,
            throw=False,
        )
        moved.append(float(jnp.max(jnp.abs(sol.final_points - far.points))))
    assert moved[0] > 1.0 and moved[1] < 1e-3


def test_collapse_radius_is_the_equilibrium_found_by_newton():
    p, w, sigma, lam = 1.0, 0.8, 0.5, 0.5
    game = cluster_game(p, sigma, lam, dim=2)
    eq = find_equilibrium(game, df.Measure(jnp.array([[-0.3, 0.01], [0.35, 0.0]]), jnp.full(2, w)))
    assert bool(eq.converged)
    radius = float(ip.collapse_radius(w, p, sigma))
    assert np.linalg.norm(eq.points, axis=1) == pytest.approx([radius, radius], rel=1e-10)
    assert np.allclose(eq.points[0], -eq.points[1], atol=1e-12)
    assert np.isnan(float(ip.collapse_radius(0.4, 1.0, sigma)))  # 2w <= p: no such configuration


def test_newton_carried_out_of_the_data_reach_is_not_converged():
    """From (0.1, -0.2) Newton runs to about -11.9 and 12.6, twenty bandwidths out, where the
    gradient is 1e-120 because the witness is flat: reported as escaped, not converged; a lone
    point that starts far away stays a legitimate (stuck) equilibrium."""
    game = df.KernelGame(df.Measure(jnp.zeros((1, 1))), df.ExactRKHS(df.Gaussian(0.5)), reg=0.5)
    eq = find_equilibrium(game, df.Measure(jnp.array([[0.1], [-0.2]]), jnp.full(2, 0.8)))
    assert np.all(np.abs(np.asarray(eq.points)) > 10) and float(eq.residual) < 1e-100
    assert np.asarray(eq.escaped).tolist() == [True, True] and not bool(eq.converged)
    good = find_equilibrium(game, df.Measure(jnp.array([[0.3], [-0.3]]), jnp.full(2, 0.8)))
    assert bool(good.converged) and not np.any(np.asarray(good.escaped))
    assert np.abs(np.asarray(good.points)).ravel() == pytest.approx([float(ip.collapse_radius(0.8, 1.0, 0.5))] * 2)
    lone = find_equilibrium(game, df.Measure(jnp.array([[30.0]]), jnp.ones(1)))
    assert bool(lone.converged) and not bool(lone.escaped[0])


def test_general_equilibrium_linearization_matches_simulation():
    """No isolation: two true points a bandwidth apart, three generated points found by Newton;
    the dominant rate of the exact nonlinear dynamics equals the linearization's."""
    data = df.Measure(jnp.array([[0.0, 0.0], [0.8, 0.3]]), jnp.array([0.6, 0.5]))
    game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(0.7)), reg=0.4)
    start = df.Measure(jnp.array([[0.05, 0.0], [0.7, 0.3], [0.9, 0.25]]), jnp.array([0.5, 0.3, 0.3]))
    eq = find_equilibrium(game, start)
    assert bool(eq.converged) and eq.residual < 1e-12
    for order in ORDERS:
        solver = df.GDA(lr_g=0.05, lr_d=0.1, order=order)
        lin = linearize(game, eq.measure, solver)
        assert lin.residual < 1e-11
        # twelve slow modes within 3% of each other: a shallow delay embedding fits the dominant
        # one robustly (see `fitted_eigenvalues`)
        measured = fitted_growth(game, eq.measure, solver, 300, 60, delays=1)
        assert measured == pytest.approx(float(lin.growth), rel=1e-4)


@pytest.mark.parametrize(
    "solver",
    [df.DualFlow(kappa=3.0)]
    + [df.GDA(lr_g=0.05, lr_d=0.2, order=o, n_critic=2) for o in ORDERS]
    + [df.Extragradient(lr_g=0.05, lr_d=0.2), df.OptimisticGDA(lr_g=0.05, lr_d=0.2)]
    + [df.ProximalGDA(lr_g=0.05, lr_d=0.2, order=o) for o in ORDERS]
    + [df.ProximalGDA(lr_g=0.05, lr_d=0.2, coupling="joint")],
)
def test_kernel_trick_equals_jacfwd_for_finite_rank(solver):
    """Finite-rank kernel phi(x).phi(z): the kernel trick and autodiff of the finite ODE/map (for the
    optimistic step, of the run's own step with optax's memory) give the same spectrum, up to copies
    of the rest modes (optimistic GDA has two: the roots of rho^2 = (1 - 2c) rho + c, c = eta_d lambda)."""
    key_data, key_rff = jax.random.split(jax.random.PRNGKey(3))
    data = df.Measure(jax.random.normal(key_data, (3, 2)), jnp.array([0.3, 0.3, 0.4]))
    features = df.RandomFourier(df.Gaussian(1.0), 40, 2, key=key_rff)
    game = df.KernelGame(data, df.FiniteRank(features), reg=0.5)
    gen = find_equilibrium(game, df.Measure(data.points[:2] + 0.05, jnp.array([0.5, 0.5]))).measure
    trick = linearize(game, gen, solver, method="kernel")
    auto = linearize(game, gen, solver, method="jacfwd")
    rest = complex(trick.rest_eigenvalue)
    rests = [rest, -0.1 / rest] if isinstance(solver, df.OptimisticGDA) else [rest]  # c = 0.2 * 0.5

    def strip(e):
        e = np.asarray(e)
        return np.sort_complex(e[np.min([np.abs(e - r) for r in rests], axis=0) > 1e-9])

    np.testing.assert_allclose(strip(trick.eigenvalues), strip(auto.eigenvalues), atol=1e-10)
    assert np.sum(np.abs(np.asarray(auto.eigenvalues) - rest) < 1e-9) >= 40 - 2 * 2 * 2


def test_fast_discriminator_limit_is_the_optimal_witness_flow():
    """kappa -> infinity: the slow eigenvalues of the exact flow tend to those of the MMD flow
    (autodiff of the optimal witness's particle field), with an O(1/kappa) gap."""
    data = df.Measure(jnp.array([[0.0], [1.0]]), jnp.array([0.5, 0.5]))
    start = df.Measure(jnp.array([[0.1], [0.8]]), jnp.array([0.5, 0.5]))
    exact = df.KernelGame(data, df.ExactRKHS(df.Gaussian(0.6)), reg=0.5)
    eq = find_equilibrium(exact, start)
    mmd = df.KernelGame(data, df.OptimalWitness(df.Gaussian(0.6)), reg=0.5)
    slow = np.sort(np.real(np.asarray(linearize(mmd, eq.measure, df.DualFlow(1.0)).eigenvalues)))
    gaps = []
    for kappa in (1e3, 1e4):
        eigs = np.asarray(linearize(exact, eq.measure, df.DualFlow(kappa)).eigenvalues)
        near = np.sort(np.real(eigs[np.abs(eigs) < 10 * np.max(np.abs(slow))]))
        gaps.append(np.max(np.abs(near - slow)))
    assert gaps[1] < 2e-3 * np.max(np.abs(slow)) and gaps[1] < gaps[0] / 5


def test_dirac_gan_gradient_penalty_eigenvalues():
    """Mescheder et al.: with a gradient penalty g, eigenvalues -g/2 +- sqrt(g^2/4 - h'(0)^2), h'(0) = 1/2."""
    at_rest = df.Measure(jnp.zeros((1, 1)), jnp.ones(1))
    for g in (0.0, 0.5, 1.0, 2.0):
        lin = linearize(df.dirac_gan(gradient_penalty=g), at_rest, df.DualFlow(1.0))
        expected = -g / 2 + np.array([1, -1]) * np.sqrt(complex(g**2 / 4 - 0.25))
        np.testing.assert_allclose(np.sort_complex(np.asarray(lin.eigenvalues)), np.sort_complex(expected), atol=1e-12)


def test_wasserstein_convention_scales_by_the_masses():
    """Uniform masses 1/N: the Wasserstein velocity is the mass-weighted one N times faster, so
    the generator-driven eigenvalues scale accordingly (kappa scaled alike)."""
    n, w = 4, 0.25
    mass = linearize(cluster_game(1.5, 0.8, 0.3), cluster(n, w), df.DualFlow(2.0))
    wass = linearize(cluster_game(1.5, 0.8, 0.3, velocity="wasserstein"), cluster(n, w), df.DualFlow(2.0 / w))
    assert_contains(np.asarray(wass.eigenvalues) * w, np.asarray(mass.eigenvalues))


def test_bad_inputs_are_refused():
    gen = cluster(1, 1.0)
    with pytest.raises(ValueError, match="twice differentiable"):
        linearize(cluster_game(1.0, 1.0, 0.5, kernel=df.Laplace(1.0)), gen, df.DualFlow(1.0))
    with pytest.raises(ValueError, match="dimension"):
        linearize(cluster_game(1.0, 1.0, 0.5), cluster(1, 1.0, dim=2), df.DualFlow(1.0))
    with pytest.raises(ValueError, match="method"):
        linearize(cluster_game(1.0, 1.0, 0.5), gen, df.DualFlow(1.0), method="jacfwd")
    with pytest.raises(ValueError, match="reg > 0"):
        find_equilibrium(cluster_game(1.0, 1.0, 0.0), gen)


def test_best_response_start_keeps_its_reference_to_the_last_step():
    """The reference configuration of `init_discriminator` is never overwritten in the history:
    nothing is dropped, and the last step continues the smooth decay of the previous ones."""
    game = cluster_game(1.0, 1.0, 0.01)
    ref = cluster(1, 1.0)
    sol = df.solve(
        game,
        df.Measure(ref.points + 1e-6, ref.masses),
        df.GDA(lr_g=0.01, lr_d=0.01),
        n_steps=50,
        init_discriminator=ref,
    )
    assert float(sol.stats["dropped_weight"]) == 0.0
    x = np.asarray(sol.points).ravel()
    assert x[-1] / x[-2] == pytest.approx(x[-2] / x[-3], rel=1e-3)


@pytest.mark.parametrize("coupling", ["joint", "decoupled"])
def test_any_solver_is_linearized_through_its_own_step(coupling):
    """`linearize(method="jacfwd")` differentiates the solver's own map, so the proximal (implicit)
    step is linearized too: its matrix times random directions equals central differences of one
    step run by `solve` along them (its kernel trick, exact linear solves, is checked against this
    in `test_kernel_trick_equals_jacfwd_for_finite_rank`)."""
    data = df.Measure(jnp.array([[0.0], [1.0]]))
    gen = df.Measure(jnp.array([[0.3], [0.6]]))
    features = df.RandomFourier(df.Gaussian(1.0), 6, 1, key=jax.random.PRNGKey(0))
    game = df.KernelGame(data, df.FiniteRank(features), reg=0.5)
    solver = df.ProximalGDA(lr_g=0.1, lr_d=0.2, coupling=coupling)
    lin = linearize(game, gen, solver, method="jacfwd")
    theta = game.discriminator.best_response(
        game, game.discriminator.init(game, gen.points, gen.masses, 1), gen.points, gen.masses
    )
    y0 = np.concatenate([np.asarray(gen.points).ravel(), np.asarray(theta.theta)])

    def one_step(y):
        x, th = jnp.asarray(y[:2]).reshape(2, 1), jnp.asarray(y[2:])
        sol = df.solve(game, df.Measure(x), solver, n_steps=1, init_discriminator=type(theta)(th))
        return np.concatenate([np.asarray(sol.final_points).ravel(), np.asarray(sol.final_discriminator.theta)])

    h = 1e-5
    assert lin.discrete and np.asarray(lin.matrix).shape == (y0.size, y0.size)
    for v in np.random.default_rng(0).normal(size=(2, y0.size)):  # directional central differences
        difference = (one_step(y0 + h * v) - one_step(y0 - h * v)) / (2 * h)
        np.testing.assert_allclose(np.asarray(lin.matrix) @ v, difference, rtol=0, atol=1e-7)
