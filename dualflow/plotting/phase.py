r"""Phase diagrams: predicted and measured labels side by side, growth heat maps, and the
isolated-points theory drawn over them.

Overlays (`theory_curves`) exist when the axes are `bandwidth` (x) and `reg` (y), for the
isolated points model (one true point of mass `p`, a cluster of `n` points of mass `w`):
the simultaneous-GDA threshold $\lambda = \eta_g w p_\text{tot}/\sigma^2$ (balanced mass), the
fast-rate curve $\lambda_\text{opt} = \sqrt{(\eta_g/\eta_d) w\delta}/\sigma$ ($\delta > 0$) and the
edges of the flow's oscillation band in $\gamma = 1/\sigma^2$.
"""

from __future__ import annotations

import itertools

import numpy as np
from matplotlib.artist import Artist
from matplotlib.colors import BoundaryNorm, ListedColormap, TwoSlopeNorm
from matplotlib.figure import Figure
from matplotlib.patches import Patch
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

from ..analysis.disagreement import CATEGORIES

__all__ = ["plot_disagreement", "plot_growth", "plot_phase_diagram"]

#: Colour of each `Phase` value (UNDECIDED, CONVERGES, CONVERGES_OSCILLATING, OSCILLATES,
#: DIVERGES, STUCK, MODE_COLLAPSE).
PHASE_COLOURS = ["#bdbdbd", "#1a9850", "#91cf60", "#fee08b", "#d73027", "#4575b4", "#984ea3"]
PHASE_NAMES = [
    "undecided",
    "converges",
    "converges (oscillating)",
    "oscillates (neutral)",
    "diverges",
    "stuck",
    "mode collapse",
]


def _grid_axes(ax, diagram):
    ax.set_xscale("log" if diagram.x_values.min() > 0 and diagram.x_name != "imbalance" else "linear")
    ax.set_yscale("log" if diagram.y_values.min() > 0 and diagram.y_name != "imbalance" else "linear")
    ax.set_xlabel(_label(diagram.x_name))
    ax.set_ylabel(_label(diagram.y_name))
    ax.set_xlim(diagram.x_values.min(), diagram.x_values.max())
    ax.set_ylim(diagram.y_values.min(), diagram.y_values.max())
    for axis, scale in ((ax.xaxis, ax.get_xscale()), (ax.yaxis, ax.get_yscale())):
        if scale == "log":  # plain numbers at 1, 2, 5 per decade: no overlapping minor labels on short ranges
            axis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            axis.set_major_formatter(FuncFormatter(lambda value, _: f"{value:g}"))
            axis.set_minor_formatter(NullFormatter())


def _label(name):
    return {
        "bandwidth": r"bandwidth $\sigma$",
        "reg": r"ridge $\lambda$",
        "lr_g": r"$\eta_g$",
        "lr_d": r"$\eta_d$",
        "kappa": r"$\kappa = \eta_d/\eta_g$",
        "imbalance": r"mass imbalance $\delta$",
    }[name]


def _overlay(ax, curves, boundary=None):
    theory = itertools.cycle(["k--", "k:"])
    for label, (xs, ys) in curves.items():
        ax.plot(xs, ys, "m-." if "band" in label else next(theory), lw=1.5, label=label)
    traced = itertools.cycle(["#08306b", "#67000d", "#3f007d"])
    for label, (xs, ys) in (boundary.curves() if boundary is not None else {}).items():
        ax.plot(xs, ys, "-", color=next(traced), lw=1.3, marker="o", ms=2.5, label=f"traced: {label}")


def plot_phase_diagram(diagram, *, curves=None, boundary=None, title=None) -> Figure:
    """Predicted (left) and, when present, measured (right) phase labels on the grid, with the
    agreement fraction in the title, optional theory `curves` (`{label: (xs, ys)}`) and the
    traced neutral set `boundary` (`analysis.boundaries.trace_boundary`; solid lines with dots)."""
    panels = [("predicted (linearization)", diagram.predicted)]
    if diagram.measured is not None:
        panels.append((f"measured (simulation) — agreement {100 * diagram.agreement():.1f}%", diagram.measured))
    fig = Figure(figsize=(5.2 * len(panels) + 2.2, 4.6), layout="constrained")
    cmap = ListedColormap(PHASE_COLOURS)
    norm = BoundaryNorm(np.arange(len(PHASE_COLOURS) + 1) - 0.5, cmap.N)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (name, labels) in zip(axes, panels):
        ax.pcolormesh(diagram.x_values, diagram.y_values, labels, cmap=cmap, norm=norm, shading="nearest")
        _overlay(ax, curves or {}, boundary)
        _grid_axes(ax, diagram)
        ax.set_title(name, fontsize=10)
    present = sorted(
        set(np.unique(diagram.predicted)) | set(np.unique(diagram.measured if diagram.measured is not None else []))
    )
    handles = [Patch(color=PHASE_COLOURS[k], label=PHASE_NAMES[k]) for k in present]
    handles += [line for line in axes[0].get_lines() if not line.get_label().startswith("_")]
    fig.legend(handles=handles, loc="outside right center", fontsize=8)
    fig.suptitle(title or f"local phase of the equilibrium ({diagram.scheme})", fontsize=11)
    return fig


#: Colour map of the growth heat maps: blue decays, white is neutral, red grows.
GROWTH_CMAP = "RdBu_r"
#: Colour of the computed neutral contour, distinct from the (black) theory lines drawn over it.
NEUTRAL_COLOUR = "#33cc33"


