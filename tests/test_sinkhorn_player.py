"""`SinkhornPotentials`: the generator's Sinkhorn-divergence flow, checked against independent
computations (autodiff of the divergence, POT's plans in NumPy, finite differences, two Diracs)."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import ot
import pytest
from scipy.special import logsumexp

import dualflow as df
from dualflow.metrics import sinkhorn_divergence

EPS = 0.1
TIGHT = 1e-12  # l1 marginal tolerance of the Sinkhorn solves in the exactness checks


def small_problem(key, n=7, m=5):
    """Particles with non-uniform masses (total 1.7, not 1) and a data cloud, in 2-D."""
    kx, ky, kp = jax.random.split(key, 3)
    x = jax.random.normal(kx, (n, 2))
    y = jax.random.normal(ky, (m, 2)) + jnp.array([[1.0, 0.5]])
    masses = 1.7 * jax.nn.softmax(jax.random.normal(kp, (n,)))
    p = jnp.linspace(1.0, 2.0, m)
    return x, masses, df.Measure(y, p / jnp.sum(p))


@eqx.filter_jit
def generator_velocity(game, x, masses):
    return game.generator_velocity(None, x, masses)


@eqx.filter_jit
def witness(game, x, masses, z):
    return game.discriminator.witness(game, None, x, masses, z)


def velocity(player, data, x, masses, convention="mass_weighted"):
    return generator_velocity(df.KernelGame(data, player, velocity=convention), x, masses)


def test_velocity_is_minus_the_gradient_of_the_sinkhorn_divergence(key):
    x, masses, data = small_problem(key)
    player = df.SinkhornPotentials(epsilon=EPS, threshold=TIGHT)

    def divergence(points):
        return sinkhorn_divergence(df.Measure(points, masses), data, EPS, threshold=TIGHT)

    # ott's backward pass is traced outside metrics' own promotion context: allow it here
    with jax.numpy_rank_promotion("allow"), jax.numpy_dtype_promotion("standard"):
        grad = jax.grad(divergence)(x)
    assert float(jnp.max(jnp.abs(grad))) > 0.05  # a real test: the particles are far from the data
    np.testing.assert_allclose(velocity(player, data, x, masses), -grad, atol=1e-10)
    # Wasserstein convention: grad f(x_j) = -(dS/dx_j) / m_j, minus the gradient of the first
    # variation of mu -> S(mu / |mu|, nu) (with |mu| = 1.7 here, not 1)
    np.testing.assert_allclose(velocity(player, data, x, masses, "wasserstein"), -grad / masses[:, None], atol=1e-9)


def pot_plan(a, b, x, y):
    """Entropic plan from `(x, a)` to `(y, b)` in POT's convention, min <P, C> + reg sum P log P:
    the same optimal plan as ott's KL(P | a x b) regularization with reg = epsilon (the two
    differ by a constant on the transport polytope); and POT's dual vector on `y`,
    g = reg log v (P = diag(u) K diag(v))."""
    plan, log = ot.sinkhorn(
        a, b, ot.dist(x, y), reg=EPS, method="sinkhorn_log", stopThr=1e-14, numItermax=20_000, log=True
    )
    assert np.abs(plan.sum(0) - b).sum() < 1e-12 and np.abs(plan.sum(1) - a).sum() < 1e-12
    return plan, EPS * log["log_v"]


def symmetric_plan(a, x):
    """Entropic plan from `(x, a)` to itself in plain NumPy, by the averaged fixed point
    f <- (f + T f) / 2 of the symmetric problem (Feydy et al. 2019): alternating Sinkhorn
    (POT's) oscillates on symmetric problems and converges very slowly. Also returns f, the
    potential with P = a a^T exp((f_i + f_j - C_ij) / eps)."""
    cost = ot.dist(x, x)
    f = np.zeros_like(a)
    for _ in range(10_000):
        f_new = 0.5 * (f - EPS * logsumexp((f[None, :] - cost) / EPS, b=a[None, :], axis=1))
        if np.max(np.abs(f_new - f)) < 1e-15:
            break
        f = f_new
    plan = np.outer(a, a) * np.exp((f[:, None] + f[None, :] - cost) / EPS)
    assert np.abs(plan.sum(0) - a).sum() < 1e-12
    return plan, f


def test_velocity_matches_pot_barycentric_projections(key):
    x, masses, data = small_problem(key)
    xn, yn = np.asarray(x), np.asarray(data.points)
    a, b = np.asarray(masses / jnp.sum(masses)), np.asarray(data.masses)
    (p_xy, _), (p_xx, _) = pot_plan(a, b, xn, yn), symmetric_plan(a, xn)
    # -dS/dx_i = -a_i (grad f_xy - grad f_xx)(x_i), grad f(x_i) = 2 (x_i - T(x_i)), T = P y / a
    expected = 2 * (p_xy @ yn - p_xx @ xn)
    ours = velocity(df.SinkhornPotentials(epsilon=EPS, threshold=TIGHT), data, x, masses)
    np.testing.assert_allclose(ours, expected, atol=1e-10)


def entropic_cost(plan, a, b, x, y):
    """OT_eps(a, b) = <P, C> + eps KL(P | a x b) of the optimal plan (NumPy)."""
    return np.sum(plan * ot.dist(x, y)) + EPS * np.sum(plan * np.log(plan / np.outer(a, b)))


def test_velocity_matches_finite_differences_of_pot_divergence(key):
    x, masses, data = small_problem(key, n=4, m=3)
    xn, yn = np.asarray(x), np.asarray(data.points)
    a, b = np.asarray(masses / jnp.sum(masses)), np.asarray(data.masses)

    def divergence(points):  # the nu-nu term does not depend on the particles
        return entropic_cost(pot_plan(a, b, points, yn)[0], a, b, points, yn) - 0.5 * entropic_cost(
            symmetric_plan(a, points)[0], a, a, points, points
        )

    h = 1e-5
    fd = np.zeros_like(xn)
    for i in range(xn.shape[0]):
        for k in range(2):
            step = np.zeros_like(xn)
            step[i, k] = h
            fd[i, k] = (divergence(xn + step) - divergence(xn - step)) / (2 * h)
    ours = velocity(df.SinkhornPotentials(epsilon=EPS, threshold=TIGHT), data, x, masses)
    np.testing.assert_allclose(ours, -fd, atol=1e-7)


def test_online_mode_equals_dense_mode(key):
    x, masses, data = small_problem(key)
    z = jax.random.normal(jax.random.PRNGKey(3), (11, 2))  # arbitrary evaluation points
    game = df.KernelGame(data, df.SinkhornPotentials(epsilon=EPS, threshold=1e-10))
    online = df.KernelGame(data, df.SinkhornPotentials(epsilon=EPS, threshold=1e-10, batch_size=3))
    f_dense, g_dense = witness(game, x, masses, z)
    f_online, g_online = witness(online, x, masses, z)
    np.testing.assert_allclose(f_online, f_dense, atol=1e-12)
    np.testing.assert_allclose(g_online, g_dense, atol=1e-12)


def c_transform(z, centres, weights, potential):
    """NumPy: (-eps log sum_k w_k exp((g_k - |z - c_k|^2) / eps), softmax-weighted mean of the c_k)."""
    logits = (potential[None, :] - ot.dist(z, centres)) / EPS + np.log(weights)[None, :]
    soft = np.exp(logits - logsumexp(logits, axis=1, keepdims=True))
    return -EPS * logsumexp(logits, axis=1), soft @ centres


def test_witness_at_arbitrary_points_matches_numpy_potentials(key):
    x, masses, data = small_problem(key)
    z = np.asarray(jax.random.normal(jax.random.PRNGKey(3), (11, 2)))
    xn, yn = np.asarray(x), np.asarray(data.points)
    a, b = np.asarray(masses / jnp.sum(masses)), np.asarray(data.masses)
    (_, g_xy), (_, f_xx) = pot_plan(a, b, xn, yn), symmetric_plan(a, xn)
    f_cross, t_cross = c_transform(z, yn, np.ones_like(b), g_xy)  # POT's g absorbs reg log b
    f_self, t_self = c_transform(z, xn, a, f_xx)
    total = float(jnp.sum(masses))
    values, grads = witness(
        df.KernelGame(data, df.SinkhornPotentials(epsilon=EPS, threshold=1e-10)), x, masses, jnp.asarray(z)
    )
    expected = (f_self - f_cross) / total  # a first variation: defined up to an additive constant
    np.testing.assert_allclose(values - values[0], expected - expected[0], atol=1e-9)
    np.testing.assert_allclose(grads, 2 * (t_cross - t_self) / total, atol=1e-9)


def test_two_diracs_move_straight_at_twice_the_distance():
    # S_eps(delta_a, delta_b) = |a - b|^2, so a lone particle of mass 1 moves at -2 (a - b)
    a, b = jnp.array([[0.3, -0.2]]), jnp.array([[1.0, 0.5]])
    v = velocity(df.SinkhornPotentials(epsilon=0.05), df.Measure(b), a, jnp.ones(1))
    np.testing.assert_allclose(v, -2 * (a - b), rtol=1e-12)


def test_reg_is_not_used(key):
    x, masses, data = small_problem(key)
    player = df.SinkhornPotentials(epsilon=EPS)
    np.testing.assert_array_equal(
        generator_velocity(df.KernelGame(data, player, reg=0.0), x, masses),
        generator_velocity(df.KernelGame(data, player, reg=3.0), x, masses),
    )


def test_float32_data_run_in_float32(key):
    x, masses, data = small_problem(key)
    v64 = velocity(df.SinkhornPotentials(epsilon=EPS, threshold=1e-6), data, x, masses)
    data32 = df.Measure(data.points.astype(jnp.float32), data.masses.astype(jnp.float32))
    v32 = velocity(
        df.SinkhornPotentials(epsilon=EPS, threshold=1e-5, batch_size=4),
        data32,
        x.astype(jnp.float32),
        masses.astype(jnp.float32),
    )
    assert v32.dtype == jnp.float32
    np.testing.assert_allclose(v32, v64, atol=1e-4)


def ring_problem(n=24):
    data = df.ring8(jax.random.PRNGKey(1), n)
    x0 = 0.4 * jax.random.normal(jax.random.PRNGKey(2), (n, 2))
    return data, x0


def divergences(sol, data):
    return np.array(
        [float(sinkhorn_divergence(df.Measure(p), data, 0.05, threshold=1e-6)) for p in np.asarray(sol.points)]
    )


def test_flow_decreases_the_sinkhorn_divergence_monotonically():
    data, x0 = ring_problem()
    game = df.KernelGame(data, df.SinkhornPotentials(epsilon=0.05, threshold=1e-4), velocity="wasserstein")
    sol = df.solve(game, df.Measure(x0), df.DualFlow(kappa=1.0, rtol=1e-4, atol=1e-7), t1=3.0, n_saves=7)
    s = divergences(sol, data)
    assert np.all(np.diff(s) < 0), s
    assert s[-1] < 1e-2 * s[0], s


def test_gda_descends_the_sinkhorn_divergence():
    data, x0 = ring_problem()
    game = df.KernelGame(data, df.SinkhornPotentials(epsilon=0.05, threshold=1e-4), velocity="wasserstein")
    sol = df.solve(game, df.Measure(x0), df.GDA(lr_g=0.1, lr_d=1.0), n_steps=30, save_every=5)
    s = divergences(sol, data)
    assert np.all(np.diff(s) < 0), s
    assert s[-1] < 1e-2 * s[0], s


def test_unconverged_solve_gives_nan_witness_not_an_exception(key):
    x, masses, data = small_problem(key)
    player = df.SinkhornPotentials(epsilon=EPS, threshold=1e-14, max_iterations=10)
    game = df.KernelGame(data, player)
    duals = eqx.filter_jit(player.potentials)(game, x, masses)
    assert not bool(jnp.all(duals.converged))
    assert bool(jnp.all(jnp.isnan(velocity(player, data, x, masses))))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(epsilon=-0.1), "epsilon"),
        (dict(epsilon=0.0), "epsilon"),
        (dict(threshold=0.0), "threshold"),
        (dict(max_iterations=0), "max_iterations"),
        (dict(batch_size=2.5), "batch_size"),
        (dict(batch_size=0), "batch_size"),
    ],
)
def test_bad_arguments_raise(kwargs, match):
    with pytest.raises(ValueError, match=match):
        df.SinkhornPotentials(**kwargs)


def test_nonlinear_payoff_is_refused():
    with pytest.raises(ValueError, match="SinkhornPotentials"):
        df.KernelGame(df.Measure(jnp.zeros((2, 2))), df.SinkhornPotentials(), payoff=df.Logistic())
