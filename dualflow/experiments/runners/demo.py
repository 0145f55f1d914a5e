r"""`dualflow demo`: the 8-Gaussian ring learned by the exact-kernel dual flow and by GDA.

The newcomer's first run. A cloud of generator particles starts as a small blob at the centre
of the 8-Gaussian ring; the discriminator is the exact RKHS witness of a Gaussian kernel
(`SpectralRKHS`: its lattice Fourier coefficients, the kernel to 1e-10, no history and no random
features); the kernel IPM payoff with ridge
$\lambda$ and the Wasserstein velocity $\dot x_j = \nabla f(x_j)$. Two solvers play the same game
over the same horizon:

- **GDA**, alternating with the discriminator first (Becker et al.), rates $\eta_g, \eta_d$;
- **the dual flow** $\dot x_j = \nabla f_t(x_j)$, $\dot f_t = \kappa(m_\nu - m_{\mu_t} - \lambda f_t)$ with
  $\kappa = \eta_d/\eta_g$, in generator time $t = k\,\eta_g$, integrated by diffrax's adaptive
  Tsit5 to `flow_rtol`, so that it serves as the reference GDA approximates.

At every saved time both runs are measured against the data: MMD (the game's own kernel),
squared $W_2$ (exact, POT), modes covered and the high-quality fraction (SCIENCE §5: within
3 std of a centre; a mode is covered with at least 5% of the particles), and the largest
distance between a particle of the flow and the same particle under GDA.

Outputs (all written atomically: a temporary file in the same folder, then `os.replace`):
`demo.png` (particle panels), `demo_metrics.png` (curves), `summary.json` (configuration,
timings, final metrics, result codes, flow-vs-GDA deviation, versions) and
`trajectories.npz` (saved times and positions of both runs, and the data).

The parameters and why they were chosen: `dualflow.experiments.config.demo`.
"""

from __future__ import annotations

import dataclasses
import platform
import time
from pathlib import Path
from typing import Any

import jax
import numpy as np

from ...games.kernel_game import KernelGame
from ...kernels.radial import Gaussian
from ...measures.measure import Measure
from ...measures.targets import ring8, ring8_centres
from ...metrics.mmd import mmd
from ...metrics.modes import mode_coverage
from ...metrics.wasserstein import w2_squared
from ...players.spectral import SpectralRKHS
from ...solvers.dual_flow import DualFlow
from ...solvers.gda import GDA
from ...solvers.solve import solve
from ..config.demo import FULL, QUICK, DemoConfig
from ..store.files import write_figure, write_json, write_npz
from ..store.records import versions
from .precision import float64

__all__ = ["run_demo"]

RUNS = ("dual flow", "GDA")
#: Key in `summary.json` / `trajectories.npz` for each run.
RUN_KEYS = {"dual flow": "flow", "GDA": "gda"}


# ---- the experiment ---------------------------------------------------------------------
def _say(message: str) -> None:
    print(f"[dualflow demo] {message}", flush=True)


def _measure_run(solution, data, kernel, config: DemoConfig) -> dict:
    """Metrics at every finite saved time of `solution`, as NumPy arrays."""

    ts = np.asarray(solution.ts, dtype=float)
    points = np.asarray(solution.points)
    masses = solution.masses
    centres = ring8_centres(config.ring_radius)
    keep = np.flatnonzero(np.isfinite(ts))
    out: dict[str, Any] = {
        "ts": ts[keep],
        "mmd": [],
        "w2_squared": [],
        "modes_covered": [],
        "high_quality_fraction": [],
        "kl_to_uniform": [],
        "occupancy": [],
    }
    for i in keep:
        mu = Measure(points[i], masses)
        coverage = mode_coverage(points[i], centres, config.ring_std, masses)
        out["mmd"].append(float(mmd(kernel, mu, data)))
        out["w2_squared"].append(w2_squared(mu, data))
        out["modes_covered"].append(int(coverage.num_covered))
        out["high_quality_fraction"].append(float(coverage.high_quality_fraction))
        out["kl_to_uniform"].append(float(coverage.kl_to_uniform))
        out["occupancy"].append(np.asarray(coverage.occupancy, dtype=float))
    out = {k: np.asarray(v) for k, v in out.items()}
    out["payoff_gap"] = np.asarray(solution.payoff_gap, dtype=float)[keep]
    return out


