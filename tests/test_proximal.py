"""Proximal (implicit, JKO-like) GDA against closed forms, plain NumPy/scipy and diffrax's implicit Euler."""

import diffrax
import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import optimistix as optx
import pytest
import scipy.optimize

import dualflow as df
from dualflow.dynamics import dual_flow_field
from dualflow.players import FiniteRankState, Particles

ONE = df.Measure(jnp.ones((1, 1)), jnp.ones(1))


def _bilinear_path(sol):
    return np.asarray(sol.points)[:, 0, 0], np.asarray(sol.discriminator_trace)[:, 0]


# ---- the bilinear game L = s x psi (docs/science.md §4) -----------------------------------------
@pytest.mark.parametrize("order", ["simultaneous", "alternating_d_first"])
def test_bilinear_decoupled_prox_is_explicit_gda(order):
    """Linear in mu: the decoupled proximal step gives exactly the iterates of explicit GDA."""
    s, tau, n = 1.5, 0.2, 40
    prox = df.solve(df.bilinear(s), ONE, df.ProximalGDA(tau, tau, order=order), n_steps=n)
    gda = df.solve(df.bilinear(s), ONE, df.GDA(tau, tau, order=order), n_steps=n)
    x, psi = _bilinear_path(prox)
    x_gda, psi_gda = _bilinear_path(gda)
    np.testing.assert_allclose(x, x_gda, rtol=0, atol=1e-14 * np.abs(x_gda).max())
    np.testing.assert_allclose(psi, psi_gda, rtol=0, atol=1e-14 * np.abs(psi_gda).max())
    k = np.arange(n + 1)
    if order == "simultaneous":  # grows by 1 + tau^2 s^2 per step, as explicit GDA
        np.testing.assert_allclose(x**2 + psi**2, (1 + tau**2 * s**2) ** k, rtol=1e-12)
    else:  # alternating: x^2 + psi^2 - u x psi conserved, u = tau s
        np.testing.assert_allclose(x**2 + psi**2 - tau * s * x * psi, 1.0, rtol=1e-12)


@pytest.mark.parametrize("tau", [0.05, 0.2, 1.0])
def test_bilinear_joint_prox_contracts_by_closed_form(tau):
    """The proximal point step (I + tau s J) z' = z: x^2 + psi^2 shrinks by 1/(1 + tau^2 s^2)."""
    s, n = 1.5, 40
    sol = df.solve(df.bilinear(s), ONE, df.ProximalGDA(tau, tau, coupling="joint"), n_steps=n)
    x, psi = _bilinear_path(sol)
    np.testing.assert_allclose(x**2 + psi**2, (1 + tau**2 * s**2) ** -np.arange(n + 1.0), rtol=1e-12)
    # and one step is the 2x2 linear solve, in NumPy
    z = np.array([1.0, 0.0])
    for _ in range(n):  # here L = -s psi x: x' = x + tau s psi', psi' = psi - tau s x'
        z = np.linalg.solve(np.array([[1.0, -tau * s], [tau * s, 1.0]]), z)
    assert x[-1] == pytest.approx(z[0], abs=1e-13) and psi[-1] == pytest.approx(z[1], abs=1e-13)


def test_bilinear_joint_prox_unequal_rates_energy():
    """With eta_g != eta_d the energy x^2/eta_g + psi^2/eta_d shrinks by 1/(1 + eta_g eta_d s^2)."""
    s, lr_g, lr_d, n = 2.0, 0.1, 0.7, 25
    sol = df.solve(df.bilinear(s), ONE, df.ProximalGDA(lr_g, lr_d, coupling="joint"), n_steps=n)
    x, psi = _bilinear_path(sol)
    energy = x**2 / lr_g + psi**2 / lr_d
    np.testing.assert_allclose(energy, (1 / lr_g) * (1 + lr_g * lr_d * s**2) ** -np.arange(n + 1.0), rtol=1e-12)


