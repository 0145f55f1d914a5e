"""The fused sine-cosine of random Fourier features against NumPy, its derivatives, and the
finite-rank witness built on it against a dense NumPy evaluation."""

import jax
import jax.numpy as jnp
import numpy as np

import dualflow as df
from dualflow.kernels.fourier import sincos


def test_sincos_matches_numpy_in_float64_and_float32():
    rng = np.random.default_rng(0)
    for scale in (1.0, 100.0, 1e5):
        z = rng.uniform(-scale, scale, 200_000)
        s, c = sincos(jnp.asarray(z))
        np.testing.assert_allclose(np.asarray(s), np.sin(z), rtol=0, atol=4e-16 * max(1.0, scale / 1e3))
        np.testing.assert_allclose(np.asarray(c), np.cos(z), rtol=0, atol=4e-16 * max(1.0, scale / 1e3))
    z32 = rng.uniform(-50, 50, 100_000).astype(np.float32)
    s, c = sincos(jnp.asarray(z32))
    assert s.dtype == jnp.float32
    np.testing.assert_allclose(np.asarray(s), np.sin(z32.astype(np.float64)), rtol=0, atol=2e-6)
    np.testing.assert_allclose(np.asarray(c), np.cos(z32.astype(np.float64)), rtol=0, atol=2e-6)


def test_sincos_derivatives():
    z = jnp.linspace(-20.0, 20.0, 101)
    ds = jax.vmap(jax.grad(lambda t: sincos(t)[0]))(z)
    dc = jax.vmap(jax.grad(lambda t: sincos(t)[1]))(z)
    np.testing.assert_allclose(np.asarray(ds), np.cos(np.asarray(z)), rtol=0, atol=1e-15)
    np.testing.assert_allclose(np.asarray(dc), -np.sin(np.asarray(z)), rtol=0, atol=1e-15)
    d2 = jax.vmap(jax.grad(jax.grad(lambda t: sincos(t)[0])))(z)
    np.testing.assert_allclose(np.asarray(d2), -np.sin(np.asarray(z)), rtol=0, atol=1e-15)


def test_fourier_witness_against_dense_numpy():
    key_f, key_x, key_t = jax.random.split(jax.random.PRNGKey(1), 3)
    for dim in (2, 12):  # coordinate-wise argument (d <= 8) and the matmul form
        features = df.RandomFourier(df.Gaussian(0.7), 64, dim, key=key_f)
        x = jax.random.normal(key_x, (50, dim))
        theta = jax.random.normal(key_t, (64,))
        omega, phase = np.asarray(features.frequencies), np.asarray(features.phases)
        scale = float(features.scale)
        u = np.asarray(x) @ omega.T + phase
        phi = scale * np.cos(u)
        np.testing.assert_allclose(np.asarray(features.values(x)), phi, rtol=0, atol=1e-14)
        values, grads = features.witness(theta, x)
        np.testing.assert_allclose(np.asarray(values), phi @ np.asarray(theta), rtol=0, atol=1e-13)
        expected = -(scale * np.sin(u) * np.asarray(theta)) @ omega
        np.testing.assert_allclose(np.asarray(grads), expected, rtol=0, atol=1e-13)
