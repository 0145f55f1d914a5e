"""The figures and the animation of a mode-collapse study (`dualflow.experiments.runners.study`).

The drawing itself lives in `dualflow.plotting` (matplotlib only there); this module picks the
settings, arranges the study's arrays into what the plotting functions take and writes the files:

- `coverage_table.png`, `hq_table.png`: final covered modes / high-quality fraction over the
  sweep (one axis: rows = its values, columns = dynamics; two axes: one table per dynamics);
- `coverage_over_time.png`: covered modes over time, one axis per setting, flow vs GDA;
- `flow_vs_gda.png`: the largest particle distance between the flow and GDA over time, per setting;
- `metrics_<setting>.png`: every metric over time with min-max bands over seeds;
- `panels_<setting>.png`: particles over the discriminator heat map with velocity arrows;
- `animation_<setting>.gif`: flow vs GDA side by side.
"""

from __future__ import annotations

import math
import textwrap

import numpy as np

from ..config.study import DYNAMICS_LABELS, StudyConfig, centres_of, format_value, setting_label, setting_slug
from ..store.files import write_figure

__all__ = ["draw_animation", "draw_figures", "figure_settings"]


def figure_settings(cfg: StudyConfig) -> set:
    """Indices of the settings drawn as panels and animated."""
    outputs = cfg.data["outputs"]
    chosen = set(_panel_indices(cfg)) if outputs["figures"] else set()
    if outputs["animation"]:
        chosen.add(_animation_index(cfg))
    return chosen


def _find(cfg, setting) -> int:
    for i, s in enumerate(cfg.settings):
        if all(s[k] == setting[k] for k in s):
            return i
    raise AssertionError(setting)  # validated in study_config


def _panel_indices(cfg) -> list:
    chosen = cfg.data["outputs"]["panel_settings"]
    if chosen:
        return [_find(cfg, s) for s in chosen]
    n = len(cfg.settings)
    return [0] if n == 1 else [0, n - 1]


def _animation_index(cfg) -> int:
    chosen = cfg.data["outputs"]["animation_setting"]
    return _find(cfg, chosen) if chosen else len(cfg.settings) // 2


