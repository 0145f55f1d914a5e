r"""Target measures used throughout the literature, sampled from explicit PRNG keys.

- `ring8`: 8 Gaussians of standard deviation `std` centred on a circle of radius `radius`.
- `grid25`: the 5x5 grid of Gaussians at $\{-2s,\dots,2s\}^2$ (spacing `spacing`).
- `isolated_points`: well-separated Diracs (Becker et al.'s isolated points model).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..validation import check_int, check_key, check_positive
from .measure import Measure


def ring8_centres(radius: float = 2.0) -> jax.Array:
    """The 8 mode centres $r(\\cos(2\\pi k/8), \\sin(2\\pi k/8))$, $k=0..7$."""
    check_positive("radius", radius)
    angles = 2 * jnp.pi * jnp.arange(8.0) / 8
    return radius * jnp.stack([jnp.cos(angles), jnp.sin(angles)], axis=1)


def grid25_centres(spacing: float = 1.0) -> jax.Array:
    """The 25 mode centres of the 5x5 grid, $\\{-2,-1,0,1,2\\}^2$ times `spacing`
    (positive: at 0 the 25 modes would be one)."""
    check_positive("spacing", spacing)
    axis = spacing * jnp.arange(-2.0, 3.0)
    gx, gy = jnp.meshgrid(axis, axis, indexing="ij")
    return jnp.stack([gx.ravel(), gy.ravel()], axis=1)


def gaussian_mixture(key, centres, n: int, std: float) -> Measure:
    """Sample `n` points (uniform masses `1/n`) from an equal-weight mixture of
    isotropic Gaussians $\\mathcal N(c_k, \\mathrm{std}^2 I)$.

    Every component receives `n // K` points (the remainder are spread over the first
    components), so the empirical mode weights match the target's as closely as `n` allows.
    """
    check_key("key", key)
    n = check_int("n", n, minimum=1)
    check_positive("std", std, allow_zero=True)
    centres = jnp.asarray(centres)
    k = centres.shape[0]
    labels = jnp.arange(n) % k
    noise = jax.random.normal(key, (n, centres.shape[1]), dtype=centres.dtype)
    return Measure(centres[labels] + std * noise)


def ring8(key, n: int, *, radius: float = 2.0, std: float = 0.02) -> Measure:
    """`n` samples from the 8-Gaussian ring (uniform masses)."""
    return gaussian_mixture(key, ring8_centres(radius), n, std)


def grid25(key, n: int, *, spacing: float = 1.0, std: float = 0.02) -> Measure:
    """`n` samples from the 5x5 Gaussian grid (uniform masses)."""
    return gaussian_mixture(key, grid25_centres(spacing), n, std)


def isolated_points(n: int, dim: int = 1, *, spacing: float = 10.0, masses=None) -> Measure:
    """`n` Diracs on the first axis at $0, s, 2s, \\dots$ (spacing `s` much larger than any
    bandwidth, the *isolated points model*), with the given masses (default `1/n` each)."""
    n = check_int("n", n, minimum=1)
    dim = check_int("dim", dim, minimum=1)
    check_positive("spacing", spacing)
    points = jnp.zeros((n, dim)).at[:, 0].set(spacing * jnp.arange(n))
    return Measure(points, masses)
