r"""Mode-collapse studies: the 8-Gaussian ring and the 5x5 grid learned by the dual flow and by
GDA, swept over the time-scale ratio $\kappa$, `n_critic`, $\tau$, the payoff or the bandwidth.

A study is described by a TOML file (schema: `dualflow.experiments.config.schema`) and run by
`run_study` or `dualflow run CONFIG --out DIR`. For every swept setting, every dynamics in
`dynamics.compare` and every seed it plays one game from the same start:

- **GDA** with $\eta_g = \tau$, $\eta_d = \kappa\tau$, the configured step order and `n_critic`
  D-steps per G-step; saved times $t = k\tau$;
- **the dual flow** $\dot x_j = \nabla f_t(x_j)$, $\dot f_t = \kappa_{\text{eff}}\,\partial_f L$ with
  $\kappa_{\text{eff}} = n_{\text{critic}}\,\kappa$, the $\tau \to 0$ limit of that GDA (adaptive
  Tsit5 for finite-rank and neural critics, history quadrature for the exact kernel);
- $\kappa = \infty$: the discriminator is the best response (`OptimalWitness` over the *same*
  features or kernel), so the flow is the MMD gradient flow of $\mathrm{MMD}^2/(2\lambda)$ and
  "GDA" is its explicit Euler scheme with step $\tau$.

Both run to the same horizon $T$ in generator time. Seed $s$ draws, from `PRNGKey(s)`, the
data sample, the initial particles, the random Fourier features (or the critic network): the
same for every setting and both dynamics, so settings are compared on common random numbers.

**Metrics** ([docs/science.md §5][science-experiments]), from `dualflow.metrics.metrics_over_time` at the saved times, always
in float64: per-mode occupancy $o_k$ (fraction of the particles within `radius_stds` std of
centre $k$, nearest centre), covered modes ($o_k \ge$ `min_fraction`), the high-quality
fraction $\sum_k o_k$, $\mathrm{KL}(o/\sum o \,\|\, \text{uniform})$, and every `metrics.every`-th
save $W_2$ (exact, POT), the Sinkhorn divergence and the MMD (Gaussian kernel of bandwidth the
mode spacing unless set). Mode hopping (`dualflow.metrics.mode_hopping`): hops of the dominant
mode, and per-particle hops between modes (a stay counts after `hop_persistence` saves).
"Final" values are those of the last save with finite positions (a flow that failed ends
early; a GDA run that blew up keeps its last state); every run's result code is recorded and
failed runs never stop the study.

**Results folder** (every file written atomically):

- `config.json`: the resolved configuration (defaults filled, `--quick` applied);
  `config_source.toml`: the file as given.
- `summary.json`: per setting and dynamics the mean, std, min, max and per-seed values of the
  final metrics and hops, the result codes; per run its result, steps and timings; seeds,
  versions of dualflow and jax, platform, total timings.
- `table.md`: one row per setting and dynamics with the end-state, late-time and prdc metrics
  over seeds (`measure.TABLE_COLUMNS`), in Markdown.
- `arrays.npz`: saved times, metrics over time and subsampled positions, shaped
  `(*sweep shape, dynamics, seeds, ...)` (see `ARRAYS_DOC` in the module).
- Figures: `coverage_table.png` (covered modes over the sweep; two axes: one heat map per
  dynamics), `hq_table.png` (high-quality fraction), `coverage_over_time.png` (covered modes
  over time, one axis per setting, flow vs GDA with min-max bands), `flow_vs_gda.png` (the largest
  particle distance between the two runs of a seed over time, per setting),
  `metrics_<setting>.png` (all metrics over time with spread over seeds),
  `panels_<setting>.png` (particles over the discriminator heat map with velocity arrows,
  first seed), `animation_<setting>.gif` (flow vs GDA side by side).
"""

from __future__ import annotations

import math
import platform
import sys
import time
from pathlib import Path

import jax
import numpy as np

from ..._json import json_float, json_ready
from ...analysis.convergence import flow_gda_errors
from ...metrics.trajectory import evaluated_indices
from ..config.study import (
    DYNAMICS_LABELS,
    StudyConfig,
    as_config,
    centres_of,
    default_folder,
    format_value,
    setting_label,
)
from ..store.files import write_json, write_npz, write_text
from ..store.records import run_failed, versions
from ..store.runs import ResultsFolderError, RunStore
from .build import build_game, build_problem, field_grid_for, n_segments, solve_run, state_template
from .figures import draw_animation, draw_figures, figure_settings
from .measure import aggregate_runs, final_values, markdown_table, measure_run, seed_stats
from .precision import float64

