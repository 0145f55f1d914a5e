r"""Figures of a mode-collapse study (`dualflow.experiments.runners.study`): summary tables over
the swept settings, covered modes over time for every setting, and field panels.

- `plot_summary_tables`: one or more coloured tables (one per dynamics, or a single one whose
  columns are the dynamics), each cell "mean ± std" over seeds with "[min, max]" below it.
- `plot_setting_curves`: small multiples, one axis per swept setting, a metric over time for
  each dynamics (mean over seeds, band from min to max).
- `plot_field_grid`: particles over the discriminator heat map with velocity arrows
  (`plot_field_panel`), one row per dynamics and one column per time.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from ._layout import widen_to_fit
from .fields import plot_field_panel

__all__ = ["plot_field_grid", "plot_setting_curves", "plot_summary_tables"]

#: Marker of a field panel whose discriminator state was not saved (scatter only).
NO_FIELD = object()


def plot_summary_tables(
    tables: Mapping[str, Mapping[str, np.ndarray]],
    x_values: Sequence,
    y_values: Sequence,
    x_label: str,
    y_label: str,
    *,
    colorbar_label: str,
    fmt: str = "{:.1f}",
    range_fmt: str = "{:.0f}",
    vmin: float | None = None,
    vmax: float | None = None,
    cmap: str = "viridis",
    title: str | None = None,
) -> Figure:
    r"""Coloured tables of a summary over seeds, side by side, one colour scale for all.

    **Arguments:**

    - `tables`: mapping `panel title -> {"mean", "std", "min", "max"}`, each an `(n_y, n_x)`
      array (`nan`: no value, drawn grey with "n/a").
    - `x_values`, `y_values`: the column and row labels (numbers or strings); rows go down in
      the order given.
    - `x_label`, `y_label`: axis labels; `colorbar_label`: what the colour shows (the mean).
    - `fmt`: format of the mean and std; `range_fmt`: of the min and max.
    - `vmin`, `vmax`, `cmap`: colour range (default: the finite means) and map.
    - `title`: the figure title.

    **Returns:** a `matplotlib.figure.Figure`.
    """
    if not tables:
        raise ValueError("`tables` must hold at least one table.")
    x_values, y_values = list(x_values), list(y_values)
    shape = (len(y_values), len(x_values))
    for name, table in tables.items():
        for key in ("mean", "std", "min", "max"):
            if np.asarray(table[key]).shape != shape:
                raise ValueError(
                    f"table {name!r}: {key!r} must have shape {shape} (rows, columns); received "
                    f"{np.asarray(table[key]).shape}."
                )
    means = np.concatenate([np.asarray(t["mean"], dtype=float).ravel() for t in tables.values()])
    finite = means[np.isfinite(means)]
    low = vmin if vmin is not None else (finite.min() if finite.size else 0.0)
    high = vmax if vmax is not None else (finite.max() if finite.size else 1.0)
    norm = Normalize(low, high if high > low else low + 1.0)
    colours = colormaps[cmap]
    cell_w, cell_h = 1.25, 0.62
    fig = Figure(
        figsize=(
            len(tables) * (cell_w * len(x_values) + 1.1) + 1.4,
            cell_h * len(y_values) + 1.5 + (0.3 if title else 0.0),
        ),
        layout="constrained",
    )
    axes = np.atleast_1d(fig.subplots(1, len(tables), squeeze=False)[0])
    image: Any = None
    for ax, (name, table) in zip(axes, tables.items()):
        mean = np.asarray(table["mean"], dtype=float)
        ax.set_facecolor("0.85")
        image = ax.imshow(np.ma.masked_invalid(mean), cmap=colours, norm=norm, aspect="auto", interpolation="nearest")
        for i in range(shape[0]):
            for j in range(shape[1]):
                m = mean[i, j]
                if not np.isfinite(m):
                    ax.text(j, i, "n/a", ha="center", va="center", color="0.3", fontsize=8)
                    continue
                r, g, b, _ = colours(norm(m))
                ink = "k" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "w"
                s, lo, hi = (float(np.asarray(table[k], dtype=float)[i, j]) for k in ("std", "min", "max"))
                ax.text(
                    j,
                    i,
                    f"{fmt.format(m)} ± {fmt.format(s)}\n[{range_fmt.format(lo)}, {range_fmt.format(hi)}]",
                    ha="center",
                    va="center",
                    color=ink,
                    fontsize=8,
                    linespacing=1.15,
                )
        ax.set_xticks(range(shape[1]), [_label(v) for v in x_values])
        ax.set_yticks(range(shape[0]), [_label(v) for v in y_values])
        ax.set_xlabel(x_label)
        ax.set_ylabel(y_label)
        ax.tick_params(length=0)
        ax.set_title(name, fontsize=10)
    fig.colorbar(image, ax=list(axes), label=colorbar_label, shrink=0.9)
    if title:
        fig.suptitle(title, fontsize=10)
    return widen_to_fit(fig)


def plot_setting_curves(
    curves: Mapping[str, Mapping[str, tuple]],
    *,
    ylabel: str,
    reference: float | None = None,
    reference_label: str | None = None,
    ylim: tuple[float, float] | None = None,
    integer: bool = False,
    ncols: int | None = None,
    title: str | None = None,
    xlabel: str = "t (generator time)",
) -> Figure:
    r"""One metric over time for every setting (small multiples), each dynamics as its mean over
    seeds with a min-to-max band.

    **Arguments:**

    - `curves`: mapping `setting label -> {dynamics label -> (ts (S,), values (K, S))}`, `K`
      seeds; non-finite entries (a flow that ended early) are left out of the mean and band.
    - `ylabel`: the y label (on the first column); `reference`, `reference_label`: a dashed
      horizontal line (e.g. all 8 modes); `ylim`; `integer`: integer y ticks.
    - `ncols`: axes per row (default up to 4); `title`; `xlabel`.

    **Returns:** a `matplotlib.figure.Figure`; the legend says that the band is min to max.
    """
    if not curves:
        raise ValueError("`curves` must hold at least one setting.")
    ncols = min(len(curves), 4) if ncols is None else ncols
    nrows = math.ceil(len(curves) / ncols)
    fig = Figure(figsize=(3.0 * ncols + 0.4, 2.35 * nrows + 0.9 + (0.3 if title else 0.0)), layout="constrained")
    axes = np.asarray(fig.subplots(nrows, ncols, squeeze=False, sharex=True, sharey=True)).ravel()
    handles = {}
    for ax, (setting, runs) in zip(axes, curves.items()):
        for i, (label, (ts, values)) in enumerate(runs.items()):
            ts = np.asarray(ts, dtype=float)
            values = np.atleast_2d(np.asarray(values, dtype=float))
            with np.errstate(invalid="ignore"):
                valid = np.isfinite(values).any(axis=0) & np.isfinite(ts)
                mean = np.nanmean(np.where(np.isfinite(values), values, np.nan)[:, valid], axis=0)
                low = np.nanmin(values[:, valid], axis=0)
                high = np.nanmax(values[:, valid], axis=0)
            (line,) = ax.plot(ts[valid], mean, color=f"C{i}", linewidth=1.5)
            if values.shape[0] > 1:
                ax.fill_between(ts[valid], low, high, color=f"C{i}", alpha=0.2, linewidth=0)
            handles[label] = (line, values.shape[0])
        if reference is not None:
            ref = ax.axhline(reference, color="0.4", linestyle="--", linewidth=0.9)
            handles.setdefault(reference_label or f"{reference:g}", (ref, 0))
        ax.set_title(setting, fontsize=9)
        ax.grid(True, alpha=0.3, linewidth=0.6)
        ax.tick_params(labelsize=8)
        if integer:
            ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if ylim is not None:
            ax.set_ylim(*ylim)
    for k, ax in enumerate(axes):
        if k >= len(curves):
            ax.set_visible(False)
            continue
        if k % ncols == 0:
            ax.set_ylabel(ylabel, fontsize=9)
        if k >= len(curves) - ncols:
            ax.set_xlabel(xlabel, fontsize=9)
            ax.tick_params(labelbottom=True)
    seeds = {n for _, n in handles.values() if n > 0}
    if len(seeds) == 1 and seeds != {1}:  # one seed count: said once, in the legend's title
        labels, legend_title = list(handles), f"mean over {seeds.pop()} seeds, band min to max"
    else:
        labels = [
            f"{label}: mean over {n} seeds, band min to max" if n > 1 else label for label, (_, n) in handles.items()
        ]
        legend_title = None
    fig.legend(
        [h for h, _ in handles.values()],
        labels,
        loc="outside lower center",
        ncols=min(len(labels), 3),
        fontsize=8,
        title=legend_title,
        title_fontsize=8,
        frameon=False,
    )
    if title:
        fig.suptitle(title, fontsize=10)
    return widen_to_fit(fig)


def plot_field_grid(
    rows: Mapping[str, Sequence[tuple]],
    *,
    window=None,
    title: str | None = None,
    panel_size: float = 3.0,
    arrows: int = 15,
    grid: int = 70,
) -> Figure:
    r"""Particles over the discriminator heat map with the generator's velocity arrows, one
    row per dynamics and one column per time.

    **Arguments:**

    - `rows`: mapping `row label -> [(game, disc_state, points (N, 2), masses, panel title), ...]`,
      the same number of panels per row; `disc_state = NO_FIELD` draws the particles and data
      only (a discriminator whose intermediate states were not saved).
    - `window`: `((x_min, x_max), (y_min, y_max))`, shared by every panel (default: around the
      data and all the particles).
    - `title`: the figure title; `panel_size`: inches per panel; `arrows`, `grid`: arrows and
      heat-map points per axis.

    Each panel has its own colour scale (the witness shrinks as the generator learns); its
    colour bar says it, and the arrow key gives the speed of the longest arrow.

    **Returns:** a `matplotlib.figure.Figure`.
    """
    if not rows:
        raise ValueError("`rows` must hold at least one row of panels.")
    counts = {len(panels) for panels in rows.values()}
    if len(counts) != 1 or 0 in counts:
        raise ValueError(f"every row needs the same, positive number of panels; received {sorted(counts)}.")
    ncols = counts.pop()
    if window is None:
        clouds = [np.asarray(p[2], dtype=float) for panels in rows.values() for p in panels]
        clouds.append(np.asarray(next(iter(rows.values()))[0][0].data.points, dtype=float))
        stacked = np.concatenate(clouds)
        stacked = stacked[np.all(np.isfinite(stacked), axis=1)]
        lo, hi = stacked.min(axis=0), stacked.max(axis=0)
        centre, half = (lo + hi) / 2, 1.08 * max(float(np.max(hi - lo)) / 2, 1e-6)
        window = ((centre[0] - half, centre[0] + half), (centre[1] - half, centre[1] + half))
    fig = Figure(
        figsize=(ncols * (panel_size + 0.75), len(rows) * (panel_size + 0.35) + (0.4 if title else 0.1)),
        layout="constrained",
    )
    axes = np.asarray(fig.subplots(len(rows), ncols, squeeze=False))
    for r, (label, panels) in enumerate(rows.items()):
        for c, (game, state, points, masses, panel_title) in enumerate(panels):
            ax = axes[r, c]
            if state is NO_FIELD:
                data = np.asarray(game.data.points, dtype=float)
                pts = np.asarray(points, dtype=float)
                ax.scatter(data[:, 0], data[:, 1], s=6, c="0.35", alpha=0.45, linewidths=0, label="data")
                ax.scatter(pts[:, 0], pts[:, 1], s=10, c="k", edgecolors="w", linewidths=0.4, label="generator")
                ax.set_xlim(*window[0])
                ax.set_ylim(*window[1])
                ax.set_aspect("equal")
                ax.set_xlabel("$x_1$")
                ax.set_ylabel("$x_2$")
                ax.set_title(f"{label}: {panel_title}\n(discriminator not saved here)", fontsize=9)
            else:
                plot_field_panel(
                    ax,
                    game,
                    state,
                    points,
                    masses,
                    window=window,
                    arrows=arrows,
                    grid=grid,
                    title=f"{label}: {panel_title}",
                    marker_size=9.0,
                )
            if c > 0:
                ax.set_ylabel("")
            if r < len(rows) - 1:
                ax.set_xlabel("")
            legend = ax.get_legend()
            if legend is not None and (r, c) != (0, 0):
                legend.remove()
    if title:
        fig.suptitle(title, fontsize=10)
    return widen_to_fit(fig)


def _label(value) -> str:
    if isinstance(value, float):
        return "∞" if math.isinf(value) else f"{value:g}"
    return str(value)
