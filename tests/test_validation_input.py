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