__all__ = ["finish_study", "markdown_table", "run_study"]

ARRAYS_DOC = """\
Arrays of a mode-collapse study. G = the sweep shape (one or two axes), R = dynamics, K = seeds,
S = saved times, Sd = saves with distances, St = saves with positions, N = particles, M = data points.
axis_names (A,), axis{i}_labels (n_i,) str, axis{i}_values (n_i,) float (nan for names, inf for kappa = inf),
dynamics (R,), seeds (K,), centres (modes, 2), std (), masses (N,),
ts (G, R, K, S) saved times (inf past an early end), result (G, R, K) Result codes,
occupancy (G, R, K, S, modes), n_covered / high_quality_fraction / kl_occupancy (G, R, K, S),
distance_index (Sd,) indices into the saves, w2 / w2_squared / sinkhorn / mmd (G, R, K, Sd) (nan if not computed),
trajectory_index (St,), points (G, R, K, St, N, 2) float32, data_points (K, M, 2), data_masses (K, M),
flow_gda_distance (G, K, S) max_j |x_j(flow) - x_j(GDA)| at the saved times, float64 (when both dynamics ran).
"""


# ---- the study -------------------------------------------------------------------------------
@float64
def run_study(
    config, out_dir=None, *, quick: bool = False, log=True, fresh: bool = False, sweep: dict | None = None
) -> dict:
    r"""Run a mode-collapse study into its results folder, resuming what is already there.

    **Arguments:**

    - `config`: a TOML path, a dict as `tomllib` returns it, or a `StudyConfig`.
    - `out_dir`: the results folder (created); default `dualflow-output/<name>`
      (`<name>-quick` with `quick`; `<name>-sweep[-quick]` with `sweep`, see `default_folder`). Finished runs found there are reused, a run in progress
      resumes from its checkpoint (`dynamics.checkpoint_every`), see `run_store`.
    - `quick`: apply the `--quick` overrides (fewer seeds, particles, a shorter horizon and the
      config's `[quick]` table), for tests and a first look.
    - `log`: progress on stderr: a progress bar over the runs (on a terminal) and one line per
      run (`False`: silent).
    - `fresh`: delete the folder's finished runs first.
    - `sweep`: axes replacing the config's `[sweep]`, e.g. `{"kappa": [0.1, 1, "inf"]}`.

    **Returns:** the summary written to `summary.json` (a dict) with `"files"`: the paths written.

    **Raises:** `ConfigError` (a `ValueError`) for an invalid configuration, before anything runs;
    `ResultsFolderError` when `out_dir` holds another study's runs. Runs that fail (blow-up,
    non-finite state, step budget) are recorded with their result code and never stop the study.

    **Example:**

    ```python
    summary = run_study("examples/configs/ring8_kappa.toml", "out/ring8_kappa", quick=True)
    summary["settings"][0]["dynamics"]["flow"]["n_covered"]["mean"]
    ```
    """
    # Long on purpose: the study's loop over runs with its progress bar, store and log lines in one place.
    from tqdm.auto import tqdm

    start = time.perf_counter()
    cfg = as_config(config, quick, sweep)
    out = Path(out_dir) if out_dir is not None else default_folder(cfg, "run" if sweep is None else "sweep")
    store = RunStore(out, cfg, fresh=fresh)
    say = _sayer(log)

    d = cfg.data
    compare, centres = d["dynamics"]["compare"], centres_of(cfg)
    jobs = [(setting, dynamics, seed) for setting in cfg.settings for dynamics in compare for seed in cfg.seeds]
    damaged = {}  # finished runs that cannot be read back: computed again, with a warning
    for job in jobs:
        run_id = store.run_id(*job)
        if store.done(run_id) and (reason := store.damaged(run_id)):
            damaged[run_id] = reason
            say(f"warning: {reason}; the run {run_id} will be computed again")
    todo = [job for job in jobs if not store.done(store.run_id(*job)) or store.run_id(*job) in damaged]
    say(
        f"study {cfg.name!r}{' (quick)' if cfg.quick else ''}: {len(cfg.settings)} settings "
        f"({', '.join(f'{n} x{len(v)}' for n, v in cfg.axes) or 'no sweep'}) x {len(compare)} dynamics x "
        f"{len(cfg.seeds)} seeds = {len(jobs)} runs ({len(jobs) - len(todo)} already in {out}, {len(todo)} to run); "
        f"N = {d['generator']['n_particles']}, T = {d['dynamics']['t1']:g}, {n_segments(cfg)} segment(s) per run"
    )
    problems = {}
    ran = {"runs": 0, "solve_s": 0.0, "metrics_s": 0.0}  # what this call ran
    with tqdm(
        total=len(jobs),
        initial=len(jobs) - len(todo),
        unit="run",
        desc=cfg.name,
        file=sys.stderr,
        disable=None if log else True,
        dynamic_ncols=True,
    ) as bar:
        for count, (setting, dynamics, seed) in enumerate(todo, start=1):
            run_id = store.run_id(setting, dynamics, seed)
            if reason := store.drop_damaged_checkpoint(run_id):
                say(f"warning: {reason}; the run {run_id} starts again from the beginning", bar)
            if seed not in problems:
                problems[seed] = build_problem(cfg, seed)
            data, x0, keys = problems[seed]
            t0 = time.perf_counter()
            params = cfg.parameters(setting)
            game = build_game(cfg, params, data, keys, x0)
            with tqdm(
                total=n_segments(cfg),
                unit="segment",
                desc=run_id,
                leave=False,
                file=sys.stderr,
                disable=None if log and n_segments(cfg) > 1 else True,
                dynamic_ncols=True,
            ) as segments:
                sol = solve_run(
                    cfg,
                    params,
                    dynamics,
                    game,
                    x0,
                    checkpoint=store.checkpoint(run_id),
                    on_segment=lambda k: segments.update(1),
                    field_grid=field_grid_for(cfg, game, data, x0, seed),
                )
                jax.block_until_ready(sol.points)
            solve_s = time.perf_counter() - t0
            t0 = time.perf_counter()
            measured = measure_run(cfg, sol, data, centres)
            metrics_s = time.perf_counter() - t0
            final = final_values(measured)
            store.save(
                run_id,
                sol,
                measured,
                {
                    "setting": json_ready(setting),
                    "dynamics": dynamics,
                    "seed": int(seed),
                    "result": sol.result_name,
                    "failed": bool(run_failed(sol)),
                    "final_time": json_float(np.asarray(sol.final_time)),
                    "num_steps": int(np.asarray(sol.stats["num_steps"])),
                    "solve_s": round(solve_s, 4),
                    "metrics_s": round(metrics_s, 4),
                    "final": {key: (json_float(v) if isinstance(v, float) else v) for key, v in final.items()},
                    "metrics_settings": {
                        "modes": measured["modes_settings"],
                        "distances": measured["distance_settings"],
                    },
                },
            )
            bar.update(1)
            ran["runs"] += 1
            ran["solve_s"] += solve_s
            ran["metrics_s"] += metrics_s
            say(
                f"({count}/{len(todo)}) {setting_label(setting) or 'base'}, {DYNAMICS_LABELS[dynamics]}, seed {seed}: "
                f"{sol.result_name} in {_duration(solve_s)} (+{_duration(metrics_s)} metrics); "
                + (
                    f"{final['n_covered']:.0f}/{centres.shape[0]} modes covered, "
                    f"{final['high_quality_fraction']:.0%} high quality, "
                    f"{final['hopped_fraction']:.0%} of the particles hopped between modes"
                    if math.isfinite(final["n_covered"])
                    else "no finite saved state to measure"
                ),
                bar,
            )
    return finish_study(cfg, out, log=log, started=start, store=store, ran=ran)


