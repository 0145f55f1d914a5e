r"""Finite-rank feature maps $\phi: \mathbb R^d \to \mathbb R^D$ with $K(x,z) \approx \phi(x)^\top\phi(z)$.

A discriminator $f = \theta^\top \phi$ over these features has an exact finite ODE
([docs/science.md §2][science-kernel-game]); as $D$ grows it converges to the exact-kernel discriminator.

- `RandomFourier`: $\phi(x) = \sqrt{2K(0)/D}\,\cos(\Omega x + b)$, $\Omega$ drawn from the
  kernel's spectral measure, $b \sim U[0, 2\pi)$ (Rahimi & Recht). Unbiased, error $O(D^{-1/2})$.
- `Nystrom`: $\phi(x) = K_{LL}^{-1/2} k_L(x)$ on fixed landmarks $L$: exact on the span of
  $\{K(\cdot, \ell)\}$.
- `Identity`: $\phi(x) = x$, the linear critic of [docs/science.md §4][science-exact-references].
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from ..validation import check_int, check_key, check_points, check_positive
from .fourier import fourier_parts
from .radial import AbstractRadialKernel


class AbstractFeatureMap(eqx.Module):
    """A map from points `(n, d)` to features `(n, D)`."""

    @abc.abstractmethod
    def __call__(self, x):
        """Features of `x: (n, d)`, shape `(n, D)`."""

    @property
    @abc.abstractmethod
    def n_features(self) -> int:
        """$D$."""

    @property
    def input_dim(self) -> int | None:
        """The dimension $d$ of the points it maps (`None`: any; a game checks its data against it)."""
        return None

    def jacobian(self, x):
        """$\\partial\\phi/\\partial x$ at each point, shape `(n, D, d)`."""
        return jax.vmap(jax.jacfwd(lambda p: self(p[None])[0]))(x)

    def values(self, z):
        """$\\phi(z)$, shape `(n, D)`, the way the players evaluate it (a map may override this
        with a faster path than `__call__`)."""
        return self(z)

    def witness(self, theta, z):
        """$(f(z), \\nabla f(z))$ of $f = \\theta^\\top\\phi$, shapes `(n,)`, `(n, d)`."""
        return self(z) @ theta, jnp.einsum("nkd,k->nd", self.jacobian(z), theta)


class RandomFourier(AbstractFeatureMap):
    r"""Random Fourier features of a shift-invariant kernel (frequencies drawn once from `key`).

    The frequencies are held at unit bandwidth, $\omega_k = u_k/\sigma$, with the bandwidth
    $\sigma$ an array leaf (the kernel's `bandwidth`; for a `Multiscale` kernel a common factor of
    all its bandwidths, 1 as given): a vmapped sweep over $\sigma$ compiles once and plays every
    point on the same draws $u_k$ (common random numbers)."""

    unit_frequencies: jax.Array
    bandwidth: jax.Array
    phases: jax.Array
    scale: jax.Array

    def __init__(self, kernel: AbstractRadialKernel, n_features: int, dim: int, *, key):
        n_features = check_int("n_features", n_features, minimum=1)
        dim = check_int("dim", dim, minimum=1)
        check_key("key", key)
        kw, kb = jax.random.split(key)
        bandwidth = getattr(kernel, "bandwidth", jnp.ones(()))
        self.bandwidth = jnp.asarray(bandwidth, dtype=float)
        self.unit_frequencies = kernel.sample_frequencies(kw, n_features, dim) * self.bandwidth
        self.phases = jax.random.uniform(kb, (n_features,), maxval=2 * jnp.pi, dtype=self.unit_frequencies.dtype)
        self.scale = jnp.sqrt(2 * kernel.profile(jnp.zeros(())) / n_features)

    @property
    def frequencies(self) -> jax.Array:
        r"""$\omega_k = u_k / \sigma$, shape `(D, d)`."""
        return self.unit_frequencies / self.bandwidth

    @property
    def n_features(self):
        return self.unit_frequencies.shape[0]

    @property
    def input_dim(self):
        return self.unit_frequencies.shape[1]

    def __call__(self, x):
        return self.scale * jnp.cos(x @ self.frequencies.T + self.phases[None, :])

    def jacobian(self, x):
        s = -self.scale * jnp.sin(x @ self.frequencies.T + self.phases[None, :])
        return s[:, :, None] * self.frequencies[None]

    def values(self, z):
        """$\\phi(z)$ through the shared `sincos` (`kernels/fourier.py`)."""
        return fourier_parts(self, z)[0]

    def witness(self, theta, z):
        """One argument, one `sincos`: $\\nabla f = (d\\phi/du)\\,(\\theta_k \\omega_k)$, no `(n, D, d)` Jacobian."""
        phi, dphi = fourier_parts(self, z)
        return phi @ theta, dphi @ (theta[:, None] * self.frequencies)


class Nystrom(AbstractFeatureMap):
    """Nystrom features on fixed landmarks: $\\phi(x) = K_{LL}^{-1/2} k_L(x)$ (eigenvalues
    below `jitter` times the largest are dropped for stability)."""

    kernel: AbstractRadialKernel
    landmarks: jax.Array
    whitening: jax.Array

    def __init__(self, kernel: AbstractRadialKernel, landmarks, *, jitter: float = 1e-10):
        landmarks = jnp.asarray(landmarks)
        check_points("landmarks", landmarks)
        check_positive("jitter", jitter)
        evals, evecs = jnp.linalg.eigh(kernel.matrix(landmarks, landmarks))
        keep = evals > jitter * evals[-1]
        inv_sqrt = jnp.where(keep, 1 / jnp.sqrt(jnp.where(keep, evals, 1.0)), 0.0)
        self.kernel = kernel
        self.landmarks = landmarks
        self.whitening = evecs * inv_sqrt[None, :]  # columns scaled: K^{-1/2} up to rotation

    @property
    def n_features(self):
        return self.landmarks.shape[0]

    @property
    def input_dim(self):
        return self.landmarks.shape[1]

    def __call__(self, x):
        return self.kernel.matrix(x, self.landmarks) @ self.whitening


class Identity(AbstractFeatureMap):
    """$\\phi(x) = \\mathrm{scale}\\cdot x$: with a ridge this is the linear critic
    $f = \\mathrm{scale}\\,\\theta^\\top x$ (and the bilinear game in 1-D)."""

    dim: int = eqx.field(static=True)
    scale: jax.Array

    def __init__(self, dim: int, scale=1.0):
        self.dim = check_int("dim", dim, minimum=1)
        self.scale = jnp.asarray(scale, dtype=float)

    @property
    def n_features(self):
        return self.dim

    @property
    def input_dim(self):
        return self.dim

    def __call__(self, x):
        return self.scale * x

    def jacobian(self, x):
        return jnp.broadcast_to(self.scale * jnp.eye(self.dim, dtype=x.dtype), (x.shape[0], self.dim, self.dim))
