"""Payoffs (logistic, non-saturating, WGAN with clipping / gradient penalty) and the new players
(exact RKHS with any payoff, neural discriminator, neural generator) against plain NumPy and
independent autodiff."""

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df

KEY = jax.random.PRNGKey(0)
Y = np.array([[0.0, 0.0], [1.0, 0.5], [-0.5, 1.0]])
P = np.array([0.5, 0.3, 0.2])
X0 = np.array([[0.3, -0.2], [0.8, 0.9], [-0.4, 0.2], [0.1, 0.6]])
Q = np.array([0.1, 0.2, 0.3, 0.4])


def _sigmoid(t):
    return 1 / (1 + np.exp(-t))


def _numpy_exact_gda(payoff, sigma, reg, lr_g, lr_d, n_critic, n_steps):
    """Alternating (D first) GDA with the exact RKHS critic, f kept as an explicit list of
    centres and coefficients; slopes of the logistic / non-saturating links by hand."""
    real_slope = {"logistic": lambda t: _sigmoid(-t), "nonsat": lambda t: _sigmoid(-t)}[payoff]
    fake_slope = lambda t: -_sigmoid(t)  # d/dt log(1 - sigmoid(t))
    gen_slope = {"logistic": fake_slope, "nonsat": lambda t: -_sigmoid(-t)}[payoff]
    centres, coefs, x = np.zeros((0, 2)), np.zeros(0), X0.copy()

    def f_and_grad(z):
        diff = z[:, None, :] - centres[None, :, :]
        k = np.exp(-np.sum(diff**2, -1) / (2 * sigma**2))
        return k @ coefs, -np.einsum("nk,nkd->nd", k * coefs, diff) / sigma**2

    for _ in range(n_steps):
        for _ in range(n_critic):
            fy, _ = f_and_grad(Y)
            fx, _ = f_and_grad(x)
            coefs = np.concatenate([(1 - lr_d * reg) * coefs, lr_d * P * real_slope(fy), lr_d * Q * fake_slope(fx)])
            centres = np.concatenate([centres, Y, x])
        fx, gx = f_and_grad(x)
        x = x - lr_g * (Q * gen_slope(fx))[:, None] * gx
    return x


@pytest.mark.parametrize("payoff,name", [(df.Logistic(), "logistic"), (df.NonSaturating(), "nonsat")])
def test_exact_rkhs_nonlinear_payoff_matches_numpy(payoff, name):
    game = df.KernelGame(df.Measure(Y, P), df.ExactRKHS(df.Gaussian(0.7)), reg=0.3, payoff=payoff)
    sol = df.solve(game, df.Measure(X0, Q), df.GDA(0.4, 0.5, n_critic=2), n_steps=15)
    expected = _numpy_exact_gda(name, 0.7, 0.3, 0.4, 0.5, 2, 15)
    np.testing.assert_allclose(sol.final_points, expected, rtol=0, atol=1e-12)


def test_exact_rkhs_best_response_nonlinear_is_stationary():
    """Newton's best response of the exact critic under the logistic payoff: the ascent
    residual vanishes, and further D-steps do not move it."""
    game = df.KernelGame(df.Measure(Y, P), df.ExactRKHS(df.Gaussian(0.7)), reg=0.5, payoff=df.Logistic())
    d = game.discriminator
    x, q = jnp.asarray(X0), jnp.asarray(Q)
    state = d.best_response(game, d.init(game, x, q, 4), x, q)
    assert float(d.ascent_residual(game, state, x, q)) < 1e-12
    moved = d.ascent_step(game, state, x, q, 0.1, 3)
    z = jnp.asarray(np.concatenate([Y, X0]))
    np.testing.assert_allclose(d.witness(game, moved, x, q, z)[0], d.witness(game, state, x, q, z)[0], atol=1e-12)