def _duration(seconds: float) -> str:
    """`12.3 s`, or `40 ms` below a second (a run reusing a compiled program takes milliseconds)."""
    return f"{seconds:.1f} s" if seconds >= 1 else f"{1000 * seconds:.0f} ms"


def _sayer(log: bool):
    from tqdm.auto import tqdm

    def say(message: str, bar=None) -> None:
        if log:
            (bar.write if bar is not None else tqdm.write)(f"[dualflow] {message}", file=sys.stderr)

    return say


def _gather(cfg: StudyConfig, store, problems: dict, centres, trajectory_index):
    """Every finished run of the folder into the study's arrays (`ARRAYS_DOC`), their records, and
    the games and solutions of the settings drawn as panels (first seed); returns
    `(arrays, runs, kept, distance_index)`."""
    d, compare, seeds = cfg.data, cfg.data["dynamics"]["compare"], cfg.seeds
    n_modes, n_saves = centres.shape[0], d["dynamics"]["n_saves"]
    shape = cfg.shape + (len(compare), len(seeds))
    arrays = {
        "ts": np.full(shape + (n_saves,), np.nan),
        "result": np.zeros(shape, dtype=np.int32),
        "occupancy": np.full(shape + (n_saves, n_modes), np.nan),
    }
    for name in ("n_covered", "high_quality_fraction", "kl_occupancy"):
        arrays[name] = np.full(shape + (n_saves,), np.nan)
    arrays["points"] = np.full(
        shape + (trajectory_index.size, d["generator"]["n_particles"], 2), np.nan, dtype=np.float32
    )
    both = "flow" in compare and "gda" in compare
    if both:
        arrays["flow_gda_distance"] = np.full(cfg.shape + (len(seeds), n_saves), np.nan)
    keep, runs, kept, n_dist = figure_settings(cfg), [], {}, None
    pending: dict[tuple, tuple] = {}  # (setting, seed) -> the first of its flow and GDA runs
    for p_index, setting in enumerate(cfg.settings):
        grid_index = tuple(np.unravel_index(p_index, cfg.shape)) if cfg.shape else ()
        for r, dynamics in enumerate(compare):
            for k, seed in enumerate(seeds):
                run_id = store.run_id(setting, dynamics, seed)
                game = None
                if p_index in keep and k == 0:
                    data, x0, keys = problems[seed]
                    game = build_game(cfg, cfg.parameters(setting), data, keys, x0)
                sol, measured = store.load(run_id, None if game is None else state_template(game, problems[seed][1]))
                index = grid_index + (r, k)
                arrays["ts"][index] = np.asarray(sol.ts, dtype=np.float64)
                arrays["result"][index] = int(np.asarray(sol.result))
                for name in ("occupancy", "n_covered", "high_quality_fraction", "kl_occupancy"):
                    arrays[name][index] = measured[name]
                if n_dist is None:
                    n_dist = measured["distance_index"]
                    for name in ("w2", "w2_squared", "sinkhorn", "mmd"):
                        arrays[name] = np.full(shape + (n_dist.size,), np.nan)
                for name in ("w2", "w2_squared", "sinkhorn", "mmd"):
                    arrays[name][index] = measured[name]
                arrays["points"][index] = np.asarray(sol.points, dtype=np.float32)[trajectory_index]
                runs.append(store.record(run_id))
                if both and dynamics in ("flow", "gda"):
                    first = pending.pop((p_index, k), None)
                    if first is None:
                        pending[(p_index, k)] = (dynamics, sol)
                    else:
                        pair = dict([first, (dynamics, sol)])
                        arrays["flow_gda_distance"][grid_index + (k,)] = _flow_gda_distance(
                            cfg, pair["flow"], pair["gda"]
                        )
                if game is not None:
                    kept[(p_index, dynamics)] = (game, sol, problems[seed][0])

    return arrays, runs, kept, n_dist


