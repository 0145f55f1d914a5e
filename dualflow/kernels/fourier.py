r"""Random Fourier features at speed: one shared sine-cosine per entry.

XLA's CPU `sin` and `cos` are scalar library calls (about 20 ns per float64 entry each), and a
random Fourier feature map $\phi(z) = s\cos(\Omega z + b)$ with its derivative needs both of
the same argument $u = \Omega z + b$. `sincos` computes the pair from one range reduction and
two short polynomials, and `fourier_parts` gives $\phi$ and $d\phi/du$ from it, from which
`RandomFourier.values` and `RandomFourier.witness` evaluate $\phi$ and the witness
$f = \theta^\top\phi$ with its gradient $\nabla f = -s\,(\sin u \odot \theta)\,\Omega$ without the
`(n, D, d)` Jacobian.
"""

from __future__ import annotations

import math

import jax
import jax.numpy as jnp

__all__ = ["fourier_parts", "sincos"]

# pi/2 = P1 + P2 + P3 (Cody-Waite): P1 and P2 have few enough significant bits that k * P1 and
# k * P2 are exact for |k| < 2^22 (float64) or 2^13 (float32), so the reduced argument keeps
# full precision for |z| up to about 10^6 (float64) or 10^4 (float32); beyond, it degrades.
_PIO2 = {
    "float64": (1.5707963267341256, 6.077100454804363e-11, 5.170182981794105e-19),
    "float32": (1.5703125, 0.0004837512969970703, 7.549790126404332e-08),
}
# sin r = r S(r^2), cos r = C(r^2) on |r| <= pi/4: near-minimax polynomials S (degree 6) and C
# (degree 7), Chebyshev fits made in 40-digit arithmetic (`mpmath.chebyfit` on [0, (pi/4)^2]),
# approximation errors 3e-18 and 3e-20 (Taylor needs 9 and 9 terms for the same, these 7 and 8).
_SIN_POLY = (
    1.0,
    -0.16666666666666616,
    0.008333333333320363,
    -0.000198412698286503,
    2.755731337640013e-06,
    -2.5050716974102745e-08,
    1.5894736651849094e-10,
)
_COS_POLY = (
    1.0,
    -0.5,
    0.04166666666666645,
    -0.0013888888888861095,
    2.4801587283881152e-05,
    -2.7557313097790086e-07,
    2.0875582380663952e-09,
    -1.1353379638297575e-11,
)


@jax.custom_jvp
def sincos(z):
    r"""`(sin(z), cos(z))` elementwise from one shared range reduction $z = k\pi/2 + r$,
    $|r| \le \pi/4$, and polynomials in $r$ (within 2.3e-16 of `numpy.sin`/`cos` in float64
    for |z| up to 10^6, checked on 10^7 random arguments; other dtypes than float32/float64 use
    `jnp.sin`, `jnp.cos`).

    Why: XLA's CPU `sin` and `cos` are scalar library calls (about 20 ns per float64 entry
    each); random Fourier features need both of the same argument, and this fused
    polynomial is about 10x cheaper for the pair (the finite-rank flow's right-hand side
    is dominated by them; see `benchmarks/finite_rank_flow.py`). Derivatives of every
    order are exact (custom JVP: $d\sin = \cos\,dz$, $d\cos = -\sin\,dz$).
    """
    if z.dtype.name not in _PIO2:
        return jnp.sin(z), jnp.cos(z)
    p1, p2, p3 = _PIO2[z.dtype.name]
    k = jnp.round(z * (2 / math.pi))
    r = ((z - k * p1) - k * p2) - k * p3
    r2 = r * r
    s = _SIN_POLY[-1]
    for coef in _SIN_POLY[-2::-1]:
        s = s * r2 + coef
    s = s * r
    c = _COS_POLY[-1]
    for coef in _COS_POLY[-2::-1]:
        c = c * r2 + coef
    quadrant = k - 4 * jnp.floor(k / 4)  # k mod 4 in {0, 1, 2, 3}, exact in floating point
    sin = jnp.where(quadrant == 0, s, jnp.where(quadrant == 1, c, jnp.where(quadrant == 2, -s, -c)))
    cos = jnp.where(quadrant == 0, c, jnp.where(quadrant == 1, -s, jnp.where(quadrant == 2, -c, s)))
    return sin, cos


@sincos.defjvp
def _sincos_jvp(primals, tangents):
    (z,), (dz,) = primals, tangents
    sin, cos = sincos(z)
    return (sin, cos), (cos * dz, -sin * dz)


def fourier_parts(features, z):
    r"""`(phi(z), dphi/du)` of random Fourier features $\phi = s\cos u$, $u = \Omega z + b$, from one
    shared argument $u$ and one `sincos` (instead of separate `cos` and `sin` calls and the
    `(n, D, d)` Jacobian of `RandomFourier.jacobian`). In low dimension $u$ is formed per
    coordinate, so that XLA fuses it into the `sincos` loop instead of storing it."""
    omega = features.frequencies
    if z.shape[1] <= 8:
        u = features.phases[None, :] + sum(z[:, i, None] * omega[None, :, i] for i in range(z.shape[1]))
    else:
        u = z @ omega.T + features.phases[None, :]
    sin, cos = sincos(u)
    return features.scale * cos, -features.scale * sin
