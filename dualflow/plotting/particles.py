r"""Particle panels: where the generator's particles are at chosen times, one row per run.

A grid of scatter plots in the plane. Rows are runs (e.g. "dual flow", "GDA"), columns are
times; every panel shows the data faintly in grey under the generator particles at the saved
time closest to the requested one (the panel title gives the saved time actually drawn). All
panels share one window and an equal aspect ratio, so distances can be compared across panels.

Particles can be coloured by the angle of their starting position around the starting
barycentre (`color_by="initial_angle"`): particle $j$ keeps its colour in every panel and in
every row, so one sees where each part of the initial cloud went, and whether two runs sent
the same particle to the same place.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.figure import Figure

__all__ = ["plot_particles", "nearest_saved_index"]

COLOR_CHOICES = ("single", "initial_angle")


def nearest_saved_index(ts, time: float) -> int:
    """Index of the finite saved time in `ts` closest to `time` (ties: the earlier one).

    Saves past an early end of a flow are `inf` and never chosen.

    **Arguments:** `ts`, `(S,)` saved times; `time`, the requested time.

    **Returns:** an integer index into `ts`.
    """
    ts = np.asarray(ts, dtype=float)
    finite = np.isfinite(ts)
    if not finite.any():
        raise ValueError("the solution has no finite saved time to draw.")
    gaps = np.where(finite, np.abs(ts - float(time)), np.inf)
    return int(np.argmin(gaps))


def _runs(solutions) -> list[tuple[str, Any]]:
    if isinstance(solutions, Mapping):
        runs = list(solutions.items())
    else:
        runs = list(solutions)
    if not runs:
        raise ValueError("`solutions` must hold at least one (label, Solution) pair; received none.")
    for item in runs:
        if not (isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], str)):
            raise ValueError(
                "`solutions` must be a mapping label -> Solution or a sequence of (label, Solution) pairs; "
                f"received an entry {item!r}."
            )
        points = np.asarray(item[1].points)
        if points.ndim != 3 or points.shape[-1] != 2:
            raise ValueError(
                f"run {item[0]!r}: particle panels draw planar runs, points of shape (S, N, 2); "
                f"received shape {points.shape}."
            )
    return runs


def _initial_angle_colors(x0):
    centred = x0 - x0.mean(axis=0, keepdims=True)
    angle = np.arctan2(centred[:, 1], centred[:, 0])
    return colormaps["hsv"]((angle + np.pi) / (2 * np.pi))


def _window(arrays, margin: float = 0.08):
    stacked = np.concatenate([a.reshape(-1, 2) for a in arrays], axis=0)
    stacked = stacked[np.all(np.isfinite(stacked), axis=1)]
    lo, hi = stacked.min(axis=0), stacked.max(axis=0)
    centre, half = (lo + hi) / 2, max(float(np.max(hi - lo)) / 2, 1e-6)
    half *= 1 + margin
    return (centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half)


def plot_particles(
    solutions: Mapping[str, object] | Sequence[tuple[str, object]],
    times: Sequence[float],
    *,
    data=None,
    color_by: str = "single",
    annotate: Callable[[str, object, int], str] | None = None,
    panel_size: float = 2.6,
    marker_size: float = 9.0,
    title: str | None = None,
) -> Figure:
    r"""Draw generator particles of one or several runs at chosen times.

    **Arguments:**

    - `solutions`: a mapping `label -> Solution` (or a sequence of `(label, Solution)` pairs);
      each becomes one row, labelled on the left. Runs must be planar (`d = 2`).
    - `times`: the times to show, one column each; every panel draws the saved time of that
      run closest to the requested one and says which in its title.
    - `data`: the target `Measure` (or an `(M, 2)` array), drawn faintly in every panel.
    - `color_by`: `"single"` (one colour) or `"initial_angle"` (each particle coloured by the
      angle of its starting position about the starting barycentre, the same in every panel).
    - `annotate`: optional `annotate(label, solution, index) -> str`, a second title line
      for the panel showing `solution.points[index]` (e.g. the modes it covers).
    - `panel_size`: edge of one panel in inches; `marker_size`: particle marker area.
    - `title`: optional figure title.

    **Returns:** a `matplotlib.figure.Figure` (not attached to pyplot; save it with
    `fig.savefig(path)`).

    **Example:**

    ```python
    fig = plot_particles({"dual flow": flow, "GDA": gda}, [0, 5, 20], data=data)
    fig.savefig("particles.png", dpi=130)
    ```
    """
    runs = _runs(solutions)
    times = [float(t) for t in times]
    if not times:
        raise ValueError("`times` must name at least one time; received an empty sequence.")
    if color_by not in COLOR_CHOICES:
        raise ValueError(f"`color_by` must be one of {list(COLOR_CHOICES)}; received {color_by!r}.")
    data_points = None
    if data is not None:
        data_points = np.asarray(getattr(data, "points", data), dtype=float)
        if data_points.ndim != 2 or data_points.shape[1] != 2:
            raise ValueError(f"`data` must hold planar points of shape (M, 2); received shape {data_points.shape}.")

    chosen = {label: [nearest_saved_index(sol.ts, t) for t in times] for label, sol in runs}
    drawn = [np.asarray(sol.points, dtype=float)[chosen[label]] for label, sol in runs]
    xlim, ylim = _window(drawn + ([data_points] if data_points is not None else []))

    n_rows, n_cols = len(runs), len(times)
    fig = Figure(
        figsize=(panel_size * n_cols + 0.6, panel_size * n_rows + (0.5 if title else 0.2)), layout="constrained"
    )
    axes = np.asarray(fig.subplots(n_rows, n_cols, squeeze=False, sharex=True, sharey=True))
    for row, (label, sol) in enumerate(runs):
        points = np.asarray(sol.points, dtype=float)
        ts = np.asarray(sol.ts, dtype=float)
        if color_by == "initial_angle":
            colors = _initial_angle_colors(points[0])
        else:
            colors = f"C{row}"
        for col, index in enumerate(chosen[label]):
            ax = axes[row, col]
            if data_points is not None:
                ax.scatter(
                    data_points[:, 0],
                    data_points[:, 1],
                    s=10,
                    c="0.55",
                    alpha=0.35,
                    linewidths=0,
                    label="data",
                    zorder=1,
                )
            ax.scatter(
                points[index, :, 0],
                points[index, :, 1],
                s=marker_size,
                c=colors,
                edgecolors="k",
                linewidths=0.3,
                label="generator",
                zorder=2,
            )
            heading = f"{label}, t = {ts[index]:.3g}"
            note = annotate(label, sol, index) if annotate is not None else ""
            ax.set_title(f"{heading}\n{note}" if note else heading, fontsize=9.5)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=8)
            if col == 0:
                ax.set_ylabel(f"{label}\n$x_2$", fontsize=10)
            if row == n_rows - 1:
                ax.set_xlabel("$x_1$", fontsize=10)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    fig.legend(
        handles, labels, loc="outside lower center", ncols=len(labels), fontsize=8, markerscale=1.5, frameon=False
    )
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
