r"""The spectral lattice: Gaussian kernel sums in $O(n + m + G\log G)$ by non-uniform FFTs.

For a shift-invariant kernel with spectral density $\hat s$ (`AbstractRadialKernel.spectral_density`;
Gaussian: $\hat s(\omega) = (\sigma^2/2\pi)^{d/2} e^{-\sigma^2|\omega|^2/2}$) and points in a periodic
box of side $L$ centred at $c$, the trapezoidal rule on the lattice $\omega_k = 2\pi k/L$ gives

$$K(x - z) \approx \sum_{k \in \{-K..K\}^d} w_k\, e^{i\omega_k\cdot(x - z)}, \qquad w_k = \hat s(\omega_k)\,(2\pi/L)^d .$$

By Poisson summation the full lattice sum is exactly the periodized kernel $\sum_{n \in \mathbb Z^d} K(x - z + nL)$,
so the error has two parts: the **periodic images** ($n \ne 0$), at distance at least the
margin $m = L - D$ from every pair of points whose coordinates differ by at most $D$, and the
**cut-off** of the lattice at $|\omega_{k,l}| \le \Omega = 2\pi K/L$. Then

$$f(x) = \sum_j \beta_j K(x - z_j) \approx \operatorname{Re}\sum_k w_k\,\hat\beta_k\,e^{i\omega_k\cdot(x - c)},
\qquad \hat\beta_k = \sum_j \beta_j\,e^{-i\omega_k\cdot(z_j - c)},$$

one type-1 NUFFT (points to lattice) and one batched type-2 NUFFT (lattice to points: the value
and the $d$ derivatives $\partial_l f = \operatorname{Re}\sum_k i\omega_{k,l}\,w_k\hat\beta_k e^{i\omega_k\cdot(x - c)}$).

**Error bound.** `SpectralLattice.fit` chooses, from `tol`, the smallest bandwidth $\sigma_-$ and
the largest $\sigma_+$ of the kernel's Gaussian components:
the cut-off $\Omega = a/\sigma_-$ with $a^2 = 2\ln(4d/\text{tol})$ (tail of the Gaussian density in
each coordinate, $\le \text{tol}/4$ for values and for $\sigma\times$gradients), the margin
$m = b\,\sigma_+$ with $b^2 = 2\ln(4d(1 + b)/\text{tol})$ (the nearest images, values and
gradients, $\le \text{tol}/4$), and the NUFFT precision $\epsilon = \text{tol}/4$. For every
evaluation point and centre inside the lattice's region $[\ell, u]^d$,

$$|f_{\text{spectral}}(x) - f(x)| \le \text{tol}\;K(0)\sum_j|\beta_j|, \qquad
|\partial_l f_{\text{spectral}}(x) - \partial_l f(x)| \le \frac{\text{tol}}{\sigma_-}\;K(0)\sum_j|\beta_j| .$$

The tests check this bound against a NumPy brute-force sum (d = 1, 2, 3, points at the region's
edge, Gaussian and multiscale) and that the error falls with `tol`. Float64 reaches
`tol` $\ge 10^{-13}$, float32 `tol` $\ge 10^{-5}$ (FINUFFT's precision floors).

**Size.** $G = (2K + 1)^d$ modes with $K = \lceil \Omega L / 2\pi\rceil$: for $\sigma = 0.4$,
region $[-2.55, 2.55]^2$, `tol` $= 10^{-10}$: $L = 8$, $47^2$ modes. The lattice grows like
$(\Omega L/\pi)^d$, so it is offered for $d \le 3$ only (FINUFFT's limit too).
"""

from __future__ import annotations

import math

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from ..validation import is_concrete
from ._nufft import lattice_to_points, points_to_lattice
from .radial import AbstractRadialKernel

#: Dimensions the lattice supports.
MAX_DIM = 3
#: The smallest `tol` each dtype's NUFFT can deliver.
TOL_FLOOR = {"float64": 1e-13, "float32": 1e-5}