def test_fixed_point_iteration_root_finder_agrees_with_newton():
    s, tau, n = 1.0, 0.3, 20  # tau s < 1: plain fixed-point iteration contracts
    newton = df.solve(df.bilinear(s), ONE, df.ProximalGDA(tau, tau, coupling="joint"), n_steps=n)
    picard = df.solve(
        df.bilinear(s),
        ONE,
        df.ProximalGDA(
            tau, tau, coupling="joint", max_iterations=500, root_finder=optx.FixedPointIteration(rtol=1e-14, atol=1e-14)
        ),
        n_steps=n,
    )
    np.testing.assert_allclose(picard.points, newton.points, atol=1e-12)


def test_unconverged_step_ends_the_run_as_nonfinite():
    """One Newton iteration cannot meet the tolerance: the step is NaN, the run stops at the last good state."""
    solver = df.ProximalGDA(0.2, 0.2, coupling="joint", max_iterations=1)
    sol = df.solve(df.bilinear(1.0), ONE, solver, n_steps=5, throw=False)
    assert sol.result_name == "NONFINITE"
    assert int(sol.stats["num_steps"]) == 0
    np.testing.assert_array_equal(sol.final_points, ONE.points)
    with pytest.raises(RuntimeError, match="NONFINITE"):
        df.solve(df.bilinear(1.0), ONE, solver, n_steps=5)


# ---- the exact RKHS discriminator, against NumPy/scipy ----------------------------------
SIGMA = 0.8


def _gauss(a, b):
    return np.exp(-((a[:, None, :] - b[None, :, :]) ** 2).sum(-1) / (2 * SIGMA**2))


def _witness(z, centres, coefs):
    """f(z) = sum_k beta_k K(z, c_k) and its gradient, Gaussian kernel, plain NumPy."""
    k = _gauss(z, centres) * coefs[None, :]
    return k.sum(1), -(k[:, :, None] * (z[:, None, :] - centres[None, :, :])).sum(1) / SIGMA**2


def _kernel_setup(dim, velocity, reg=0.5):
    rng = np.random.default_rng(dim)
    y, p = rng.normal(size=(3, dim)), np.array([0.2, 0.5, 0.3])
    x0, m = rng.normal(size=(4, dim)) + 0.5, np.array([0.1, 0.4, 0.3, 0.2])
    game = df.KernelGame(
        df.Measure(jnp.asarray(y), jnp.asarray(p)), df.ExactRKHS(df.Gaussian(SIGMA)), reg=reg, velocity=velocity
    )
    return game, y, p, x0, m


@pytest.mark.parametrize(
    "dim, velocity, order", [(1, "mass_weighted", "simultaneous"), (2, "wasserstein", "alternating_d_first")]
)
def test_exact_rkhs_decoupled_steps_match_numpy(dim, velocity, order):
    """D: f' = (f + lr_d (m_nu - m_mu))/(1 + lr_d reg); G: x' = x + lr_g w grad f(x') solved by scipy's fsolve."""
    reg, lr_g, lr_d, n = 0.5, 0.3, 0.4, 6
    game, y, p, x0, m = _kernel_setup(dim, velocity, reg)
    sol = df.solve(
        game, df.Measure(jnp.asarray(x0), jnp.asarray(m)), df.ProximalGDA(lr_g, lr_d, order=order), n_steps=n
    )
    w = m if velocity == "mass_weighted" else np.ones_like(m)
    centres, coefs = np.zeros((0, dim)), np.zeros(0)  # f_0 = 0
    x = x0
    worst_residual = 0.0
    for k in range(n):
        new_centres = np.concatenate([centres, y, x])
        new_coefs = np.concatenate([coefs, lr_d * p, -lr_d * m]) / (1 + lr_d * reg)
        f_c, f_b = (new_centres, new_coefs) if order == "alternating_d_first" else (centres, coefs)

        def equation(flat, x=x, f_c=f_c, f_b=f_b):
            z = flat.reshape(x.shape)
            return (z - x - lr_g * w[:, None] * _witness(z, f_c, f_b)[1]).ravel()

        x = scipy.optimize.fsolve(equation, x.ravel(), xtol=1e-12).reshape(x.shape)
        centres, coefs = new_centres, new_coefs
        computed = np.asarray(sol.points[k + 1])
        np.testing.assert_allclose(computed, x, atol=1e-11)
        worst_residual = max(worst_residual, np.abs(equation(computed.ravel())).max())
    assert worst_residual < 1e-13
    assert np.abs(x - x0).max() > 0.05  # the particles did move
    probes = np.random.default_rng(7).normal(size=(9, dim))
    f_lib, g_lib = game.discriminator.witness(
        game, sol.final_discriminator, sol.final_points, sol.masses, jnp.asarray(probes)
    )
    f_np, g_np = _witness(probes, centres, coefs)
    np.testing.assert_allclose(f_lib, f_np, atol=1e-13)
    np.testing.assert_allclose(g_lib, g_np, atol=1e-13)


