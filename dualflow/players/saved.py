r"""The discriminator recorded on a grid at every save of a run (`solve(..., field_grid=...)`), so
that its heat map and the generator's velocity can be drawn at any saved time whatever the player
(an exact history or a network, whose states are too large to keep at every save, included):
`FieldGrid`, the grid, and `SavedWitness`, one save read back as a discriminator."""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..validation import int_field
from .base import AbstractDiscriminator


def planar_grid(xlim, ylim, num: int):
    """`(xs, ys, points)`: `num` coordinates along each axis of the window and the `(num * num, 2)`
    grid points, rows along $x_2$: the one ordering of every heat-map and arrow grid (the drawing
    functions) and of a `FieldGrid` (so that drawn points are found among the saved ones)."""
    (x0, x1), (y0, y1) = xlim, ylim
    xs, ys = np.linspace(x0, x1, num), np.linspace(y0, y1, num)
    gx, gy = np.meshgrid(xs, ys)  # (num, num), rows along y
    return xs, ys, np.stack([gx.ravel(), gy.ravel()], axis=1)


def _floats(values) -> tuple[float, ...]:
    return tuple(float(v) for v in values)


class FieldGrid(eqx.Module):
    r"""A square grid of `n` × `n` points over the planar window
    $[\text{lower}_1, \text{upper}_1] \times [\text{lower}_2, \text{upper}_2]$, ordered as the
    plotting grids are (rows along $x_2$, `points` of shape `(n * n, 2)`).

    With `solve(..., field_grid=grid)` a run saves $(f(z), \nabla f(z))$ at the grid points $z$ at
    every save (`Solution.field`, shape `(S, n * n, 3)`): $f$ and its gradient as the player itself
    evaluates them (`witness`) with the particles of that save. A panel drawn on this grid (and on
    arrow grids whose points are grid points: `arrow_counts`) shows exactly the saved values.
    """

    lower: tuple[float, ...] = eqx.field(static=True, converter=_floats)
    upper: tuple[float, ...] = eqx.field(static=True, converter=_floats)
    n: int = eqx.field(static=True, converter=int_field("n", minimum=2))

    def __check_init__(self):
        if len(self.lower) != 2 or len(self.upper) != 2 or not all(a < b for a, b in zip(self.lower, self.upper)):
            raise ValueError(
                f"a field grid is planar with lower < upper in each coordinate; received {self.lower}, {self.upper}."
            )

    @classmethod
    def around(cls, points, n: int, margin: float = 0.15) -> FieldGrid:
        """The square window around `points` `(k, 2)` (their bounding box, widened by `margin` of
        its size on each side), `n` points per axis."""
        points = np.asarray(points, dtype=float)
        lo, hi = points.min(axis=0), points.max(axis=0)
        centre, half = (lo + hi) / 2, (1 + 2 * margin) * max(float(np.max(hi - lo)) / 2, 1e-6)
        return cls(
            (float(centre[0] - half), float(centre[1] - half)), (float(centre[0] + half), float(centre[1] + half)), n
        )

    @property
    def window(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """`((x_min, x_max), (y_min, y_max))`, as the plotting functions take it."""
        return (self.lower[0], self.upper[0]), (self.lower[1], self.upper[1])

    @property
    def points(self) -> np.ndarray:
        """`(n * n, 2)` grid points, rows along $x_2$ (`planar_grid`)."""
        return planar_grid(*self.window, self.n)[2]

    def arrow_counts(self) -> list[int]:
        """The arrow-grid sizes `m` whose points are all grid points ($(n - 1)$ divisible by $(m - 1)$)."""
        return [m for m in range(2, self.n + 1) if (self.n - 1) % (m - 1) == 0]

    def lookup(self, saved, z):
        r"""$(f(z), \nabla f(z))$ from `saved` `(n * n, 3)` (one save of `Solution.field`) at points `z`
        `(k, 2)` of the grid; NaN at a point that is not a grid point (nothing was saved there)."""
        z = jnp.asarray(z)
        lower = jnp.asarray(self.lower, z.dtype)[None, :]
        step = ((jnp.asarray(self.upper, z.dtype) - jnp.asarray(self.lower, z.dtype)) / (self.n - 1))[None, :]
        index = jnp.round((z - lower) / step)
        # a grid point up to rounding in the points' own precision (float32 included)
        on_grid = jnp.all((jnp.abs(z - lower - index * step) <= 1e-3 * step) & (index >= 0) & (index < self.n), axis=1)
        flat = (jnp.clip(index[:, 1], 0, self.n - 1) * self.n + jnp.clip(index[:, 0], 0, self.n - 1)).astype(jnp.int32)
        values = jnp.where(on_grid[:, None], jnp.asarray(saved)[flat], jnp.nan)
        return values[:, 0], values[:, 1:]


class SavedWitness(AbstractDiscriminator):
    r"""A recorded discriminator: its state is one save of `Solution.field` `(n * n, 3)`, and its
    `witness` returns the saved $(f, \nabla f)$ at grid points (NaN elsewhere). It plays nothing:
    every step of a run refuses it. Built by `Solution.saved_discriminator`."""

    grid: FieldGrid

    def _refuse(self, *args):
        raise ValueError("a SavedWitness replays a recorded discriminator for drawing; it cannot be played.")

    init = ascent_step = time_derivative = ascent_direction = ascent_residual = _refuse

    def witness(self, game, state, x, masses, z):
        return self.grid.lookup(state, z)