def _deviation(flow, gda):
    """Largest and mean particle distance $|x_j^{\\text{flow}}(t) - x_j^{\\text{GDA}}(t)|$ at
    the common finite saved times."""
    tf, tg = np.asarray(flow.ts, dtype=float), np.asarray(gda.ts, dtype=float)
    common = np.isfinite(tf) & np.isfinite(tg) & np.isclose(tf, tg, rtol=1e-9, atol=1e-12)
    gap = np.linalg.norm(np.asarray(flow.points)[common] - np.asarray(gda.points)[common], axis=-1)
    return tf[common], gap.max(axis=1), gap.mean(axis=1)


def _final(metrics: dict, index: int = -1) -> dict:
    return {
        "t": _time(metrics["ts"][index]),
        "mmd": float(metrics["mmd"][index]),
        "w2_squared": float(metrics["w2_squared"][index]),
        "modes_covered": int(metrics["modes_covered"][index]),
        "high_quality_fraction": float(metrics["high_quality_fraction"][index]),
        "kl_to_uniform": float(metrics["kl_to_uniform"][index]),
        "occupancy": [float(o) for o in metrics["occupancy"][index]],
        "payoff_gap": float(metrics["payoff_gap"][index]),
    }


def _time(t) -> float:
    """A saved time for the JSON summary. Solvers accumulate `t += dt`, so t = 20 is stored
    as 20.00000000000015; rounding to 1e-9 keeps the file readable and loses nothing."""
    return round(float(t), 9)


def _first_time(ts, values, target):
    hit = np.flatnonzero(values >= target)
    return _time(ts[hit[0]]) if hit.size else None


def _stats(solution) -> dict:
    return {
        k: float(np.asarray(v)) if np.asarray(v).dtype.kind == "f" else int(np.asarray(v))
        for k, v in solution.stats.items()
    }


@float64
def run_demo(out_dir, *, quick: bool = False, seed: int = 0) -> dict:
    r"""Run the demo and write its figures and measurements into `out_dir`.

    **Arguments:**

    - `out_dir`: output folder (created if missing).
    - `quick`: the small `QUICK` configuration (about 15 s on 2 CPU cores; for tests), else `FULL`.
    - `seed`: seed of the PRNG keys of the data sample and of the initial blob.

    **Returns:** the summary written to `summary.json` (a dict), with `"files"` added:
    the paths of the four outputs.

    **Example:**

    ```python
    summary = run_demo("dualflow-output/demo", quick=True)
    summary["runs"]["flow"]["final"]["modes_covered"]
    ```
    """
    # Long on purpose: the demo's steps in order (build, solve, measure, draw, write, report), each a call.
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"`seed` must be a non-negative integer; received {seed!r}.")

    config = QUICK if quick else FULL
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    timings: dict[str, float] = {}

    key_data, key_blob = jax.random.split(jax.random.PRNGKey(seed))
    data = ring8(key_data, config.n_data, radius=config.ring_radius, std=config.ring_std)
    blob = config.blob_std * jax.random.normal(key_blob, (config.n_particles, 2), dtype=data.points.dtype)
    generator = Measure(blob)
    kernel = Gaussian(bandwidth=config.bandwidth)

    game = KernelGame(
        data=data, discriminator=SpectralRKHS(kernel, tol=config.tol), reg=config.reg, velocity="wasserstein"
    )

    _say(
        f"{'quick' if quick else 'full'} configuration, seed {seed}: N = {config.n_particles} particles from a "
        f"blob of std {config.blob_std}, M = {config.n_data} samples of the 8-Gaussian ring "
        f"(radius {config.ring_radius}, std {config.ring_std})"
    )
    _say(
        f"exact Gaussian-kernel discriminator (spectral lattice, tol {config.tol:g}), bandwidth {config.bandwidth}, "
        f"ridge {config.reg}; "
        f"horizon t1 = {config.t1}, kappa = lr_d / lr_g = {config.kappa:g}"
    )

    solutions = _solve_both(config, game, generator, timings)
    flow, gda = solutions["dual flow"], solutions["GDA"]

    t0 = time.perf_counter()
    _say("measuring MMD, squared W2 (POT), mode coverage at every saved time ...")
    metrics = {run: _measure_run(sol, data, kernel, config) for run, sol in solutions.items()}
    dev_ts, dev_max, dev_mean = _deviation(flow, gda)
    timings["metrics_s"] = time.perf_counter() - t0

    t0 = time.perf_counter()
    _say("drawing figures ...")

    particles, curve_fig = _figures(config, data, solutions, metrics, (dev_ts, dev_max, dev_mean))
    files = {
        "particles": out / "demo.png",
        "metrics": out / "demo_metrics.png",
        "summary": out / "summary.json",
        "trajectories": out / "trajectories.npz",
    }
    write_figure(files["particles"], particles, dpi=130)
    write_figure(files["metrics"], curve_fig, dpi=130)
    timings["plots_s"] = time.perf_counter() - t0

    arrays = {"data_points": np.asarray(data.points), "data_masses": np.asarray(data.masses)}
    for run, sol in solutions.items():
        key = RUN_KEYS[run]
        arrays[f"{key}_ts"] = np.asarray(sol.ts)
        arrays[f"{key}_points"] = np.asarray(sol.points)
        arrays[f"{key}_masses"] = np.asarray(sol.masses)
    write_npz(files["trajectories"], arrays)

    timings["total_s"] = time.perf_counter() - start
    summary = _summary(config, quick, seed, game, generator, solutions, metrics, (dev_ts, dev_max, dev_mean),
                       timings)  # fmt: skip
    runs = summary["runs"]
    worst = int(np.argmax(dev_max))
    write_json(files["summary"], summary)

    for run in RUNS:
        f = runs[RUN_KEYS[run]]["final"]
        _say(
            f"{run:>9}: t = {f['t']:g}: MMD {f['mmd']:.4f}, W2² {f['w2_squared']:.4f}, "
            f"{f['modes_covered']}/8 modes covered, {100 * f['high_quality_fraction']:.0f}% high quality "
            f"({runs[RUN_KEYS[run]]['result']})"
        )
    _say(
        f"flow vs GDA: largest particle distance {dev_max[worst]:.3f} at t = {dev_ts[worst]:g}, "
        f"{dev_max[-1]:.3f} at t = {dev_ts[-1]:g}"
    )
    _say(f"total {timings['total_s']:.1f} s. Wrote:")
    for path in files.values():
        print(f"  {path}", flush=True)
    summary["files"] = {k: str(v) for k, v in files.items()}
    return summary