def test_exact_rkhs_history_decay_is_the_implicit_one():
    """The history weights of the pushes decay by 1/(1 + lr_d reg) per step (also sizes the buffer)."""
    reg, lr_d, n = 0.5, 0.4, 5
    game, y, p, x0, m = _kernel_setup(1, "mass_weighted", reg)
    sol = df.solve(game, df.Measure(jnp.asarray(x0), jnp.asarray(m)), df.ProximalGDA(0.1, lr_d), n_steps=n)
    state = sol.final_discriminator
    a = 1 / (1 + lr_d * reg)
    assert float(state.data_coef[0]) == pytest.approx(lr_d * a * sum(a**i for i in range(n)), rel=1e-13)
    weights = np.sort(np.asarray(state.history_weights)[:, 0])[::-1][:n]
    np.testing.assert_allclose(weights, lr_d * a ** np.arange(1, n + 1), rtol=1e-13)


def test_exact_rkhs_nonlinear_payoff_prox_matches_scipy():
    """Logistic payoff: f' = (f + lr_d sum_z omega_z h'(f'(z)) K(., z))/(1 + lr_d reg), values solved by fsolve."""
    reg, lr_d = 0.3, 0.8
    rng = np.random.default_rng(3)
    y, p = rng.normal(size=(3, 2)), np.array([0.2, 0.5, 0.3])
    x0, m = rng.normal(size=(2, 2)), np.array([0.6, 0.4])
    game = df.KernelGame(
        df.Measure(jnp.asarray(y), jnp.asarray(p)), df.ExactRKHS(df.Gaussian(SIGMA)), reg=reg, payoff=df.Logistic()
    )
    gen = Particles(df.Measure(jnp.asarray(x0), jnp.asarray(m)))
    step = eqx.filter_jit(df.ProximalGDA(0.1, lr_d).fixed_step(game, gen, 0.1))
    disc = game.discriminator.init(game, gen.points(gen.init()), gen.masses, 4)
    _, disc1, _ = step(gen.init(), disc, None, 0.0)
    # NumPy: values u = f_1(z) on z = (y, x0) with u = lr_d G (omega * slopes(u)) / (1 + lr_d reg), f_0 = 0
    z = np.concatenate([y, x0])
    omega = np.concatenate([p, m])

    def slopes(u):  # h_r(t) = log sigmoid(t), h_f(t) = log(1 - sigmoid(t))
        sig = 1 / (1 + np.exp(-u))
        return np.concatenate([1 - sig[:3], -sig[3:]])

    gram = _gauss(z, z)
    u = scipy.optimize.fsolve(
        lambda u: u - lr_d * gram @ (omega * slopes(u)) / (1 + lr_d * reg), np.zeros(5), xtol=1e-12
    )
    probes = rng.normal(size=(6, 2))
    f_np, _ = _witness(probes, z, lr_d * omega * slopes(u) / (1 + lr_d * reg))
    f_lib, _ = game.discriminator.witness(game, disc1, jnp.asarray(x0), jnp.asarray(m), jnp.asarray(probes))
    np.testing.assert_allclose(f_lib, f_np, atol=1e-13)


