r"""Study configurations for the mode-collapse runner: the TOML schema, its validation and `--quick`.

A study config is a TOML file (read with `tomllib`) with these tables; every key has a default
except where noted, and unknown keys are rejected with the closest valid key suggested.

```toml
name = "ring8_kappa"          # used in titles and file names (default: the file's stem)
description = "..."           # free text, copied into summary.json
seeds = 5                     # a count n (seeds 0..n-1) or a list of distinct integers >= 0
precision = "float64"         # "float64" or "float32" (the runs; metrics are always float64)

[target]
name = "ring8"                # "ring8" (8 Gaussians on a circle) or "grid25" (5x5 grid)
n_data = 256                  # samples of the target (M)
std = 0.02                    # std of every mode
radius = 2.0                  # ring8: radius of the circle
spacing = 1.0                 # grid25: distance between neighbouring centres

[generator]
n_particles = 128             # N free particles, masses 1/N
init = "blob"                 # "blob": N(0, scale^2 I) at the centre; "gaussian": a wide Gaussian
scale = 0.2                   # std of the initial Gaussian (default 0.2 for a blob, the target's
                              # RMS radius for "gaussian")

[discriminator]
kind = "spectral"             # "spectral" (SpectralRKHS: the exact Gaussian kernel on a lattice, to tol),
                              # "rff" (FiniteRank over random Fourier features), "exact" (ExactRKHS,
                              # by its history), "neural" (an MLP critic)
bandwidth = 0.4               # Gaussian kernel bandwidth sigma (spectral, rff, exact)
tol = 1e-10                   # spectral: kernel accuracy of the lattice
box = 0.0                     # spectral: the particles' region [-box, box]^2 (0: the data and the
                              # initial particles with their own extent as room on each side)
n_features = 256              # rff: number of random Fourier features D
history_tol = 1e-8            # exact: weight below which the history may be truncated
width = 32                    # neural: hidden width
depth = 2                     # neural: hidden layers

[game]
payoff = "kernel_ipm"         # "kernel_ipm", "logistic", "non_saturating", "wgan_gp", "wgan_clip"
reg = 0.5                     # ridge lambda >= 0 (> 0 when kappa = inf)
velocity = "wasserstein"      # "wasserstein" (dx/dt = grad f) or "mass_weighted" (m_j grad f)
gradient_penalty = 1.0        # wgan_gp: penalty weight g
clip = 0.1                    # wgan_clip: parameter box [-c, c]

[dynamics]
compare = ["flow", "gda"]     # which dynamics to run for every setting
kappa = 10.0                  # time-scale ratio, > 0 or "inf" (or TOML's inf): the best response
tau = 0.05                    # GDA: lr_g = tau, lr_d = kappa * tau; t = k * tau
order = "alternating_d_first" # GDA step order ("simultaneous", "alternating_g_first")
n_critic = 1                  # GDA: D-steps per G-step; the flow then uses kappa_eff = n_critic * kappa
horizon = 20.0                # T in generator time, the same for flow and GDA (T / tau GDA steps)
n_saves = 41                  # saved times in [0, T]; (n_saves - 1) must divide T / tau
flow_rtol = 1e-5              # adaptive flow (Tsit5 + PID)
flow_atol = 1e-8
flow_dt0 = 0.0                # initial flow step (0: let diffrax choose; exact kernel: step bound)
flow_max_steps = 100000
blowup = 1000.0               # a run with max |x| above this ends as BLEW_UP
checkpoint_every = 0.0        # > 0: run in segments of this much generator time, saving the state
                              # after each (a killed run resumes from its last segment); 0: one piece

[sweep]                       # none, ONE or TWO axes (first: rows, second: columns), each a list;
                              # no [sweep]: the base values are the only setting
kappa = [0.1, 1, 10, "inf"]   # axes: kappa, n_critic, tau, payoff, bandwidth, discriminator
                              # (discriminator values: "spectral", "exact", "rff", "rff:D" with D
                              # features, "neural": the critics side by side)

[metrics]
every = 4                     # W2 / Sinkhorn / MMD at every `every`-th save (and the last)
distances = ["w2", "sinkhorn", "mmd"]
sinkhorn_epsilon = 0.05       # entropic regularization (squared-distance units)
mmd_bandwidth = 0.0           # MMD kernel bandwidth (0: the mode spacing)
radius_stds = 3.0             # a particle is "on" a mode within radius_stds * std of its centre
min_fraction = 0.05           # a mode is covered with at least this fraction of the particles
hop_persistence = 3           # saves a mode must persist to count (mode hopping)

[outputs]
figures = true                # write the PNG figures
animation = true              # write the flow-vs-GDA GIF
trajectory_every = 1          # positions saved in arrays.npz every `trajectory_every` saves
panel_settings = []           # settings drawn as field panels, e.g. [{kappa = 0.1}, {kappa = "inf"}]
                              # (default: the first and the last setting)
panel_times = []              # times of the panels (default: 0, T/10, T/4, T)
animation_setting = {}        # the setting animated (default: the middle one)
animation_frames = 30

[quick]                       # overrides applied by --quick, same tables and keys
seeds = 2
[quick.generator]
n_particles = 32
```

`load_study(path, quick=...)` reads, merges the quick overrides, fills the defaults, validates
everything (collecting every problem into one `ConfigError` that names each key path) and
returns a `StudyConfig`.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import itertools
import math
import tomllib
from pathlib import Path

import numpy as np

__all__ = ["AXES", "DYNAMICS_LABELS", "ConfigError", "StudyConfig", "centres_of", "load_study", "parse_study",
           "parse_value"]

#: How the dynamics are named in figures and tables.
DYNAMICS_LABELS = {"flow": "dual flow", "gda": "GDA"}


class ConfigError(ValueError):
    """A study configuration is invalid; the message lists every problem with its key path."""

    def __init__(self, problems, source: str | None = None):
        self.problems = list(problems)
        where = f" in {source}" if source else ""
        lines = "\n".join(f"  - {p}" for p in self.problems)
        super().__init__(f"invalid study configuration{where}:\n{lines}")


REQUIRED = object()


@dataclasses.dataclass(frozen=True)
class Field:
    """One key of the schema: its `kind` (see `_check_value`), default, range and choices."""

    kind: str
    default: object
    minimum: float | None = None
    strict: bool = False  # minimum excluded
    choices: tuple = ()
    maximum: float | None = None


PAYOFFS = ("kernel_ipm", "logistic", "non_saturating", "wgan_gp", "wgan_clip")
DISCRIMINATORS = ("spectral", "rff", "exact", "neural")
DYNAMICS = ("flow", "gda")
ORDERS = ("simultaneous", "alternating_d_first", "alternating_g_first")
DISTANCES = ("w2", "sinkhorn", "mmd")

SCHEMA: dict = {
    "name": Field("str", None),
    "description": Field("str", ""),
    "seeds": Field("seeds", 5),
    "precision": Field("str", "float64", choices=("float64", "float32")),
    "target": {
        "name": Field("str", "ring8", choices=("ring8", "grid25")),
        "n_data": Field("int", 256, minimum=1),
        "std": Field("float", 0.02, minimum=0, strict=True),
        "radius": Field("float", 2.0, minimum=0, strict=True),
        "spacing": Field("float", 1.0, minimum=0, strict=True),
    },
    "generator": {
        "n_particles": Field("int", 128, minimum=2),
        "init": Field("str", "blob", choices=("blob", "gaussian")),
        "scale": Field("float", 0.0, minimum=0),
    },
    "discriminator": {
        "kind": Field("str", "spectral", choices=DISCRIMINATORS),
        "bandwidth": Field("float", 0.4, minimum=0, strict=True),
        "tol": Field("float", 1e-10, minimum=0, strict=True, maximum=0.1),
        "box": Field("float", 0.0, minimum=0),
        "n_features": Field("int", 256, minimum=1),
        "history_tol": Field("float", 1e-8, minimum=0, strict=True, maximum=1),
        "width": Field("int", 32, minimum=1),
        "depth": Field("int", 2, minimum=1),
    },
    "game": {
        "payoff": Field("str", "kernel_ipm", choices=PAYOFFS),
        "reg": Field("float", 0.5, minimum=0),
        "velocity": Field("str", "wasserstein", choices=("wasserstein", "mass_weighted")),
        "gradient_penalty": Field("float", 1.0, minimum=0, strict=True),
        "clip": Field("float", 0.1, minimum=0, strict=True),
    },
    "dynamics": {
        "compare": Field("dynamics", ["flow", "gda"]),
        "kappa": Field("kappa", 10.0),
        "tau": Field("float", 0.05, minimum=0, strict=True),
        "order": Field("str", "alternating_d_first", choices=ORDERS),
        "n_critic": Field("int", 1, minimum=1),
        "horizon": Field("float", 20.0, minimum=0, strict=True),
        "n_saves": Field("int", 41, minimum=2),
        "flow_rtol": Field("float", 1e-5, minimum=0, strict=True),
        "flow_atol": Field("float", 1e-8, minimum=0, strict=True),
        "flow_dt0": Field("float", 0.0, minimum=0),
        "flow_max_steps": Field("int", 100_000, minimum=1),
        "blowup": Field("float", 1000.0, minimum=0, strict=True),
        "checkpoint_every": Field("float", 0.0, minimum=0),
    },
    "sweep": None,  # checked by `_check_sweep`
    "metrics": {
        "every": Field("int", 4, minimum=1),
        "distances": Field("distances", ["w2", "sinkhorn", "mmd"]),
        "sinkhorn_epsilon": Field("float", 0.05, minimum=0, strict=True),
        "mmd_bandwidth": Field("float", 0.0, minimum=0),
        "radius_stds": Field("float", 3.0, minimum=0, strict=True),
        "min_fraction": Field("float", 0.05, minimum=0, maximum=1),
        "hop_persistence": Field("int", 3, minimum=1),
    },
    "outputs": {
        "figures": Field("bool", True),
        "animation": Field("bool", True),
        "trajectory_every": Field("int", 1, minimum=1),
        "panel_settings": Field("settings", []),
        "panel_times": Field("floats", []),
        "animation_setting": Field("setting", {}),
        "animation_frames": Field("int", 30, minimum=2),
    },
}

#: The swept axes, the kind of their values and the key each one overrides.
AXES = {
    "kappa": ("kappa", ("dynamics", "kappa")),
    "n_critic": ("int>=1", ("dynamics", "n_critic")),
    "tau": ("float>0", ("dynamics", "tau")),
    "payoff": ("payoff", ("game", "payoff")),
    "bandwidth": ("float>0", ("discriminator", "bandwidth")),
    "discriminator": ("discriminator", ("discriminator", "kind")),
}

#: What `--quick` does before the config's own `[quick]` table: fewer seeds, particles, data,
#: features, saves and a quarter of the horizon (a config whose taus do not divide the quick
#: horizon sets `[quick.dynamics] horizon` itself).
QUICK_DEFAULTS = {
    "seeds": 2,
    "generator": {"n_particles": 32},
    "target": {"n_data": 64},
    "discriminator": {"n_features": 64, "width": 16},
    "dynamics": {"n_saves": 11},
    "metrics": {"every": 2},
    "outputs": {"animation_frames": 8},
}


def _path(*parts) -> str:
    return ".".join(str(p) for p in parts if p != "")


def _suggest(key: str, valid) -> str:
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; valid keys: {', '.join(sorted(valid))}"


def _type_name(value) -> str:
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
            dict: "a table"}.get(type(value), type(value).__name__)


def _is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_kappa(value, where, problems):
    """kappa: a positive number, or "inf" / TOML's inf (the best-response limit)."""
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
        return math.inf
    if _is_number(value) and (value > 0 and not math.isnan(value)):
        return float(value)
    problems.append(f"{where}: expected a positive number or \"inf\", received {value!r}")
    return None


