"""Kernels, their derivatives and feature maps against closed forms written in NumPy."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import dualflow as df

RNG = np.random.default_rng(0)
X, Z = RNG.normal(size=3), RNG.normal(size=3)
R = np.linalg.norm(X - Z)


def closed_forms():
    s = 0.8
    g = np.exp(-(R**2) / (2 * s**2))
    lap = np.exp(-R / s)
    rq = (1 + R**2 / (2 * 2.0 * s**2)) ** -2.0
    return [
        (df.Gaussian(s), g, -(X - Z) / s**2 * g),
        (df.Laplace(s), lap, -(X - Z) / (s * R) * lap),
        (df.RationalQuadratic(s, 2.0), rq, -2.0 * (1 + R**2 / (4 * s**2)) ** -3.0 * (X - Z) / (2 * s**2)),
        (df.Energy(), -R, -(X - Z) / R),
        (
            df.Multiscale([df.Gaussian(s), df.Laplace(s)], [2.0, 0.5]),
            2 * g + 0.5 * lap,
            2 * (-(X - Z) / s**2 * g) + 0.5 * (-(X - Z) / (s * R) * lap),
        ),
    ]


@pytest.mark.parametrize("kernel,value,grad", closed_forms())
def test_value_and_gradient(kernel, value, grad):
    assert float(kernel(jnp.asarray(X), jnp.asarray(Z))) == pytest.approx(value, rel=1e-13)
    np.testing.assert_allclose(np.asarray(kernel.grad(jnp.asarray(X), jnp.asarray(Z))), grad, rtol=1e-12)


@pytest.mark.parametrize("kernel", [df.Laplace(1.0), df.Energy(), df.Gaussian(1.0)])
def test_gradient_is_zero_at_coincident_points(kernel):
    g = kernel.grad(jnp.asarray(X), jnp.asarray(X))
    assert np.all(np.isfinite(g)) and np.all(np.asarray(g) == 0.0)


def test_gaussian_cross_hessian_closed_form():
    s = 0.8
    k = df.Gaussian(s)
    d = X - Z
    expected = (np.eye(3) / s**2 - np.outer(d, d) / s**4) * np.exp(-(R**2) / (2 * s**2))
    np.testing.assert_allclose(np.asarray(k.cross_hessian(jnp.asarray(X), jnp.asarray(Z))), expected, rtol=1e-12)
    np.testing.assert_allclose(np.asarray(k.cross_hessian(jnp.asarray(X), jnp.asarray(X))), np.eye(3) / s**2)


def test_rational_quadratic_cross_hessian_by_finite_differences():
    k = df.RationalQuadratic(0.9, 1.5)
    h = 1e-5
    num = np.zeros((3, 3))
    for a in range(3):
        for b in range(3):
            ea, eb = np.eye(3)[a] * h, np.eye(3)[b] * h
            f = lambda u, v: float(k(jnp.asarray(u), jnp.asarray(v)))
            num[a, b] = (f(X + ea, Z + eb) - f(X + ea, Z - eb) - f(X - ea, Z + eb) + f(X - ea, Z - eb)) / (4 * h * h)
    np.testing.assert_allclose(np.asarray(k.cross_hessian(jnp.asarray(X), jnp.asarray(Z))), num, atol=1e-6)


@pytest.mark.parametrize(
    "kernel",
    [
        df.Gaussian(0.7),
        df.Laplace(0.7),
        df.RationalQuadratic(0.7, 1.5),
        df.Multiscale([df.Gaussian(0.3), df.Gaussian(2.0)], [1.0, 3.0]),
    ],
)
def test_random_fourier_features_approximate_the_kernel(kernel):
    pts = jnp.asarray(RNG.normal(size=(6, 2)))
    rff = df.RandomFourier(kernel, 40_000, 2, key=jax.random.PRNGKey(1))
    phi = rff(pts)
    exact = np.asarray(kernel.matrix(pts, pts))
    # Monte Carlo error ~ K(0) * sqrt(2 / D): 4 standard errors
    assert np.max(np.abs(np.asarray(phi @ phi.T) - exact)) < 4 * exact[0, 0] * np.sqrt(2 / 40_000) * 2


def test_random_fourier_jacobian_matches_autodiff():
    rff = df.RandomFourier(df.Gaussian(1.0), 16, 3, key=jax.random.PRNGKey(2))
    pts = jnp.asarray(RNG.normal(size=(4, 3)))
    auto = jax.vmap(jax.jacfwd(lambda p: rff(p[None])[0]))(pts)
    np.testing.assert_allclose(np.asarray(rff.jacobian(pts)), np.asarray(auto), rtol=1e-12, atol=1e-14)


def test_nystrom_is_exact_on_the_landmark_span():
    k = df.Gaussian(1.0)
    landmarks = jnp.asarray(RNG.normal(size=(10, 2)))
    ny = df.Nystrom(k, landmarks)
    phi = ny(landmarks)
    np.testing.assert_allclose(np.asarray(phi @ phi.T), np.asarray(k.matrix(landmarks, landmarks)), atol=1e-9)


def test_energy_kernel_has_no_fourier_features():
    with pytest.raises(ValueError, match="spectral"):
        df.RandomFourier(df.Energy(), 8, 2, key=jax.random.PRNGKey(0))