def test_optimal_witness_joint_is_the_mmd_jko_step():
    """Stateless f* = (m_nu - m_mu)/reg: joint x' = x + lr m grad f*_{X'}(x') (the MMD flow's implicit step),
    decoupled x' = x + lr m grad f*_{X_k}(x')."""
    reg, lr = 0.5, 0.4
    rng = np.random.default_rng(5)
    y, p = rng.normal(size=(3, 2)), np.array([0.2, 0.5, 0.3])
    x0, m = rng.normal(size=(4, 2)), np.array([0.1, 0.4, 0.3, 0.2])
    game = df.KernelGame(df.Measure(jnp.asarray(y), jnp.asarray(p)), df.OptimalWitness(df.Gaussian(SIGMA)), reg=reg)
    gen = Particles(df.Measure(jnp.asarray(x0), jnp.asarray(m)))

    def grad_f_star(z, x):
        return _witness(z, np.concatenate([y, x]), np.concatenate([p, -m]) / reg)[1]

    for coupling in ("joint", "decoupled"):
        step = eqx.filter_jit(df.ProximalGDA(lr, lr, coupling=coupling).fixed_step(game, gen, lr))
        x1, disc, _ = step(gen.init(), None, None, 0.0)
        x1 = np.asarray(x1)
        reference = x1 if coupling == "joint" else x0
        residual = x1 - x0 - lr * m[:, None] * grad_f_star(x1, reference)
        assert disc is None
        assert np.abs(residual).max() < 1e-14 and np.abs(x1 - x0).max() > 1e-2


# ---- finite-rank features: the joint proximal point step --------------------------------
D = 40
FEATURES = df.RandomFourier(df.Gaussian(1.0), D, 1, key=jax.random.PRNGKey(0))
Y1, P1, M1 = np.array([-1.0, 1.0]), np.array([0.5, 0.5]), np.array([0.5, 0.5])


def _phi(x):
    w, b, c = np.asarray(FEATURES.frequencies)[:, 0], np.asarray(FEATURES.phases), float(FEATURES.scale)
    return c * np.cos(np.outer(x, w) + b), -c * np.sin(np.outer(x, w) + b) * w  # phi, d phi / dx


def _finite_game(reg):
    return df.KernelGame(df.Measure(jnp.asarray(Y1[:, None]), jnp.asarray(P1)), df.FiniteRank(FEATURES), reg=reg)


def test_finite_rank_joint_step_solves_the_implicit_equation():
    reg, lr_g, lr_d = 0.1, 0.5, 0.7
    rng = np.random.default_rng(1)
    xk, thk = np.array([-0.7, 1.2]), 0.1 * rng.normal(size=D)
    gen = Particles(df.Measure(jnp.asarray(xk[:, None]), jnp.asarray(M1)))
    step = eqx.filter_jit(df.ProximalGDA(lr_g, lr_d, coupling="joint").fixed_step(_finite_game(reg), gen, lr_g))
    g1, d1, _ = step(gen.init(), FiniteRankState(jnp.asarray(thk)), None, 0.0)
    x1, th1 = np.asarray(g1)[:, 0], np.asarray(d1.theta)
    phi_x, dphi_x = _phi(x1)
    residual_x = x1 - xk - lr_g * M1 * (dphi_x @ th1)
    residual_theta = th1 - thk - lr_d * (P1 @ _phi(Y1)[0] - M1 @ phi_x - reg * th1)
    assert max(np.abs(residual_x).max(), np.abs(residual_theta).max()) < 1e-10
    assert np.abs(x1 - xk).max() > 1e-2


def test_finite_rank_decoupled_discriminator_step_closed_form():
    """Kernel IPM: theta' = (theta + lr_d (phi_nu - phi_mu))/(1 + lr_d reg)."""
    reg, lr_d = 0.2, 0.9
    xk, thk = np.array([-0.3, 0.4]), np.linspace(-0.1, 0.1, D)
    gen = Particles(df.Measure(jnp.asarray(xk[:, None]), jnp.asarray(M1)))
    step = eqx.filter_jit(df.ProximalGDA(0.1, lr_d).fixed_step(_finite_game(reg), gen, 0.1))
    _, d1, _ = step(gen.init(), FiniteRankState(jnp.asarray(thk)), None, 0.0)
    expected = (thk + lr_d * (P1 @ _phi(Y1)[0] - M1 @ _phi(xk)[0])) / (1 + lr_d * reg)
    np.testing.assert_allclose(d1.theta, expected, atol=1e-14)


