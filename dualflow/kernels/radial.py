r"""Isotropic (radial) kernels $K(x, z) = k(|x - z|^2)$ and their derivatives.

Every kernel is defined by its *profile* $k(s)$ of the squared distance $s$; gradients
and second derivatives follow exactly from $k'$ and $k''$ (obtained by autodiff of the
scalar profile, so adding a kernel means writing one formula):

$$\nabla_x K(x,z) = 2 k'(s)(x - z), \qquad
\partial_x \partial_z^\top K(x, z) = -2k'(s) I - 4 k''(s)(x-z)(x-z)^\top .$$

The gradient is taken as $0$ at $x = z$ for kernels whose profile is not
differentiable there (Laplace, energy): the symmetric subgradient.
"""

from __future__ import annotations

import abc

import equinox as eqx
import jax
import jax.numpy as jnp

from ..validation import check_positive, checked_positive


def _safe_sqrt(s):
    """$\\sqrt{s}$ with a finite (zero-masked) derivative at $s = 0$."""
    positive = s > 0
    return jnp.where(positive, jnp.sqrt(jnp.where(positive, s, 1.0)), 0.0)


class AbstractRadialKernel(eqx.Module):
    """Base class: subclasses implement `profile(s)` (and `sample_frequencies` when the
    kernel is shift-invariant positive definite, for random Fourier features)."""

    @abc.abstractmethod
    def profile(self, s):
        """$k(s)$, elementwise in the squared distance `s`."""

    def profile_derivative(self, s):
        """$k'(s)$, elementwise (autodiff of `profile`)."""
        return jnp.vectorize(jax.grad(self.profile))(s)

    def log_profile_slope(self):
        """The constant $\\lambda = k'(s)/k(s)$ when the profile is an exponential of $s$
        ($k(s) = k(0)\\,e^{\\lambda s}$, so $k' = \\lambda k$), else `None` (the default).
        With it, `kernel_sums` gets values and gradients from one exponential per pair."""
        return None

    def profile_second_derivative(self, s):
        """$k''(s)$, elementwise."""
        return jnp.vectorize(jax.grad(jax.grad(self.profile)))(s)

    def spectral_density(self, omega_sq, dim: int):
        r"""The spectral density $\hat s(\omega)$ with $K(x - z) = \int \hat s(\omega)\,e^{i\omega\cdot(x - z)}\,d\omega$
        in dimension `dim`, as a function of $|\omega|^2$ (elementwise). Only kernels whose density
        decays like a Gaussian have one here: the spectral lattice (`kernels.spectral`) needs a
        cut-off frequency that grows like $\sqrt{\log(1/\text{tol})}$, not like a power of $1/\text{tol}$."""
        raise _no_lattice(self)

    def spectral_bandwidths(self):
        """`(smallest, largest)` bandwidth of the Gaussian components: the smallest sets the
        lattice's cut-off frequency, the largest the box's margin against periodic images."""
        raise _no_lattice(self)

    def sample_frequencies(self, key, num: int, dim: int, dtype=float):
        """Draw `num` frequencies $\\omega$ from the kernel's spectral measure, so that
        $K(x, z) = K(0)\\,\\mathbb E[\\cos(\\omega^\\top(x - z))]$ (Bochner)."""
        raise ValueError(
            f"{type(self).__name__} has no spectral measure; random Fourier features need a "
            "shift-invariant positive-definite kernel (Gaussian, Laplace, rational quadratic, multiscale)."
        )

    # --- pairwise evaluations -------------------------------------------------------
    def __call__(self, x, z):
        """$K(x, z)$ for single points `x`, `z` of shape `(d,)`."""
        return self.profile(jnp.sum((x - z) ** 2))

    def matrix(self, x, z):
        """Gram matrix $K(x_i, z_k)$ of shape `(n, m)` for `x: (n, d)`, `z: (m, d)`."""
        return self.profile(squared_distances(x, z))

    def grad(self, x, z):
        """$\\nabla_x K(x, z)$ for single points (zero at $x = z$)."""
        diff = x - z
        s = jnp.sum(diff**2)
        coef = jnp.where(s > 0, 2 * self.profile_derivative(jnp.where(s > 0, s, 1.0)), 0.0)
        return coef * diff

    def cross_hessian(self, x, z):
        """$\\partial_x \\partial_z^\\top K(x, z)$, a `(d, d)` matrix (needs a profile twice
        differentiable at the given distance)."""
        diff = x - z
        s = jnp.sum(diff**2)
        k1 = self.profile_derivative(s)
        k2 = self.profile_second_derivative(s)
        return -2 * k1 * jnp.eye(x.shape[0], dtype=diff.dtype) - 4 * k2 * jnp.outer(diff, diff)

    def hessian(self, x, z):
        """$\\nabla_x^2 K(x, z)$, a `(d, d)` matrix."""
        return -self.cross_hessian(x, z)