def draw_figures(cfg, out, summary_settings, arrays, kept, centres) -> dict:
    # Long on purpose: one block per figure of the results folder, in the order the docs list them.
    from ...plotting.coverage import plot_coverage_curves
    from ...plotting.study import plot_setting_curves, plot_summary_tables

    d = cfg.data
    compare = d["dynamics"]["compare"]
    n_modes = centres.shape[0]
    files = {}
    wide = _study_title(cfg, 110)
    per_setting = _study_title(cfg, min(110, 36 * min(len(cfg.settings), 4)))  # over small multiples

    # summary tables: covered modes and high-quality fraction over the sweep
    for metric, name, label, fmt, range_fmt, vmax in (
        ("n_covered", "coverage_table", f"covered modes (of {n_modes})", "{:.1f}", "{:.0f}", n_modes),
        ("high_quality_fraction", "hq_table", "high-quality fraction", "{:.2f}", "{:.2f}", 1.0),
    ):
        tables, x_values, y_values, x_label, y_label = _tables(cfg, summary_settings, metric)
        title = _study_title(cfg, 60 * len(tables))
        fig = plot_summary_tables(
            tables,
            x_values,
            y_values,
            x_label,
            y_label,
            colorbar_label=f"mean {label}",
            fmt=fmt,
            range_fmt=range_fmt,
            vmin=0.0,
            vmax=vmax,
            title=f"{title}\nfinal {label} at t = {d['dynamics']['t1']:g}:\n"
            f"mean ± std [min, max] over {len(cfg.seeds)} seed{'s' if len(cfg.seeds) != 1 else ''}",
        )
        files[name] = write_figure(out / f"{name}.png", fig)

    # covered modes over time for every setting
    curves = {}
    for p_index, setting in enumerate(cfg.settings):
        grid_index = tuple(np.unravel_index(p_index, cfg.shape)) if cfg.shape else ()
        curves[setting_label(setting) or "base"] = {
            DYNAMICS_LABELS[dyn]: (
                _common_ts(arrays["ts"][grid_index + (r,)]),
                arrays["n_covered"][grid_index + (r,)],
            )
            for r, dyn in enumerate(compare)
        }
    fig = plot_setting_curves(
        curves,
        ylabel="covered modes",
        reference=n_modes,
        reference_label=f"all {n_modes} modes",
        ylim=(-0.3, n_modes + 0.5),
        integer=True,
        title=f"{per_setting}\ncovered modes over time\n(a mode holds ≥ {d['metrics']['min_fraction']:.0%} of the particles)",
    )
    files["coverage_over_time"] = write_figure(out / "coverage_over_time.png", fig)

    # where GDA leaves its flow: the largest particle distance over time for every setting
    if "flow_gda_distance" in arrays:
        curves = {}
        for p_index, setting in enumerate(cfg.settings):
            grid_index = tuple(np.unravel_index(p_index, cfg.shape)) if cfg.shape else ()
            curves[setting_label(setting) or "base"] = {
                "max over particles": (cfg.save_times, arrays["flow_gda_distance"][grid_index])
            }
        fig = plot_setting_curves(
            curves,
            ylabel="max_j |x_j(flow) − x_j(GDA)|",
            title=f"{per_setting}\nflow versus GDA: the largest distance\nbetween a particle's two paths (same start)",
        )
        files["flow_vs_gda"] = write_figure(out / "flow_vs_gda.png", fig)

    # every metric over time for the panel settings, with spread over seeds
    dist_index = arrays.get("distance_index", None)
    for p_index in _panel_indices(cfg):
        setting = cfg.settings[p_index]
        grid_index = tuple(np.unravel_index(p_index, cfg.shape)) if cfg.shape else ()
        runs = {}
        for r, dyn in enumerate(compare):
            results = []
            for k in range(len(cfg.seeds)):
                idx = grid_index + (r, k)
                result = {
                    "ts": arrays["ts"][idx][dist_index],
                    "occupancy": arrays["occupancy"][idx][dist_index],
                    "settings": _metric_settings(cfg),
                }
                for name in ("n_covered", "high_quality_fraction", "kl_occupancy"):
                    result[name] = arrays[name][idx][dist_index]
                for name in d["metrics"]["distances"]:
                    result[name] = arrays[name][idx]
                results.append(result)
            runs[DYNAMICS_LABELS[dyn]] = results
        fig = plot_coverage_curves(runs, band="minmax", title=f"{wide}\n{setting_label(setting) or 'base'}")
        slug = setting_slug(setting) or "base"
        files[f"metrics_{slug}"] = write_figure(out / f"metrics_{slug}.png", fig)

    # field panels of the first seed
    for p_index in _panel_indices(cfg):
        fig = _panels(cfg, p_index, kept, wide)
        if fig is not None:
            slug = setting_slug(cfg.settings[p_index]) or "base"
            files[f"panels_{slug}"] = write_figure(out / f"panels_{slug}.png", fig, dpi=90)
    return files


def _metric_settings(cfg) -> dict:
    m = cfg.data["metrics"]
    return {
        "std": cfg.data["target"]["std"],
        "radius_stds": m["radius_stds"],
        "min_fraction": m["min_fraction"],
        "epsilon": m["sinkhorn_epsilon"],
        "kernel": "Gaussian",
        "bandwidth": m["mmd_bandwidth"] if m["mmd_bandwidth"] > 0 else _mode_spacing(centres_of(cfg)),
        "target_weights": None,
    }


def _mode_spacing(centres) -> float:
    from ...metrics.trajectory import default_bandwidth

    return default_bandwidth(centres)


def _common_ts(ts_seeds) -> np.ndarray:
    """One time axis for the seeds of a run (they share their grid; `inf` past an early end)."""
    ts = np.where(np.isfinite(ts_seeds), ts_seeds, -np.inf)
    common = np.max(ts, axis=0)
    return np.where(np.isfinite(common), common, np.nan)