def test_generator_links_logistic_versus_non_saturating():
    """Linear critic f = theta x: the zero-sum logistic generator moves with m sigma(f) grad f,
    the non-saturating one with m sigma(-f) grad f."""
    data = df.Measure(jnp.zeros((1, 1)))
    theta = df.players.FiniteRankState(jnp.array([1.5]))
    x, m = jnp.array([[0.4], [-1.0]]), jnp.array([0.3, 0.7])
    f = 1.5 * np.array([0.4, -1.0])
    for payoff, link in [(df.Logistic(), _sigmoid(f)), (df.NonSaturating(), _sigmoid(-f))]:
        game = df.KernelGame(data, df.FiniteRank(df.Identity(1)), payoff=payoff)
        np.testing.assert_allclose(
            game.generator_velocity(theta, x, m)[:, 0], np.array([0.3, 0.7]) * link * 1.5, rtol=1e-14
        )
    assert not df.NonSaturating.zero_sum and df.Logistic.zero_sum


def _wgan_gp_objective_numpy(theta, feats, g):
    """The WGAN-GP critic objective with a linear-in-theta critic f = theta . (A z), by hand."""
    A = feats
    f = lambda z: z @ A.T @ theta
    grad_norm = np.linalg.norm(A.T @ theta)  # grad f = A^T theta, the same at every point
    weights = 0.5 * np.concatenate([P / P.sum(), Q / Q.sum()])
    return P @ f(Y) - Q @ f(X0) - 0.5 * g * weights.sum() * (grad_norm - 1) ** 2


def test_wgan_gradient_penalty_ascent_matches_finite_differences():
    A = np.array([[1.0, 0.5], [-0.3, 2.0], [0.7, 0.1]])

    class Linear(df.kernels.features.AbstractFeatureMap):
        matrix: jax.Array

        def __call__(self, z):
            return z @ self.matrix.T

        @property
        def n_features(self):
            return self.matrix.shape[0]

        def jacobian(self, z):
            return jnp.broadcast_to(self.matrix, (z.shape[0],) + self.matrix.shape)

    game = df.KernelGame(
        df.Measure(Y, P), df.FiniteRank(Linear(jnp.asarray(A))), reg=0.2, payoff=df.WGAN(gradient_penalty=3.0)
    )
    theta = np.array([0.4, -0.2, 0.9])
    direction = game.discriminator.ascent_direction(
        game, df.players.FiniteRankState(jnp.asarray(theta)), jnp.asarray(X0), jnp.asarray(Q)
    )
    h = 1e-6
    fd = np.array(
        [
            (_wgan_gp_objective_numpy(theta + h * e, A, 3.0) - _wgan_gp_objective_numpy(theta - h * e, A, 3.0))
            / (2 * h)
            for e in np.eye(3)
        ]
    )
    np.testing.assert_allclose(direction.theta, fd - 0.2 * theta, atol=1e-8)


def test_wgan_clipping_keeps_parameters_in_the_box():
    feat = df.RandomFourier(df.Gaussian(0.5), 64, 2, key=KEY)
    game = df.KernelGame(df.Measure(Y, P), df.FiniteRank(feat), reg=0.0, payoff=df.WGAN(clip=0.05))
    sol = df.solve(game, df.Measure(X0, Q), df.GDA(0.5, 0.5, order="simultaneous"), n_steps=200, save_every=10)
    theta = np.asarray(sol.discriminator_trace)
    assert np.max(np.abs(theta)) == pytest.approx(0.05, abs=1e-15)  # reached and never exceeded
    assert np.mean(np.abs(theta[-1]) == 0.05) > 0.5  # most parameters sit on the box


@pytest.mark.parametrize(
    "bad",
    [
        lambda: df.WGAN(),
        lambda: df.WGAN(clip=-1.0),
        lambda: df.KernelGame(df.Measure(Y, P), df.ExactRKHS(df.Gaussian(1.0)), payoff=df.WGAN(clip=0.1)),
        lambda: df.NeuralDiscriminator("not a model"),
    ],
)
def test_bad_payoffs_and_players_raise(bad):
    with pytest.raises(ValueError):
        bad()


def _critic(key=KEY):
    return df.NeuralDiscriminator(eqx.nn.MLP(2, "scalar", 8, 1, activation=jax.nn.softplus, key=key))