def _no_lattice(kernel) -> ValueError:
    return ValueError(
        f"{type(kernel).__name__} has no spectral lattice: spectral kernel sums and SpectralRKHS are "
        "implemented for Gaussian kernels and Multiscale mixtures of Gaussians, whose spectral density "
        "decays like a Gaussian (others need a lattice that grows like a power of 1/tol). Use the "
        "brute-force sums (method='brute', ExactRKHS) for this kernel."
    )


def squared_distances(x, z):
    """$|x_i - z_k|^2$, `(n, m)`, by direct differences (exact zeros at coincident points).

    In low dimension the sum over coordinates is unrolled: XLA vectorizes the `(n, m)`
    elementwise passes far better than a reduction over a short trailing axis."""
    if x.shape[1:] != z.shape[1:]:
        raise ValueError(f"points of dimension {x.shape[1:]} are paired with points of dimension {z.shape[1:]}.")
    if x.shape[1] <= 8:
        return sum((x[:, None, i] - z[None, :, i]) ** 2 for i in range(x.shape[1]))
    return jnp.sum((x[:, None, :] - z[None, :, :]) ** 2, axis=-1)


class Gaussian(AbstractRadialKernel):
    r"""Gaussian kernel $K(x,z) = \exp(-|x-z|^2 / (2\sigma^2))$, $\gamma = 1/\sigma^2$.

    **Arguments:** `bandwidth` $\sigma > 0$ (array leaf, so sweeps can `vmap` over it).
    """

    bandwidth: jax.Array

    def __init__(self, bandwidth=1.0):
        self.bandwidth = checked_positive("bandwidth", bandwidth, dtype=float)

    def profile(self, s):
        return jnp.exp(-s / (2 * self.bandwidth**2))

    def log_profile_slope(self):
        """$\\lambda = -1/(2\\sigma^2)$: $k'(s) = \\lambda k(s)$."""
        return -1 / (2 * self.bandwidth**2)

    def spectral_density(self, omega_sq, dim):
        r"""$\hat s(\omega) = (\sigma^2/2\pi)^{d/2}\,e^{-\sigma^2|\omega|^2/2}$."""
        return (self.bandwidth**2 / (2 * jnp.pi)) ** (dim / 2) * jnp.exp(-(self.bandwidth**2) * omega_sq / 2)

    def spectral_bandwidths(self):
        return self.bandwidth, self.bandwidth

    def sample_frequencies(self, key, num, dim, dtype=float):
        return jax.random.normal(key, (num, dim), dtype=dtype) / self.bandwidth


