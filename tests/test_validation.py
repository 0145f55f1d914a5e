"""Bad input is refused before anything is compiled, with a message naming the argument."""

import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df

DATA = df.Measure(np.zeros((3, 2)))
GAME = df.KernelGame(DATA, df.ExactRKHS(df.Gaussian(1.0)), reg=0.1)
GEN = df.Measure(np.ones((2, 2)))


@pytest.mark.parametrize(
    "make,name",
    [
        (lambda: df.Gaussian(0.0), "bandwidth"),
        (lambda: df.Gaussian(-1.0), "bandwidth"),
        (lambda: df.Laplace(np.nan), "bandwidth"),
        (lambda: df.RationalQuadratic(1.0, alpha=0.0), "alpha"),
        (lambda: df.Multiscale([df.Gaussian(1.0)], [-1.0]), "weights"),
        (lambda: df.Measure(np.array([[0.0, np.nan]])), "points"),
        (lambda: df.Measure(np.zeros((3, 2)), np.ones(2)), "masses"),
        (lambda: df.Measure(np.zeros((2, 2)), np.array([1.0, -1.0])), "masses"),
        (lambda: df.Measure(np.zeros((2, 2)), np.array([1.0, 0.0])), "masses"),
        (lambda: df.Measure(np.zeros((2, 2, 2))), "points"),
        (lambda: df.GDA(lr_g=0.0, lr_d=0.1), "lr_g"),
        (lambda: df.GDA(lr_g=0.1, lr_d=-0.1), "lr_d"),
        (lambda: df.GDA(0.1, 0.1, order="leapfrog"), "order"),
        (lambda: df.GDA(0.1, 0.1, n_critic=0), "n_critic"),
        (lambda: df.DualFlow(kappa=-1.0), "kappa"),
        (lambda: df.DualFlow(dt0=0.0), "dt0"),
        (lambda: df.KernelGame(DATA, df.ExactRKHS(df.Gaussian(1.0)), reg=-0.1), "reg"),
        (lambda: df.KernelGame(DATA, df.OptimalWitness(df.Gaussian(1.0)), reg=0.0), "reg"),
        (lambda: df.KernelGame(DATA, df.ExactRKHS(df.Gaussian(1.0)), velocity="euclid"), "velocity"),
        (lambda: df.KernelGame(DATA, df.OptimalWitness(df.Gaussian(1.0)), reg=1.0, payoff=df.Logistic()), "Logistic"),
        (lambda: df.KernelGame(np.zeros((3, 2)), df.ExactRKHS(df.Gaussian(1.0))), "data"),
        (lambda: df.ExactRKHS(df.Gaussian(1.0), history_size=0), "history_size"),
        (lambda: df.solve(GAME, df.Measure(np.ones((2, 3))), df.GDA(0.1, 0.1), n_steps=3), "dimension"),
        (lambda: df.solve(GAME, GEN, df.GDA(0.1, 0.1), n_steps=10, save_every=3), "save_every"),
        (lambda: df.solve(GAME, GEN, df.GDA(0.1, 0.1)), "n_steps"),
        (lambda: df.solve(GAME, GEN, df.DualFlow()), "t1"),
        (lambda: df.solve(GAME, GEN, "gda", n_steps=3), "solver"),
    ],
)
def test_bad_input_raises_value_error_naming_it(make, name):
    with pytest.raises(ValueError, match=name):
        make()


def test_error_message_says_what_was_received():
    with pytest.raises(ValueError, match=r"`bandwidth` must be finite and positive; received -2\.0"):
        df.Gaussian(-2.0)
    with pytest.raises(ValueError, match=r"one of .*received 'leapfrog'"):
        df.GDA(0.1, 0.1, order="leapfrog")


def test_one_dimensional_points_are_a_column():
    assert df.Measure(jnp.arange(3.0)).points.shape == (3, 1)


def test_integer_points_become_floating_with_uniform_masses():
    m = df.Measure(np.array([[0], [3]]))
    assert jnp.issubdtype(m.points.dtype, jnp.floating)
    np.testing.assert_allclose(np.asarray(m.masses), [0.5, 0.5])


@pytest.mark.parametrize(
    "solver,kwargs", [(df.GDA(0.1, 1.0), dict(n_steps=5)), (df.DualFlow(kappa=10.0, dt0=0.1), dict(t1=0.5))]
)
def test_float32_data_give_a_float32_run(solver, kwargs):
    data = df.Measure(np.array([[-1.0], [1.0]], np.float32))
    game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(0.5)), reg=1.0)
    sol = df.solve(game, df.Measure(np.array([[0.1], [0.2]], np.float32)), solver, **kwargs)
    assert sol.points.dtype == jnp.float32 and sol.result_name == "SUCCESSFUL"


def test_implicit_solver_refused_for_the_exact_kernel_flow():
    import diffrax

    with pytest.raises(ValueError, match="explicit diffrax solver"):
        df.solve(GAME, GEN, df.DualFlow(solver=diffrax.Kvaerno3()), t1=1.0)


def test_solver_rates_are_array_leaves():
    """Rates are traced (a new value does not recompile, sweeps can vmap over them)."""
    import jax

    import dualflow as df

    for solver in (df.GDA(lr_g=0.1, lr_d=0.2), df.ProximalGDA(lr_g=0.1, lr_d=0.2)):
        assert isinstance(solver.lr_g, jax.Array) and isinstance(solver.lr_d, jax.Array)
    assert isinstance(df.DualFlow(kappa=3.0).kappa, jax.Array)


def test_traced_hyperparameters_are_checked_at_run_time():
    """Inside `jit` or `vmap` a negative rate, bandwidth or ridge cannot be refused before
    tracing; `eqx.error_if` makes the compiled sweep raise, naming it, instead of running. Good
    values run and give the same numbers as outside the transformation."""
    import equinox as eqx
    import jax

    data = df.Measure(jnp.array([[0.0], [1.0]]))
    gen = df.Measure(jnp.array([[0.4], [0.7]]))

    def final_points(bandwidth, reg, lr_g, kappa):
        game = df.KernelGame(data, df.ExactRKHS(df.Gaussian(bandwidth)), reg=reg)
        gda = df.solve(game, gen, df.GDA(lr_g=lr_g, lr_d=kappa * lr_g), n_steps=5).final_points
        flow = df.DualFlow(kappa=kappa)  # constructed traced: its converter checks kappa
        return gda + 0 * flow.kappa

    good = tuple(jnp.asarray(v) for v in (1.0, 0.5, 0.1, 2.0))  # arrays: traced by filter_jit
    expected = np.asarray(final_points(*good))
    compiled = eqx.filter_jit(final_points)  # equinox's jit turns the check into an EquinoxRuntimeError
    np.testing.assert_allclose(np.asarray(compiled(*good)), expected, rtol=0, atol=1e-14)
    sweep = eqx.filter_jit(jax.vmap(final_points, in_axes=(0, None, None, None)))
    np.asarray(sweep(jnp.array([0.5, 1.0]), *good[1:]))
    for index, name in enumerate(("bandwidth", "reg", "lr_g", "kappa")):
        bad = list(good)
        bad[index] = -bad[index]
        with pytest.raises(eqx.EquinoxRuntimeError, match=f"`{name}` must be finite"):
            np.asarray(compiled(*bad))
    with pytest.raises(eqx.EquinoxRuntimeError, match="`bandwidth` must be finite and positive"):
        np.asarray(sweep(jnp.array([0.5, -1.0]), *good[1:]))  # one bad point of a vmapped sweep
