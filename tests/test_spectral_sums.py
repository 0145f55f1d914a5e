"""Spectral kernel sums (lattice Fourier series + NUFFT) against a plain NumPy brute-force sum;
the NUFFT under vmap (the jax 0.10 workaround) against Python loops; clear errors where the
lattice does not apply."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df
from dualflow.kernels._nufft import lattice_to_points, points_to_lattice
from dualflow.kernels.spectral import SpectralLattice
from dualflow.kernels.sums import kernel_sums, spectral_is_cheaper


def numpy_sums(x, z, c, sigmas, weights):
    """Values and gradients of sum_k c_k sum_l w_l exp(-|x - z_k|^2 / 2 s_l^2), by every pair."""
    diff = x[:, None, :] - z[None, :, :]
    sq = np.sum(diff**2, -1)
    values, grads = 0.0, 0.0
    for s, w in zip(sigmas, weights):
        k = w * np.exp(-sq / (2 * s**2))
        values = values + k @ c
        grads = grads + np.einsum("nk,k,nkd->nd", k, c, -diff / s**2)
    return values, grads


KERNELS = {
    "gaussian": (df.Gaussian(0.45), [0.45], [1.0]),
    "multiscale": (df.Multiscale([df.Gaussian(0.3), df.Gaussian(1.2)], [1.0, 0.5]), [0.3, 1.2], [1.0, 0.5]),
}


def _points(rng, n, m, dim):
    x = rng.uniform(-1.5, 1.5, (n, dim))
    z = rng.uniform(-1.5, 1.5, (m, dim))
    x[:3], z[:3] = 1.5, -1.5  # on the edge of the region, opposite corners: the worst periodic images
    x[3:6] = z[3:6]  # coincident points
    return x, z, rng.normal(size=m)


@pytest.mark.parametrize("dim", [1, 2, 3])
@pytest.mark.parametrize("name", list(KERNELS))
def test_spectral_sums_meet_the_bound(dim, name):
    """|error| <= tol K(0) sum|c| in values and tol K(0) sum|c| / sigma_min in gradients, for
    tolerances 1e-4, 1e-7, 1e-10; and the error falls with tol."""
    kernel, sigmas, weights = KERNELS[name]
    rng = np.random.default_rng(dim)
    x, z, c = _points(rng, 300, 200, dim)
    ev, eg = numpy_sums(x, z, c, sigmas, weights)
    scale = sum(weights) * np.sum(np.abs(c))
    errors = []
    for tol in (1e-4, 1e-7, 1e-10):
        v, g = kernel_sums(kernel, jnp.asarray(x), jnp.asarray(z), jnp.asarray(c), method="spectral", tol=tol)
        value_error = np.max(np.abs(np.asarray(v) - ev)) / scale
        grad_error = np.max(np.abs(np.asarray(g) - eg)) * min(sigmas) / scale
        assert value_error <= tol and grad_error <= tol, (tol, value_error, grad_error)
        errors.append(max(value_error, grad_error))
    assert errors[0] > 10 * errors[1] > 100 * errors[2]


def test_spectral_sums_float32():
    rng = np.random.default_rng(4)
    x, z, c = _points(rng, 200, 150, 2)
    ev, eg = numpy_sums(x, z, c, [0.45], [1.0])
    v, g = kernel_sums(
        df.Gaussian(0.45),
        jnp.asarray(x, jnp.float32),
        jnp.asarray(z, jnp.float32),
        jnp.asarray(c, jnp.float32),
        method="spectral",
        tol=1e-5,
    )
    assert v.dtype == jnp.float32
    assert np.max(np.abs(np.asarray(v, float) - ev)) <= 1e-5 * np.sum(np.abs(c))
    with pytest.raises(ValueError, match="float32 spectral sums reach tol >= 1e-05"):
        kernel_sums(
            df.Gaussian(0.45),
            jnp.asarray(x, jnp.float32),
            jnp.asarray(z, jnp.float32),
            jnp.asarray(c, jnp.float32),
            method="spectral",
            tol=1e-8,
        )


def test_lattice_size_of_the_ring():
    """sigma = 0.4 on the region [-2.55, 2.55]^2 at tol 1e-10: the box of side 8 and 47^2 modes
    (docs/science.md §6), and the cut-off and margin factors are what the module docstring states."""
    lattice = SpectralLattice.fit(df.Gaussian(0.4), -2.55, 2.55, 2, 1e-10)
    assert lattice.modes == 47
    assert float(lattice.side) == pytest.approx(8.0, rel=0.01)
    from dualflow.kernels.spectral import cutoff_factor, margin_factor

    a, b = cutoff_factor(1e-10, 2), margin_factor(1e-10, 2)
    assert a**2 == pytest.approx(2 * np.log(8 / 1e-10))
    assert b**2 == pytest.approx(2 * np.log(8 * (1 + b) / 1e-10), rel=1e-6)
    assert float(lattice.side) == pytest.approx(5.1 + b * 0.4, rel=1e-12)
    assert lattice.modes == 2 * int(np.ceil(a / 0.4 * float(lattice.side) / (2 * np.pi))) + 1


def test_the_lattice_reproduces_the_gaussian_kernel_entrywise():
    """K(x - z) from the lattice weights, summed in NumPy, against exp(-r^2 / 2 sigma^2)."""
    kernel = df.Gaussian(0.5)
    lattice = SpectralLattice.fit(kernel, -1.0, 1.0, 1, 1e-12)
    omega = np.asarray(lattice.frequencies())
    w = np.asarray(lattice.weights(kernel))
    r = np.linspace(-2.0, 2.0, 41)  # every difference of two points in [-1, 1]
    lattice_kernel = np.real(np.exp(1j * r[:, None] * omega[None, :]) @ w)
    np.testing.assert_allclose(lattice_kernel, np.exp(-(r**2) / (2 * 0.25)), rtol=0, atol=1e-12)


def test_nufft_under_vmap_matches_loops():
    """jax-finufft's batching rule, restored on jax 0.10 (kernels._nufft): vmap over points, over
    coefficients, nested, and a vmapped gradient, each against a Python loop."""
    rng = np.random.default_rng(0)
    u = jnp.asarray(rng.uniform(-3, 3, (3, 40, 2)))
    c = jnp.asarray(rng.normal(size=(2, 40)))
    f_hat = jnp.asarray(rng.normal(size=(11, 11)) + 1j * rng.normal(size=(11, 11)))

    def t1(cc, uu):
        return points_to_lattice(cc, uu, 11, 1e-12)

    def t2(ff, uu):
        return lattice_to_points(ff, uu, 1e-12)

    np.testing.assert_allclose(jax.vmap(t1, (None, 0))(c[0], u), np.stack([t1(c[0], a) for a in u]), atol=1e-13)
    nested = jax.vmap(jax.vmap(t1, (None, 0)), (0, None))(c, u)
    np.testing.assert_allclose(nested[1, 2], t1(c[1], u[2]), atol=1e-13)
    np.testing.assert_allclose(jax.vmap(t2, (None, 0))(f_hat, u), np.stack([t2(f_hat, a) for a in u]), atol=1e-13)

    def loss(uu):
        return jnp.sum(jnp.real(t2(f_hat, uu)) ** 2)

    # jax-finufft's own derivative rules rely on implicit rank and dtype promotion, which this suite forbids
    with jax.numpy_rank_promotion("allow"), jax.numpy_dtype_promotion("standard"):
        np.testing.assert_allclose(jax.vmap(jax.grad(loss))(u), np.stack([jax.grad(loss)(a) for a in u]), atol=1e-11)


def test_spectral_sums_under_jit_need_a_lattice():
    x = jnp.zeros((3, 2))
    with pytest.raises(ValueError, match="pass `lattice=SpectralLattice.fit"):
        jax.jit(lambda a: kernel_sums(df.Gaussian(1.0), a, a, jnp.ones(3), method="spectral"))(x)
    lattice = SpectralLattice.fit(df.Gaussian(1.0), -1.0, 1.0, 2, 1e-10)
    v, _ = jax.jit(lambda a: kernel_sums(df.Gaussian(1.0), a, a, jnp.ones(3), method="spectral", lattice=lattice))(x)
    np.testing.assert_allclose(v, 3.0, atol=1e-9)


@pytest.mark.parametrize(
    "kernel",
    [df.Laplace(1.0), df.RationalQuadratic(1.0), df.Energy(), df.Multiscale([df.Gaussian(1.0), df.Laplace(1.0)])],
)
def test_kernels_without_a_lattice_are_refused_by_name(kernel):
    x = jnp.zeros((2, 2))
    with pytest.raises(ValueError, match=r"has no spectral lattice"):
        kernel_sums(kernel, x, x, jnp.ones(2), method="spectral")
    with pytest.raises(ValueError, match=r"has no spectral lattice"):
        df.SpectralRKHS(kernel)


def test_high_dimension_is_refused():
    x = jnp.zeros((2, 4))
    with pytest.raises(ValueError, match="dimension 1 to 3"):
        kernel_sums(df.Gaussian(1.0), x, x, jnp.ones(2), method="spectral")
    with pytest.raises(ValueError, match="`method` must be one of"):
        kernel_sums(df.Gaussian(1.0), x, x, jnp.ones(2), method="fast")


def test_auto_picks_by_cost():
    rng = np.random.default_rng(0)
    small = jnp.asarray(rng.normal(size=(50, 2)))
    large = jnp.asarray(rng.normal(size=(20_000, 2)))
    kernel = df.Gaussian(0.5)
    assert not spectral_is_cheaper(kernel, small, small, 1e-10)
    assert spectral_is_cheaper(kernel, large, large, 1e-10)
    assert not spectral_is_cheaper(kernel, jnp.zeros((20_000, 4)), jnp.zeros((20_000, 4)), 1e-10)
    assert not spectral_is_cheaper(df.Laplace(0.5), large, large, 1e-10)
    # auto on a large problem is the spectral answer, within its bound of brute force
    c = jnp.asarray(rng.normal(size=20_000))
    auto = kernel_sums(kernel, large[:300], large, c, method="auto", tol=1e-9)
    brute = kernel_sums(kernel, large[:300], large, c)
    assert np.max(np.abs(np.asarray(auto[0] - brute[0]))) <= 1e-9 * float(jnp.sum(jnp.abs(c)))
