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


@pytest.mark.parametrize(
    "kernel",
    [
        df.Gaussian(0.6),
        df.Laplace(0.6),
        df.RationalQuadratic(0.6, 2.0),
        df.Energy(),
        df.Multiscale([df.Gaussian(0.2), df.Gaussian(2.0)]),
    ],
)
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


def numpy_generic_sums(kernel_profile, kernel_derivative, x, z, c):
    """The two-function formula in NumPy: values from k(s), gradients 2 sum_k c_k k'(s)(x - z), k' = 0 at s = 0."""
    diff = x[:, None, :] - z[None, :, :]
    s = np.sum(diff**2, -1)
    safe = np.where(s > 0, s, 1.0)
    a = np.where(s > 0, kernel_derivative(safe), 0.0) * c[None, :]
    return kernel_profile(s) @ c, 2 * np.einsum("nk,nkd->nd", a, diff)


def _closed_form_profiles(kernel):
    """NumPy k(s), k'(s) for the kernels of the suite (written out, not taken from the library)."""
    if isinstance(kernel, df.Gaussian):
        b = float(kernel.bandwidth)
        return (lambda s: np.exp(-s / (2 * b**2))), (lambda s: -np.exp(-s / (2 * b**2)) / (2 * b**2))
    if isinstance(kernel, df.Laplace):
        b = float(kernel.bandwidth)
        return (lambda s: np.exp(-np.sqrt(s) / b)), (lambda s: -np.exp(-np.sqrt(s) / b) / (2 * b * np.sqrt(s)))
    if isinstance(kernel, df.RationalQuadratic):
        b, al = float(kernel.bandwidth), float(kernel.alpha)
        return (
            (lambda s: (1 + s / (2 * al * b**2)) ** -al),
            (lambda s: -((1 + s / (2 * al * b**2)) ** (-al - 1)) / (2 * b**2)),
        )
    if isinstance(kernel, df.Energy):
        return (lambda s: -np.sqrt(s)), (lambda s: -0.5 / np.sqrt(s))
    parts = [_closed_form_profiles(k) for k in kernel.kernels]
    w = np.asarray(kernel.weights)
    return (
        (lambda s: sum(wi * p(s) for wi, (p, _) in zip(w, parts))),
        (lambda s: sum(wi * q(s) for wi, (_, q) in zip(w, parts))),
    )


KERNELS = [
    df.Gaussian(0.6),
    df.Laplace(0.6),
    df.RationalQuadratic(0.6, 2.0),
    df.Energy(),
    df.Multiscale([df.Gaussian(0.2), df.Gaussian(2.0)], [1.0, 3.0]),
    df.Multiscale([df.Gaussian(0.5), df.Laplace(0.5)], [2.0, 0.5]),
]


@pytest.mark.parametrize("kernel", KERNELS, ids=lambda k: type(k).__name__)
@pytest.mark.parametrize("dim", [2, 12])
@pytest.mark.parametrize("block", [None, 37])
def test_every_kernel_matches_the_numpy_two_function_formula(kernel, dim, block):
    """Dense and chunked, low and high dimension, in float64: the one-exponential Gaussian path
    (and every other kernel's generic path) equal k(s) and 2 sum c k'(s)(x - z) computed in NumPy."""
    rng = np.random.default_rng(2)
    x, z = rng.normal(size=(90, dim)), rng.normal(size=(130, dim))
    z[:4] = x[:4]  # coincident points: zero-gradient convention
    c = rng.normal(size=130)
    profile, derivative = _closed_form_profiles(kernel)
    ev, eg = numpy_generic_sums(profile, derivative, x, z, c)
    v, g = kernel_sums(kernel, jnp.asarray(x), jnp.asarray(z), jnp.asarray(c), block=block)
    scale_v, scale_g = np.max(np.abs(ev)), np.max(np.abs(eg))
    assert np.max(np.abs(np.asarray(v) - ev)) <= 1e-12 * scale_v
    assert np.max(np.abs(np.asarray(g) - eg)) <= 1e-12 * scale_g


def test_gaussian_uses_one_exponential_per_pair():
    """The compiled Gaussian tile evaluates one exponential per pair (values and gradients share it)."""
    x = jax.ShapeDtypeStruct((64, 2), jnp.float64)
    c = jax.ShapeDtypeStruct((96,), jnp.float64)
    z = jax.ShapeDtypeStruct((96, 2), jnp.float64)
    hlo = jax.jit(lambda x, z, c: kernel_sums(df.Gaussian(0.5), x, z, c)).lower(x, z, c).as_text()
    assert hlo.count("exponential") == 1
    assert df.Gaussian(0.5).log_profile_slope() is not None and df.Laplace(0.5).log_profile_slope() is None