def _check_scalar(field: Field, value, where, problems):
    kind = field.kind
    if kind == "kappa":
        return _check_kappa(value, where, problems)
    if kind == "bool":
        if not isinstance(value, bool):
            problems.append(f"{where}: expected true or false, received {_type_name(value)} {value!r}")
            return None
        return value
    if kind == "str":
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string, received {_type_name(value)} {value!r}")
            return None
        if field.choices and value not in field.choices:
            hint = difflib.get_close_matches(value, field.choices, n=1, cutoff=0.5)
            problems.append(f"{where}: expected one of {list(field.choices)}, received {value!r}"
                            + (f"; did you mean {hint[0]!r}?" if hint else ""))
            return None
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where}: expected an integer, received {_type_name(value)} {value!r}")
            return None
    elif kind == "float":
        if not _is_number(value) or not math.isfinite(value):
            problems.append(f"{where}: expected a finite number, received {_type_name(value)} {value!r}")
            return None
        value = float(value)
    else:  # pragma: no cover - schema bug
        raise AssertionError(kind)
    if field.minimum is not None and (value <= field.minimum if field.strict else value < field.minimum):
        problems.append(f"{where}: expected a number {'>' if field.strict else '>='} {field.minimum:g}, "
                        f"received {value!r}")
        return None
    if field.maximum is not None and value > field.maximum:
        problems.append(f"{where}: expected a number <= {field.maximum:g}, received {value!r}")
        return None
    return value


