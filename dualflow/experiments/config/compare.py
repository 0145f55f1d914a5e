r"""The configuration of a flow-versus-GDA comparison (`dualflow compare`): the setting written into
a study config's base values, the step sizes $\tau$ checked against the horizon, the comparison
grid, and the configs of the reference flow (tight tolerances) and of its check (looser)."""

from __future__ import annotations

import copy
import dataclasses
import difflib
import math

import numpy as np

from .schema import AXES
from .study import ConfigError, StudyConfig, format_value, parse_study, setting_label

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
                f"--taus: the horizon dynamics.t1 = {horizon:g} must be a whole number of GDA steps "
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


@dataclasses.dataclass(frozen=True)
class ComparisonPlan:
    """What `dualflow compare` will run, checked before anything runs (`plan_comparison`).

    **Fields:** `config` (the study config as given), `resolved` (with the setting written into
    its base values), `setting` (the checked setting), `parameters` (the run parameters of the
    base values), `taus` (descending) with their `n_steps`, `intervals` (comparison intervals
    $S$ on $[0, T]$), `runs` and `check` (the configs of the reference flow and GDA, and of the
    check flow)."""

    config: StudyConfig
    resolved: StudyConfig
    setting: dict
    parameters: dict
    taus: list
    n_steps: list
    intervals: int
    runs: StudyConfig
    check: StudyConfig

    @property
    def t1(self) -> float:
        return self.resolved.data["dynamics"]["t1"]

    @property
    def label(self) -> str:
        return setting_label(self.setting) or "base values"


def plan_comparison(cfg: StudyConfig, setting: dict | None, taus) -> ComparisonPlan:
    """The comparison of `setting` (values of swept axes; `None`: the base values) at the step
    sizes `taus` (`None`: the setting's tau, tau/2, tau/4), validated: `ConfigError` names every
    problem (`--set`, `--taus`)."""
    resolved, setting = _resolve(cfg, setting)
    params = resolved.parameters({})
    if taus is None:
        taus = [params["tau"] / k for k in DEFAULT_TAU_DIVISORS]
    elif isinstance(taus, (int, float)):
        taus = [taus]
    horizon = resolved.data["dynamics"]["t1"]
    taus, n_steps = _check_taus(list(taus), horizon)
    intervals = _comparison_intervals(n_steps)
    return ComparisonPlan(
        cfg,
        resolved,
        setting,
        params,
        taus,
        n_steps,
        intervals,
        _run_config(resolved, intervals, taus, check=False),
        _run_config(resolved, intervals, taus, check=True),
    )


def flow_settings(run_cfg: StudyConfig) -> dict:
    """How the flow of `run_cfg` is integrated (for the summary and the log)."""
    dyn = run_cfg.data["dynamics"]
    if run_cfg.data["discriminator"]["kind"] == "exact" and math.isfinite(run_cfg.parameters({})["kappa"]):
        return {"method": "history quadrature (trapezoidal memory, Heun particle steps)", "dt_max": dyn["flow_dt0"]}
    return {
        "method": "adaptive Tsit5 + PID controller",
        "rtol": dyn["flow_rtol"],
        "atol": dyn["flow_atol"],
        "max_steps": dyn["max_steps"],
    }
