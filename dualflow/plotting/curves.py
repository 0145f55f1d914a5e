r"""Metric curves over time: one axis per metric, one line per run.

The input is a nested mapping `metric -> run -> (ts, values)`, so runs saved on different
time grids (or with missing metrics) draw side by side. A run keeps its colour on every axis.
Non-finite values (e.g. the `inf` saves past an early end of a flow) are left out of the lines.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping

import numpy as np
from matplotlib import ticker
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

__all__ = ["plot_curves"]


def _check_series(series):
    if not isinstance(series, Mapping) or not series:
        raise ValueError(
            f"`series` must be a non-empty mapping metric -> {{run: (ts, values)}}; received {type(series).__name__}."
        )
    checked = {}
    for metric, runs in series.items():
        if not isinstance(runs, Mapping) or not runs:
            raise ValueError(f"metric {metric!r}: expected a non-empty mapping run -> (ts, values); received {runs!r}.")
        checked[metric] = {}
        for run, pair in runs.items():
            if not (isinstance(pair, tuple) and len(pair) == 2):
                raise ValueError(f"metric {metric!r}, run {run!r}: expected a pair (ts, values); received {pair!r}.")
            ts, values = np.asarray(pair[0], dtype=float), np.asarray(pair[1], dtype=float)
            if ts.ndim != 1 or values.shape != ts.shape:
                raise ValueError(
                    f"metric {metric!r}, run {run!r}: `ts` and `values` must be 1-D arrays of the same "
                    f"length; received shapes {ts.shape} and {values.shape}."
                )
            checked[metric][run] = (ts, values)
    return checked


def plot_curves(
    series: Mapping[str, Mapping[str, tuple]],
    *,
    ylabels: Mapping[str, str] | None = None,
    logy: Collection[str] = (),
    ylim: Mapping[str, tuple[float, float]] | None = None,
    steps: Collection[str] = (),
    xlabel: str = "t (generator time)",
    ncols: int | None = None,
    panel_size: tuple[float, float] = (3.6, 2.7),
    title: str | None = None,
) -> Figure:
    r"""Draw metric curves over time.

    **Arguments:**

    - `series`: mapping `metric name -> {run label -> (ts, values)}`; the metric name is the
      axis title, each run one line (same colour for the same run on every axis).
    - `ylabels`: optional y-axis label per metric (default: the metric name).
    - `logy`: metrics drawn on a logarithmic y axis (non-positive values are left out).
    - `ylim`: optional `(low, high)` y limits per metric.
    - `steps`: metrics drawn as step functions (for counts such as covered modes).
    - `xlabel`: the x-axis label of every axis.
    - `ncols`: axes per row (default: up to 3).
    - `panel_size`: `(width, height)` of one axis in inches.
    - `title`: optional figure title.

    **Returns:** a `matplotlib.figure.Figure` (not attached to pyplot).

    **Example:**

    ```python
    fig = plot_curves({"MMD": {"flow": (flow.ts, mmd_flow), "GDA": (gda.ts, mmd_gda)}}, logy={"MMD"})
    fig.savefig("metrics.png", dpi=130)
    ```
    """
    series = _check_series(series)
    ylabels = dict(ylabels or {})
    ylim = dict(ylim or {})
    unknown = (set(logy) | set(ylim) | set(steps) | set(ylabels)) - set(series)
    if unknown:
        raise ValueError(
            f"options name metrics that are not in `series`: {sorted(unknown)}; available: {list(series)}."
        )
    run_order = list(dict.fromkeys(run for runs in series.values() for run in runs))
    colors = {run: f"C{i}" for i, run in enumerate(run_order)}

    n = len(series)
    ncols = min(n, 3) if ncols is None else ncols
    if not (isinstance(ncols, int) and ncols >= 1):
        raise ValueError(f"`ncols` must be a positive integer; received {ncols!r}.")
    nrows = math.ceil(n / ncols)
    fig = Figure(
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows + (0.4 if title else 0.0) + 0.3), layout="constrained"
    )
    axes = np.asarray(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    for ax, (metric, runs) in zip(axes, series.items()):
        for run, (ts, values) in runs.items():
            keep = np.isfinite(ts) & np.isfinite(values)
            if metric in logy:
                keep &= values > 0
            draw = ax.step if metric in steps else ax.plot
            kwargs = dict(where="post") if metric in steps else {}
            draw(ts[keep], values[keep], color=colors[run], label=run, linewidth=1.6, **kwargs)
        if metric in logy:
            ax.set_yscale("log")
            _plain_log_labels(ax)
        if metric in ylim:
            ax.set_ylim(*ylim[metric])
        ax.set_title(metric, fontsize=10)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.set_ylabel(ylabels.get(metric, metric), fontsize=9)
        ax.tick_params(which="both", labelsize=8)
        ax.grid(True, alpha=0.3, linewidth=0.6)
    for ax in axes[n:]:
        ax.set_visible(False)
    # Runs drawn on several axes share one legend under the figure; an axis with runs of its
    # own (e.g. a single derived quantity) gets its own legend.
    shared = [run for run in run_order if sum(run in runs for runs in series.values()) > 1]
    if len(series) == 1:
        shared = run_order
    for ax, runs in zip(axes, series.values()):
        if any(run not in shared for run in runs):
            ax.legend(fontsize=8, framealpha=0.8)
    if shared:
        handles = [Line2D([], [], color=colors[run], linewidth=1.6) for run in shared]
        fig.legend(handles, shared, loc="outside lower center", ncols=len(shared), fontsize=9, frameon=False)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig


def _plain_log_labels(ax) -> None:
    """Label a log axis in plain decimals ("0.3", "2") rather than "3x10^-1". When the drawn
    values span less than two decades the minor ticks at 2, 3 and 5 times a power of ten are
    labelled too (the others would crowd the axis)."""
    ax.yaxis.set_major_formatter(ticker.FuncFormatter(lambda value, _: f"{value:g}"))
    values = np.concatenate([line.get_ydata() for line in ax.get_lines()] or [np.ones(1)])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and np.log10(values.max() / values.min()) < 2:
        ax.yaxis.set_minor_formatter(ticker.FuncFormatter(_minor_label))
    else:
        ax.yaxis.set_minor_formatter(ticker.NullFormatter())


def _minor_label(value, _position) -> str:
    if value <= 0:
        return ""
    mantissa = value / 10 ** math.floor(math.log10(value))
    return f"{value:g}" if any(abs(mantissa - m) < 1e-6 for m in (2, 3, 5)) else ""