def _check_list(value, where, problems, item_check, *, allow_empty=False):
    if not isinstance(value, list):
        problems.append(f"{where}: expected a list, received {_type_name(value)} {value!r}")
        return None
    if not value and not allow_empty:
        problems.append(f"{where}: expected a non-empty list")
        return None
    out = [item_check(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return None if any(item is None for item in out) else out


def _check_value(field: Field, value, where, problems):
    kind = field.kind
    if kind == "seeds":
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                problems.append(f"{where}: expected a count >= 1 or a list of seeds, received {value!r}")
                return None
            return list(range(value))
        seeds = _check_list(value, where, problems,
                            lambda s, w: _check_scalar(Field("int", 0, minimum=0), s, w, problems))
        if seeds is not None and len(set(seeds)) != len(seeds):
            problems.append(f"{where}: the seeds must be distinct, received {value!r}")
            return None
        return seeds
    if kind == "dynamics":
        out = _check_list(value, where, problems,
                          lambda s, w: _check_scalar(Field("str", "", choices=DYNAMICS), s, w, problems))
        if out is not None and len(set(out)) != len(out):
            problems.append(f"{where}: each dynamics at most once, received {value!r}")
            return None
        return out
    if kind == "distances":
        return _check_list(value, where, problems,
                           lambda s, w: _check_scalar(Field("str", "", choices=DISTANCES), s, w, problems),
                           allow_empty=True)
    if kind == "floats":
        return _check_list(value, where, problems,
                           lambda s, w: _check_scalar(Field("float", 0.0, minimum=0), s, w, problems),
                           allow_empty=True)
    if kind == "settings":
        return _check_list(value, where, problems, lambda s, w: _check_setting_table(s, w, problems),
                           allow_empty=True)
    if kind == "setting":
        return _check_setting_table(value, where, problems)
    return _check_scalar(field, value, where, problems)


def _check_setting_table(value, where, problems):
    """A setting named by its swept values, e.g. `{kappa = 0.1}` (matched later against the sweep)."""
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a table such as {{kappa = 1.0}}, received {_type_name(value)} {value!r}")
        return None
    out = {}
    for axis, v in value.items():
        if axis not in AXES:
            problems.append(f"{where}: unknown axis {axis!r}{_suggest(axis, AXES)}")
            continue
        checked = _check_axis_value(axis, v, f"{where}.{axis}", problems)
        if checked is not None:
            out[axis] = checked
    return out if len(out) == len(value) else None


def _check_axis_value(axis, value, where, problems):
    kind = AXES[axis][0]
    if kind == "kappa":
        return _check_kappa(value, where, problems)
    if kind == "int>=1":
        return _check_scalar(Field("int", 1, minimum=1), value, where, problems)
    if kind == "float>0":
        return _check_scalar(Field("float", 1.0, minimum=0, strict=True), value, where, problems)
    if kind == "payoff":
        return _check_scalar(Field("str", "", choices=PAYOFFS), value, where, problems)
    if kind == "discriminator":
        try:
            discriminator_choice(value)
        except ValueError as error:
            problems.append(f"{where}: {error}")
            return None
        return value
    raise AssertionError(kind)  # pragma: no cover


def discriminator_choice(value) -> tuple[str, int | None]:
    """`(kind, n_features)` of a value of the `discriminator` axis: `"spectral"`, `"exact"`,
    `"neural"`, `"rff"` (`n_features` from the config) or `"rff:D"` (`D` features)."""
    kind, _, count = str(value).partition(":") if isinstance(value, str) else ("", "", "")
    if kind not in DISCRIMINATORS or (count and (kind != "rff" or not count.isdigit() or int(count) < 1)):
        raise ValueError(f"expected one of {', '.join(repr(k) for k in DISCRIMINATORS)} or \"rff:D\" with an integer "
                         f"D >= 1; received {value!r}")
    return kind, int(count) if count else None


def _check_table(raw, schema, where, problems, *, partial: bool):
    """Check the keys of one table against its schema; returns the checked values (defaults
    filled unless `partial`)."""
    out = {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table, received {_type_name(raw)} {raw!r}")
        return out
    for key, value in raw.items():
        path = _path(where, key)
        if key not in schema:
            problems.append(f"{path}: unknown key{_suggest(key, schema)}")
            continue
        spec = schema[key]
        if spec is None:  # the sweep
            out[key] = _check_sweep(value, path, problems, partial=partial)
        elif isinstance(spec, dict):
            out[key] = _check_table(value, spec, path, problems, partial=partial)
        else:
            out[key] = _check_value(spec, value, path, problems)
    if not partial:
        for key, spec in schema.items():
            if key in out:
                continue
            if isinstance(spec, dict):
                out[key] = _check_table({}, spec, _path(where, key), problems, partial=False)
            elif spec is None:
                out[key] = {}  # no sweep: the base values are the one setting
            else:
                out[key] = copy.deepcopy(spec.default)
    return out


def _check_sweep(raw, where, problems, *, partial: bool):
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table of swept axes, received {_type_name(raw)} {raw!r}")
        return {}
    out = {}
    for axis, values in raw.items():
        path = _path(where, axis)
        if axis not in AXES:
            problems.append(f"{path}: unknown axis{_suggest(axis, AXES)} (axes: {', '.join(AXES)})")
            continue
        checked = _check_list(values, path, problems, lambda v, w, a=axis: _check_axis_value(a, v, w, problems))
        if checked is not None:
            if len(set(checked)) != len(checked):
                problems.append(f"{path}: the swept values must be distinct, received {values!r}")
                continue
            out[axis] = checked
    if not partial and len(raw) > 2:
        problems.append(f"{where}: sweep at most two axes; received {len(raw)} ({', '.join(raw)})")
    return out


def _merge(base: dict, override: dict) -> dict:
    """`base` with `override` merged in, table by table (the sweep is replaced as a whole)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "sweep":
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


@dataclasses.dataclass(frozen=True)
class StudyConfig:
    """A validated study configuration.

    **Fields:**

    - `data`: the resolved configuration, a nested dict with every default filled (tables
      `target`, `generator`, `discriminator`, `game`, `dynamics`, `sweep`, `metrics`,
      `outputs`; scalars `name`, `description`, `seeds` (a list), `precision`); `kappa = inf`
      is `math.inf`.
    - `quick`: whether the `--quick` overrides were applied.
    - `source`: the file it was read from (`None` for a dict).
    - `source_text`: that file's text (`None` for a dict).

    **Properties:** `axes` (list of `(name, values)`), `shape` (settings per axis),
    `settings` (every swept combination, row-major, as dicts), `seeds`.
    """

    data: dict
    quick: bool = False
    source: str | None = None
    source_text: str | None = None

    @property
    def name(self) -> str:
        return self.data["name"]

    @property
    def seeds(self) -> list[int]:
        return list(self.data["seeds"])

    @property
    def axes(self) -> list[tuple[str, list]]:
        return list(self.data["sweep"].items())

    @property
    def shape(self) -> tuple[int, ...]:
        return tuple(len(values) for _, values in self.axes)

    @property
    def settings(self) -> list[dict]:
        names = [name for name, _ in self.axes]
        return [dict(zip(names, combo)) for combo in itertools.product(*(values for _, values in self.axes))]

    def parameters(self, setting: dict) -> dict:
        """The effective run parameters of one setting: the base values with the swept ones
        replaced (`kappa`, `tau`, `n_critic`, `payoff`, `bandwidth`, `discriminator` with its
        `kind` and `n_features`, `kappa_flow` =
        `n_critic * kappa`, `lr_g`, `lr_d`, `n_steps`, `save_every`)."""
        d = self.data
        p = {"kappa": d["dynamics"]["kappa"], "tau": d["dynamics"]["tau"], "n_critic": d["dynamics"]["n_critic"],
             "payoff": d["game"]["payoff"], "bandwidth": d["discriminator"]["bandwidth"],
             "discriminator": d["discriminator"]["kind"]}
        p.update(setting)
        kind, n_features = discriminator_choice(p["discriminator"])
        p["kind"], p["n_features"] = kind, n_features or d["discriminator"]["n_features"]
        p["kappa_flow"] = p["n_critic"] * p["kappa"]
        p["lr_g"] = p["tau"]
        p["lr_d"] = p["kappa"] * p["tau"] if math.isfinite(p["kappa"]) else None
        n_steps = d["dynamics"]["horizon"] / p["tau"]
        p["n_steps"] = round(n_steps)
        p["save_every"] = p["n_steps"] // (d["dynamics"]["n_saves"] - 1) if p["n_steps"] else 0
        return p

    def to_json(self) -> dict:
        """The resolved configuration, JSON-ready (`inf` written as the string `"inf"`)."""
        return _json_ready(self.data)


def _json_ready(value):
    if isinstance(value, float) and math.isinf(value):
        return "inf" if value > 0 else "-inf"
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return value


def setting_label(setting: dict) -> str:
    """`"kappa = 0.1, bandwidth = 0.3"`."""
    return ", ".join(f"{axis} = {format_value(value)}" for axis, value in setting.items())


def setting_slug(setting: dict) -> str:
    """A file-name-safe name of a setting: `"kappa-0.1_bandwidth-0.3"` (`"rff:256"` as `"rff256"`)."""
    return "_".join(f"{axis}-{format_value(value).replace(':', '')}" for axis, value in setting.items())


def format_value(value) -> str:
    if isinstance(value, float):
        return "inf" if math.isinf(value) else f"{value:g}"
    return str(value)


def _cross_checks(cfg: StudyConfig, problems: list) -> None:
    d = cfg.data
    dyn, game = d["dynamics"], d["game"]
    if not dyn["compare"]:
        problems.append("dynamics.compare: expected a non-empty list of \"flow\" and/or \"gda\"")
    if d["outputs"]["trajectory_every"] > dyn["n_saves"]:
        problems.append(f"outputs.trajectory_every: must be at most dynamics.n_saves ({dyn['n_saves']})")
    if d["metrics"]["every"] > dyn["n_saves"]:
        problems.append(f"metrics.every: must be at most dynamics.n_saves ({dyn['n_saves']})")
    seen = set()
    for setting in cfg.settings:
        p = cfg.parameters(setting)
        where = f"sweep ({setting_label(setting)})" if setting else "dynamics"
        if math.isinf(p["kappa"]):
            reasons = []
            if p["payoff"] != "kernel_ipm":
                reasons.append(f"payoff {p['payoff']!r} has no closed-form best response (kernel_ipm only)")
            if p["kind"] == "neural":
                reasons.append("a neural discriminator has no best response")
            if game["reg"] <= 0:
                reasons.append("game.reg must be > 0")
            for reason in reasons:
                problems.append(f"{where}: kappa = inf (the best response) is not available: {reason}")
        if p["payoff"].startswith("wgan") and p["kind"] in ("exact", "spectral"):
            problems.append(f"{where}: payoff {p['payoff']!r} constrains a critic's parameters; use "
                            f"discriminator.kind = \"rff\" or \"neural\", not {p['kind']!r}")
        if p["kind"] == "exact" and "flow" in dyn["compare"] and p["payoff"] != "kernel_ipm":
            problems.append(f"{where}: the exact-kernel flow is implemented for payoff \"kernel_ipm\" only; "
                            f"received {p['payoff']!r} (use discriminator.kind = \"rff\")")
        if "gda" in dyn["compare"] and p["tau"] not in seen:
            seen.add(p["tau"])
            steps = dyn["horizon"] / p["tau"]
            if p["n_steps"] < 1 or not math.isclose(steps, p["n_steps"], rel_tol=1e-9, abs_tol=1e-9):
                problems.append(f"dynamics.horizon ({dyn['horizon']:g}) must be a whole number of GDA steps of "
                                f"tau = {p['tau']:g}; received {steps:g} steps")
            elif p["n_steps"] % (dyn["n_saves"] - 1):
                problems.append(f"dynamics.n_saves - 1 ({dyn['n_saves'] - 1}) must divide the number of GDA steps "
                                f"horizon / tau = {p['n_steps']} (tau = {p['tau']:g})")
    _check_checkpoints(cfg, problems)
    names = [name for name, _ in cfg.axes]
    outputs = d["outputs"]
    chosen = [("outputs.panel_settings", s) for s in outputs["panel_settings"]] if outputs["figures"] else []
    if outputs["animation_setting"] and outputs["animation"]:
        chosen.append(("outputs.animation_setting", outputs["animation_setting"]))
    for where, setting in chosen:
        if set(setting) != set(names):
            problems.append(f"{where}: name a value of every swept axis ({', '.join(names)}); received "
                            f"{setting_label(setting) or 'none'}")
        elif not any(all(s[k] == setting[k] for k in names) for s in cfg.settings):
            problems.append(f"{where}: {setting_label(setting)} is not one of the swept settings")
    for t in outputs["panel_times"]:
        if t > dyn["horizon"]:
            problems.append(f"outputs.panel_times: {t:g} is past the horizon {dyn['horizon']:g}")


def _check_checkpoints(cfg: StudyConfig, problems: list) -> None:
    """`dynamics.checkpoint_every` must cut the horizon into whole segments that end on saves."""
    dyn = cfg.data["dynamics"]
    every = dyn["checkpoint_every"]
    if every == 0:
        return
    segments = dyn["horizon"] / every
    if round(segments) < 1 or not math.isclose(segments, round(segments), rel_tol=1e-9):
        problems.append(f"dynamics.checkpoint_every ({every:g}) must divide the horizon ({dyn['horizon']:g}) into "
                        f"whole segments; received {segments:g} segments")
    elif (dyn["n_saves"] - 1) % round(segments):
        problems.append(f"dynamics.checkpoint_every: the {round(segments)} segments must each end on a save, so "
                        f"they must divide dynamics.n_saves - 1 ({dyn['n_saves'] - 1})")
    elif any(cfg.parameters(s)["kind"] == "exact" and math.isfinite(cfg.parameters(s)["kappa"])
             for s in cfg.settings):
        problems.append("dynamics.checkpoint_every: the exact RKHS discriminator's state is its whole history and "
                        "cannot be restarted; use 0 (no segments) or discriminator.kind = \"rff\"")


def parse_study(raw: dict, *, quick: bool = False, source: str | None = None,
                source_text: str | None = None, name: str | None = None, sweep: dict | None = None) -> StudyConfig:
    """Validate a parsed study configuration (a dict as `tomllib` returns it).

    **Arguments:**

    - `raw`: the configuration tables (see the module docstring).
    - `quick`: apply `QUICK_DEFAULTS` and then the config's own `[quick]` table.
    - `source`, `source_text`: where it was read from (kept for the results store).
    - `name`: the study name when `raw` has none (default `"study"`).
    - `sweep`: swept axes that replace the config's `[sweep]` (and its `[quick.sweep]`), e.g.
      `{"kappa": [0.1, 1, "inf"]}` (`dualflow sweep --over`); the panels and the animation then
      fall back to their default settings.

    **Returns:** a `StudyConfig`. **Raises:** `ConfigError` (a `ValueError`) listing every problem.
    """
    problems: list[str] = []
    if not isinstance(raw, dict):
        raise ConfigError([f"expected a table of settings, received {_type_name(raw)}"], source)
    raw = dict(raw)
    quick_table = raw.pop("quick", {})
    if sweep is not None:
        raw, quick_table = _with_sweep(raw, sweep), _with_sweep(quick_table, None)
    schema_keys = dict(SCHEMA)
    if isinstance(quick_table, dict):
        if "quick" in quick_table:
            problems.append("quick.quick: a [quick] table cannot hold another one")
            quick_table = {k: v for k, v in quick_table.items() if k != "quick"}
        _check_table(quick_table, schema_keys, "quick", problems, partial=True)
    else:
        problems.append(f"quick: expected a table of overrides, received {_type_name(quick_table)}")
    _check_table(raw, schema_keys, "", problems, partial=True)  # report the file's own keys first
    if problems:
        raise ConfigError(problems, source)
    merged = _merge(_merge(raw, _quick_defaults(raw)), quick_table) if quick else raw
    data = _check_table(merged, schema_keys, "", problems, partial=False)
    if problems:
        raise ConfigError(problems, source)
    if data["name"] is None:
        data["name"] = name or "study"
    if data["generator"]["scale"] == 0.0:
        data["generator"]["scale"] = 0.2 if data["generator"]["init"] == "blob" else _target_rms(data["target"])
    cfg = StudyConfig(data=data, quick=quick, source=source, source_text=source_text)
    _cross_checks(cfg, problems)
    if problems:
        raise ConfigError(problems, source)
    return cfg


def _with_sweep(table, sweep):
    """`table` with its sweep replaced by `sweep` (`None`: removed) and the outputs that name
    swept settings dropped."""
    if not isinstance(table, dict):
        return table
    out = {k: v for k, v in table.items() if k != "sweep"}
    if sweep is not None:
        out["sweep"] = sweep
    if isinstance(out.get("outputs"), dict):
        out["outputs"] = {k: v for k, v in out["outputs"].items() if k not in ("panel_settings", "animation_setting")}
    return out


def _quick_defaults(raw: dict) -> dict:
    """`QUICK_DEFAULTS` for this config: never more than it asks for, and a quarter of its horizon."""
    out = copy.deepcopy(QUICK_DEFAULTS)
    seeds = raw.get("seeds", SCHEMA["seeds"].default)
    if isinstance(seeds, list):
        out["seeds"] = seeds[:2]
    elif isinstance(seeds, int) and not isinstance(seeds, bool):
        out["seeds"] = min(seeds, 2)
    for table, key in (("generator", "n_particles"), ("target", "n_data"), ("discriminator", "n_features"),
                       ("discriminator", "width"), ("dynamics", "n_saves")):
        given = raw.get(table, {}).get(key) if isinstance(raw.get(table), dict) else None
        if _is_number(given):
            out[table][key] = min(given, out[table][key])
    horizon = raw.get("dynamics", {}).get("horizon", SCHEMA["dynamics"]["horizon"].default) \
        if isinstance(raw.get("dynamics"), dict) else SCHEMA["dynamics"]["horizon"].default
    if _is_number(horizon):
        out["dynamics"]["horizon"] = float(horizon) / 4
    every = raw.get("dynamics", {}).get("checkpoint_every") if isinstance(raw.get("dynamics"), dict) else None
    if _is_number(every):
        out["dynamics"]["checkpoint_every"] = float(every) / 4  # the same number of segments
    return out


def _target_rms(target: dict) -> float:
    """RMS distance of the target's mass from its centre (the scale of a matched wide Gaussian, per axis)."""
    if target["name"] == "ring8":
        mean_square = target["radius"] ** 2
    else:  # grid25: coordinates in {-2..2} * spacing, mean square 2 * spacing^2 per axis
        mean_square = 2 * 2 * target["spacing"] ** 2
    return math.sqrt(mean_square / 2 + target["std"] ** 2)


def load_study(path, *, quick: bool = False, sweep: dict | None = None) -> StudyConfig:
    """Read and validate a study configuration from a TOML file.

    **Arguments:** `path` (a `.toml` file), `quick` (apply the `--quick` overrides), `sweep`
    (axes replacing the file's `[sweep]`, see `parse_study`).

    **Returns:** a `StudyConfig`. **Raises:** `ConfigError` for a file that cannot be read or
    parsed, or any invalid key or value (with its key path and, for unknown keys, the closest
    valid one).

    **Example:**

    ```python
    cfg = load_study("examples/configs/ring8_kappa.toml", quick=True)
    [setting for setting in cfg.settings]   # [{'kappa': 0.1}, ..., {'kappa': inf}]
    ```
    """
    path = Path(path)
    try:
        text = path.read_text()
    except OSError as error:
        raise ConfigError([f"cannot read the file: {error.strerror or error}"], str(path)) from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ConfigError([f"not valid TOML: {error}"], str(path)) from None
    return parse_study(raw, quick=quick, source=str(path), source_text=text, name=path.stem, sweep=sweep)


def parse_value(text: str):
    """A value typed on the command line, read as TOML reads it: `3` (an integer), `0.1`, `inf`,
    `"logistic"`; anything TOML does not read, such as a bare `logistic`, is that string."""
    try:
        return tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        return text


def centres_of(cfg: StudyConfig) -> np.ndarray:
    """The target's mode centres, `(K, 2)` float64."""
    from ..measures.targets import grid25_centres, ring8_centres

    target = cfg.data["target"]
    if target["name"] == "ring8":
        return np.asarray(ring8_centres(target["radius"]), dtype=np.float64)
    return np.asarray(grid25_centres(target["spacing"]), dtype=np.float64)