def _flow_gda_distance(cfg: StudyConfig, flow, gda) -> np.ndarray:
    r"""$\max_j |x_j^{\text{flow}}(t_k) - x_j^{\text{GDA}}(t_k)|$ at the study's saved times `(S,)`
    (`nan` after either run ended): `analysis.flow_gda_errors` with the one step size $\tau$."""
    errors = flow_gda_errors(
        cfg.save_times,
        np.asarray(flow.points, dtype=np.float64),
        np.asarray(gda.points, dtype=np.float64)[None],
        [cfg.data["dynamics"]["tau"]],
        flow_end=float(np.asarray(flow.final_time)),
        gda_ends=[float(np.asarray(gda.final_time))],
    )
    return errors["errors"][0]


def _distance_stats(cfg: StudyConfig, distance: np.ndarray) -> list:
    """Per setting: the largest and the final flow-to-GDA distance, statistics over seeds."""
    out = []
    for p_index in range(len(cfg.settings)):
        grid_index = tuple(np.unravel_index(p_index, cfg.shape)) if cfg.shape else ()
        values = distance[grid_index]  # (K, S), nan after an early end
        out.append({"largest": seed_stats(np.max(values, axis=1)), "final": seed_stats(values[:, -1])})
    return out


def _study_summary(cfg: StudyConfig, summary_settings: list, runs: list, timings: dict, centres) -> dict:
    """The dict written to `summary.json` (without its `files`)."""
    d, compare, seeds = cfg.data, cfg.data["dynamics"]["compare"], cfg.seeds
    failed = [r for r in runs if r["failed"]]
    summary = {
        "kind": "study",
        "study": cfg.name,
        "description": d["description"],
        "quick": cfg.quick,
        "config_file": cfg.source,
        "target": {**d["target"], "n_modes": int(centres.shape[0])},
        "axes": [{"name": name, "values": [json_ready(v) for v in values]} for name, values in cfg.axes],
        "dynamics": list(compare),
        "dynamics_labels": {k: DYNAMICS_LABELS[k] for k in compare},
        "seeds": seeds,
        "definitions": {
            "n_covered": f"modes holding at least {d['metrics']['min_fraction']:g} of the particles within "
            f"{d['metrics']['radius_stds']:g} std of their centre (nearest centre)",
            "high_quality_fraction": "fraction of the particles within that radius of some centre",
            "kl_occupancy": "KL(occupancy / its sum || uniform over the modes), nats",
            "w2": "exact W2 to the data sample (POT); w2_squared its square",
            "sinkhorn": "debiased Sinkhorn divergence (squared-distance units)",
            "mmd": "MMD to the data sample (Gaussian kernel, bandwidth the mode spacing unless set)",
            "mode_hops": "switches of the dominant mode (argmax occupancy) after it persisted hop_persistence saves",
            "particle_hops_mean": "mean number of hops of a particle from one mode to another",
            "hopped_fraction": "fraction of the particles that hopped at least once",
            "hop_rate": "particle_hops_mean per unit time: hops of a particle per unit of generator time",
            "coverage_late_mean": "n_covered averaged over the saves of the run's second half (t >= t1 / 2)",
            "coverage_late_worst": "the smallest n_covered over the saves of the run's second half",
            "between_modes_late": "fraction of the particles outside every mode's radius, averaged over the second half",
            "precision": f"prdc precision at the last save (Naeem et al. 2020; k = {d['metrics']['prdc_k']} nearest "
            "neighbours; data = real, particles = fake); recall, density and coverage likewise",
            "flow_vs_gda": "max over particles of |x_j(flow) - x_j(GDA)| at the saved times (same seed, same start); "
            "largest: its maximum over the run (null if either run ended early), final: at the last save",
            "final": "value at the last save with finite positions; stats over seeds ignore missing values",
            "kappa_flow": "the flow's kappa, n_critic * kappa: the tau -> 0 limit of GDA(lr_g = tau, "
            "lr_d = kappa tau, n_critic)",
            "kappa_inf": "the discriminator is the best response (OptimalWitness over the same features/kernel): "
            "flow = MMD gradient flow, GDA = its explicit Euler scheme with step tau",
        },
        "settings": summary_settings,
        "failed_runs": len(failed),
        "runs": runs,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "timings_note": "solve_s and metrics_s: summed over every run of the study, whenever it ran; "
        "this_call_solve_s and this_call_metrics_s: the runs this call made (0 for a redraw by `dualflow "
        "plot`); plots_s: figures and animation; total_s: this call",
        "versions": versions(),
        "platform": {
            "system": platform.platform(),
            "devices": [str(dev) for dev in jax.devices()],
            "precision": d["precision"],
        },
    }
    return summary


