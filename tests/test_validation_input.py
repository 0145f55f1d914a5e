"""Hostile input at the public entry points: a user's mistake gives a dualflow `ValueError` or
`TypeError` naming the argument, what was received and what is expected, never an internal JAX or
NumPy error and never a wrong number reported as success."""

import equinox as eqx
import jax
import numpy as np
import pytest

import dualflow as df
from dualflow.measures import grid25_centres

KEY = jax.random.PRNGKey(0)
DATA2 = df.Measure(np.random.default_rng(0).normal(size=(5, 2)))
GEN2 = df.Measure(np.random.default_rng(1).normal(size=(4, 2)))
ONE = df.Measure(np.zeros((1, 1)), np.ones(1))


def _diagram():
    return df.predict_phase_diagram(ONE, ONE, x=("reg", [0.1]), y=("lr_g", [0.1]), scheme="simultaneous")


# --- 1. wrong numbers reported as success --------------------------------------------------------
@pytest.mark.parametrize(
    "critic,name",
    [
        (lambda: df.FiniteRank(df.RandomFourier(df.Gaussian(1.0), 16, 1, key=KEY)), "RandomFourier"),
        (lambda: df.FiniteRank(df.Identity(1)), "Identity"),
        (lambda: df.FiniteRank(df.Nystrom(df.Gaussian(1.0), np.zeros((3, 1)))), "Nystrom"),
    ],
)
def test_a_feature_map_of_another_dimension_is_refused(critic, name):
    with pytest.raises(
        ValueError, match=rf"`features` \({name}\) map points of dimension 1; the data have dimension 2"
    ):
        df.KernelGame(DATA2, critic(), reg=0.1)


def test_a_critic_network_of_another_dimension_is_refused():
    net = eqx.nn.MLP(1, "scalar", 8, 1, activation=jax.nn.softplus, key=KEY)
    with pytest.raises(
        ValueError, match=r"critic network \(`model`\) cannot evaluate a point of the data's dimension 2"
    ):
        df.KernelGame(DATA2, df.NeuralDiscriminator(net), reg=0.1)
    vector = eqx.nn.MLP(2, 3, 8, 1, key=KEY)
    with pytest.raises(ValueError, match=r"must map a point to a scalar; it returns shape \(3,\)"):
        df.KernelGame(DATA2, df.NeuralDiscriminator(vector), reg=0.1)


def test_kernel_points_of_different_dimensions_are_not_broadcast():
    with pytest.raises(ValueError, match=r"dimension \(2,\) are paired with points of dimension \(1,\)"):
        df.Gaussian(1.0).matrix(np.zeros((3, 2)), np.zeros((2, 1)))


@pytest.mark.parametrize(
    "axes,name",
    [
        (dict(x=("reg", [0.1]), y=("imbalance", [-5.0])), "`imbalance`"),
        (dict(x=("imbalance", [0.0, -1.0]), y=("reg", [0.1])), "`imbalance`"),
        (dict(x=("reg", [0.1]), y=("lr_g", [0.1]), base=dict(imbalance=-2.0)), r"`base\['imbalance'\]`"),
    ],
)
def test_an_imbalance_leaving_the_data_no_mass_is_refused(axes, name):
    with pytest.raises(ValueError, match=rf"{name} must be finite and > -1 \(minus the equilibrium's total mass"):
        df.predict_phase_diagram(ONE, ONE, **axes)


def test_measure_phase_diagram_checks_its_options_before_simulating():
    diagram = _diagram()
    with pytest.raises(ValueError, match=r"`escape` must be finite and positive; received -1"):
        df.measure_phase_diagram(diagram, n_steps=10, escape=-1)
    with pytest.raises(
        ValueError, match=r"unknown options \['tial'\] \(passed to `classify_trajectory`\); expected .*'tail'"
    ):
        df.measure_phase_diagram(diagram, n_steps=10**9, tial=0.5)  # refused at once: nothing is simulated
    sol = df.solve(df.KernelGame(ONE, df.ExactRKHS(df.Gaussian(1.0)), reg=0.1), ONE, df.GDA(0.1, 0.1), n_steps=2)
    with pytest.raises(
        ValueError, match=r"`diagram` must be a PhaseDiagram from `predict_phase_diagram`; received Solution"
    ):
        df.measure_phase_diagram(sol)


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: df.grid25(KEY, 50, spacing=0.0), r"`spacing` must be finite and positive; received 0\.0"),
        (lambda: grid25_centres(-1.0), r"`spacing` must be finite and positive"),
        (lambda: df.ring8(KEY, 50, radius=0.0), r"`radius` must be finite and positive"),
        (lambda: df.dirac_gan(-1.0), r"`gradient_penalty` must be finite and non-negative; received -1\.0"),
        (lambda: df.linear_critic(ONE, a=-1.0), r"`a` must be finite and non-negative"),
        (lambda: df.Gaussian(None), r"`bandwidth` is missing: expected a finite positive number; received None"),
        (lambda: df.solve(df.dirac_gan(), ONE, df.DualFlow()), r"`t1` is missing: expected a finite positive number"),
    ],
)
def test_out_of_range_or_missing_values_are_named(make, message):
    with pytest.raises(ValueError, match=message):
        make()


