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
$O(\tau)$: first order (SCIENCE §2).

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
$T$ (`dynamics.horizon`, after `--quick`) must be a whole number of steps of each.
`dynamics.n_saves` and the config's flow tolerances are not used. The comparison always runs
in float64 (a float32 config is promoted; the JSON says so).

**Results folder** (default `dualflow-output/<name>-compare`, `-quick-compare` under `quick`;
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

import copy
import dataclasses
import difflib
import json
import math
import platform
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np

from ..._json import json_float, json_list, json_ready
from ...analysis.convergence import flow_gda_errors
from ...measures.measure import Measure
from ...metrics.trajectory import metrics_over_time
from ..config.schema import AXES
from ..config.study import (
    ConfigError,
    StudyConfig,
    as_config,
    centres_of,
    default_folder,
    format_value,
    parse_study,
    setting_label,
)
from ..store.files import write_figure, write_json, write_npz
from ..store.records import run_failed, versions
from .build import build_game, build_problem, solve_run
from .precision import float64

__all__ = ["redraw_compare", "run_compare"]

#: Tolerances of the reference flow (adaptive solvers): the tighter of these and the config's.
FLOW_RTOL = 1e-10
FLOW_ATOL = 1e-12
#: Exact kernel: the reference flow's step is at most min(taus) / FLOW_DT_DIVISOR.
FLOW_DT_DIVISOR = 4
#: The check flow's tolerances are this many times looser (adaptive solvers).
FLOW_CHECK_FACTOR = 1000.0
#: At most this many comparison intervals on [0, T] (S).
MAX_SAVES = 1000
#: Default taus: the setting's tau divided by these.
DEFAULT_TAU_DIVISORS = (1, 2, 4)

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


# ---- validation ------------------------------------------------------------------------------
def _resolve(cfg: StudyConfig, setting: dict | None) -> tuple[StudyConfig, dict]:
    """The config with `setting` written into its base values (validated like the file), and
    the checked setting. Problems name the option (`--set`)."""
    setting = dict(setting or {})
    problems = []
    for axis in setting:
        if axis not in AXES:
            close = difflib.get_close_matches(str(axis), list(AXES), n=1, cutoff=0.5)
            problems.append(
                f"--set {axis}: unknown axis"
                + (f"; did you mean {close[0]!r}?" if close else "")
                + f" (axes: {', '.join(AXES)})"
            )
    if problems:
        raise ConfigError(problems, cfg.source)
    raw = cfg.to_json()
    raw["dynamics"]["compare"] = ["flow"]  # GDA's steps are checked against the taus below, not n_saves
    if "checkpoint_every" in raw["dynamics"]:
        raw["dynamics"]["checkpoint_every"] = 0.0  # the comparison runs in one piece
    paths = {}
    for axis, value in setting.items():
        table, key = AXES[axis][1]
        raw[table][key] = value
        paths[f"{table}.{key}"] = axis
    try:
        resolved = parse_study(raw, source=cfg.source, sweep={})
    except ConfigError as error:
        renamed = []
        for problem in error.problems:
            for path, axis in paths.items():
                if problem.startswith(f"{path}:"):
                    problem = f"--set {axis}" + problem[len(path) :]
            renamed.append(problem)
        raise ConfigError(renamed, cfg.source) from None
    base = resolved.parameters({})
    return resolved, {axis: base[axis] for axis in setting}


def _check_taus(taus, horizon: float) -> tuple[list[float], list[int]]:
    """Positive, finite, distinct taus, each a whole number of steps of the horizon; sorted
    descending, with their step counts."""
    problems = []
    checked = []
    for tau in taus:
        if (
            isinstance(tau, bool)
            or not isinstance(tau, (int, float, np.floating, np.integer))
            or not math.isfinite(tau)
            or tau <= 0
        ):
            problems.append(f"--taus: expected positive finite numbers, received {tau!r}")
            continue
        checked.append(float(tau))
    if not checked and not problems:
        problems.append("--taus: expected at least one step size, received none")
    if len(set(checked)) != len(checked):
        problems.append(f"--taus: the step sizes must be distinct, received {[format_value(t) for t in checked]}")
    steps = []
    for tau in checked:
        n = horizon / tau
        if round(n) < 1 or not math.isclose(n, round(n), rel_tol=1e-9, abs_tol=1e-9):
            problems.append(
                f"--taus: the horizon dynamics.horizon = {horizon:g} must be a whole number of GDA steps "
                f"of every tau; tau = {tau:g} gives {n:.6g} steps"
            )
        steps.append(round(n))
    if problems:
        raise ConfigError(problems)
    order = sorted(range(len(checked)), key=lambda i: -checked[i])
    return [checked[i] for i in order], [steps[i] for i in order]


def _comparison_intervals(steps: list[int]) -> int:
    """S: the largest divisor of gcd(steps) that is at most `MAX_SAVES` (every GDA run lands on
    every comparison time)."""
    g = math.gcd(*steps)
    return max(d for d in range(1, min(g, MAX_SAVES) + 1) if g % d == 0)


def _run_config(resolved: StudyConfig, intervals: int, taus: list[float], *, check: bool) -> StudyConfig:
    """The configuration the runs use: float64, saves on the comparison grid, the reference
    flow's tolerances (or the check flow's, looser)."""
    data = copy.deepcopy(resolved.data)
    dyn = data["dynamics"]
    data["precision"] = "float64"
    dyn["n_saves"] = intervals + 1
    dyn["flow_rtol"] = min(FLOW_RTOL, dyn["flow_rtol"])
    dyn["flow_atol"] = min(FLOW_ATOL, dyn["flow_atol"])
    if data["discriminator"]["kind"] == "exact":
        dt = min(taus) / FLOW_DT_DIVISOR
        dyn["flow_dt0"] = min(dt, dyn["flow_dt0"]) if dyn["flow_dt0"] > 0 else dt
    if check:
        dyn["flow_rtol"] *= FLOW_CHECK_FACTOR
        dyn["flow_atol"] *= FLOW_CHECK_FACTOR
        if data["discriminator"]["kind"] == "exact":
            dyn["flow_dt0"] *= 2
    return dataclasses.replace(resolved, data=data)


def _flow_settings(run_cfg: StudyConfig) -> dict:
    dyn = run_cfg.data["dynamics"]
    if run_cfg.data["discriminator"]["kind"] == "exact" and math.isfinite(run_cfg.parameters({})["kappa"]):
        return {"method": "history quadrature (trapezoidal memory, Heun particle steps)", "dt_max": dyn["flow_dt0"]}
    return {
        "method": "adaptive Tsit5 + PID controller",
        "rtol": dyn["flow_rtol"],
        "atol": dyn["flow_atol"],
        "max_steps": dyn["flow_max_steps"],
    }


# ---- the comparison ----------------------------------------------------------------------------
def _final_metrics(cfg: StudyConfig, sol, data, centres) -> dict:
    """Covered modes, high-quality fraction and W2 of the last finite save (float64)."""

    points = np.asarray(sol.points, dtype=np.float64)
    finite = np.flatnonzero(np.all(np.isfinite(points), axis=(1, 2)))
    if not finite.size:
        return {"t": None, "num_covered": None, "high_quality_fraction": None, "w2": None}
    last = int(finite[-1])
    m = cfg.data["metrics"]
    run = (
        np.asarray(sol.ts, dtype=np.float64)[last : last + 1],
        points[last : last + 1],
        np.asarray(sol.masses, dtype=np.float64),
    )
    data64 = Measure(jnp.asarray(data.points, dtype=jnp.float64), jnp.asarray(data.masses, dtype=jnp.float64))
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
        "num_covered": int(np.asarray(out.num_covered)[0]),
        "high_quality_fraction": json_float(np.asarray(out.high_quality_fraction)[0]),
        "w2": json_float(np.asarray(out.w2)[0]),
    }


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
      `dualflow-output/<name>-compare` (`<name>-quick-compare` with `quick`).
    - `taus`: the GDA step sizes (any order; written descending); default the setting's
      $\tau$, $\tau/2$, $\tau/4$. `dynamics.horizon` must be a whole number of steps of each.
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
    resolved, setting = _resolve(cfg, setting)
    params = resolved.parameters({})
    horizon = resolved.data["dynamics"]["horizon"]
    if taus is None:
        taus = [params["tau"] / k for k in DEFAULT_TAU_DIVISORS]
    elif isinstance(taus, (int, float)):
        taus = [taus]
    taus, n_steps = _check_taus(list(taus), horizon)
    intervals = _comparison_intervals(n_steps)
    run_cfg = _run_config(resolved, intervals, taus, check=False)
    check_cfg = _run_config(resolved, intervals, taus, check=True)
    out = Path(out_dir) if out_dir is not None else Path(f"{default_folder(cfg)}-compare")
    out.mkdir(parents=True, exist_ok=True)
    say = _say if log else (lambda message: None)
    label = setting_label(setting) or "base values"
    total = len(taus) + 2
    say(
        f"compare {cfg.name!r}{' (quick)' if cfg.quick else ''}, {label} (kappa = {format_value(params['kappa'])}, "
        f"n_critic = {params['n_critic']}, payoff {params['payoff']}, bandwidth {params['bandwidth']:g}), seed {seed}: "
        f"the dual flow and GDA at tau = {', '.join(f'{t:g}' for t in taus)} to T = {horizon:g}, "
        f"{intervals + 1} comparison times; writing to {out}"
    )

    data, x0, keys = build_problem(run_cfg, seed)
    centres = centres_of(run_cfg)
    game = build_game(run_cfg, params, data, keys, x0)
    runs, timings = [], {}

    def timed(cfg_, p, dynamics):
        t0 = time.perf_counter()
        sol = solve_run(cfg_, p, dynamics, game, x0)
        jax.block_until_ready(sol.points)
        return sol, time.perf_counter() - t0

    flow, seconds = timed(run_cfg, params, "flow")
    flow_info = _flow_settings(run_cfg)
    runs.append(_run_record("flow", flow, seconds, {"flow_settings": flow_info}))
    timings["flow_s"] = seconds
    say(
        f"(1/{total}) dual flow, {flow_info['method']} "
        + (
            f"(rtol {flow_info['rtol']:g}, atol {flow_info['atol']:g})"
            if "rtol" in flow_info
            else f"(step <= {flow_info['dt_max']:g})"
        )
        + f": {flow.result_name} in {seconds:.1f} s, {int(np.asarray(flow.stats['num_steps']))} steps"
    )

    check, seconds = timed(check_cfg, params, "flow")
    check_info = _flow_settings(check_cfg)
    check_diff = float(
        np.nanmax(
            np.linalg.norm(
                np.asarray(check.points, dtype=np.float64) - np.asarray(flow.points, dtype=np.float64), axis=-1
            )
        )
    )
    runs.append(_run_record("flow_check", check, seconds, {"flow_settings": check_info}))
    timings["flow_check_s"] = seconds
    looser = f"tolerances x{FLOW_CHECK_FACTOR:g}" if "rtol" in check_info else "step x2"
    say(
        f"(2/{total}) check flow, {looser}: "
        f"{check.result_name} in {seconds:.1f} s; max particle distance to the reference {check_diff:.2e}"
    )

    ts = np.asarray(flow.ts, dtype=np.float64)
    gda_sols = []
    for i, (tau, n) in enumerate(zip(taus, n_steps)):
        p = run_cfg.parameters({"tau": tau})
        sol, seconds = timed(run_cfg, p, "gda")
        gda_ts = np.asarray(sol.ts, dtype=np.float64)
        reached = ts <= float(np.asarray(sol.final_time)) + 1e-9 * horizon  # saves past an early end repeat it
        if not np.allclose(gda_ts[reached], ts[reached], rtol=1e-9, atol=1e-9 * horizon):  # pragma: no cover
            raise AssertionError(f"GDA at tau = {tau:g} saved at other times than the flow")
        gda_sols.append(sol)
        timings[f"gda_tau_{tau:g}_s"] = seconds
        runs.append(
            _run_record(
                "gda",
                sol,
                seconds,
                {
                    "tau": tau,
                    "lr_g": p["lr_g"],
                    "lr_d": json_ready(p["lr_d"]) if p["lr_d"] is not None else None,
                    "save_every": p["save_every"],
                },
            )
        )
        one = flow_gda_errors(
            ts,
            flow.points,
            np.asarray(sol.points)[None],
            [tau],
            flow_end=float(np.asarray(flow.final_time)),
            gda_ends=[float(np.asarray(sol.final_time))],
        )
        e = one["errors"][0]
        if math.isfinite(one["max_errors"][0]):
            told = (
                f"max_j |x_j^GDA - x_j^flow| up to {one['max_errors'][0]:.3e} over [0, {horizon:g}], {e[-1]:.3e} at T"
            )
        else:
            told = (
                f"ended at t = {float(np.asarray(sol.final_time)):.4g}; max_j |x_j^GDA - x_j^flow| up to "
                f"{np.nanmax(e):.3e} before that"
                if np.any(np.isfinite(e))
                else "no finite error"
            )
        say(f"({i + 3}/{total}) GDA tau = {tau:g} ({n} steps): {sol.result_name} in {seconds:.1f} s; {told}")

    measured = flow_gda_errors(
        ts,
        flow.points,
        np.stack([np.asarray(s.points) for s in gda_sols]),
        taus,
        flow_end=float(np.asarray(flow.final_time)),
        gda_ends=[float(np.asarray(s.final_time)) for s in gda_sols],
    )
    smallest = np.nanmin(measured["max_errors"]) if np.any(np.isfinite(measured["max_errors"])) else math.nan
    flow_accurate = bool(math.isfinite(smallest) and check_diff <= 1e-2 * smallest)

    t0 = time.perf_counter()
    final_metrics = {"flow": _final_metrics(run_cfg, flow, data, centres)}
    for tau, sol in zip(taus, gda_sols):
        final_metrics[f"gda tau={tau:g}"] = _final_metrics(run_cfg, sol, data, centres)
    timings["metrics_s"] = time.perf_counter() - t0

    arrays = {
        "ts": ts,
        "taus": np.asarray(taus),
        "n_steps": np.asarray(n_steps),
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
        "std": np.asarray(run_cfg.data["target"]["std"]),
        "data_points": np.asarray(data.points, dtype=np.float64),
        "data_masses": np.asarray(data.masses, dtype=np.float64),
        "doc": np.asarray(ARRAYS_DOC),
    }
    files = {"arrays": write_npz(out / "arrays.npz", arrays)}

    t0 = time.perf_counter()
    if cfg.data["outputs"]["figures"]:
        files.update(_draw(cfg, out, arrays, label, params, seed))
    timings["plots_s"] = time.perf_counter() - t0
    timings["total_s"] = time.perf_counter() - start

    slope = measured["slope"]
    summary = {
        "kind": "compare",
        "study": cfg.name,
        "quick": cfg.quick,
        "config_file": cfg.source,
        "config": cfg.to_json(),
        "setting": json_ready(setting),
        "setting_label": label,
        "parameters": {
            k: json_ready(v) for k, v in params.items() if k not in ("n_steps", "save_every", "lr_g", "lr_d")
        },
        "seed": int(seed),
        "precision": "float64"
        + (" (promoted from the config's float32)" if cfg.data["precision"] == "float32" else ""),
        "horizon": horizon,
        "order": run_cfg.data["dynamics"]["order"],
        "velocity": run_cfg.data["game"]["velocity"],
        "taus": taus,
        "comparison_times": {"count": intervals + 1, "spacing": horizon / intervals},
        "errors": [
            {
                "tau": tau,
                "n_steps": n,
                "max_error": json_float(max_e),
                "final_error": json_float(final_e),
                "error_over_time": json_list(row),
            }
            for tau, n, max_e, final_e, row in zip(
                taus, n_steps, measured["max_errors"], measured["final_errors"], measured["errors"]
            )
        ],
        "ts": ts.tolist(),
        "slope": json_float(slope),
        "flow": {"settings": flow_info, "result": flow.result_name},
        "flow_check": {
            "settings": check_info,
            "max_difference": json_float(check_diff),
            "smallest_max_error": json_float(smallest),
            "accurate": flow_accurate,
        },
        "final_metrics": final_metrics,
        "runs": runs,
        "definitions": {
            "error_over_time": "e_tau(t) = max_j |x_j^GDA(t) - x_j^flow(t)| (Euclidean) at the comparison times, GDA "
            "step k at t = k tau; null past an early end of either run",
            "max_error": "max of e_tau over the comparison times in [0, T] (null if a run ended early)",
            "final_error": "e_tau(T)",
            "slope": "least-squares slope of log max_error against log tau (1 expected: first order)",
            "flow_check": "max particle distance between the reference flow and one with looser tolerances (or twice "
            "the step): an estimate of the looser flow's error; 'accurate' if it is below 1% of the "
            "smallest max_error",
            "kappa_flow": "the flow's kappa, n_critic * kappa",
            "final_metrics": "covered modes, high-quality fraction and exact W2 (POT) at the last finite save",
        },
        "timings_s": {k: round(v, 3) for k, v in timings.items()},
        "versions": versions(),
        "platform": {"system": platform.platform(), "devices": [str(dev) for dev in jax.devices()]},
    }
    files["compare"] = out / "compare.json"
    summary["files"] = {k: str(v) for k, v in files.items()}
    write_json(files["compare"], summary)
    say(
        f"done in {timings['total_s']:.1f} s; max error "
        + ", ".join(f"{e:.3e} (tau = {t:g})" for t, e in zip(taus, measured["max_errors"]))
        + f"; log-log slope {slope:.3f}"
        + (
            ""
            if flow_accurate
            else "; WARNING: the reference flow's check difference is not below 1% of the smallest error"
        )
        + f". Wrote {out}"
    )
    return summary


def redraw_compare(folder) -> dict:
    """Draw `compare.png` / `compare.svg` of a compare folder again from its `compare.json` and
    `arrays.npz` (`dualflow plot`); nothing is rerun. Returns the files written."""
    folder = Path(folder)
    summary = json.loads((folder / "compare.json").read_text())
    cfg = StudyConfig(data=parse_study(summary["config"]).data, quick=summary["quick"])
    with np.load(folder / "arrays.npz") as f:
        arrays = {k: f[k] for k in f.files}
    return _draw(cfg, folder, arrays, summary["setting_label"], summary["parameters"], summary["seed"])


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
