r"""One measure-and-summarise pipeline for the runners: metrics over time and hops of a run
(`measure_run`, NumPy float64), its final values (`final_values`: the last save where each metric
is finite), the metrics of its last finite save alone (`last_save_metrics`, for comparisons), the
statistics over seeds per setting and dynamics (`aggregate_runs`) and the covered-modes table
(`markdown_table`)."""

from __future__ import annotations

import math
from collections import Counter
from typing import Any

import jax.numpy as jnp
import numpy as np

from ..._json import json_float, json_list, json_ready
from ...kernels.radial import Gaussian
from ...measures.measure import Measure
from ...metrics.mode_hopping import mode_hops, particle_hops
from ...metrics.prdc import prdc
from ...metrics.trajectory import evaluated_indices, metrics_over_time
from ..config.study import DYNAMICS_LABELS, StudyConfig, centres_of, format_value, setting_label

#: Final metrics summarized over seeds (mean, std, min, max) for every setting and dynamics.
STAT_KEYS = (
    "n_covered",
    "high_quality_fraction",
    "kl_occupancy",
    "w2",
    "w2_squared",
    "sinkhorn",
    "mmd",
    "mode_hops",
    "particle_hops_mean",
    "hopped_fraction",
    "hop_rate",
    "coverage_late_mean",
    "coverage_late_worst",
    "between_modes_late",
    "precision",
    "recall",
    "density",
    "coverage",
)


def _float64(data: Measure) -> Measure:
    """The data sample in float64: metrics are always measured in float64, whatever the run's precision."""
    return Measure(jnp.asarray(data.points, dtype=jnp.float64), jnp.asarray(data.masses, dtype=jnp.float64))


def measure_run(cfg: StudyConfig, sol, data, centres) -> dict:
    """Metrics over time and hops of one run (NumPy, float64)."""
    m = cfg.data["metrics"]
    std = cfg.data["target"]["std"]
    ts = np.asarray(sol.ts, dtype=np.float64)
    points = np.asarray(sol.points, dtype=np.float64)
    masses = np.asarray(sol.masses, dtype=np.float64)
    data64 = _float64(data)
    run = (ts, points, masses)
    modes = metrics_over_time(
        run, data64, centres, std, which=("modes",), radius_stds=m["radius_stds"], min_fraction=m["min_fraction"]
    )
    out: dict[str, Any] = {
        name: np.asarray(getattr(modes, name), dtype=np.float64)
        for name in ("occupancy", "n_covered", "high_quality_fraction", "kl_occupancy")
    }
    out["modes_settings"] = modes.settings
    distance_index = evaluated_indices(ts.shape[0], m["every"])
    out["distance_index"] = distance_index
    for name in ("w2", "w2_squared", "sinkhorn", "mmd"):
        out[name] = np.full(distance_index.shape, np.nan)
    out["distance_settings"] = {}
    if m["distances"]:
        which = tuple(dict.fromkeys(m["distances"]))
        kernel = Gaussian(m["mmd_bandwidth"]) if m["mmd_bandwidth"] > 0 else None
        dist = metrics_over_time(
            run,
            data64,
            centres,
            std,
            every=m["every"],
            which=which,
            epsilon=m["sinkhorn_epsilon"],
            kernel=kernel,
            radius_stds=m["radius_stds"],
            min_fraction=m["min_fraction"],
        )
        for name in ("w2", "w2_squared", "sinkhorn", "mmd"):
            value = getattr(dist, name)
            if value is not None:
                out[name] = np.asarray(value, dtype=np.float64)
        out["distance_settings"] = dist.settings
    hops = mode_hops(out["occupancy"], ts, min_fraction=m["min_fraction"], persistence=m["hop_persistence"])
    counts = particle_hops(points, centres, std, ts=ts, radius_stds=m["radius_stds"], persistence=m["hop_persistence"])
    out["mode_hops"] = int(hops.n_hops)
    out["particle_hops"] = np.asarray(counts)
    out["ts"] = ts
    out["final_time"] = float(np.asarray(sol.final_time))
    finite = np.flatnonzero(np.all(np.isfinite(points), axis=(1, 2)))
    k = m["prdc_k"]
    enough = finite.size and min(points.shape[1], data64.size) > k
    scores = prdc(np.asarray(data64.points), points[finite[-1]], k) if enough else {}
    for name in ("precision", "recall", "density", "coverage"):
        out[name] = scores.get(name, math.nan)
    return out


