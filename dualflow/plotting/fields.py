r"""The discriminator and the generator's velocity field in the plane, with the particles on top.

A panel shows, for a planar game at one moment:

- a heat map of the discriminator $f(z)$ (diverging colours centred on $f = 0$; for the kernel
  IPM the particles climb $f$, so they are pulled towards the red regions);
- arrows of the velocity a generator particle would have at $z$,
  $v(z) = -\bar w\, h_{\text{gen}}'(f(z))\, \nabla f(z)$, the game's own rule
  (`KernelGame.generator_velocity`) at a particle of average weight $\bar w$: the mean mass for
  the `"mass_weighted"` convention, $1$ for `"wasserstein"` (exact for uniform masses);
- the data, faintly, and the generator particles.

The arrays come from `dualflow.analysis.discriminator_field` (the player's own `witness` and the
game's velocity rule); this module only draws them.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from ..analysis.fields import discriminator_field
from ..players.saved import planar_grid
from .particles import _window

__all__ = ["plot_field_panel", "plot_final_state"]

#: Colour map of the discriminator heat map (red: $f > 0$, blue: $f < 0$).
FIELD_CMAP = "RdBu_r"
#: Label of its colour bar.
FIELD_LABEL = "discriminator $f(z)$"


def _planar(name, array):
    array = np.asarray(array, dtype=float)
    if array.ndim != 2 or array.shape[1] != 2:
        raise ValueError(f"`{name}` must hold planar points of shape (n, 2); received shape {array.shape}.")
    return array


def arrow_scale(max_speed: float, spacing: float) -> float:
    """Quiver `scale` (speed per unit of axis length) drawing the fastest arrow 0.9 grid cells long."""
    return max(max_speed, 1e-300) / (0.9 * spacing)


def plot_field_panel(
    target: Axes | Figure,
    game,
    disc_state,
    points,
    masses=None,
    *,
    grid: int = 90,
    arrows: int = 17,
    window: tuple[tuple[float, float], tuple[float, float]] | None = None,
    show_data: bool = True,
    title: str | None = None,
    colorbar: bool = True,
    vmax: float | None = None,
    max_speed: float | None = None,
    marker_size: float = 12.0,
) -> Axes:
    r"""Particles over a heat map of the discriminator and the generator's velocity arrows.

    **Arguments:**

    - `target`: the `Axes` to draw into, or a `Figure` (a single axis is added to it).
    - `game`: a planar `KernelGame`; `disc_state`: its discriminator's state at that moment
      (`solution.final_discriminator` for the end of a run; `None` for `OptimalWitness`).
    - `points`: `(N, 2)` generator positions; `masses`: `(N,)` (`None`: uniform).
    - `grid`: heat-map resolution (points per axis); `arrows`: arrows per axis.
    - `window`: `((x_min, x_max), (y_min, y_max))`; default: a square around data and particles.
    - `show_data`: draw the data faintly.
    - `title`: the axis title.
    - `colorbar`: add a colour bar labelled "discriminator f(z)".
    - `vmax`: colour range $[-v_{\max}, v_{\max}]$ (default: $\max|f|$ on the grid); pass one
      value to compare panels.
    - `max_speed`: the speed drawn as an arrow 0.9 grid cells long (default: the largest on
      the arrow grid); the key in the upper right corner shows an arrow of that speed.
    - `marker_size`: area of the particle markers.

    **Returns:** the `Axes` drawn into.

    **Example:**

    ```python
    fig = Figure(figsize=(5, 4.5), layout="constrained")
    plot_field_panel(fig, game, sol.final_discriminator, sol.final_points, sol.masses)
    fig.savefig("field.png", dpi=130)
    ```
    """
    if game.data.dim != 2:
        raise ValueError(f"field panels draw planar games; the game's data have dimension {game.data.dim}.")
    if not isinstance(target, (Axes, Figure)):
        raise TypeError(f"`target` must be a matplotlib Axes or Figure; received {type(target).__name__}.")
    for name, value in (("grid", grid), ("arrows", arrows)):
        if not (isinstance(value, int) and value >= 2):
            raise ValueError(f"`{name}` must be an integer >= 2; received {value!r}.")
    points_np = _planar("points", points)
    data = _planar("data", game.data.points)
    ax = target.add_subplot() if isinstance(target, Figure) else target
    xlim, ylim = window if window is not None else _window([points_np, data])

    xs, ys, z = planar_grid(xlim, ylim, grid)
    f, _ = discriminator_field(game, disc_state, points, masses, z)
    ax_, ay_, za = planar_grid(xlim, ylim, arrows)
    _, velocity = discriminator_field(game, disc_state, points, masses, za)
    draw_field(
        ax,
        xs,
        ys,
        f.reshape(grid, grid),
        ax_,
        ay_,
        velocity.reshape(arrows, arrows, 2),
        vmax=vmax,
        max_speed=max_speed,
        colorbar_label=FIELD_LABEL if colorbar else None,
    )
    if show_data:
        ax.scatter(data[:, 0], data[:, 1], s=6, c="0.35", alpha=0.45, linewidths=0, label="data", zorder=2)
    ax.scatter(
        points_np[:, 0],
        points_np[:, 1],
        s=marker_size,
        c="k",
        edgecolors="w",
        linewidths=0.5,
        label="generator",
        zorder=4,
    )
    ax.set_xlim(*xlim)
    ax.set_ylim(*ylim)
    ax.set_aspect("equal")
    ax.set_xlabel("$x_1$")
    ax.set_ylabel("$x_2$")
    if title:
        ax.set_title(title, fontsize=10)
    ax.legend(loc="upper left", fontsize=7, framealpha=0.85, markerscale=1.5)
    return ax


def draw_field(
    ax, xs, ys, f, arrow_xs, arrow_ys, velocity, *, vmax=None, max_speed=None, colorbar_label: str | None = FIELD_LABEL
):
    """Heat map of `f` `(len(ys), len(xs))` and arrows of `velocity` `(len(arrow_ys), len(arrow_xs), 2)`,
    with a colour bar labelled `colorbar_label` (none when `None`).

    **Returns:** a `FieldArtists`, whose `update` redraws them with new values (animations).
    """
    mesh = ax.pcolormesh(xs, ys, f, cmap=FIELD_CMAP, shading="gouraud", zorder=0, rasterized=True)
    if colorbar_label is not None:
        ax.get_figure().colorbar(mesh, ax=ax, shrink=0.85, label=colorbar_label)
    quiver = ax.quiver(
        arrow_xs,
        arrow_ys,
        velocity[..., 0],
        velocity[..., 1],
        angles="xy",
        scale_units="xy",
        width=0.004,
        color="0.1",
        alpha=0.75,
        zorder=3,
    )
    key = ax.quiverkey(quiver, 0.70, 0.94, 1.0, "", labelpos="E", coordinates="axes", fontproperties={"size": 7})
    key.text.set_bbox(dict(facecolor="white", alpha=0.85, edgecolor="none", pad=1.5))
    artists = FieldArtists(mesh=mesh, quiver=quiver, key=key, spacing=float(arrow_xs[1] - arrow_xs[0]))
    artists.update(f, velocity, vmax=vmax, max_speed=max_speed)
    return artists


@dataclasses.dataclass(frozen=True)
class FieldArtists:
    """The heat map (`mesh`), the arrows (`quiver`) and the arrow key (`key`) of a field panel."""

    mesh: Any
    quiver: Any
    key: Any
    spacing: float

    def update(self, f, velocity, *, vmax=None, max_speed=None) -> None:
        r"""Show new values: colours on $[-v_{\max}, v_{\max}]$ (default $\max|f|$), the arrow of
        speed `max_speed` (default: the largest) 0.9 arrow-grid cells long, and the key saying so."""
        vmax = float(np.nanmax(np.abs(f))) if vmax is None else float(vmax)
        max_speed = (
            float(np.nanmax(np.hypot(velocity[..., 0], velocity[..., 1]))) if max_speed is None else float(max_speed)
        )
        self.mesh.set_array(f)
        self.mesh.set_clim(-vmax if vmax > 0 else -1.0, vmax if vmax > 0 else 1.0)
        self.quiver.set_UVC(velocity[..., 0], velocity[..., 1])
        self.quiver.scale = arrow_scale(max_speed, self.spacing)
        self.key.U = max_speed
        self.key.text.set_text(f"speed {max_speed:.2g}")


def plot_final_state(game, solution, *, title: str | None = "final state", **panel_options) -> Figure:
    r"""The last state of a planar run: `plot_field_panel` with `solution.final_points`,
    `solution.final_discriminator` and `solution.masses`.

    **Arguments:**

    - `game`: the `KernelGame` the run played; `solution`: its `Solution`.
    - `title`: the axis title.
    - `panel_options`: passed on to `plot_field_panel` (`grid`, `arrows`, `window`, ...).

    **Returns:** a `matplotlib.figure.Figure` (not attached to pyplot).

    **Example:**

    ```python
    plot_final_state(game, sol, title="GDA, t = 10").savefig("final.png", dpi=130)
    ```
    """
    fig = Figure(figsize=(5.2, 4.8), layout="constrained")
    plot_field_panel(
        fig, game, solution.final_discriminator, solution.final_points, solution.masses, title=title, **panel_options
    )
    return fig