def plot_growth(diagram, *, squared=True, curves=None, boundary=None, title=None) -> Figure:
    """Heat map of the dominant growth: $|\\rho|^2$ of the GDA step (`squared`) or $|\\rho|$; for the
    flow the spectral abscissa $\\max \\mathrm{Re}\\, s$. A diverging map centred on neutral (1, or 0
    for the flow): blue decays, red grows, white is neutral; the computed neutral set is a thick
    green contour under the theory `curves` and the traced `boundary` (as in `plot_phase_diagram`),
    so a theory line that lies on it stays visible. Values of $|\\rho|^2$ far above 1 are clipped
    (the colour bar's arrow) so that the decaying side keeps its contrast."""
    fig = Figure(figsize=(6.6, 4.8), layout="constrained")
    ax = fig.subplots()
    values = diagram.growth**2 if (squared and diagram.discrete) else diagram.growth
    neutral = diagram.neutral
    low, high = float(np.nanmin(values)), float(np.nanmax(values))
    if diagram.discrete:
        name = r"dominant $|\rho|^2$" if squared else r"dominant $|\rho|$"
        top = min(high, neutral + 0.5 * max(neutral - low, 0.0)) if low < neutral else high
    else:
        name = r"spectral abscissa $\max \mathrm{Re}\, s$"
        top = high
    norm = _centred_norm(low, neutral, top)
    mesh = ax.pcolormesh(diagram.x_values, diagram.y_values, values, cmap=GROWTH_CMAP, norm=norm, shading="nearest")
    fig.colorbar(
        mesh,
        ax=ax,
        label=f"{name}: neutral at {neutral:g}" + (", clipped above" if top < high else ""),
        extend="max" if top < high else "neither",
    )
    if low < neutral < high:
        ax.contour(
            diagram.x_values,
            diagram.y_values,
            values,
            levels=[neutral],
            colors=NEUTRAL_COLOUR,
            linewidths=5.0,
            zorder=2,
        )
        ax.plot([], [], "-", color=NEUTRAL_COLOUR, lw=5.0, label=f"computed neutral: {name} = {neutral:g}")
    _overlay(ax, curves or {}, boundary)
    _grid_axes(ax, diagram)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, loc="lower left")
    ax.set_title(title or f"{name} ({diagram.scheme}): blue decays, red grows", fontsize=10)
    return fig


def _centred_norm(low: float, centre: float, high: float) -> TwoSlopeNorm:
    """A two-slope norm with `centre` in the middle of the map, also when every value lies on one
    side of it (that side then spans its half of the map, the other half stays unused)."""
    spread = max(high - centre, centre - low, 1e-12 * max(abs(centre), 1.0))
    return TwoSlopeNorm(
        vcenter=centre, vmin=low if low < centre else centre - spread, vmax=high if high > centre else centre + spread
    )


#: Colour of each disagreement category (`analysis.disagreement.CATEGORIES`).
DISAGREEMENT_COLOURS = ["#f0f0f0", "#d73027", "#4575b4", "#fdae61"]


def plot_disagreement(disagreement, *, title=None) -> Figure:
    """Where each scheme's phase differs from the flow's (`analysis.disagreement_map`): one row per
    scheme, predicted categories on the left and, when simulated, the measured ones on the right
    (with their agreement); the traced boundaries of the flow (dashed) and of that scheme (solid)
    drawn on every panel."""
    schemes = list(disagreement.predicted)
    kinds = [("predicted", disagreement.predicted)]
    if disagreement.measured is not None:
        kinds.append(("measured", disagreement.measured))
    fig = Figure(figsize=(4.6 * len(kinds) + 2.8, 3.3 * len(schemes) + 0.9), layout="constrained")
    axes = np.asarray(fig.subplots(len(schemes), len(kinds), squeeze=False))
    cmap = ListedColormap(DISAGREEMENT_COLOURS)
    norm = BoundaryNorm(np.arange(len(DISAGREEMENT_COLOURS) + 1) - 0.5, cmap.N)
    flow = disagreement.flow
    present: set = set()
    for r, scheme in enumerate(schemes):
        for c, (kind, categories) in enumerate(kinds):
            ax = axes[r, c]
            ax.pcolormesh(flow.x_values, flow.y_values, categories[scheme], cmap=cmap, norm=norm, shading="nearest")
            present |= set(np.unique(categories[scheme]).tolist())
            for name, style in (("flow", "--"), (scheme, "-")):
                whose = "flow" if name == "flow" else "the scheme"
                for label, (xs, ys) in disagreement.boundaries[name].curves().items():
                    crossing = label.split(": ", 1)[1]
                    ax.plot(xs, ys, style, color="k", lw=1.3, marker=".", ms=4, label=f"traced, {whose}: {crossing}")
            _grid_axes(ax, flow)
            share = 100 * np.mean(categories[scheme] != 0)
            note = f"; {100 * disagreement.agreement(scheme):.0f}% as predicted" if kind == "measured" else ""
            ax.set_title(f"{scheme}, {kind}: {share:.0f}% of cells disagree{note}", fontsize=9)
    handles = [Patch(color=DISAGREEMENT_COLOURS[k], label=CATEGORIES[k]) for k in sorted(present)]
    seen: dict[str, Artist] = {}
    for ax in axes.ravel():
        for line in ax.get_lines():
            seen.setdefault(line.get_label(), line)
    legend: list[Artist] = [*handles, *seen.values()]
    fig.legend(handles=legend, loc="outside right center", fontsize=8)
    fig.suptitle(title or "each scheme against its flow limit: where their phases differ", fontsize=11)
    return fig