@pytest.mark.parametrize("payoff", [df.Logistic(), df.WGAN(gradient_penalty=2.0)])
def test_neural_discriminator_ascent_matches_finite_differences(payoff):
    critic = _critic()
    game = df.KernelGame(df.Measure(Y, P), critic, reg=0.1, payoff=payoff)
    x, q = jnp.asarray(X0), jnp.asarray(Q)
    params = critic.init(game, x, q, 0)
    flat, unravel = jax.flatten_util.ravel_pytree(params)
    direction = jax.flatten_util.ravel_pytree(critic.ascent_direction(game, params, x, q))[0]

    def objective(v):  # written out independently of parameter_ascent
        model = critic.model(unravel(v))
        f = jax.vmap(model)
        gy, gx = jax.vmap(jax.grad(model))(Y), jax.vmap(jax.grad(model))(x)
        value = P @ payoff.real(f(Y)) + Q @ payoff.fake(f(x))
        if isinstance(payoff, df.WGAN):
            norms = jnp.linalg.norm(jnp.concatenate([gy, gx]), axis=1)
            value = value - 0.5 * payoff.gradient_penalty * (0.5 * jnp.concatenate([P, Q / Q.sum()]) @ (norms - 1) ** 2)
        return value - 0.05 * v @ v

    h = 1e-6
    idx = np.arange(0, flat.size, 5)
    fd = np.array([(objective(flat.at[i].add(h)) - objective(flat.at[i].add(-h))) / (2 * h) for i in idx])
    np.testing.assert_allclose(direction[idx], fd, atol=1e-7)


def test_neural_discriminator_clipping_and_flow():
    critic = _critic()
    game = df.KernelGame(df.Measure(Y, P), critic, reg=0.0, payoff=df.WGAN(clip=0.2))
    sol = df.solve(game, df.Measure(X0, Q), df.GDA(0.1, 0.5), n_steps=50)
    leaves = jax.tree_util.tree_leaves(sol.final_discriminator)
    assert max(float(jnp.max(jnp.abs(a))) for a in leaves) <= 0.2 + 1e-15
    flow = df.solve(game, df.Measure(X0, Q), df.DualFlow(kappa=5.0), t1=1.0, n_saves=3)
    assert flow.result_name == "SUCCESSFUL"
    with pytest.raises(ValueError, match="best response"):
        df.solve(game, df.Measure(X0, Q), df.GDA(0.1, 0.5), n_steps=5, init_discriminator="best_response")


def _generator(seed=1, n=6):
    model = eqx.nn.MLP(2, 2, 5, 1, activation=jax.nn.tanh, key=jax.random.PRNGKey(seed))
    return df.NeuralGenerator(model, jax.random.normal(jax.random.PRNGKey(2), (n, 2)))


def test_neural_generator_pullback_is_the_transposed_jacobian():
    gen = _generator()
    theta = gen.init()
    flat, unravel = jax.flatten_util.ravel_pytree(theta)
    jac = jax.jacfwd(lambda v: gen.points(unravel(v)).ravel())(flat)  # dense (N d, P)
    v = jax.random.normal(KEY, (6, 2))
    pulled = jax.flatten_util.ravel_pytree(gen.pullback(theta, v))[0]
    np.testing.assert_allclose(pulled, jac.T @ v.ravel(), rtol=1e-12, atol=1e-14)