def cutoff_factor(tol: float, dim: int) -> float:
    r"""$a = \sigma\Omega$ with $a^2 = 2\ln(4d/\text{tol})$: the lattice's cut-off in units of $1/\sigma$."""
    return math.sqrt(2 * math.log(4 * dim / tol))


def margin_factor(tol: float, dim: int) -> float:
    r"""$b = m/\sigma$ with $b^2 = 2\ln(4d(1 + b)/\text{tol})$ (fixed point): the image margin in units of $\sigma$."""
    b = math.sqrt(2 * math.log(4 * dim / tol))
    for _ in range(4):
        b = math.sqrt(2 * math.log(4 * dim * (1 + b) / tol))
    return b


def check_lattice_kernel(kernel, dim: int) -> None:
    """Raise `ValueError` unless `kernel` has a spectral lattice in dimension `dim`."""
    if not isinstance(kernel, AbstractRadialKernel):
        raise ValueError(f"`kernel` must be a radial kernel; received {kernel!r}.")
    kernel.spectral_bandwidths()  # raises, naming the kernel, when it has no lattice
    if not 1 <= dim <= MAX_DIM:
        raise ValueError(
            f"the spectral lattice is for points in dimension 1 to {MAX_DIM} (its size grows like "
            f"(Omega L / pi)^d); received dimension {dim}. Use the brute-force sums (ExactRKHS) or "
            "random features above."
        )


def _concrete_float(name, value) -> float:
    if not is_concrete(value):
        raise ValueError(
            f"the spectral lattice's size is fixed before compilation and needs a concrete {name}; "
            "received a traced value (inside jit or vmap). Build the lattice outside the transformation "
            "(SpectralLattice.fit with the smallest and largest bandwidth of the sweep) and pass it in."
        )
    return float(np.asarray(value))


