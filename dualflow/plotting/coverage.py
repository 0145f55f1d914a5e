r"""Mode coverage and distances to the target over time, and coverage heat maps over a sweep.

- `plot_coverage_curves`: one axis per metric of `metrics_over_time` (covered modes,
  high-quality fraction, KL of the occupancy, $W_2$ / Sinkhorn / MMD on logarithmic axes), one
  line per labelled run; a run given as several results (seeds) is drawn as its mean with a
  band, mean $\pm$ one standard deviation or min to max, and the legend says which.
- `plot_coverage_heatmap`: a table of numbers over two swept parameters (e.g. covered modes
  over $\kappa$ x bandwidth) as coloured cells with the value written in each.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib import colormaps
from matplotlib.colors import Normalize
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator, NullFormatter

from ._layout import widen_to_fit
from .curves import _plain_log_labels

__all__ = ["plot_coverage_curves", "plot_coverage_heatmap"]

#: Metrics drawn by default (those present in every result), in this order.
DEFAULT_METRICS = ("n_covered", "high_quality_fraction", "kl_occupancy", "w2", "sinkhorn", "mmd")
#: Metrics that `plot_coverage_curves` knows, with their axis titles.
TITLES = {
    "n_covered": "covered modes",
    "high_quality_fraction": "high-quality fraction",
    "kl_occupancy": "KL(occupancy ‖ target mode weights)",
    "w2": "$W_2$ to the target (exact)",
    "w2_squared": "$W_2^2$ to the target (exact)",
    "sinkhorn": "Sinkhorn divergence $S_\\varepsilon$",
    "mmd": "MMD to the target",
}
LOG_METRICS = ("w2", "w2_squared", "sinkhorn", "mmd")
BANDS = ("std", "minmax")


def _field(result, name):
    value = result.get(name) if isinstance(result, Mapping) else getattr(result, name, None)
    return None if value is None else np.asarray(value, dtype=float)


def _settings(result) -> dict:
    return dict(result.get("settings", {}) if isinstance(result, Mapping) else getattr(result, "settings", {}))


def _stack_seeds(label, results, metric):
    """`(ts, values (n_seeds, S))` of one run; the seeds must share their finite saved times."""
    ts = [_field(r, "ts") for r in results]
    values = [_field(r, metric) for r in results]
    if any(v is None for v in values):
        raise ValueError(f"run {label!r}: metric {metric!r} is missing from some of its results.")
    if any(t.shape != ts[0].shape or v.shape != ts[0].shape for t, v in zip(ts, values)):
        raise ValueError(
            f"run {label!r}: its results must share their saved times; received ts of shapes {[t.shape for t in ts]}."
        )
    stacked = np.stack(ts)
    finite = np.isfinite(stacked)
    spread = np.where(finite, stacked, np.nan)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        common = np.nanmean(spread, axis=0)
        if np.any(np.nanmax(spread, axis=0) - np.nanmin(spread, axis=0) > 1e-9 * np.maximum(np.abs(common), 1.0)):
            raise ValueError(
                f"run {label!r}: its results must be saved at the same times (seeds of one "
                "configuration); received different finite saved times."
            )
    return common, np.stack(values)


def _summary(values, band):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-nan columns (every seed ended) stay nan
        mean = np.nanmean(values, axis=0)
        if band == "std":
            std = np.nanstd(values, axis=0)
            return mean, mean - std, mean + std
        return mean, np.nanmin(values, axis=0), np.nanmax(values, axis=0)


def plot_coverage_curves(
    runs: Mapping[str, object],
    *,
    metrics: Sequence[str] | None = None,
    band: str = "std",
    xlabel: str = "t (generator time)",
    ncols: int | None = None,
    panel_size: tuple[float, float] = (3.7, 2.8),
    title: str | None = None,
):
    r"""Coverage and distance curves over time for labelled runs, with bands over seeds.

    **Arguments:**

    - `runs`: mapping `label -> result` or `label -> [results]` (one per seed); a result is a
      `MetricsOverTime` or its `to_dict()`. The seeds of one run must share their saved times
      (a seed whose flow ended early is `nan` there and left out of the mean and the band).
    - `metrics`: fields to draw, one axis each, from `"n_covered"`, `"high_quality_fraction"`,
      `"kl_occupancy"`, `"w2"`, `"w2_squared"`, `"sinkhorn"`, `"mmd"`; default: those of
      `DEFAULT_METRICS` present in every result. The distances use logarithmic axes
      (non-positive values left out).
    - `band`: `"std"` (mean $\pm$ one standard deviation over seeds) or `"minmax"` (min to max).
    - `xlabel`, `ncols` (axes per row, default up to 3), `panel_size` (inches per axis), `title`.

    **Returns:** a `matplotlib.figure.Figure` (not attached to pyplot).

    **Example:**

    ```python
    fig = plot_coverage_curves({"dual flow": [m_flow_0, m_flow_1], "GDA": [m_gda_0, m_gda_1]})
    fig.savefig("coverage.png", dpi=130)
    ```
    """
    if not isinstance(runs, Mapping) or not runs:
        raise ValueError(f"`runs` must be a non-empty mapping label -> result(s); received {type(runs).__name__}.")
    if band not in BANDS:
        raise ValueError(f"`band` must be one of {list(BANDS)}; received {band!r}.")
    grouped = {label: list(r) if isinstance(r, (list, tuple)) else [r] for label, r in runs.items()}
    for label, results in grouped.items():
        if not results:
            raise ValueError(f"run {label!r} has no result.")
    everything = [r for results in grouped.values() for r in results]
    if metrics is None:
        metrics = [m for m in DEFAULT_METRICS if all(_field(r, m) is not None for r in everything)]
        if not metrics:
            raise ValueError(f"the results hold none of the metrics {list(DEFAULT_METRICS)}.")
    metrics = list(metrics)
    unknown = [m for m in metrics if m not in TITLES]
    if unknown or not metrics:
        raise ValueError(f"`metrics` must name some of {list(TITLES)}; received {metrics!r}.")
    ncols = min(len(metrics), 3) if ncols is None else ncols
    if not (isinstance(ncols, int) and ncols >= 1):
        raise ValueError(f"`ncols` must be a positive integer; received {ncols!r}.")

    nrows = math.ceil(len(metrics) / ncols)
    fig = Figure(
        figsize=(panel_size[0] * ncols, panel_size[1] * nrows + 0.5 + (0.3 if title else 0.0)), layout="constrained"
    )
    axes = np.asarray(fig.subplots(nrows, ncols, squeeze=False)).ravel()
    settings = _settings(everything[0])
    n_modes = None
    occupancy = _field(everything[0], "occupancy")
    if occupancy is not None and occupancy.ndim == 2:
        n_modes = occupancy.shape[1]

    run_lines = {}
    for ax, metric in zip(axes, metrics):
        for i, (label, results) in enumerate(grouped.items()):
            ts, values = _stack_seeds(label, results, metric)
            mean, low, high = _summary(values, band)
            keep = np.isfinite(ts) & np.isfinite(mean)
            if metric in LOG_METRICS:
                keep &= mean > 0
            seeds = len(results)
            draw = ax.step if metric == "n_covered" else ax.plot
            extra = {"where": "post"} if metric == "n_covered" else {}
            (run_lines[label],) = draw(ts[keep], mean[keep], color=f"C{i}", linewidth=1.6, **extra)
            if seeds > 1:
                lower = np.where(low > 0, low, np.nan) if metric in LOG_METRICS else low
                ax.fill_between(
                    ts[keep],
                    lower[keep],
                    high[keep],
                    color=f"C{i}",
                    alpha=0.2,
                    linewidth=0,
                    step="post" if metric == "n_covered" else None,
                )
        references = _decorate(ax, metric, settings, n_modes)
        if references:
            ax.legend(handles=references, fontsize=7, loc="best", framealpha=0.8)
        ax.set_xlabel(xlabel, fontsize=9)
        ax.tick_params(which="both", labelsize=8)
        ax.grid(True, alpha=0.3, linewidth=0.6)
    for ax in axes[len(metrics) :]:
        ax.set_visible(False)
    labels = [_run_label(label, len(results), band) for label, results in grouped.items()]
    fig.legend(
        list(run_lines.values()),
        labels,
        loc="outside lower center",
        ncols=min(len(labels), 3),
        fontsize=9,
        frameon=False,
    )
    if title:
        fig.suptitle(title, fontsize=11)
    return widen_to_fit(fig)


def _log_axis(ax) -> None:
    """A logarithmic y axis labelled in plain decimals; when the drawn values span less than a
    decade, ticks are placed evenly (about five) so that the axis still carries numbers."""
    ax.set_yscale("log")
    values = np.concatenate([line.get_ydata() for line in ax.get_lines()] or [np.ones(1)])
    values = values[np.isfinite(values) & (values > 0)]
    if values.size and values.max() < 10 * values.min():
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
        ax.yaxis.set_minor_formatter(NullFormatter())
    else:
        _plain_log_labels(ax)


def _run_label(label: str, seeds: int, band: str) -> str:
    if seeds == 1:
        return label
    if band == "std":
        return f"{label}: mean ± std over {seeds} seeds"
    return f"{label}: mean, band min to max over {seeds} seeds"


def _decorate(ax, metric, settings, n_modes) -> list:
    """Axis title, y label, scale and reference lines of one metric; returns the reference lines."""
    references = []
    ax.set_title(TITLES[metric], fontsize=10)
    if metric == "n_covered":
        ax.set_ylabel("modes with ≥ {:.0%} of the mass".format(settings.get("min_fraction", 0.05)), fontsize=9)
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        if n_modes is not None:
            references.append(
                ax.axhline(n_modes, color="0.4", linestyle="--", linewidth=1.0, label=f"all {n_modes} modes")
            )
            ax.set_ylim(-0.3, n_modes + 0.6)
    elif metric == "high_quality_fraction":
        radius = settings.get("radius_stds", 3.0)
        ax.set_ylabel(f"mass within {radius:g} std of a centre", fontsize=9)
        ax.set_ylim(-0.03, 1.03)
    elif metric == "kl_occupancy":
        ax.set_ylabel("KL (nats)", fontsize=9)
        if n_modes is not None and settings.get("target_weights") is None:
            references.append(
                ax.axhline(
                    math.log(n_modes), color="0.4", linestyle="--", linewidth=1.0, label=f"log {n_modes}: one mode"
                )
            )
        ax.set_ylim(bottom=0.0)
    else:
        _log_axis(ax)
        if metric == "w2":
            ax.set_ylabel("$W_2$", fontsize=9)
        elif metric == "w2_squared":
            ax.set_ylabel("$W_2^2$", fontsize=9)
        elif metric == "sinkhorn":
            epsilon = settings.get("epsilon")
            ax.set_ylabel(
                "$S_\\varepsilon$" + (f", ε = {epsilon:g}" if epsilon is not None else "") + " (squared units)",
                fontsize=9,
            )
        else:
            kernel, bandwidth = settings.get("kernel"), settings.get("bandwidth")
            detail = f"{kernel}, σ = {bandwidth:.3g}" if kernel and bandwidth is not None else (kernel or "")
            ax.set_ylabel("MMD" + (f" ({detail})" if detail else ""), fontsize=9)
    return references


def plot_coverage_heatmap(
    values,
    x_values,
    y_values,
    x_label: str,
    y_label: str,
    *,
    ax=None,
    title: str | None = None,
    colorbar_label: str | None = None,
    fmt: str = "{:.3g}",
    cmap: str = "viridis",
    vmin: float | None = None,
    vmax: float | None = None,
) -> Figure:
    r"""A table of numbers over two swept parameters as coloured cells, each with its value written in.

    Cells are categorical (one per swept value, labelled with it), so uneven or logarithmic
    sweeps draw as a regular table; `nan` cells (a run that failed) are grey and marked "n/a".

    **Arguments:**

    - `values`: `(n_y, n_x)` numbers, `values[i, j]` at `(x_values[j], y_values[i])`.
    - `x_values`, `y_values`: the swept values (`(n_x,)` and `(n_y,)`), shown as tick labels;
      y increases upwards.
    - `x_label`, `y_label`: the axis labels (e.g. `"bandwidth σ"`, `"κ = η_d/η_g"`).
    - `ax`: an `Axes` to draw into (default: a new figure).
    - `title`, `colorbar_label`: the axis title and the colour-bar label.
    - `fmt`: format of the numbers in the cells (e.g. `"{:.0f}"` for counts).
    - `cmap`, `vmin`, `vmax`: colours (default range: the finite values).

    **Returns:** the `matplotlib.figure.Figure` holding the heat map.

    **Example:**

    ```python
    fig = plot_coverage_heatmap(covered, [0.2, 0.5, 1.0], [1, 10, 100], "bandwidth σ", "κ",
                                colorbar_label="covered modes (of 8)", fmt="{:.0f}")
    ```
    """
    values = np.asarray(values, dtype=float)
    x_values, y_values = np.asarray(x_values).ravel(), np.asarray(y_values).ravel()
    if values.ndim != 2 or values.shape != (y_values.size, x_values.size):
        raise ValueError(
            f"`values` must have shape (len(y_values), len(x_values)) = ({y_values.size}, "
            f"{x_values.size}); received shape {values.shape}."
        )
    if values.size == 0:
        raise ValueError("`values` is empty.")
    if ax is None:
        fig = Figure(figsize=(1.0 + 0.8 * x_values.size + 1.2, 1.0 + 0.6 * y_values.size + 0.6), layout="constrained")
        ax = fig.add_subplot()
    else:
        fig = ax.get_figure()
    finite = values[np.isfinite(values)]
    low = vmin if vmin is not None else (finite.min() if finite.size else 0.0)
    high = vmax if vmax is not None else (finite.max() if finite.size else 1.0)
    if high <= low:
        high = low + 1.0
    norm = Normalize(low, high)
    colours = colormaps[cmap]
    ax.set_facecolor("0.8")
    image = ax.imshow(
        np.ma.masked_invalid(values), cmap=colours, norm=norm, origin="lower", aspect="auto", interpolation="nearest"
    )
    for i in range(values.shape[0]):
        for j in range(values.shape[1]):
            value = values[i, j]
            if np.isfinite(value):
                r, g, b, _ = colours(norm(value))
                ink = "k" if 0.299 * r + 0.587 * g + 0.114 * b > 0.5 else "w"
                ax.text(j, i, fmt.format(value), ha="center", va="center", color=ink, fontsize=9)
            else:
                ax.text(j, i, "n/a", ha="center", va="center", color="0.3", fontsize=8)
    ax.set_xticks(range(x_values.size), [_tick(v) for v in x_values])
    ax.set_yticks(range(y_values.size), [_tick(v) for v in y_values])
    ax.set_xlabel(x_label)
    ax.set_ylabel(y_label)
    ax.tick_params(length=0)
    if title:
        ax.set_title(title, fontsize=10)
    fig.colorbar(image, ax=ax, label=colorbar_label)
    return fig


def _tick(value) -> str:
    try:
        return f"{float(value):g}"
    except (TypeError, ValueError):
        return str(value)
