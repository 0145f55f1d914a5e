"""Kernel sums: dense, chunked and a NumPy double loop agree; the chunked path's memory
does not grow like N x M."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df
from dualflow.kernels.sums import kernel_sums
from dualflow.precision import cast_floating


def numpy_sums(x, z, c, sigma):
    diff = x[:, None, :] - z[None, :, :]
    k = np.exp(-np.sum(diff**2, -1) / (2 * sigma**2))
    return k @ c, np.einsum("nk,k,nkd->nd", k, c, -diff / sigma**2)


@pytest.mark.parametrize("kernel", [df.Gaussian(0.6), df.Laplace(0.6), df.RationalQuadratic(0.6, 2.0), df.Energy(),
                                    df.Multiscale([df.Gaussian(0.2), df.Gaussian(2.0)])])
@pytest.mark.parametrize("block", [7, 64])
def test_chunked_equals_dense(kernel, block):
    rng = np.random.default_rng(0)
    x, z = jnp.asarray(rng.normal(size=(300, 2))), jnp.asarray(rng.normal(size=(410, 2)))
    z = z.at[:5].set(x[:5])  # coincident points exercise the zero-gradient convention
    c = jnp.asarray(rng.normal(size=410))
    dense = kernel_sums(kernel, x, z, c)
    chunked = kernel_sums(kernel, x, z, c, block=block)
    np.testing.assert_allclose(np.asarray(chunked[0]), np.asarray(dense[0]), rtol=0, atol=1e-10)
    np.testing.assert_allclose(np.asarray(chunked[1]), np.asarray(dense[1]), rtol=0, atol=1e-10)


def test_dense_matches_numpy_double_sum():
    rng = np.random.default_rng(1)
    x, z, c = rng.normal(size=(50, 3)), rng.normal(size=(70, 3)), rng.normal(size=70)
    v, g = kernel_sums(df.Gaussian(0.9), jnp.asarray(x), jnp.asarray(z), jnp.asarray(c))
    ev, eg = numpy_sums(x, z, c, 0.9)
    np.testing.assert_allclose(np.asarray(v), ev, rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(np.asarray(g), eg, rtol=1e-12, atol=1e-14)


def test_chunked_path_memory_is_linear_at_100k_points():
    """Compile (without running) the velocity field sums for N = M = 100,000 in 2-D: the
    temporary buffers XLA allocates must be far below one N x M matrix (80 GB)."""
    n = 100_000
    x = jax.ShapeDtypeStruct((n, 2), jnp.float64)
    c = jax.ShapeDtypeStruct((n,), jnp.float64)
    compiled = jax.jit(lambda x, z, c: kernel_sums(df.Gaussian(1.0), x, z, c)).lower(x, x, c).compile()
    memory = compiled.memory_analysis()
    if memory is None:
        pytest.skip("this XLA backend reports no memory analysis")
    assert memory.temp_size_in_bytes < 1e9  # < 1 GB, against 8e10 for a dense N x M block


def test_float32_gradient_far_from_the_origin_has_no_cancellation():
    """Points near |x| = 1000 with sigma = 0.1: the gradient must match float64 to float32
    relative precision (the form 2(sum a)x - a@z would lose about three digits)."""
    rng = np.random.default_rng(5)
    # inputs representable in float32, so the reference sees exactly what the float32 run sees
    x = (1000.0 + 0.1 * rng.normal(size=(20, 2))).astype(np.float32)
    z = (1000.0 + 0.1 * rng.normal(size=(30, 2))).astype(np.float32)
    c = rng.uniform(0.5, 1.0, 30).astype(np.float32)
    _, exact = numpy_sums(x.astype(np.float64), z.astype(np.float64), c.astype(np.float64), np.float32(0.1))
    kernel = cast_floating(df.Gaussian(0.1), jnp.float32)
    _, got = kernel_sums(kernel, jnp.asarray(x), jnp.asarray(z), jnp.asarray(c))
    assert np.max(np.abs(np.asarray(got, np.float64) - exact)) < 1e-4 * np.max(np.abs(exact))
