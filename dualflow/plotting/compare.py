r"""Flow versus GDA at several step sizes: particles side by side, the distance over time, and
the $\tau \to 0$ rate (the figure of `dualflow compare`).

Three parts in one figure:

- top: the particles of the dual flow (first row) and of GDA at the largest $\tau$ (second
  row) at a few times, over the target's data (faint grey) and mode centres (black crosses).
  Particle $j$ has the same colour in every panel (the angle of its start about the start's
  barycentre), and in the GDA row a thin line joins it to where the flow has it, so the
  particle-wise error is visible;
- bottom left: $e_\tau(t) = \max_j |x_j^{\text{GDA},\tau}(t) - x_j^{\text{flow}}(t)|$ for every
  $\tau$, logarithmic y axis;
- bottom right: $E_\tau = \max_t e_\tau(t)$ against $\tau$ on log-log axes, the least-squares
  line with its slope in the legend, and a slope-1 reference line (first order) through the
  points' geometric mean.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure

from .particles import _initial_angle_colors, _window, nearest_saved_index

__all__ = ["plot_compare"]


def _check(ts, flow_points, gda_points, taus, errors, max_errors):
    ts = np.asarray(ts, dtype=float)
    flow_points = np.asarray(flow_points, dtype=float)
    gda_points = np.asarray(gda_points, dtype=float)
    taus = np.asarray(taus, dtype=float)
    errors = np.asarray(errors, dtype=float)
    max_errors = np.asarray(max_errors, dtype=float)
    if ts.ndim != 1 or flow_points.shape[:1] != ts.shape or flow_points.ndim != 3 or flow_points.shape[2] != 2:
        raise ValueError(
            f"`ts` must be 1-D and `flow_points` of shape (S, N, 2) with S = len(ts); received shapes "
            f"{ts.shape} and {flow_points.shape}."
        )
    n = taus.shape[0] if taus.ndim == 1 else -1
    if n < 1 or gda_points.shape != (n,) + flow_points.shape:
        raise ValueError(
            f"`gda_points` must have shape (len(taus), S, N, 2) = {(n,) + flow_points.shape}; "
            f"received {gda_points.shape}."
        )
    if errors.shape != (n, ts.shape[0]) or max_errors.shape != (n,):
        raise ValueError(
            f"`errors` must have shape (len(taus), S) = {(n, ts.shape[0])} and `max_errors` ({n},); "
            f"received {errors.shape} and {max_errors.shape}."
        )
    return ts, flow_points, gda_points, taus, errors, max_errors


def plot_compare(
    ts,
    flow_points,
    gda_points,
    taus,
    errors,
    max_errors,
    *,
    slope: float | None = None,
    centres=None,
    data=None,
    times: Sequence[float] | None = None,
    panel_size: float = 2.5,
    title: str | None = None,
) -> Figure:
    r"""Draw the flow-versus-GDA comparison.

    **Arguments:**

    - `ts`: `(S,)` common saved times; `flow_points`: `(S, N, 2)` the dual flow.
    - `gda_points`: `(n, S, N, 2)` GDA at each step size, on the same times (step $k$ at $t = k\tau$).
    - `taus`: `(n,)` step sizes; the particle panels show the largest.
    - `errors`: `(n, S)` $e_\tau(t)$; `max_errors`: `(n,)` $E_\tau$ (non-finite: left out).
    - `slope`: the fitted log-log slope written in the legend (default: fitted here by least
      squares on the finite positive `max_errors`).
    - `centres`: `(K, 2)` mode centres (black crosses); `data`: `(M, 2)` data points or a
      `Measure` (faint grey).
    - `times`: the times of the particle columns (nearest saved time; default 0, $T/4$, $T/2$, $T$).
    - `panel_size`: edge of one particle panel in inches; `title`: the figure title.

    **Returns:** a `matplotlib.figure.Figure` (not attached to pyplot).

    **Example:**

    ```python
    a = np.load("dualflow-output/ring8_kappa-compare/arrays.npz")
    fig = plot_compare(a["ts"], a["flow_points"], a["gda_points"], a["taus"], a["errors"], a["max_errors"],
                       centres=a["centres"], data=a["data_points"])
    fig.savefig("compare.png", dpi=130)
    ```
    """
    # Long on purpose: a figure layout drawn panel by panel (particles, errors over time, errors against tau).
    ts, flow_points, gda_points, taus, errors, max_errors = _check(
        ts, flow_points, gda_points, taus, errors, max_errors
    )
    horizon = float(np.nanmax(np.where(np.isfinite(ts), ts, np.nan)))
    times = [0.0, horizon / 4, horizon / 2, horizon] if times is None else [float(t) for t in times]
    if not times:
        raise ValueError("`times` must name at least one time; received an empty sequence.")
    data_points = None if data is None else np.asarray(getattr(data, "points", data), dtype=float)
    centres = None if centres is None else np.asarray(centres, dtype=float)
    largest = int(np.argmax(taus))
    gda = gda_points[largest]
    indices = [nearest_saved_index(ts, t) for t in times]
    drawn = [flow_points[indices], gda[indices]] + [a for a in (data_points, centres) if a is not None]
    xlim, ylim = _window(drawn)
    colors = _initial_angle_colors(flow_points[0])

    n_cols = len(times)
    width = max(panel_size * n_cols + 0.8, 9.0)
    fig = Figure(figsize=(width, 2 * panel_size + 3.4 + (0.4 if title else 0)), layout="constrained")
    top, bottom = np.asarray(fig.subfigures(2, 1, height_ratios=[2 * panel_size + 0.4, 3.2]))
    axes = np.asarray(top.subplots(2, n_cols, squeeze=False, sharex=True, sharey=True))
    rows = [("dual flow", flow_points), (f"GDA, $\\tau$ = {taus[largest]:g}", gda)]
    for row, (label, points) in enumerate(rows):
        for col, index in enumerate(indices):
            ax = axes[row, col]
            if data_points is not None:
                ax.scatter(
                    data_points[:, 0], data_points[:, 1], s=8, c="0.6", alpha=0.35, linewidths=0, zorder=1, label="data"
                )
            if centres is not None:
                ax.scatter(
                    centres[:, 0],
                    centres[:, 1],
                    s=30,
                    marker="+",
                    c="k",
                    linewidths=0.9,
                    zorder=2,
                    label="mode centres",
                )
            if row == 1:
                segments = np.stack([flow_points[index], points[index]], axis=1)  # (N, 2 ends, 2)
                for seg in segments:
                    ax.plot(seg[:, 0], seg[:, 1], color="0.25", linewidth=0.5, zorder=3)
            ax.scatter(
                points[index, :, 0],
                points[index, :, 1],
                s=10,
                c=colors,
                edgecolors="k",
                linewidths=0.25,
                zorder=4,
                label="particles",
            )
            ax.set_title(f"{label}, t = {ts[index]:.3g}", fontsize=9)
            ax.set_xlim(*xlim)
            ax.set_ylim(*ylim)
            ax.set_aspect("equal")
            ax.tick_params(labelsize=7)
            if col == 0:
                ax.set_ylabel(f"{label}\n$x_2$", fontsize=9)
            if row == 1:
                ax.set_xlabel("$x_1$", fontsize=9)
    handles, labels = axes[0, 0].get_legend_handles_labels()
    top.legend(
        handles,
        labels,
        loc="outside lower center",
        ncols=len(labels),
        fontsize=8,
        frameon=False,
        markerscale=1.3,
        title="GDA row: a line joins each particle to the same particle of the flow",
        title_fontsize=8,
    )

    ax_t, ax_tau = bottom.subplots(1, 2)
    order = np.argsort(-taus)
    for rank, i in enumerate(order):
        keep = np.isfinite(errors[i]) & (errors[i] > 0)
        ax_t.plot(ts[keep], errors[i][keep], color=f"C{rank}", linewidth=1.3, label=f"$\\tau$ = {taus[i]:g}")
    ax_t.set_yscale("log")
    ax_t.set_xlabel("t (generator time; GDA step k at t = k$\\tau$)")
    ax_t.set_ylabel("$e_\\tau(t) = \\max_j |x_j^{GDA} - x_j^{flow}|$")
    ax_t.set_title("distance of GDA to the dual flow over time", fontsize=10)
    ax_t.grid(True, which="both", alpha=0.25)
    if ax_t.lines:
        ax_t.legend(fontsize=8)

    usable = np.isfinite(max_errors) & (max_errors > 0)
    h, e = taus[usable], max_errors[usable]
    if h.size:
        ax_tau.plot(h, e, "o", color="C0", label="$E_\\tau = \\max_t e_\\tau(t)$", zorder=3)
    if h.size >= 2:
        log_h, log_e = np.log(h), np.log(e)
        fitted = slope if slope is not None and math.isfinite(slope) else float(np.polyfit(log_h, log_e, 1)[0])
        intercept = float(np.mean(log_e) - fitted * np.mean(log_h))  # the least-squares line passes the means
        grid = np.geomspace(h.min() / 1.3, h.max() * 1.3, 50)
        ax_tau.plot(
            grid,
            np.exp(intercept) * grid**fitted,
            "-",
            color="C0",
            linewidth=1.2,
            label=f"least-squares fit: slope {fitted:.2f}",
        )
        ax_tau.plot(
            grid,
            np.exp(np.mean(log_e) - np.mean(log_h)) * grid,
            ":",
            color="k",
            linewidth=1.2,
            label="slope 1 (first order)",
        )
    elif not h.size:
        ax_tau.text(
            0.5,
            0.5,
            "no finite error\n(a run ended early)",
            transform=ax_tau.transAxes,
            ha="center",
            va="center",
            fontsize=9,
        )
    ax_tau.set_xscale("log")
    ax_tau.set_yscale("log")
    ax_tau.set_xlabel("step size $\\tau$ ($\\eta_g = \\tau$, $\\eta_d = \\kappa\\tau$)")
    ax_tau.set_ylabel("$E_\\tau$ (max over [0, T])")
    ax_tau.set_title("the $\\tau \\to 0$ limit", fontsize=10)
    ax_tau.grid(True, which="both", alpha=0.25)
    if ax_tau.lines:
        ax_tau.legend(fontsize=8)
    if title:
        fig.suptitle(title, fontsize=11)
    return fig