class SpectralLattice(eqx.Module):
    r"""A periodic lattice of frequencies for points in the cube $[\ell, u]^d$ (see the module docstring).

    **Fields:** `lower`, `upper` (the region $\ell$, $u$, array leaves), `side` $L$ (array leaf, the
    periodic box, $L \ge u - \ell + m$), `modes` $2K + 1$ per axis (static), `dim` (static),
    `eps` (NUFFT precision, static). Build it with `SpectralLattice.fit`.
    """

    lower: jax.Array
    upper: jax.Array
    side: jax.Array
    modes: int = eqx.field(static=True)
    dim: int = eqx.field(static=True)
    eps: float = eqx.field(static=True)

    @staticmethod
    def fit(kernel, lower, upper, dim: int, tol: float = 1e-10, *, bandwidths=None) -> SpectralLattice:
        r"""The lattice that holds `kernel` to `tol` for points in $[\ell, u]^d$ = `[lower, upper]^dim`.

        `bandwidths`: `(smallest, largest)` bandwidth to size it for (default the kernel's own):
        pass the range of a sweep so that one lattice serves every point of a `vmap`."""
        check_lattice_kernel(kernel, dim)
        if not 0 < tol < 1:
            raise ValueError(f"`tol` must be in (0, 1); received {tol!r}.")
        small, large = kernel.spectral_bandwidths() if bandwidths is None else bandwidths
        small, large = _concrete_float("bandwidth", small), _concrete_float("bandwidth", large)
        lower, upper = _concrete_float("box", lower), _concrete_float("box", upper)
        if not upper > lower:
            raise ValueError(f"the lattice's region needs upper > lower; received [{lower}, {upper}].")
        side = (upper - lower) + margin_factor(tol, dim) * large
        half_modes = math.ceil(cutoff_factor(tol, dim) / small * side / (2 * math.pi))
        return SpectralLattice(
            lower=jnp.asarray(lower),
            upper=jnp.asarray(upper),
            side=jnp.asarray(side),
            modes=2 * half_modes + 1,
            dim=dim,
            eps=tol / 4,
        )

    @property
    def size(self) -> int:
        """$G = (2K + 1)^d$, the number of lattice frequencies."""
        return self.modes**self.dim

    def angles(self, x):
        r"""$u = 2\pi(x - c)/L$, $c = (\ell + u)/2$, wrapped into $[-\pi, \pi]^d$ (non-finite entries to 0).

        Points in the region need no wrapping. Points outside it (a trial stage of an adaptive
        step, a particle the box guard is about to stop) get the periodic function's value instead
        of an out-of-range NUFFT input, which FINUFFT does not check (it reads out of bounds)."""
        centre, scale = (self.lower + self.upper) / 2, 2 * jnp.pi / self.side
        u = (x - centre.astype(x.dtype)) * scale.astype(x.dtype)
        u = u - (2 * jnp.pi) * jnp.round(u / (2 * jnp.pi))
        return jnp.where(jnp.isfinite(u), u, 0.0)

    def frequencies(self, dtype=float):
        r"""$\omega_k = 2\pi k/L$ along one axis, $k = -K..K$, shape `(modes,)`."""
        k = jnp.arange(self.modes, dtype=dtype) - (self.modes // 2)
        return k * (2 * jnp.pi / self.side).astype(dtype)

    def weights(self, kernel, dtype=float):
        r"""$w_k = \hat s(\omega_k)(2\pi/L)^d$, shape `(modes,) * d`."""
        own = jnp.asarray(kernel.spectral_bandwidths()[0]).dtype  # evaluated in the kernel's dtype, then cast
        omega = self.frequencies(own)
        omega_sq = sum(jnp.expand_dims(omega**2, [a for a in range(self.dim) if a != axis]) for axis in range(self.dim))
        cell = (2 * jnp.pi / self.side).astype(own) ** self.dim
        return (kernel.spectral_density(omega_sq, self.dim) * cell).astype(dtype)

    def check_precision(self, dtype) -> None:
        """Raise unless the NUFFT can deliver this lattice's tolerance in `dtype`."""
        floor = TOL_FLOOR[jnp.dtype(dtype).name]
        if 4 * self.eps < floor:
            raise ValueError(
                f"{jnp.dtype(dtype).name} spectral sums reach tol >= {floor:g}; received tol = {4 * self.eps:g}."
            )

    def transform(self, points, coefs):
        r"""$\hat\beta_k = \sum_j \beta_j e^{-i\omega_k\cdot(z_j - c)}$, complex, shape `(modes,) * d` (type-1 NUFFT)."""
        self.check_precision(points.dtype)
        return points_to_lattice(coefs, self.angles(points), self.modes, self.eps)

    def evaluate(self, coefs_hat, x):
        r"""$(g(x_n), \nabla g(x_n))$ of $g = \operatorname{Re}\sum_k \hat g_k e^{i\omega_k\cdot(x - c)}$ for lattice
        coefficients `coefs_hat` (complex, `(modes,) * d`): one batched type-2 NUFFT, shapes `(n,)`, `(n, d)`."""
        self.check_precision(x.dtype)
        omega = self.frequencies(x.dtype).astype(coefs_hat.dtype)
        derivs = [
            1j * jnp.expand_dims(omega, [a for a in range(self.dim) if a != axis]) * coefs_hat
            for axis in range(self.dim)
        ]
        out = jnp.real(lattice_to_points(jnp.stack([coefs_hat, *derivs]), self.angles(x), self.eps))
        return out[0], out[1:].T

    def margin(self, x):
        r"""$\min_{n, l} \min(x_{nl} - \ell,\ u - x_{nl})$: how far inside the region $[\ell, u]^d$ the points
        `x` are (negative when one is outside; traceable)."""
        return jnp.minimum(jnp.min(x) - self.lower.astype(x.dtype), self.upper.astype(x.dtype) - jnp.max(x))


def spectral_sums(kernel, x, centres, coefs, lattice: SpectralLattice):
    r"""$\big(\sum_k \beta_k K(x_n, z_k), \sum_k \beta_k\nabla_x K(x_n, z_k)\big)$ on `lattice`
    (error bound in the module docstring; every point must lie in the lattice's region)."""
    hat = lattice.transform(centres, coefs)
    hat = hat * lattice.weights(kernel, x.dtype).astype(hat.dtype)
    return lattice.evaluate(hat, x)


def fit_to_points(kernel, tol: float, *arrays) -> SpectralLattice:
    """The lattice for the region spanned by the concrete point arrays `arrays` (no room to move)."""
    for a in arrays:
        if not is_concrete(a):
            raise ValueError(
                "spectral kernel sums choose their lattice from the points, which must then be concrete; "
                "inside jit or vmap pass `lattice=SpectralLattice.fit(...)` to kernel_sums."
            )
    stacked = np.concatenate([np.asarray(a) for a in arrays])
    return SpectralLattice.fit(kernel, stacked.min(), stacked.max(), stacked.shape[1], tol)


#: With `box=None` the box holds every data point and initial particle with this fraction of
#: their extent as room on each side (at least one bandwidth). Room for what the dynamics do on
#: long horizons: on the 8-ring (extent 4.1) at kappa = 1 and 3 the exact critic pulls particles
#: off over-covered modes and out past radius 3 after t = 40-100 (`ring8_kappa`), which a room of a
#: quarter of the extent did not hold; the whole extent costs 89^2 lattice modes there instead of 47^2.
BOX_ROOM = 1.0


def default_box(points, bandwidth) -> tuple[float, float]:
    """`(lower, upper)` of the cube that holds the concrete `points` with `BOX_ROOM` of their extent
    (at least `bandwidth`) as room on each side."""
    lower, upper = float(np.min(points)), float(np.max(points))
    room = max(BOX_ROOM * (upper - lower), float(bandwidth))
    return lower - room, upper + room


def check_box(box):
    """`box` as a pair of floats `(lower, upper)` with upper > lower (or `None`)."""
    if box is None:
        return None
    try:
        lower, upper = (float(v) for v in box)
    except (TypeError, ValueError):
        raise ValueError(f"`box` must be a pair (lower, upper) of numbers; received {box!r}.") from None
    if not (np.isfinite(lower) and np.isfinite(upper) and upper > lower):
        raise ValueError(f"`box` must be finite with upper > lower; received {box!r}.")
    return lower, upper


def run_lattice(kernel, tol, box, data_points, x0) -> SpectralLattice:
    """The lattice of a run: `box` (or the default box around the data and `x0`), checked to hold
    the data and the initial particles (concrete values; before compilation)."""
    if not (is_concrete(data_points) and is_concrete(x0)):
        raise ValueError(
            "a spectral player fixes its lattice before compilation from concrete data and initial "
            "particles; inside jit or vmap pass `lattice=SpectralLattice.fit(...)`."
        )
    points = np.concatenate([np.asarray(data_points), np.asarray(x0)])
    lower, upper = box if box is not None else default_box(points, kernel.spectral_bandwidths()[1])
    if points.min() < lower or points.max() > upper:
        raise ValueError(
            f"the data and the initial particles span [{points.min():.6g}, {points.max():.6g}] but the "
            f"spectral box is [{lower:.6g}, {upper:.6g}]; pass a box that holds them."
        )
    return SpectralLattice.fit(kernel, lower, upper, points.shape[1], tol)


def advice_for(lattice: SpectralLattice) -> str:
    """The message for a run that left `lattice`'s box, with a box twice as wide to pass instead."""
    lower, upper = float(np.asarray(lattice.lower)), float(np.asarray(lattice.upper))
    centre, width = (lower + upper) / 2, upper - lower
    return (
        f"a particle left the spectral box [{lower:.4g}, {upper:.4g}]^d, where the lattice no longer holds the "
        f"kernel; pass a wider box, e.g. box=({centre - width:.4g}, {centre + width:.4g})"
    )
