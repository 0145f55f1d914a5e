r"""`Copies`: $K$ stacked copies of the identity features, the mean-field linear critic.

$$\phi(x) = s\,(x, x, \dots, x) \in \mathbb R^{Kd}, \qquad f(x) = \theta^\top\phi(x) = s\sum_{k=1}^K \psi_k^\top x,$$

with $\theta = (\psi_1, \dots, \psi_K)$, $\psi_k \in \mathbb R^d$. With the default scale
$s = 1/K$ the critic is the *mean* of $K$ linear critics, $f(x) = \bar\psi^\top x$: the
mean-field critic of the clipped-WGAN toy ([docs/science.md §4][science-exact-references], `games.zoo.clipped_wgan_toy`). The
witness only sees $\bar\psi$, so every copy receives the same gradient $s\,\partial_f L$;
constraints that act per parameter (WGAN clipping) are what tell the copies apart.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from ..validation import check_int, check_positive
from .features import AbstractFeatureMap


class Copies(AbstractFeatureMap):
    r"""$\phi(x) = s\,(x, \dots, x)$: `n_copies` copies of the identity features of $\mathbb R^d$.

    **Arguments:**

    - `n_copies`: $K \ge 1$.
    - `dim`: $d \ge 1$, the dimension of the points.
    - `scale`: $s > 0$; default $1/K$ (the mean of $K$ linear critics).

    Features are ordered copy by copy: feature $k d + i$ is $s\,x_i$.

    **Example:**

    ```python
    critic = FiniteRank(Copies(n_copies=5, dim=1))   # f(z) = mean(psi) * z
    ```
    """

    n_copies: int = eqx.field(static=True)
    dim: int = eqx.field(static=True)
    scale: jax.Array

    def __init__(self, n_copies: int, dim: int = 1, scale=None):
        n_copies = check_int("n_copies", n_copies, minimum=1)
        dim = check_int("dim", dim, minimum=1)
        scale = 1.0 / n_copies if scale is None else scale
        check_positive("scale", scale)
        self.n_copies = n_copies
        self.dim = dim
        self.scale = jnp.asarray(scale, dtype=float)

    @property
    def n_features(self):
        return self.n_copies * self.dim

    def __call__(self, x):
        return self.scale * jnp.tile(x, (1, self.n_copies))

    def jacobian(self, x):
        block = jnp.tile(jnp.eye(self.dim, dtype=x.dtype), (self.n_copies, 1))
        return jnp.broadcast_to(self.scale * block, (x.shape[0], self.n_features, self.dim))
