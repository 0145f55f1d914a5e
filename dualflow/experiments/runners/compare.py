r"""Flow versus GDA side by side at several $\tau$: the $\tau \to 0$ limit (`dualflow compare`).

One game of a study config (`dualflow.experiments.config.study`; the same TOML as `dualflow run`),
one setting, one seed: the dual flow is integrated once, accurately, and discrete GDA is run at
each step size $\tau$ in `taus`, all from the same initial particles, the same data sample and
the same random features (or critic network). GDA with $\eta_g = \tau$, $\eta_d = \kappa\tau$
(`n_critic` D-steps per G-step, the config's step order) after $k$ steps approximates, at
$t = k\tau$, the dual flow

$$\dot x_j = v_j(f_t, X_t), \qquad \dot f_t = \kappa_{\text{eff}}\,\partial_f L(f_t, \mu_t),
\qquad \kappa_{\text{eff}} = n_{\text{critic}}\,\kappa,$$

with $v_j = \nabla f_t(x_j)$ (`game.velocity = "wasserstein"`) or $m_j \nabla f_t(x_j)$
(`"mass_weighted"`); for the kernel IPM $\partial_f L = m_\nu - m_{\mu_t} - \lambda f_t$. With
$\kappa = \infty$ the discriminator is the best response (the flow is the MMD gradient flow,
"GDA" its explicit Euler scheme with step $\tau$). On a fixed horizon the global error is
$O(\tau)$: first order ([docs/science.md §2][science-kernel-game]).

**What is measured.** Particles are labelled (particle $j$ of GDA starts where particle $j$ of
the flow starts), so the particle-wise distance

$$e_\tau(t) = \max_j \bigl|x_j^{\text{GDA},\tau}(t) - x_j^{\text{flow}}(t)\bigr|
\quad(\text{Euclidean norm in the plane})$$

is meaningful. It is recorded at the comparison times $t_k = kT/S$, the finest grid of save
times shared by every $\tau$ (every step of the largest $\tau$ for the default taus, at most
`MAX_SAVES` + 1 times), together with $E_\tau = \max_k e_\tau(t_k)$ (the maximum over
$[0, T]$ on that grid), the error at $T$, and the least-squares slope of $\log E_\tau$
against $\log\tau$ (1 expected while the dynamics are smooth on $[0, T]$; reported as
measured). A run that ends early (blow-up, non-finite state, step budget) keeps its result
code; its errors past its end are `nan` and its $E_\tau$ is then undefined (`null`).

**The reference flow** uses tolerances far tighter than a study's: adaptive `Tsit5` with
`rtol = min(FLOW_RTOL, dynamics.flow_rtol)`, `atol = min(FLOW_ATOL, dynamics.flow_atol)` for
finite discriminator states (random Fourier features, neural critics, the best response), and
for the exact kernel (history quadrature, second order) fixed steps of at most
`min(taus) / FLOW_DT_DIVISOR` (and at most `dynamics.flow_dt0` when set). Its own error is
checked, not assumed: a second flow with `FLOW_CHECK_FACTOR` times looser tolerances (twice the
step for the exact kernel) is run and the largest particle distance between the two is
recorded as `flow_check.max_difference` (an estimate of the *looser* flow's error; the
reference is more accurate still) and compared with the smallest $E_\tau$.

**Choices.** The setting defaults to the config's base values (its `[dynamics]`, `[game]` and
`[discriminator]` values; the `[sweep]` is ignored); `setting` (`--set AXIS=VALUE`) replaces any
of the swept axes (`kappa`, `n_critic`, `tau`, `payoff`, `bandwidth`) by any valid value, swept
or not. `taus` defaults to $(\tau, \tau/2, \tau/4)$ with $\tau$ the setting's; the horizon
$T$ (`dynamics.t1`, after `--quick`) must be a whole number of steps of each.
`dynamics.n_saves` and the config's flow tolerances are not used. The comparison always runs
in float64 (a float32 config is promoted; the JSON says so).

**Results folder** (default `dualflow-output/<name>-compare`, `<name>-compare-quick` under `quick`;
every file written atomically by `results_store`):

- `compare.json`: kind `"compare"`, the resolved config, the setting and its parameters, seed,
  taus, per $\tau$ the steps, $E_\tau$, the final error and $e_\tau(t)$, the slope, every run's
  result code, steps and wall time, the reference flow's tolerances and check, final covered
  modes and $W_2$ of every run, timings, versions.
- `arrays.npz`: `ts` `(S+1,)`, `taus` `(n,)` (descending), `flow_points` `(S+1, N, 2)`,
  `gda_points` `(n, S+1, N, 2)`, `errors` `(n, S+1)`, `max_errors`, `final_errors` `(n,)`,
  `masses`, `centres`, `data_points`, `data_masses`, `result_flow`, `result_gda` and `doc`.
- `compare.png`, `compare.svg`: particles of the flow and of GDA at the largest $\tau$ side by
  side at four times over the target's mode centres, $e_\tau(t)$ for every $\tau$ (log scale),
  and $E_\tau$ against $\tau$ on log-log axes with a slope-1 reference and the fitted slope.
"""