def _solve_both(config: DemoConfig, game, generator, timings: dict) -> dict:
    """GDA and the dual flow on the same game from the same blob, timed."""
    t0 = time.perf_counter()
    _say(
        f"GDA (alternating, discriminator first): {config.n_steps} steps of lr_g = {config.lr_g}, "
        f"lr_d = {config.lr_d} ..."
    )
    gda = solve(
        game,
        generator,
        GDA(lr_g=config.lr_g, lr_d=config.lr_d, order="alternating_d_first"),
        n_steps=config.n_steps,
        save_every=config.save_every,
        throw=False,
    )
    jax.block_until_ready(gda.points)
    timings["gda_s"] = time.perf_counter() - t0
    _say(f"  done in {timings['gda_s']:.1f} s ({gda.result_name})")

    t0 = time.perf_counter()
    _say(f"dual flow (exact kernel, adaptive Tsit5, rtol {config.flow_rtol:g}): kappa = {config.kappa:g} ...")
    flow = solve(
        game,
        generator,
        DualFlow(kappa=config.kappa, rtol=config.flow_rtol, atol=config.flow_rtol / 100),
        t1=config.t1,
        n_saves=config.n_saves,
        throw=False,
    )
    jax.block_until_ready(flow.points)
    timings["flow_s"] = time.perf_counter() - t0
    _say(f"  done in {timings['flow_s']:.1f} s ({flow.result_name})")
    return {"dual flow": flow, "GDA": gda}