def critic_label(cfg, kind: str, n_features: int | None = None) -> str:
    """How a discriminator kind is named in titles and tables."""
    disc = cfg.data["discriminator"]
    return {
        "spectral": f"exact Gaussian kernel (spectral, tol {disc['tol']:g})",
        "rff": f"FiniteRank RFF (D = {n_features or disc['n_features']})",
        "exact": "exact RKHS (history)",
        "neural": f"neural critic ({disc['depth']}x{disc['width']})",
    }[kind]


def _study_title(cfg, width: int = 72) -> str:
    d = cfg.data
    disc = d["discriminator"]
    names = {name for name, _ in cfg.axes}
    kind = "critics side by side" if "discriminator" in names else critic_label(cfg, disc["kind"])
    fixed = []
    if "bandwidth" not in names and disc["kind"] != "neural":
        fixed.append(f"σ = {disc['bandwidth']:g}")
    if "payoff" not in names:
        fixed.append(d["game"]["payoff"])
    fixed.append(f"λ = {d['game']['reg']:g}")
    if "tau" not in names:
        fixed.append(f"τ = {d['dynamics']['tau']:g}")
    if "kappa" not in names:
        fixed.append(f"κ = {format_value(d['dynamics']['kappa'])}")
    if "n_critic" not in names and d["dynamics"]["n_critic"] != 1:
        fixed.append(f"n_critic = {d['dynamics']['n_critic']}")
    parts = [d["target"]["name"], f"N = {d['generator']['n_particles']}", kind, *fixed]
    # no break inside one item ("κ = 10", "σ = 0.4"): the title wraps between items only
    details = ", ".join(part.replace(" = ", "\u00a0=\u00a0") for part in parts)
    return f"{cfg.name}{' (quick)' if cfg.quick else ''}\n" + textwrap.fill(details, width=width)


def _tables(cfg, summary_settings, metric):
    """Tables for `plot_summary_tables`: no axis -> one row; one axis -> rows = its values, columns = dynamics;
    two axes -> one table per dynamics, rows = first axis, columns = second axis."""
    compare = cfg.data["dynamics"]["compare"]
    stats = {}
    for p_index, entry in enumerate(summary_settings):
        for dyn in compare:
            stats[(p_index, dyn)] = entry["dynamics"][dyn][metric]

    def grab(key, p_index, dyn):
        v = stats[(p_index, dyn)][key]
        return math.nan if v is None else v

    axes = cfg.axes
    if not axes:  # no sweep: one row, the base setting
        table = {key: np.array([[grab(key, 0, dyn) for dyn in compare]]) for key in ("mean", "std", "min", "max")}
        return {"": table}, [DYNAMICS_LABELS[dyn] for dyn in compare], ["base"], "dynamics", "setting"
    if len(axes) == 1:
        name, values = axes[0]
        table = {
            key: np.array([[grab(key, i, dyn) for dyn in compare] for i in range(len(values))])
            for key in ("mean", "std", "min", "max")
        }
        return ({"": table}, [DYNAMICS_LABELS[dyn] for dyn in compare], values, "dynamics", _axis_label(name))
    (name0, values0), (name1, values1) = axes
    tables = {}
    for dyn in compare:
        tables[DYNAMICS_LABELS[dyn]] = {
            key: np.array(
                [[grab(key, i * len(values1) + j, dyn) for j in range(len(values1))] for i in range(len(values0))]
            )
            for key in ("mean", "std", "min", "max")
        }
    return tables, values1, values0, _axis_label(name1), _axis_label(name0)


def _axis_label(name: str) -> str:
    return {
        "kappa": "κ = η_d / η_g (time-scale ratio)",
        "n_critic": "n_critic (D-steps per G-step)",
        "tau": "τ = η_g (GDA step)",
        "payoff": "payoff",
        "bandwidth": "bandwidth σ",
        "discriminator": "discriminator (critic)",
    }[name]


