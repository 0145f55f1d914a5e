"""Weighted empirical measures $\\mu = \\sum_j m_j \\delta_{x_j}$."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp

from .._custom_types import Masses, Points, Scalar, Vector
from ..validation import check_points, is_concrete, masses_for, real_array


class Measure(eqx.Module):
    r"""A weighted empirical measure $\mu = \sum_{j=1}^{n} m_j \delta_{x_j}$ on $\mathbb{R}^d$.

    Masses need not be uniform and need not sum to one ([docs/science.md §2][science-kernel-game]: the kernel game
    lets the generator carry a different total mass than the data).

    **Arguments:**

    - `points`: `(n, d)` array of atoms.
    - `masses`: `(n,)` array of positive masses; `None` gives uniform masses `1/n`.

    **Example:**

    ```python
    mu = Measure(jnp.zeros((3, 2)))            # three atoms of mass 1/3
    nu = Measure(jnp.ones((2, 2)), jnp.array([.5, 1.5]))
    ```
    """

    points: Points
    masses: Masses

    def __init__(self, points, masses=None):
        if is_concrete(points):
            real_array(
                "points", points, "an (n, d) array of real numbers"
            )  # None, strings, ragged lists, complex numbers
        points = jnp.asarray(points)
        if not jnp.issubdtype(points.dtype, jnp.floating):
            points = points.astype(jnp.result_type(float))
        if points.ndim == 1 and is_concrete(points):
            points = points[:, None]
        check_points("points", points)
        self.points = points
        self.masses = masses_for(points, masses)

    @property
    def size(self) -> int:
        """Number of atoms `n`."""
        return self.points.shape[0]

    @property
    def dim(self) -> int:
        """Ambient dimension `d`."""
        return self.points.shape[1]

    @property
    def total_mass(self) -> Scalar:
        """$\\sum_j m_j$."""
        return jnp.sum(self.masses)

    def mean(self) -> Vector:
        """Barycentre $\\sum_j m_j x_j / \\sum_j m_j$."""
        return self.masses @ self.points / self.total_mass