def _figures(config: DemoConfig, data, solutions: dict, metrics: dict, deviation) -> tuple:
    """`demo.png` (particle panels) and `demo_metrics.png` (curves), as figures."""
    from ...plotting import plot_curves, plot_particles  # matplotlib only when drawing

    dev_ts, dev_max, dev_mean = deviation

    def annotate(run, sol, index):
        m = metrics[run]
        hit = np.flatnonzero(np.isclose(m["ts"], float(np.asarray(sol.ts)[index])))
        if not hit.size:
            return ""
        i = hit[0]
        return f"{m['modes_covered'][i]}/8 modes, {100 * m['high_quality_fraction'][i]:.0f}% on a mode"

    particles = plot_particles(
        solutions,
        config.plot_times,
        data=data,
        color_by="initial_angle",
        annotate=annotate,
        title=(
            f"8-Gaussian ring, exact Gaussian kernel (bandwidth {config.bandwidth}, ridge {config.reg}); "
            f"GDA lr_g = {config.lr_g}, lr_d = {config.lr_d}; flow kappa = {config.kappa:g}\n"
            f"particle colour: angle of its start in the blob (same particle, same colour in every panel); "
            f"'on a mode': within 3 std of a centre"
        ),
    )
    curves = {
        "MMD to the data": {run: (m["ts"], m["mmd"]) for run, m in metrics.items()},
        "squared W2 to the data": {run: (m["ts"], m["w2_squared"]) for run, m in metrics.items()},
        "modes covered (of 8)": {run: (m["ts"], m["modes_covered"]) for run, m in metrics.items()},
        "high-quality fraction": {run: (m["ts"], m["high_quality_fraction"]) for run, m in metrics.items()},
        "discriminator payoff gap": {run: (m["ts"], m["payoff_gap"]) for run, m in metrics.items()},
        "flow vs GDA: particle distance": {
            "max over particles": (dev_ts, dev_max),
            "mean over particles": (dev_ts, dev_mean),
        },
    }
    curve_fig = plot_curves(
        curves,
        ylabels={
            "MMD to the data": "MMD (game kernel)",
            "squared W2 to the data": "W2²",
            "modes covered (of 8)": "modes",
            "high-quality fraction": "fraction within 3 std",
            "discriminator payoff gap": "Σ p f(y) − Σ m f(x)",
            "flow vs GDA: particle distance": "|x_flow − x_GDA|",
        },
        logy={"MMD to the data", "squared W2 to the data"},
        ylim={"modes covered (of 8)": (-0.3, 8.3), "high-quality fraction": (-0.02, 1.02)},
        steps={"modes covered (of 8)"},
        title=f"Flow versus GDA on the 8-Gaussian ring (lr_g = {config.lr_g}, kappa = {config.kappa:g})",
    )
    return particles, curve_fig


def _summary(config: DemoConfig, quick: bool, seed: int, game, generator, solutions, metrics, deviation,
             timings) -> dict:  # fmt: skip
    """The dict written to `summary.json`."""
    dev_ts, dev_max, dev_mean = deviation
    runs = {}
    for run, sol in solutions.items():
        m = metrics[run]
        runs[RUN_KEYS[run]] = {
            "label": run,
            "result": sol.result_name,
            "final_time": _time(np.asarray(sol.final_time)),
            "stats": _stats(sol),
            "lattice_modes": int(game.discriminator.prepared(game, generator.points).lattice.modes),
            "initial": _final(m, 0),
            "final": _final(m, -1),
            "first_time_all_modes_covered": _first_time(m["ts"], m["modes_covered"], 8),
            "series": {
                "ts": [_time(t) for t in m["ts"]],
                **{
                    k: m[k].tolist()
                    for k in ("mmd", "w2_squared", "modes_covered", "high_quality_fraction", "payoff_gap")
                },
            },
        }
    worst = int(np.argmax(dev_max))
    summary = {
        "experiment": "demo",
        "quick": bool(quick),
        "seed": int(seed),
        "config": {
            **dataclasses.asdict(config),
            "kappa": config.kappa,
            "n_steps": config.n_steps,
            "save_every": config.save_every,
            "n_saves": config.n_saves,
            "velocity": "wasserstein",
            "payoff": "kernel IPM",
            "kernel": "Gaussian",
            "discriminator": "SpectralRKHS",
            "gda_order": "alternating_d_first",
            "flow_solver": "Tsit5, PID controller",
            "target": "ring8",
            "initial": "Gaussian blob at the origin",
            "mode_coverage": "within 3 std of a centre; covered with >= 5% of the particles",
        },
        "timings_s": timings,
        "runs": runs,
        "flow_vs_gda": {
            "description": "max_j |x_j(flow) - x_j(GDA)| and its mean over j at the common saved times",
            "final_max_deviation": float(dev_max[-1]),
            "final_mean_deviation": float(dev_mean[-1]),
            "largest_max_deviation": float(dev_max[worst]),
            "time_of_largest": _time(dev_ts[worst]),
            "series": {"ts": [_time(t) for t in dev_ts], "max": dev_max.tolist(), "mean": dev_mean.tolist()},
        },
        "versions": versions(),
        "platform": {"system": platform.platform(), "devices": [str(d) for d in jax.devices()]},
    }
    return summary