@pytest.mark.parametrize(
    "make,message",
    [
        (
            lambda: df.Measure(np.array([[1 + 2j]])),
            r"`points` must be an \(n, d\) array of real numbers; received complex",
        ),
        (lambda: df.Measure(np.ones((1, 1)), np.array([1 + 2j])), r"`masses` must be an array of shape \(1,\) of real"),
        (lambda: df.Gaussian(1 + 1j), r"`bandwidth` must be a finite positive real number; received complex"),
    ],
)
def test_complex_numbers_are_refused_not_truncated(make, message):
    with pytest.raises(TypeError, match=message):
        make()


# --- 3. what is not a number, a scalar or a key is named before tracing ---------------------------
GAME1 = df.KernelGame(ONE, df.ExactRKHS(df.Gaussian(1.0)), reg=0.1)
GEN1 = df.Measure(np.full((1, 1), 0.1), np.ones(1))


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: df.Measure("abc"), r"`points` must be an \(n, d\) array of real numbers; received str 'abc'"),
        (lambda: df.Measure(None), r"`points` must be an \(n, d\) array of real numbers; received None"),
        (lambda: df.Measure([[1.0, 2.0], [3.0]]), r"`points` must be .*; received a ragged sequence"),
        (lambda: df.Measure(np.zeros((2, 1)), ["a", "b"]), r"`masses` must be an array of shape \(2,\) of real"),
        (lambda: df.Measure(np.zeros((2, 1)), [None, 1.0]), r"`masses` must be .*dtype object"),
        (lambda: df.GDA("0.1", 0.1), r"`lr_g` must be a finite positive real number; received str '0\.1'"),
        (lambda: df.DualFlow(kappa="fast"), r"`kappa` must be a finite positive real number; received str"),
        (lambda: df.DualFlow(rtol="1e-6"), r"`rtol` must be a finite positive real number; received str"),
        (lambda: df.solve(GAME1, GEN1, df.GDA(0.1, 0.1), n_steps=2, blowup="big"), r"`blowup` must be a positive real"),
        (lambda: df.ring8(None, 10), r"`key` must be a PRNG key, `jax.random.PRNGKey\(seed\)` .*received NoneType"),
        (lambda: df.grid25(3, 10), r"`key` must be a PRNG key.*received int 3"),
        (lambda: df.RandomFourier(df.Gaussian(1.0), 8, 1, key=3), r"`key` must be a PRNG key.*received int 3"),
        (lambda: df.measure_phase_diagram(_diagram(), n_steps=10, key=5), r"`key` must be a PRNG key.*received int 5"),
    ],
)
def test_what_is_not_a_number_or_a_key_is_a_type_error(make, message):
    with pytest.raises(TypeError, match=message):
        make()


@pytest.mark.parametrize(
    "make,message",
    [
        (lambda: df.GDA(None, 0.1), r"`lr_g` is missing: expected a finite positive number"),
        (lambda: df.DualFlow(rtol=None), r"`rtol` is missing"),
        (lambda: df.GDA(np.array([0.1, 0.2]), 0.1), r"`lr_g` must be a scalar \(one value per run; `jax.vmap` sweeps"),
        (lambda: df.Gaussian(np.ones(3)), r"`bandwidth` must be a scalar.*received shape \(3,\)"),
        (
            lambda: df.solve(GAME1, GEN1, df.GDA(0.1, 0.1), n_steps=2, init_discriminator=df.Measure(np.zeros((3, 1)))),
            r"`init_discriminator` as a Measure must have the generator's shape \(1, 1\).*received shape \(3, 1\)",
        ),
    ],
)
def test_missing_values_vector_rates_and_misshapen_starts_are_value_errors(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_new_style_keys_and_an_infinite_blowup_are_accepted():
    assert df.ring8(jax.random.key(1), 10).points.shape == (10, 2)
    assert df.solve(GAME1, GEN1, df.GDA(0.1, 0.1), n_steps=2, blowup=np.inf).result_name == "SUCCESSFUL"


def test_numpy_integers_are_sizes_like_python_integers():
    """A NumPy integer passes `check_int` and is used as a Python `int`: passed on into `jit` it
    would be traced and fail as a shape. The run equals the one with Python integers."""
    i = np.int64
    rff = df.RandomFourier(df.Gaussian(1.0), i(8), i(1), key=KEY)
    finite = df.KernelGame(ONE, df.FiniteRank(rff), reg=0.1)
    exact = df.KernelGame(ONE, df.ExactRKHS(df.Gaussian(1.0), history_size=i(8)), reg=0.1)
    pairs = [
        (lambda n: df.solve(GAME1, GEN1, df.GDA(0.1, 0.1, n_critic=n(2)), n_steps=n(4), save_every=n(2))),
        (lambda n: df.solve(exact, GEN1, df.GDA(0.1, 0.1), n_steps=n(4))),
        (lambda n: df.solve(finite, GEN1, df.DualFlow(), t1=1.0, n_saves=n(5), max_steps=n(500))),
        (lambda n: df.solve(GAME1, GEN1, df.DualFlow(dt0=0.1), t1=1.0, n_saves=n(5))),
        (lambda n: df.solve(GAME1, GEN1, df.ProximalGDA(0.1, 0.1, max_iterations=n(20)), n_steps=n(3))),
    ]
    for run in pairs:
        with_numpy, with_python = run(i), run(int)
        assert with_numpy.result_name == "SUCCESSFUL"
        np.testing.assert_array_equal(np.asarray(with_numpy.points), np.asarray(with_python.points))
    assert df.GDA(0.1, 0.1, n_critic=i(2)).n_critic.__class__ is int