class Laplace(AbstractRadialKernel):
    r"""Laplace (exponential) kernel $K(x,z) = \exp(-|x-z| / \sigma)$. Not differentiable
    at $x = z$ (gradient taken as 0 there); its spectral measure is multivariate Cauchy."""

    bandwidth: jax.Array

    def __init__(self, bandwidth=1.0):
        self.bandwidth = checked_positive("bandwidth", bandwidth, dtype=float)

    def profile(self, s):
        return jnp.exp(-_safe_sqrt(s) / self.bandwidth)

    def sample_frequencies(self, key, num, dim, dtype=float):
        kg, kc = jax.random.split(key)
        g = jax.random.normal(kg, (num, dim), dtype=dtype)
        chi = jnp.abs(jax.random.normal(kc, (num, 1), dtype=dtype))
        return g / (self.bandwidth * chi)


class RationalQuadratic(AbstractRadialKernel):
    r"""Rational quadratic kernel $K(x,z) = (1 + |x-z|^2 / (2\alpha\sigma^2))^{-\alpha}$,
    a scale mixture of Gaussians (the Gaussian as $\alpha \to \infty$)."""

    bandwidth: jax.Array
    alpha: jax.Array

    def __init__(self, bandwidth=1.0, alpha=1.0):
        self.bandwidth = checked_positive("bandwidth", bandwidth, dtype=float)
        self.alpha = checked_positive("alpha", alpha, dtype=float)

    def profile(self, s):
        return (1 + s / (2 * self.alpha * self.bandwidth**2)) ** (-self.alpha)

    def sample_frequencies(self, key, num, dim, dtype=float):
        kg, kt = jax.random.split(key)
        precision = jax.random.gamma(kt, self.alpha, (num, 1), dtype=dtype) / (self.alpha * self.bandwidth**2)
        return jnp.sqrt(precision) * jax.random.normal(kg, (num, dim), dtype=dtype)


class Energy(AbstractRadialKernel):
    r"""Energy-distance kernel $K(x,z) = -|x-z|$ (conditionally positive definite; its
    MMD is the energy distance). No bandwidth; gradient $-(x-z)/|x-z|$, 0 at $x=z$."""

    def profile(self, s):
        return -_safe_sqrt(s)


class Multiscale(AbstractRadialKernel):
    r"""Positive mixture $K = \sum_l w_l K_l$ of radial kernels (journal paper's
    multiscale kernels: fast local and good global convergence).

    **Arguments:** `kernels`, a sequence of radial kernels; `weights`, positive, one per kernel.
    """

    kernels: tuple
    weights: jax.Array

    def __init__(self, kernels, weights=None):
        kernels = tuple(kernels)
        if not kernels or not all(isinstance(k, AbstractRadialKernel) for k in kernels):
            raise ValueError(f"`kernels` must be a non-empty sequence of radial kernels; received {kernels!r}.")
        weights = jnp.ones(len(kernels)) if weights is None else jnp.asarray(weights, dtype=float)
        if weights.shape != (len(kernels),):
            raise ValueError(f"`weights` must have shape ({len(kernels)},); received shape {weights.shape}.")
        check_positive("weights", weights)
        self.kernels = kernels
        self.weights = weights

    def profile(self, s):
        return sum(w * k.profile(s) for w, k in zip(self.weights, self.kernels))

    def spectral_density(self, omega_sq, dim):
        r"""$\sum_l w_l \hat s_l(\omega)$ (each component must have a spectral lattice)."""
        return sum(w * k.spectral_density(omega_sq, dim) for w, k in zip(self.weights, self.kernels))

    def spectral_bandwidths(self):
        small, large = zip(*(k.spectral_bandwidths() for k in self.kernels))
        return jnp.min(jnp.stack(small)), jnp.max(jnp.stack(large))

    def sample_frequencies(self, key, num, dim, dtype=float):
        kc, *ks = jax.random.split(key, len(self.kernels) + 1)
        choice = jax.random.choice(kc, len(self.kernels), (num,), p=self.weights / jnp.sum(self.weights))
        draws = jnp.stack([k.sample_frequencies(kk, num, dim, dtype) for k, kk in zip(self.kernels, ks)])
        return jnp.take_along_axis(draws, choice[None, :, None], axis=0)[0]