def _field_at(game, sol, index):
    """`(game, state)` of the discriminator at save `index`: read back from the field saved on a
    grid, rebuilt from the trace (`redrawable` players), or the final state at the last save;
    `(game, NO_FIELD)` when none of these holds it (a run stored without its field)."""
    from ...plotting.study import NO_FIELD

    if sol.field is not None:
        return sol.saved_discriminator(game, index)
    if game.discriminator.redrawable:
        trace = None if sol.discriminator_trace is None else sol.discriminator_trace[index]
        return game, game.discriminator.state_from_trace(trace)
    last = int(np.flatnonzero(np.isfinite(np.asarray(sol.ts)))[-1])
    return game, (sol.final_discriminator if index == last else NO_FIELD)


def _drawing_grid(sols) -> dict:
    """The window, heat-map and arrow grids of panels: those of the saved field (every run of one
    setting and seed saves on the same grid), or the plotting defaults."""
    from .build import field_arrows

    grids = [sol.field_grid for sol in sols if sol.field_grid is not None]
    if not grids:
        return {}
    return {"window": grids[0].window, "grid": grids[0].n, "arrows": field_arrows(grids[0])}


def _has_finite_save(sol) -> bool:
    return bool(np.any(np.isfinite(np.asarray(sol.ts))))


def _panel_times(cfg) -> list:
    times = cfg.data["outputs"]["panel_times"]
    horizon = cfg.data["dynamics"]["t1"]
    return list(times) if times else [0.0, horizon / 10, horizon / 4, horizon]


def _panels(cfg, p_index, kept, title):
    from ...plotting.particles import nearest_saved_index
    from ...plotting.study import plot_field_grid

    rows = {}
    for dyn in cfg.data["dynamics"]["compare"]:
        if (p_index, dyn) not in kept:
            return None
        game, sol, _ = kept[(p_index, dyn)]
        if not _has_finite_save(sol):  # a run that failed before its first save: nothing to draw
            return None
        panels = []
        for t in _panel_times(cfg):
            index = nearest_saved_index(sol.ts, t)
            points = np.asarray(sol.points[index], dtype=np.float64)
            panels.append(
                (*_field_at(game, sol, index), points, sol.masses, f"t = {float(np.asarray(sol.ts)[index]):.3g}")
            )
        rows[DYNAMICS_LABELS[dyn]] = panels
    setting = cfg.settings[p_index]
    return plot_field_grid(
        rows,
        **_drawing_grid([kept[(p_index, dyn)][1] for dyn in cfg.data["dynamics"]["compare"]]),
        title=f"{title}\n{setting_label(setting) or 'base'}, seed {cfg.seeds[0]}: "
        "discriminator f (colours, own scale per panel), generator velocity (arrows)",
    )


def draw_animation(cfg, out, kept) -> dict:
    from ...plotting.animation import animate_runs
    from ...plotting.study import NO_FIELD

    p_index = _animation_index(cfg)
    if (p_index, "flow") not in kept or (p_index, "gda") not in kept:
        return {}
    runs = {DYNAMICS_LABELS[dyn]: kept[(p_index, dyn)] for dyn in ("flow", "gda")}
    if not all(_has_finite_save(sol) for _, sol, _ in runs.values()):
        return {}
    states_ok = all(_field_at(game, sol, 0)[1] is not NO_FIELD for game, sol, _ in runs.values())

    def field(label, index):
        game, sol, _ = runs[label]
        return _field_at(game, sol, index)

    slug = setting_slug(cfg.settings[p_index]) or "base"
    data = next(iter(runs.values()))[2]
    files = animate_runs(
        {label: sol for label, (_, sol, _) in runs.items()},
        data,
        out / f"animation_{slug}",
        fps=6,
        max_frames=cfg.data["outputs"]["animation_frames"],
        field=field if states_ok else None,
        mp4=False,
        **_drawing_grid([sol for _, sol, _ in runs.values()]),
    )
    return {f"animation_{slug}": files.gif}