def test_finite_rank_joint_is_implicit_euler_and_more_damped():
    """Near the equilibrium (X = Y, theta = 0) of an oscillating game: the joint step matches diffrax's
    ImplicitEuler on the dual flow (kappa = lr_d/lr_g), contracts at the rate predicted from the NumPy
    Jacobian A, max |1/(1 - lr_g mu)|, while explicit simultaneous GDA, max |1 + lr_g mu|, is slower."""
    reg, lr_g, lr_d, n = 0.3, 0.5, 0.5, 60
    game, kappa = _finite_game(reg), lr_d / lr_g
    dphi_y = _phi(Y1)[1]
    A = np.zeros((2 + D, 2 + D))
    A[:2, 2:] = M1[:, None] * dphi_y
    A[2:, :2] = -kappa * (M1[:, None] * dphi_y).T
    A[2:, 2:] = -kappa * reg * np.eye(D)
    mu = np.linalg.eigvals(A)
    rho_explicit, rho_joint = np.abs(1 + lr_g * mu).max(), np.abs(1 / (1 - lr_g * mu)).max()
    assert rho_joint < rho_explicit < 1  # both stable; the oscillating modes are damped harder by the joint step

    start = df.Measure(jnp.asarray((Y1 + np.array([0.05, -0.03]))[:, None]), jnp.asarray(M1))
    distances = {}
    for name, solver in [
        ("explicit", df.GDA(lr_g, lr_d, order="simultaneous")),
        ("joint", df.ProximalGDA(lr_g, lr_d, coupling="joint")),
    ]:
        sol = df.solve(game, start, solver, n_steps=n)
        offsets = np.concatenate([np.asarray(sol.points)[:, :, 0] - Y1, np.asarray(sol.discriminator_trace)], 1)
        distances[name] = np.linalg.norm(offsets, axis=1)
    joint = distances["joint"]
    assert np.all(joint[10:] <= distances["explicit"][10:])
    assert (joint[n] / joint[n // 2]) ** (2 / n) <= rho_joint * 1.01

    term = diffrax.ODETerm(dual_flow_field)
    implicit = diffrax.diffeqsolve(
        term,
        diffrax.ImplicitEuler(root_finder=optx.Newton(rtol=1e-13, atol=1e-13)),
        0.0,
        n * lr_g,
        lr_g,
        (start.points, FiniteRankState(jnp.zeros(D))),
        args=(game, Particles(start), jnp.asarray(kappa)),
        stepsize_controller=diffrax.ConstantStepSize(),
        saveat=diffrax.SaveAt(t1=True),
        max_steps=n + 1,
    )
    np.testing.assert_allclose(implicit.ys[0][0], sol.final_points, atol=1e-12)
    np.testing.assert_allclose(implicit.ys[1].theta[0], sol.final_discriminator.theta, atol=1e-12)


def test_neural_generator_joint_step_solves_the_pulled_back_equation():
    """Joint: g' = g + lr_g J(g')^T v(theta', X(g')), theta' = theta + lr_d dL(theta', X(g')); decoupled:
    g' = g + lr_g J(g')^T v(theta_0, X(g')), for an MLP generator."""
    reg, lr_g, lr_d = 0.1, 0.3, 0.3
    k1, k2 = jax.random.split(jax.random.PRNGKey(2))
    model = eqx.nn.MLP(1, 1, 4, 1, activation=jnp.tanh, key=k1)
    model = jax.tree_util.tree_map(lambda a: a.astype(jnp.float64) if eqx.is_inexact_array(a) else a, model)
    gen = df.NeuralGenerator(model, jax.random.normal(k2, (3, 1), dtype=jnp.float64))
    game = _finite_game(reg)
    theta0 = FiniteRankState(jnp.linspace(-0.2, 0.2, D))
    step = eqx.filter_jit(df.ProximalGDA(lr_g, lr_d, coupling="joint").fixed_step(game, gen, lr_g))
    g1, d1, _ = step(gen.init(), theta0, None, 0.0)
    x1 = np.asarray(gen.points(g1))[:, 0]
    phi_x, dphi_x = _phi(x1)
    velocity = jnp.asarray((gen.masses * (dphi_x @ np.asarray(d1.theta)))[:, None])
    _, vjp = jax.vjp(gen.points, g1)
    residual = jax.tree_util.tree_map(lambda a, b, c: a - b - lr_g * c, g1, gen.init(), vjp(velocity)[0])
    assert max(float(jnp.max(jnp.abs(r))) for r in jax.tree_util.tree_leaves(residual)) < 1e-10
    residual_theta = (
        np.asarray(d1.theta)
        - np.asarray(theta0.theta)
        - lr_d * (P1 @ _phi(Y1)[0] - np.asarray(gen.masses) @ phi_x - reg * np.asarray(d1.theta))
    )
    assert np.abs(residual_theta).max() < 1e-10

    # decoupled: the proximal step of the generator's loss in the parameters, against theta_0
    step = eqx.filter_jit(df.ProximalGDA(lr_g, lr_d).fixed_step(game, gen, lr_g))
    g1, _, _ = step(gen.init(), theta0, None, 0.0)
    x1 = np.asarray(gen.points(g1))[:, 0]
    velocity = jnp.asarray((gen.masses * (_phi(x1)[1] @ np.asarray(theta0.theta)))[:, None])
    _, vjp = jax.vjp(gen.points, g1)
    residual = jax.tree_util.tree_map(lambda a, b, c: a - b - lr_g * c, g1, gen.init(), vjp(velocity)[0])
    assert max(float(jnp.max(jnp.abs(r))) for r in jax.tree_util.tree_leaves(residual)) < 1e-10
    assert np.abs(x1 - np.asarray(gen.points(gen.init()))[:, 0]).max() > 1e-3


# ---- bad inputs -------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(lr_g=-0.1, lr_d=0.1), "lr_g"),
        (dict(lr_g=0.1, lr_d=0.0), "lr_d"),
        (dict(lr_g=0.1, lr_d=0.1, coupling="coupled"), "coupling"),
        (dict(lr_g=0.1, lr_d=0.1, order="random"), "order"),
        (dict(lr_g=0.1, lr_d=0.1, coupling="joint", order="alternating_d_first"), "no order"),
        (dict(lr_g=0.1, lr_d=0.1, max_iterations=0), "max_iterations"),
        (dict(lr_g=0.1, lr_d=0.1, rtol=-1.0), "rtol"),
        (dict(lr_g=0.1, lr_d=0.1, root_finder="newton"), "root_finder"),
        (dict(lr_g=0.1, lr_d=0.1, atol=1e-8, root_finder=optx.Newton(1e-8, 1e-8)), "own tolerances"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        df.ProximalGDA(**kwargs)


def test_exact_rkhs_joint_is_refused():
    game, _, _, x0, m = _kernel_setup(1, "mass_weighted")
    with pytest.raises(ValueError, match="joint"):
        df.solve(
            game, df.Measure(jnp.asarray(x0), jnp.asarray(m)), df.ProximalGDA(0.1, 0.1, coupling="joint"), n_steps=2
        )


def test_float32_run_matches_float64():
    """One dtype per run: a float32 game runs its implicit solves in float32 (tolerances from its epsilon)."""
    runs = {}
    for dtype in (jnp.float32, jnp.float64):
        data = df.Measure(jnp.asarray(Y1[:, None], dtype), jnp.asarray(P1, dtype))
        game = df.KernelGame(data, df.FiniteRank(FEATURES), reg=0.3)
        start = df.Measure(jnp.asarray([[-0.8], [1.1]], dtype), jnp.asarray(M1, dtype))
        sol = df.solve(game, start, df.ProximalGDA(0.5, 0.5, coupling="joint"), n_steps=20)
        assert sol.final_points.dtype == dtype and sol.result_name == "SUCCESSFUL"
        runs[dtype] = np.asarray(sol.final_points)
    np.testing.assert_allclose(runs[jnp.float32], runs[jnp.float64], atol=1e-4)