from __future__ import annotations

import math
import platform
import sys
import time
from pathlib import Path

import jax
import numpy as np

from ..._json import json_float, json_list, json_ready
from ...analysis.convergence import flow_gda_errors
from ..config.compare import FLOW_CHECK_FACTOR, ComparisonPlan, flow_settings, plan_comparison
from ..config.study import StudyConfig, as_config, centres_of, default_folder, format_value, parse_study
from ..store.files import ResultsFolderError, make_folder, read_arrays, read_json, write_figure, write_json, write_npz
from ..store.records import run_failed, versions
from .build import build_game, build_problem, solve_run
from .measure import last_save_metrics
from .precision import float64

#: How far from 1 every local log-log slope may lie for `compare` to call the runs first order.
FIRST_ORDER_SLACK = 0.25


__all__ = ["redraw_compare", "run_compare"]

ARRAYS_DOC = """\
Arrays of a flow-versus-GDA comparison (dualflow compare). n = number of taus (descending), S+1 = comparison
times, N = particles, M = data points.
ts (S+1,) comparison times t_k = k T / S, taus (n,), n_steps (n,) GDA steps per tau,
flow_points (S+1, N, 2) the reference dual flow, gda_points (n, S+1, N, 2) GDA at each tau (t = k tau),
errors (n, S+1) e_tau(t) = max_j |x_j^GDA(t) - x_j^flow(t)| (Euclidean; nan past an early end),
max_errors (n,) max over the comparison times (nan if a run ended early), final_errors (n,) e_tau(T),
slope () least-squares slope of log max_errors against log taus (nan if fewer than two are finite),
result_flow () and result_gda (n,) Result codes, x0 (N, 2) initial particles, masses (N,),
centres (modes, 2), std (), data_points (M, 2), data_masses (M,).
"""


def _say(message: str) -> None:
    print(f"[dualflow compare] {message}", file=sys.stderr, flush=True)


# ---- the comparison ----------------------------------------------------------------------------
def _run_record(name, sol, seconds, extra=None) -> dict:
    record = {
        "run": name,
        "result": sol.result_name,
        "failed": bool(run_failed(sol)),
        "final_time": json_float(np.asarray(sol.final_time)),
        "num_steps": int(np.asarray(sol.stats["num_steps"])),
        "wall_s": round(seconds, 4),
    }
    record.update(extra or {})
    return record