def _late(measured: dict) -> np.ndarray:
    r"""The saves of the second half of what the run covered, $T_{\text{end}}/2 \le t \le T_{\text{end}}$
    ($T_{\text{end}}$ its final time: $t_1$, or where it ended early), with finite values."""
    ts, covered, end = measured["ts"], measured["n_covered"], measured["final_time"]
    return (ts >= end / 2) & (ts <= end) & np.isfinite(covered)


def _last_finite(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    finite = np.flatnonzero(np.isfinite(values))
    return float(values[finite[-1]]) if finite.size else math.nan


def final_values(measured: dict) -> dict:
    """Final values: the last save where the metric is finite."""
    final: dict[str, Any] = {
        name: _last_finite(measured[name])
        for name in ("n_covered", "high_quality_fraction", "kl_occupancy", "w2", "w2_squared", "sinkhorn", "mmd")
    }
    rows = np.flatnonzero(np.all(np.isfinite(measured["occupancy"]), axis=1))
    final["occupancy"] = measured["occupancy"][rows[-1]].tolist() if rows.size else None
    final["mode_hops"] = float(measured["mode_hops"])
    final["particle_hops_mean"] = float(np.mean(measured["particle_hops"]))
    final["hopped_fraction"] = float(np.mean(measured["particle_hops"] > 0))
    duration = measured["final_time"]
    final["hop_rate"] = final["particle_hops_mean"] / duration if duration > 0 else math.nan
    late = _late(measured)
    covered, on_mode = measured["n_covered"][late], measured["high_quality_fraction"][late]
    final["coverage_late_mean"] = float(np.mean(covered)) if covered.size else math.nan
    final["coverage_late_worst"] = float(np.min(covered)) if covered.size else math.nan
    final["between_modes_late"] = float(np.mean(1 - on_mode)) if on_mode.size else math.nan
    for name in ("precision", "recall", "density", "coverage"):
        final[name] = float(measured[name])
    return final


def seed_stats(values) -> dict:
    values = np.asarray(values, dtype=np.float64)
    finite = values[np.isfinite(values)]
    if not finite.size:
        return {"mean": None, "std": None, "min": None, "max": None, "n": 0, "values": json_list(values)}
    return {
        "mean": float(finite.mean()),
        "std": float(finite.std()),
        "min": float(finite.min()),
        "max": float(finite.max()),
        "n": int(finite.size),
        "values": json_list(values),
    }


def aggregate_runs(cfg: StudyConfig, runs: list) -> list:
    out = []
    compare = cfg.data["dynamics"]["compare"]
    for setting in cfg.settings:
        key = json_ready(setting)
        params = cfg.parameters(setting)
        entry = {
            "setting": key,
            "label": setting_label(setting) or "base",
            "parameters": {k: json_ready(v) if isinstance(v, float) else v for k, v in params.items()},
            "dynamics": {},
        }
        for dynamics in compare:
            chosen = [r for r in runs if r["setting"] == key and r["dynamics"] == dynamics]
            stats: dict[str, Any] = {
                name: seed_stats([_nan(r["final"].get(name)) for r in chosen]) for name in STAT_KEYS
            }
            stats["results"] = dict(Counter(r["result"] for r in chosen))
            stats["n_failed"] = sum(r["failed"] for r in chosen)
            stats["label"] = DYNAMICS_LABELS[dynamics]
            entry["dynamics"][dynamics] = stats
        out.append(entry)
    return out


def _nan(value):
    return math.nan if value is None or isinstance(value, str) else float(value)


#: The columns of `table.md` after the setting and the dynamics: (summary key, header, format).
#: Covered modes are shown as mean ± std [min, max] over seeds, the others as mean ± std.
TABLE_COLUMNS = (
    ("n_covered", "covered modes at T", ".1f"),
    ("coverage_late_worst", "worst covered, t ≥ T/2", ".1f"),
    ("coverage_late_mean", "mean covered, t ≥ T/2", ".1f"),
    ("high_quality_fraction", "on a mode at T", ".2f"),
    ("between_modes_late", "between modes, t ≥ T/2", ".2f"),
    ("hop_rate", "hops per particle per unit time", ".3f"),
    ("precision", "precision", ".2f"),
    ("recall", "recall", ".2f"),
    ("density", "density", ".2f"),
    ("coverage", "coverage (prdc)", ".2f"),
)


def _table_cell(stats: dict, name: str, fmt: str) -> str:
    s = stats[name]
    if s["mean"] is None:
        return "n/a"
    cell = f"{s['mean']:{fmt}} ± {s['std']:{fmt}}"
    return cell + f" [{s['min']:.0f}, {s['max']:.0f}]" if name == "n_covered" else cell


def markdown_table(cfg: StudyConfig, summary_settings: list) -> str:
    """One row per setting and dynamics: covered modes at the end (mean ± std [min, max] over
    seeds), at their worst and on average over the second half of the run, the fraction of
    particles on a mode at the end and between modes over the second half, the hop rate, and
    precision / recall / density / coverage at the last save (`TABLE_COLUMNS`), as Markdown."""
    names = [name for name, _ in cfg.axes]
    n_modes = centres_of(cfg).shape[0]
    header = names + ["dynamics"] + [title for _, title, _ in TABLE_COLUMNS]
    header[len(names) + 1] += f" (of {n_modes})"
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    for setting, entry in zip(cfg.settings, summary_settings):
        for d in cfg.data["dynamics"]["compare"]:
            stats = entry["dynamics"][d]
            label = DYNAMICS_LABELS[d]
            if stats["n_failed"]:
                failed = ", ".join(k for k in stats["results"] if k not in ("SUCCESSFUL", "STATIONARY"))
                label += f" ({stats['n_failed']} failed: {failed})"
            cells = [format_value(setting[name]) for name in names] + [label]
            cells += [_table_cell(stats, name, fmt) for name, _, fmt in TABLE_COLUMNS]
            lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def last_save_metrics(cfg: StudyConfig, sol, data, centres) -> dict:
    """Covered modes, high-quality fraction and W2 of the last finite save (float64)."""

    points = np.asarray(sol.points, dtype=np.float64)
    finite = np.flatnonzero(np.all(np.isfinite(points), axis=(1, 2)))
    if not finite.size:
        return {"t": None, "n_covered": None, "high_quality_fraction": None, "w2": None}
    last = int(finite[-1])
    m = cfg.data["metrics"]
    run = (
        np.asarray(sol.ts, dtype=np.float64)[last : last + 1],
        points[last : last + 1],
        np.asarray(sol.masses, dtype=np.float64),
    )
    data64 = _float64(data)
    out = metrics_over_time(
        run,
        data64,
        centres,
        cfg.data["target"]["std"],
        which=("modes", "w2"),
        radius_stds=m["radius_stds"],
        min_fraction=m["min_fraction"],
    )
    return {
        "t": json_float(run[0][0]),
        "n_covered": int(np.asarray(out.n_covered)[0]),
        "high_quality_fraction": json_float(np.asarray(out.high_quality_fraction)[0]),
        "w2": json_float(np.asarray(out.w2)[0]),
    }