@float64
def finish_study(
    cfg: StudyConfig, out, *, log: bool = True, started: float | None = None, store=None, ran: dict | None = None
) -> dict:
    """Gather a study folder's finished runs into `summary.json`, `arrays.npz`, `table.md` and the
    figures (PNG and SVG) and the animation; used by `run_study` at the end (`ran`: the runs this
    call made and their summed solve and metrics seconds) and by `dualflow plot` to redraw a folder
    without running anything.

    **Returns:** the summary (as `run_study`). **Raises:** `ResultsFolderError` when a run of the
    study is missing from the folder (the study was interrupted: run it again to finish it).
    """
    start = time.perf_counter() if started is None else started
    out = Path(out)
    store = store if store is not None else RunStore(out, cfg)
    say = _sayer(log)
    d = cfg.data
    compare, seeds, centres = d["dynamics"]["compare"], cfg.seeds, centres_of(cfg)
    missing = [
        store.run_id(s, r, k)
        for s in cfg.settings
        for r in compare
        for k in seeds
        if not store.done(store.run_id(s, r, k))
    ]
    if missing:
        raise ResultsFolderError(
            f"{out}: {len(missing)} run(s) of the study are not finished (e.g. {missing[0]}); "
            "run the study again into this folder to finish them."
        )
    damaged = [
        reason for s in cfg.settings for r in compare for k in seeds if (reason := store.damaged(store.run_id(s, r, k)))
    ]
    if damaged:
        raise ResultsFolderError(
            f"{out}: {len(damaged)} finished run(s) cannot be read back: {damaged[0]}. Run the study "
            "again into this folder (`dualflow run` or `sweep` with this --out): it computes such runs again."
        )
    trajectory_index = evaluated_indices(d["dynamics"]["n_saves"], d["outputs"]["trajectory_every"])
    problems = {seed: build_problem(cfg, seed) for seed in seeds}
    arrays, runs, kept, n_dist = _gather(cfg, store, problems, centres, trajectory_index)
    summary_settings = aggregate_runs(cfg, runs)
    if "flow_gda_distance" in arrays:
        for entry, stats in zip(summary_settings, _distance_stats(cfg, arrays["flow_gda_distance"])):
            entry["flow_vs_gda"] = stats
    t_plots = time.perf_counter()
    files = {}
    arrays.update(_static_arrays(cfg, problems, centres, n_dist, trajectory_index))
    files["arrays"] = write_npz(out / "arrays.npz", arrays)
    files["config"] = out / "config.json"
    if cfg.source_text is not None:
        files["config_source"] = out / "config_source.toml"
    files["table"] = write_text(out / "table.md", markdown_table(cfg, summary_settings))
    if d["outputs"]["figures"]:
        say("drawing figures ...")
        files.update(draw_figures(cfg, out, summary_settings, arrays, kept, centres))
    if d["outputs"]["animation"] and "flow" in compare and "gda" in compare:
        say("animating flow vs GDA ...")
        files.update(draw_animation(cfg, out, kept))
    ran = ran if ran is not None else {"runs": 0, "solve_s": 0.0, "metrics_s": 0.0}
    timings = {
        "solve_s": sum(r["solve_s"] for r in runs),
        "metrics_s": sum(r["metrics_s"] for r in runs),
        "this_call_solve_s": ran["solve_s"],
        "this_call_metrics_s": ran["metrics_s"],
        "plots_s": time.perf_counter() - t_plots,
        "total_s": time.perf_counter() - start,
    }
    summary = _study_summary(cfg, summary_settings, runs, timings, centres)
    failed = summary["failed_runs"]
    files["summary"] = out / "summary.json"
    summary["files"] = {k: str(v) for k, v in files.items()}
    write_json(files["summary"], summary)
    reused = len(runs) - ran["runs"]
    work = (
        f"{ran['runs']} run(s) in {_duration(ran['solve_s'])} + {_duration(ran['metrics_s'])} metrics"
        + (f", {reused} finished run(s) reused" if reused else "")
        if ran["runs"]
        else f"nothing run ({reused} finished runs redrawn)"
    )
    say(
        f"done in {_duration(timings['total_s'])}: {work}, figures {_duration(timings['plots_s'])}; "
        f"{failed} failed runs. Wrote {out}"
    )
    for line in markdown_table(cfg, summary_settings).splitlines():
        say(line)
    return summary