@float64
def run_compare(
    config,
    out_dir=None,
    *,
    taus=None,
    setting: dict | None = None,
    seed: int = 0,
    quick: bool = False,
    log: bool = True,
) -> dict:
    r"""Run the dual flow once and GDA at several $\tau$ on one game; measure how GDA approaches the flow.

    GDA: $\eta_g = \tau$, $\eta_d = \kappa\tau$, the config's step order (`dynamics.order`:
    `alternating_d_first` by default, the G-step sees the new discriminator) and `n_critic`
    D-steps per G-step; step $k$ is compared with the flow at $t = k\tau$. The flow:
    $\dot x_j = v_j(f_t, X_t)$, $\dot f_t = n_{\text{critic}}\kappa\,\partial_f L$ with the
    config's velocity convention ($v_j = \nabla f_t(x_j)$ for `"wasserstein"`,
    $m_j\nabla f_t(x_j)$ for `"mass_weighted"`), integrated with tight tolerances (see the
    module docstring). Measured: $e_\tau(t) = \max_j |x_j^{\text{GDA},\tau}(t) - x_j^{\text{flow}}(t)|$,
    its maximum $E_\tau$ over $[0, T]$ and the log-log slope of $E_\tau$ against $\tau$
    (first order: $\approx 1$).

    **Arguments:**

    - `config`: a study TOML path, a dict as `tomllib` returns it, or a `StudyConfig` (the
      schema of `dualflow run`).
    - `out_dir`: the results folder (created; files of the same names are replaced); default
      `dualflow-output/<name>-compare` (`<name>-compare-quick` with `quick`).
    - `taus`: the GDA step sizes (any order; written descending); default the setting's
      $\tau$, $\tau/2$, $\tau/4$. `dynamics.t1` must be a whole number of steps of each.
    - `setting`: values of swept axes, e.g. `{"kappa": 3.0}` or `{"kappa": math.inf,
      "bandwidth": 0.3}`; default `{}`: the config's base values (its `[sweep]` is ignored).
    - `seed`: the seed of the data sample, initial particles and features (as in `dualflow run`).
    - `quick`: apply the config's `--quick` overrides first (fewer particles, shorter horizon).
    - `log`: one progress line per run on stderr (`False`: silent).

    **Returns:** the dict written to `compare.json`, with `"files"`: the paths written.

    **Raises:** `ConfigError` (a `ValueError`) for an invalid config, setting or taus, before
    anything runs. Runs that fail are recorded with their result code.

    **Example:**

    ```python
    out = run_compare("examples/configs/ring8_kappa.toml", "out/compare", quick=True, setting={"kappa": 3.0})
    out["slope"], [row["max_error"] for row in out["errors"]]
    ```
    """
    start = time.perf_counter()
    cfg = as_config(config, quick, None)
    plan = plan_comparison(cfg, setting, taus)
    out = Path(out_dir) if out_dir is not None else default_folder(cfg, "compare")
    make_folder(out)
    say = _say if log else (lambda message: None)
    params, taus = plan.parameters, plan.taus
    say(
        f"compare {cfg.name!r}{' (quick)' if cfg.quick else ''}, {plan.label} (kappa = "
        f"{format_value(params['kappa'])}, n_critic = {params['n_critic']}, payoff {params['payoff']}, bandwidth "
        f"{params['bandwidth']:g}), seed {seed}: the dual flow and GDA at tau = {', '.join(f'{t:g}' for t in taus)} "
        f"to T = {plan.t1:g}, {plan.intervals + 1} comparison times; writing to {out}"
    )
    data, x0, keys = build_problem(plan.runs, seed)
    game = build_game(plan.runs, params, data, keys, x0)
    runs: list[dict] = []
    timings: dict[str, float] = {}
    flow, check_diff = _reference_flows(plan, game, x0, runs, timings, say)
    gda_sols = _gda_runs(plan, game, x0, flow, runs, timings, say)
    measured = flow_gda_errors(
        np.asarray(flow.ts, dtype=np.float64),
        flow.points,
        np.stack([np.asarray(s.points) for s in gda_sols]),
        taus,
        flow_end=float(np.asarray(flow.final_time)),
        gda_ends=[float(np.asarray(s.final_time)) for s in gda_sols],
    )
    t0 = time.perf_counter()
    centres = centres_of(plan.runs)
    final_metrics = {"flow": last_save_metrics(plan.runs, flow, data, centres)}
    for tau, sol in zip(taus, gda_sols):
        final_metrics[f"gda tau={tau:g}"] = last_save_metrics(plan.runs, sol, data, centres)
    timings["metrics_s"] = time.perf_counter() - t0

    arrays = _arrays(plan, flow, gda_sols, measured, x0, data, centres)
    files = {"arrays": write_npz(out / "arrays.npz", arrays)}
    t0 = time.perf_counter()
    if cfg.data["outputs"]["figures"]:
        files.update(_draw(cfg, out, arrays, plan.label, params, seed))
    timings["plots_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - start
    summary = _summary(plan, seed, flow, check_diff, measured, final_metrics, runs, timings)
    files["compare"] = out / "compare.json"
    summary["files"] = {k: str(v) for k, v in files.items()}
    write_json(files["compare"], summary)
    say(
        f"done in {timings['total_s']:.1f} s; max error "
        + ", ".join(f"{e:.3e} (tau = {t:g})" for t, e in zip(taus, measured["max_errors"]))
        + f"; log-log slope {measured['slope']:.3f}"
        + (
            ""
            if summary["first_order_regime"]
            else "; WARNING: not in the first-order regime (local slopes "
            + ", ".join(
                f"{v:.2f} between tau = {a:g} and {b:g}" for v, a, b in zip(measured["local_slopes"], taus, taus[1:])
            )
            + "): the fitted slope mixes regimes; the larger steps' particles took other paths"
        )
        + (
            ""
            if summary["flow_check"]["accurate"]
            else "; WARNING: the reference flow's check difference is not below 1% of the smallest error"
        )
        + f". Wrote {out}"
    )
    return summary


def _timed(cfg, params, dynamics, game, x0):
    t0 = time.perf_counter()
    sol = solve_run(cfg, params, dynamics, game, x0)
    jax.block_until_ready(sol.points)
    return sol, time.perf_counter() - t0


def _reference_flows(plan: ComparisonPlan, game, x0, runs: list, timings: dict, say):
    """The reference flow and its check with looser tolerances (or twice the step); returns the
    reference and the largest particle distance between the two (the check flow's error)."""
    total = len(plan.taus) + 2
    flow, seconds = _timed(plan.runs, plan.parameters, "flow", game, x0)
    info = flow_settings(plan.runs)
    runs.append(_run_record("flow", flow, seconds, {"flow_settings": info}))
    timings["flow_s"] = seconds
    tolerances = (
        f"(rtol {info['rtol']:g}, atol {info['atol']:g})" if "rtol" in info else f"(step <= {info['dt_max']:g})"
    )
    say(
        f"(1/{total}) dual flow, {info['method']} {tolerances}: {flow.result_name} in {seconds:.1f} s, "
        f"{int(np.asarray(flow.stats['num_steps']))} steps"
    )
    check, seconds = _timed(plan.check, plan.parameters, "flow", game, x0)
    distance = np.linalg.norm(np.asarray(check.points, np.float64) - np.asarray(flow.points, np.float64), axis=-1)
    check_diff = float(np.nanmax(distance))
    check_info = flow_settings(plan.check)
    runs.append(_run_record("flow_check", check, seconds, {"flow_settings": check_info}))
    timings["flow_check_s"] = seconds
    looser = f"tolerances x{FLOW_CHECK_FACTOR:g}" if "rtol" in check_info else "step x2"
    say(
        f"(2/{total}) check flow, {looser}: "
        f"{check.result_name} in {seconds:.1f} s; max particle distance to the reference {check_diff:.2e}"
    )
    return flow, check_diff


def _gda_runs(plan: ComparisonPlan, game, x0, flow, runs: list, timings: dict, say) -> list:
    """GDA at every tau, saved on the flow's comparison times, each with its error logged."""
    ts, horizon, total = np.asarray(flow.ts, dtype=np.float64), plan.t1, len(plan.taus) + 2
    sols = []
    for i, (tau, n) in enumerate(zip(plan.taus, plan.n_steps)):
        p = plan.runs.parameters({"tau": tau})
        sol, seconds = _timed(plan.runs, p, "gda", game, x0)
        reached = ts <= float(np.asarray(sol.final_time)) + 1e-9 * horizon  # saves past an early end repeat it
        if not np.allclose(np.asarray(sol.ts, np.float64)[reached], ts[reached], rtol=1e-9, atol=1e-9 * horizon):
            raise AssertionError(f"GDA at tau = {tau:g} saved at other times than the flow")  # pragma: no cover
        sols.append(sol)
        timings[f"gda_tau_{tau:g}_s"] = seconds
        lr_d = json_ready(p["lr_d"]) if p["lr_d"] is not None else None
        extra = {"tau": tau, "lr_g": p["lr_g"], "lr_d": lr_d, "save_every": p["save_every"]}
        runs.append(_run_record("gda", sol, seconds, extra))
        end = float(np.asarray(sol.final_time))
        one = flow_gda_errors(
            ts, flow.points, np.asarray(sol.points)[None], [tau], flow_end=float(np.asarray(flow.final_time)),
            gda_ends=[end],
        )  # fmt: skip
        e = one["errors"][0]
        if math.isfinite(one["max_errors"][0]):
            told = (
                f"max_j |x_j^GDA - x_j^flow| up to {one['max_errors'][0]:.3e} over [0, {horizon:g}], {e[-1]:.3e} at T"
            )
        elif np.any(np.isfinite(e)):
            told = f"ended at t = {end:.4g}; max_j |x_j^GDA - x_j^flow| up to {np.nanmax(e):.3e} before that"
        else:
            told = "no finite error"
        say(f"({i + 3}/{total}) GDA tau = {tau:g} ({n} steps): {sol.result_name} in {seconds:.1f} s; {told}")
    return sols


def _arrays(plan: ComparisonPlan, flow, gda_sols, measured, x0, data, centres) -> dict:
    """`arrays.npz` (see `ARRAYS_DOC`)."""
    return {
        "ts": np.asarray(flow.ts, dtype=np.float64),
        "taus": np.asarray(plan.taus),
        "n_steps": np.asarray(plan.n_steps),
        "flow_points": np.asarray(flow.points, dtype=np.float64),
        "gda_points": np.stack([np.asarray(s.points, dtype=np.float64) for s in gda_sols]),
        "errors": measured["errors"],
        "max_errors": measured["max_errors"],
        "final_errors": measured["final_errors"],
        "slope": np.asarray(measured["slope"]),
        "result_flow": np.asarray(int(np.asarray(flow.result))),
        "result_gda": np.asarray([int(np.asarray(s.result)) for s in gda_sols]),
        "x0": np.asarray(x0, dtype=np.float64),
        "masses": np.asarray(flow.masses, dtype=np.float64),
        "centres": centres,
        "std": np.asarray(plan.runs.data["target"]["std"]),
        "data_points": np.asarray(data.points, dtype=np.float64),
        "data_masses": np.asarray(data.masses, dtype=np.float64),
        "doc": np.asarray(ARRAYS_DOC),
    }


#: What the fields of `compare.json` mean (written into it).
DEFINITIONS = {
    "error_over_time": "e_tau(t) = max_j |x_j^GDA(t) - x_j^flow(t)| (Euclidean) at the comparison times, GDA "
    "step k at t = k tau; null past an early end of either run",
    "max_error": "max of e_tau over the comparison times in [0, T] (null if a run ended early)",
    "final_error": "e_tau(T)",
    "slope": "least-squares slope of log max_error against log tau (1 expected: first order)",
    "flow_check": "max particle distance between the reference flow and one with looser tolerances (or twice "
    "the step): an estimate of the looser flow's error; 'accurate' if it is below 1% of the "
    "smallest max_error",
    "kappa_flow": "the flow's kappa, n_critic * kappa",
    "local_slopes": "log(E_tau_i / E_tau_i+1) / log(tau_i / tau_i+1) between neighbouring taus",
    "first_order_regime": f"every local slope within {FIRST_ORDER_SLACK} of 1: only then does the fitted slope "
    "measure GDA's first-order approach to its flow (otherwise the larger steps took other paths)",
    "final_metrics": "covered modes, high-quality fraction and exact W2 (POT) at the last finite save",
}


def first_order_regime(local_slopes) -> bool:
    """True when every local slope is finite and within `FIRST_ORDER_SLACK` of 1."""
    local = np.asarray(local_slopes, dtype=np.float64)
    return bool(local.size and np.all(np.abs(local - 1) <= FIRST_ORDER_SLACK))


def _summary(plan: ComparisonPlan, seed, flow, check_diff, measured, final_metrics, runs, timings) -> dict:
    """The dict written to `compare.json`."""
    cfg, params = plan.config, plan.parameters
    smallest = np.nanmin(measured["max_errors"]) if np.any(np.isfinite(measured["max_errors"])) else math.nan
    errors = zip(plan.taus, plan.n_steps, measured["max_errors"], measured["final_errors"], measured["errors"])
    return {
        "kind": "compare",
        "study": cfg.name,
        "quick": cfg.quick,
        "config_file": cfg.source,
        "config": cfg.to_json(),
        "setting": json_ready(plan.setting),
        "setting_label": plan.label,
        "parameters": {
            k: json_ready(v) for k, v in params.items() if k not in ("n_steps", "save_every", "lr_g", "lr_d")
        },
        "seed": int(seed),
        "precision": "float64"
        + (" (promoted from the config's float32)" if cfg.data["precision"] == "float32" else ""),
        "t1": plan.t1,
        "order": plan.runs.data["dynamics"]["order"],
        "velocity": plan.runs.data["game"]["velocity"],
        "taus": plan.taus,
        "comparison_times": {"count": plan.intervals + 1, "spacing": plan.t1 / plan.intervals},
        "errors": [
            {
                "tau": tau,
                "n_steps": n,
                "max_error": json_float(max_e),
                "final_error": json_float(final_e),
                "error_over_time": json_list(row),
            }
            for tau, n, max_e, final_e, row in errors
        ],
        "ts": np.asarray(flow.ts, dtype=np.float64).tolist(),
        "slope": json_float(measured["slope"]),
        "local_slopes": json_list(measured["local_slopes"]),
        "first_order_regime": first_order_regime(measured["local_slopes"]),
        "flow": {"settings": flow_settings(plan.runs), "result": flow.result_name},
        "flow_check": {
            "settings": flow_settings(plan.check),
            "max_difference": json_float(check_diff),
            "smallest_max_error": json_float(smallest),
            "accurate": bool(math.isfinite(smallest) and check_diff <= 1e-2 * smallest),
        },
        "final_metrics": final_metrics,
        "runs": runs,
        "definitions": DEFINITIONS,
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "versions": versions(),
        "platform": {"system": platform.platform(), "devices": [str(dev) for dev in jax.devices()]},
    }


def redraw_compare(folder, *, log: bool = True) -> dict:
    """Draw `compare.png` / `compare.svg` of a compare folder again from its `compare.json` and
    `arrays.npz` (`dualflow plot`); nothing is rerun. Returns the files written (listed on
    stderr with `log`).

    **Raises:** `ResultsFolderError` naming a file that is missing or cannot be read."""
    folder = Path(folder)
    summary, arrays = read_json(folder / "compare.json"), read_arrays(folder / "arrays.npz")
    try:
        cfg = StudyConfig(data=parse_study(summary["config"]).data, quick=summary["quick"])
        files = _draw(cfg, folder, arrays, summary["setting_label"], summary["parameters"], summary["seed"])
    except (KeyError, TypeError) as error:
        raise ResultsFolderError(
            f"{folder}: compare.json and arrays.npz are not those of `dualflow compare` (no {error}); "
            "run the comparison again"
        ) from None
    if log:
        _say(f"wrote {', '.join(str(path) for path in files.values())}")
    return files


def _draw(cfg: StudyConfig, out: Path, arrays: dict, label: str, params: dict, seed: int) -> dict:
    from ...plotting.compare import plot_compare

    horizon = float(arrays["ts"][-1])
    which = label if "kappa =" in label else f"{label}; kappa = {format_value(params['kappa'])}"
    title = f"{cfg.name}{' (quick)' if cfg.quick else ''}: dual flow vs GDA ({which}, seed {seed})"
    fig = plot_compare(
        arrays["ts"],
        arrays["flow_points"],
        arrays["gda_points"],
        arrays["taus"],
        arrays["errors"],
        arrays["max_errors"],
        slope=float(arrays["slope"]),
        centres=arrays["centres"],
        data=arrays["data_points"],
        times=(0.0, horizon / 4, horizon / 2, horizon),
        title=title,
    )
    png = write_figure(out / "compare.png", fig)  # and compare.svg
    return {"figure": png, "figure_svg": png.with_suffix(".svg")}
