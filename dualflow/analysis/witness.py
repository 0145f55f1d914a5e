r"""The best-response witness $f^* = (m_\nu - m_\mu)/\lambda$ as a smooth function of one point.

Linearizations and equilibrium searches differentiate $f^*$ twice, also at coincident points
(collapsed clusters). The kernel sums of the solvers mask the gradient at coincident points
(right for the dynamics, wrong for second derivatives), so this module builds $f^*$ from the
scalar kernel $K(x, z)$ and leaves every derivative to autodiff.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from ..kernels.features import AbstractFeatureMap
from ..kernels.radial import Energy, Laplace, Multiscale
from ..players.ascent import inverse_reg
from ..players.finite_rank import FiniteRank


def kernel_function(discriminator):
    """The scalar kernel $K(x, z)$ of single points `(d,)` behind a discriminator: its radial
    kernel (twice differentiable ones only: not Laplace or energy), or $\\phi(x)^\\top\\phi(z)$
    for finite-rank features."""
    source = discriminator.features if isinstance(discriminator, FiniteRank) else discriminator.kernel
    if isinstance(source, AbstractFeatureMap):
        return lambda x, z: source(x[None])[0] @ source(z[None])[0]
    kernel = source
    for part in kernel.kernels if isinstance(kernel, Multiscale) else (kernel,):
        if isinstance(part, (Laplace, Energy)):
            raise ValueError(
                f"second derivatives need a kernel twice differentiable at coincident points; "
                f"received {type(part).__name__}. Use Gaussian, RationalQuadratic or Multiscale of those."
            )
    return kernel


def mean_embedding_gap(game, x, masses):
    r"""$z \mapsto m_\nu(z) - m_\mu(z) = \sum_i p_i K(z, y_i) - \sum_j m_j K(z, x_j)$ for one point `z`."""
    kernel = kernel_function(game.discriminator)
    centres = jnp.concatenate([game.data.points, x])
    coefs = jnp.concatenate([game.data.masses, -masses])
    return lambda z: jax.vmap(lambda c: kernel(z, c))(centres) @ coefs


def best_response_witness(game, x, masses):
    r"""$z \mapsto f^*(z) = (m_\nu(z) - m_\mu(z))/\lambda$ ($f^* = 0$ when $\lambda = 0$)."""
    gap = mean_embedding_gap(game, x, masses)
    return lambda z: inverse_reg(game) * gap(z)