def test_float32_gradient_error_is_bounded_by_the_spread_over_the_bandwidth():
    """The Gaussian path's matmul form loses about eps * spread / sigma (documented in `sums`):
    on a ring of radius 2 with sigma = 0.05 (spread / sigma ~ 50), chunked, the float32
    gradients stay within 100 eps * spread / sigma of float64 (relative to their largest entry)."""
    rng = np.random.default_rng(3)
    angles = rng.uniform(0, 2 * np.pi, 1500)
    y = 2 * np.stack([np.cos(angles), np.sin(angles)], 1) + 0.05 * rng.normal(size=(1500, 2))
    x = rng.normal(size=(1500, 2))
    z = np.concatenate([y, x]).astype(np.float32)
    c = np.concatenate([np.full(1500, 1 / 1500), np.full(1500, -1 / 1500)]).astype(np.float32)
    x = x.astype(np.float32)
    sigma = 0.05
    _, exact = kernel_sums(
        df.Gaussian(sigma),
        jnp.asarray(x, jnp.float64),
        jnp.asarray(z, jnp.float64),
        jnp.asarray(c, jnp.float64),
        block=512,
    )
    kernel = cast_floating(df.Gaussian(sigma), jnp.float32)
    _, got = kernel_sums(kernel, jnp.asarray(x), jnp.asarray(z), jnp.asarray(c), block=512)
    err = np.max(np.abs(np.asarray(got, np.float64) - np.asarray(exact))) / np.max(np.abs(np.asarray(exact)))
    assert err < 100 * np.finfo(np.float32).eps * 2.5 / sigma


@pytest.mark.parametrize("kernel", [df.Gaussian(0.5), df.Laplace(0.5), KERNELS[4]], ids=lambda k: type(k).__name__)
@pytest.mark.parametrize("n", [40, 1100], ids=["dense", "chunked"])
def test_float32_inputs_give_float32_sums_with_x64_on(kernel, n):
    """x64 is on (conftest) and the kernel's bandwidth is float64: float32 points and weights still
    give float32 sums on the dense path and on the chunked one (n^2 > DENSE_PAIRS; its `scan` carry
    used to be float32 against a float64 tile), equal to a float64 NumPy computation to 1e-5."""
    from dualflow.kernels.sums import DENSE_PAIRS

    assert (n * n > DENSE_PAIRS) == (n > 1024)
    rng = np.random.default_rng(5)
    x = rng.normal(size=(n, 2)).astype(np.float32)
    z = rng.normal(size=(n, 2)).astype(np.float32)
    c = rng.uniform(0.5, 1.0, n).astype(np.float32)
    profile, derivative = _closed_form_profiles(kernel)
    ev, eg = numpy_generic_sums(profile, derivative, x.astype(np.float64), z.astype(np.float64), c.astype(np.float64))
    v, g = kernel_sums(kernel, x, z, c)
    assert v.dtype == g.dtype == jnp.float32
    assert np.max(np.abs(np.asarray(v, np.float64) - ev)) <= 1e-5 * np.max(np.abs(ev))
    assert np.max(np.abs(np.asarray(g, np.float64) - eg)) <= 1e-5 * np.max(np.abs(eg))


GOOD = dict(x=np.zeros((3, 2)), centres=np.ones((4, 2)), coefs=np.ones(4))


@pytest.mark.parametrize(
    "change,error,message",
    [
        (dict(x=np.zeros(3)), ValueError, r"`x` must be an \(n, d\) array with n, d >= 1; received shape \(3,\)"),
        (
            dict(centres=np.ones((4, 3))),
            ValueError,
            r"`x` \(3, 2\) and `centres` \(4, 3\) must have the same dimension",
        ),
        (
            dict(coefs=np.ones(3)),
            ValueError,
            r"`coefs` must have shape \(4,\), one weight per centre; received shape \(3,\)",
        ),
        (dict(coefs=np.ones((4, 1))), ValueError, r"`coefs` must have shape \(4,\).*received shape \(4, 1\)"),
        (dict(kernel=0.5), TypeError, r"`kernel` must be a dualflow radial kernel .*received float"),
        (dict(x=[[0.0, 1.0], [2.0]]), TypeError, r"`x` must be an \(n, d\) array of real numbers; received a ragged"),
        (dict(x=np.array([[0.0, np.nan]])), ValueError, r"`x` must be finite; received 1 non-finite entries"),
        (dict(coefs=np.array([1.0, np.inf, 0.0, 1.0])), ValueError, r"`coefs` must be finite"),
        (dict(block=0), ValueError, r"`block` must be an integer >= 1; received 0"),
        (dict(block=-3), ValueError, r"`block` must be an integer >= 1; received -3"),
        (dict(method="fast"), ValueError, r"`method` must be one of .*received 'fast'"),
    ],
)
def test_bad_arguments_are_named(change, error, message):
    args = {**GOOD, "kernel": df.Gaussian(1.0), **change}
    options = {k: args.pop(k) for k in ("block", "method") if k in args}
    with pytest.raises(error, match=message):
        kernel_sums(args["kernel"], args["x"], args["centres"], args["coefs"], **options)


def test_lists_are_accepted_as_arrays():
    v, g = kernel_sums(df.Gaussian(1.0), [[0.0, 0.0]], [[1.0, 0.0]], [2.0])
    np.testing.assert_allclose(np.asarray(v), [2 * np.exp(-0.5)], rtol=1e-15)
    np.testing.assert_allclose(np.asarray(g), [[2 * np.exp(-0.5), 0.0]], rtol=1e-15)