def test_neural_generator_gda_is_gradient_descent_of_the_generator_loss():
    """Mass-weighted G-step = gradient descent of sum_j m_j h_fake(f(G_theta(z_j))) in theta."""
    gen = _generator()
    feat = df.RandomFourier(df.Gaussian(0.8), 32, 2, key=KEY)
    game = df.KernelGame(df.Measure(Y, P), df.FiniteRank(feat), reg=0.5, payoff=df.Logistic())
    theta_d = df.players.FiniteRankState(jax.random.normal(KEY, (32,)))
    g0 = gen.init()
    step = df.dynamics.gda_maps.generator_step(game, gen, g0, gen.points(g0), theta_d, 0.3)

    def loss(params):
        f = feat(gen.points(params)) @ theta_d.theta
        return gen.masses @ game.payoff.fake(f)

    expected = jax.tree_util.tree_map(lambda a, g: a - 0.3 * g, g0, jax.grad(loss)(g0))
    for a, b in zip(jax.tree_util.tree_leaves(step), jax.tree_util.tree_leaves(expected)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def test_neural_generator_runs_with_gda_and_flow():
    gen = _generator(n=32)
    data = df.ring8(KEY, 64)
    game = df.KernelGame(data, df.FiniteRank(df.RandomFourier(df.Gaussian(0.5), 64, 2, key=KEY)), reg=0.1)
    sol = df.solve(game, gen, df.GDA(0.5, 0.5), n_steps=40, save_every=10)
    assert sol.points.shape == (5, 32, 2)
    np.testing.assert_allclose(sol.final_points, gen.points(sol.final_generator))
    flow = df.solve(game, gen, df.DualFlow(kappa=2.0), t1=1.0, n_saves=3)
    np.testing.assert_allclose(flow.points[0], gen.points(gen.init()))
    assert flow.result_name == "SUCCESSFUL"
    assert not np.allclose(flow.points[-1], flow.points[0])


def test_optimal_witness_with_features_is_the_finite_rank_best_response():
    """kappa -> infinity of a FiniteRank game: OptimalWitness(features) equals FiniteRank's
    best response theta* = (phi_nu - phi_mu)/reg, and the flow's velocity agrees with a long-kappa flow."""
    feat = df.RandomFourier(df.Gaussian(0.8), 48, 2, key=KEY)
    x, q = jnp.asarray(X0), jnp.asarray(Q)
    limit = df.KernelGame(df.Measure(Y, P), df.OptimalWitness(feat), reg=0.4)
    finite = df.KernelGame(df.Measure(Y, P), df.FiniteRank(feat), reg=0.4)
    phi = np.asarray(feat(jnp.asarray(np.concatenate([Y, X0]))))
    theta = np.concatenate([P, -Q]) @ phi / 0.4  # by hand
    z = jnp.asarray(np.array([[0.2, 0.1], [-1.0, 2.0]]))
    f, grad = limit.discriminator.witness(limit, None, x, q, z)
    np.testing.assert_allclose(f, np.asarray(feat(z)) @ theta, rtol=1e-12)
    state = finite.discriminator.best_response(finite, finite.discriminator.init(finite, x, q, 0), x, q)
    np.testing.assert_allclose(grad, finite.discriminator.witness(finite, state, x, q, z)[1], rtol=1e-12)
    fast = df.solve(
        finite, df.Measure(X0, Q), df.DualFlow(kappa=1e4), t1=0.5, n_saves=2, init_discriminator="best_response"
    )
    slow_limit = df.solve(limit, df.Measure(X0, Q), df.DualFlow(kappa=1.0), t1=0.5, n_saves=2)
    np.testing.assert_allclose(fast.final_points, slow_limit.final_points, atol=1e-4)


def test_wgan_constraints_and_feature_bandwidths_are_leaves_a_sweep_compiles_once():
    """`WGAN.clip`, `WGAN.gradient_penalty` and the random-feature bandwidth are array leaves: one
    compiled, vmapped sweep over them traces once and gives, point by point, the numbers of
    separate runs (the features of every bandwidth from the same draws: common random numbers)."""
    import equinox as eqx

    data = df.Measure(jnp.array([[-1.0, 0.0], [1.0, 0.5]]))
    gen = df.Measure(jnp.array([[0.2, 0.1], [0.4, -0.3]]))
    traces = []

    def final(clip, penalty, bandwidth):
        traces.append(None)  # runs once per trace, not per call
        features = df.RandomFourier(df.Gaussian(bandwidth), 32, 2, key=jax.random.PRNGKey(3))
        payoff = df.WGAN(clip=clip, gradient_penalty=penalty)
        game = df.KernelGame(data, df.FiniteRank(features), reg=0.1, payoff=payoff)
        return df.solve(game, gen, df.GDA(lr_g=0.1, lr_d=0.3), n_steps=20).final_points

    sweep = eqx.filter_jit(jax.vmap(final))
    clips, penalties, bandwidths = jnp.array([0.05, 0.1, 0.5]), jnp.array([0.0, 1.0, 3.0]), jnp.array([0.5, 0.8, 2.0])
    swept = np.asarray(sweep(clips, penalties, bandwidths))
    assert len(traces) == 1
    np.asarray(sweep(clips * 2, penalties + 1, bandwidths / 2))  # new values: no new trace
    assert len(traces) == 1
    for i in range(3):
        one = final(float(clips[i]), float(penalties[i]), float(bandwidths[i]))
        np.testing.assert_allclose(swept[i], np.asarray(one), rtol=0, atol=1e-12)
    assert not np.allclose(swept[0], swept[2])  # the constraint changes the run