def _static_arrays(cfg, problems, centres, n_dist, trajectory_index) -> dict:
    d = cfg.data
    out = {
        "axis_names": np.asarray([name for name, _ in cfg.axes]),
        "dynamics": np.asarray(d["dynamics"]["compare"]),
        "seeds": np.asarray(cfg.seeds),
        "centres": centres,
        "std": np.asarray(d["target"]["std"]),
        "radius_stds": np.asarray(d["metrics"]["radius_stds"]),
        "min_fraction": np.asarray(d["metrics"]["min_fraction"]),
        "masses": np.full(d["generator"]["n_particles"], 1.0 / d["generator"]["n_particles"]),
        "distance_index": np.asarray(n_dist if n_dist is not None else [], dtype=np.int64),
        "trajectory_index": trajectory_index,
        "data_points": np.stack([np.asarray(problems[s][0].points, dtype=np.float64) for s in cfg.seeds]),
        "data_masses": np.stack([np.asarray(problems[s][0].masses, dtype=np.float64) for s in cfg.seeds]),
        "doc": np.asarray(ARRAYS_DOC),
    }
    for i, (_, values) in enumerate(cfg.axes):
        out[f"axis{i}_labels"] = np.asarray([format_value(v) for v in values])
        out[f"axis{i}_values"] = np.asarray([float(v) if not isinstance(v, str) else np.nan for v in values])
    return out
