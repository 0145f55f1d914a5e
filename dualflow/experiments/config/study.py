r"""The study configuration model: `StudyConfig` (validated, frozen), its settings and parameters,
and `load_study` / `parse_study`, which read a TOML file or a dict, merge the `--quick` overrides,
fill the defaults and validate everything against the schema (`dualflow.experiments.config.schema`)."""

from __future__ import annotations

import copy
import dataclasses
import itertools
import math
import tomllib
from pathlib import Path

import numpy as np

from ..._json import json_ready
from .schema import QUICK_DEFAULTS, SCHEMA, ConfigError
from .validate import check_table, discriminator_choice, is_number, merge_tables, type_name

#: How the dynamics are named in figures and tables.
DYNAMICS_LABELS = {"flow": "dual flow", "gda": "GDA"}


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
    `settings` (every swept combination, row-major, as dicts), `seeds`, `save_times`.
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

    @property
    def save_times(self) -> np.ndarray:
        """The saved times `linspace(0, t1, n_saves)` in generator time, shared by the flow and GDA."""
        return np.linspace(0.0, self.data["dynamics"]["t1"], self.data["dynamics"]["n_saves"])

    def parameters(self, setting: dict) -> dict:
        """The effective run parameters of one setting: the base values with the swept ones
        replaced (`kappa`, `tau`, `n_critic`, `payoff`, `bandwidth`, `discriminator` with its
        `kind` and `n_features`, `kappa_flow` =
        `n_critic * kappa`, `lr_g`, `lr_d`, `n_steps`, `save_every`)."""
        d = self.data
        p = {
            "kappa": d["dynamics"]["kappa"],
            "tau": d["dynamics"]["tau"],
            "n_critic": d["dynamics"]["n_critic"],
            "payoff": d["game"]["payoff"],
            "bandwidth": d["discriminator"]["bandwidth"],
            "discriminator": d["discriminator"]["kind"],
        }
        p.update(setting)
        kind, n_features = discriminator_choice(p["discriminator"])
        p["kind"], p["n_features"] = kind, n_features or d["discriminator"]["n_features"]
        p["kappa_flow"] = p["n_critic"] * p["kappa"]
        p["lr_g"] = p["tau"]
        p["lr_d"] = p["kappa"] * p["tau"] if math.isfinite(p["kappa"]) else None
        n_steps = d["dynamics"]["t1"] / p["tau"]
        p["n_steps"] = round(n_steps)
        p["save_every"] = p["n_steps"] // (d["dynamics"]["n_saves"] - 1) if p["n_steps"] else 0
        return p

    def to_json(self) -> dict:
        """The resolved configuration, JSON-ready (`inf` written as the string `"inf"`)."""
        return json_ready(self.data)


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
        problems.append('dynamics.compare: expected a non-empty list of "flow" and/or "gda"')
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
            problems.append(
                f"{where}: payoff {p['payoff']!r} constrains a critic's parameters; use "
                f'discriminator.kind = "rff" or "neural", not {p["kind"]!r}'
            )
        if p["kind"] == "exact" and "flow" in dyn["compare"] and p["payoff"] != "kernel_ipm":
            problems.append(
                f'{where}: the exact-kernel flow is implemented for payoff "kernel_ipm" only; '
                f'received {p["payoff"]!r} (use discriminator.kind = "rff")'
            )
        if "gda" in dyn["compare"] and p["tau"] not in seen:
            seen.add(p["tau"])
            steps = dyn["t1"] / p["tau"]
            if p["n_steps"] < 1 or not math.isclose(steps, p["n_steps"], rel_tol=1e-9, abs_tol=1e-9):
                problems.append(
                    f"dynamics.t1 ({dyn['t1']:g}) must be a whole number of GDA steps of "
                    f"tau = {p['tau']:g}; received {steps:g} steps"
                )
            elif p["n_steps"] % (dyn["n_saves"] - 1):
                problems.append(
                    f"dynamics.n_saves - 1 ({dyn['n_saves'] - 1}) must divide the number of GDA steps "
                    f"horizon / tau = {p['n_steps']} (tau = {p['tau']:g})"
                )
    _check_checkpoints(cfg, problems)
    names = [name for name, _ in cfg.axes]
    outputs = d["outputs"]
    chosen = [("outputs.panel_settings", s) for s in outputs["panel_settings"]] if outputs["figures"] else []
    if outputs["animation_setting"] and outputs["animation"]:
        chosen.append(("outputs.animation_setting", outputs["animation_setting"]))
    for where, setting in chosen:
        if set(setting) != set(names):
            problems.append(
                f"{where}: name a value of every swept axis ({', '.join(names)}); received "
                f"{setting_label(setting) or 'none'}"
            )
        elif not any(all(s[k] == setting[k] for k in names) for s in cfg.settings):
            problems.append(f"{where}: {setting_label(setting)} is not one of the swept settings")
    for t in outputs["panel_times"]:
        if t > dyn["t1"]:
            problems.append(f"outputs.panel_times: {t:g} is past the horizon {dyn['t1']:g}")


def _check_checkpoints(cfg: StudyConfig, problems: list) -> None:
    """`dynamics.checkpoint_every` must cut the horizon into whole segments that end on saves."""
    dyn = cfg.data["dynamics"]
    every = dyn["checkpoint_every"]
    if every == 0:
        return
    segments = dyn["t1"] / every
    if round(segments) < 1 or not math.isclose(segments, round(segments), rel_tol=1e-9):
        problems.append(
            f"dynamics.checkpoint_every ({every:g}) must divide the horizon ({dyn['t1']:g}) into "
            f"whole segments; received {segments:g} segments"
        )
    elif (dyn["n_saves"] - 1) % round(segments):
        problems.append(
            f"dynamics.checkpoint_every: the {round(segments)} segments must each end on a save, so "
            f"they must divide dynamics.n_saves - 1 ({dyn['n_saves'] - 1})"
        )
    elif any(cfg.parameters(s)["kind"] == "exact" and math.isfinite(cfg.parameters(s)["kappa"]) for s in cfg.settings):
        problems.append(
            "dynamics.checkpoint_every: the exact RKHS discriminator's state is its whole history and "
            'cannot be restarted; use 0 (no segments) or discriminator.kind = "rff"'
        )


def parse_study(
    raw: dict,
    *,
    quick: bool = False,
    source: str | None = None,
    source_text: str | None = None,
    name: str | None = None,
    sweep: dict | None = None,
) -> StudyConfig:
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
        raise ConfigError([f"expected a table of settings, received {type_name(raw)}"], source)
    raw = dict(raw)
    quick_table = raw.pop("quick", {})
    if sweep is not None:
        raw, quick_table = _with_sweep(raw, sweep), _with_sweep(quick_table, None)
    schema_keys = dict(SCHEMA)
    if isinstance(quick_table, dict):
        if "quick" in quick_table:
            problems.append("quick.quick: a [quick] table cannot hold another one")
            quick_table = {k: v for k, v in quick_table.items() if k != "quick"}
        check_table(quick_table, schema_keys, "quick", problems, partial=True)
    else:
        problems.append(f"quick: expected a table of overrides, received {type_name(quick_table)}")
    check_table(raw, schema_keys, "", problems, partial=True)  # report the file's own keys first
    if problems:
        raise ConfigError(problems, source)
    merged = merge_tables(merge_tables(raw, _quick_defaults(raw)), quick_table) if quick else raw
    data = check_table(merged, schema_keys, "", problems, partial=False)
    if problems:
        raise ConfigError(problems, source)
    if data["name"] is None:
        data["name"] = name or "study"
    if data["generator"]["scale"] == 0.0:
        data["generator"]["scale"] = 0.2 if data["generator"]["init"] == "blob" else _target_rms(data["target"])
    if quick:
        full = check_table(raw, schema_keys, "", [], partial=False)
        data["description"] = _quick_description(full, data)
    cfg = StudyConfig(data=data, quick=quick, source=source, source_text=source_text)
    _cross_checks(cfg, problems)
    if problems:
        raise ConfigError(problems, source)
    return cfg


def _quick_description(full: dict, quick: dict) -> str:
    """The quick study's description: what `--quick` changed (from the two resolved configs), then
    the full study's own description, which no longer describes these runs word for word."""

    def flat(table, prefix=""):
        for key, value in table.items():
            if isinstance(value, dict):
                yield from flat(value, f"{prefix}{key}.")
            elif key != "description" and not prefix.startswith("outputs."):
                yield f"{prefix}{key}", value

    before = dict(flat(full))
    changes = [
        f"{key} = {_shown(value)} (full: {_shown(before.get(key))})"
        for key, value in flat(quick)
        if before.get(key) != value
    ]
    note = "Quick mode: " + ("; ".join(changes) if changes else "the full study's settings") + "."
    return note + (f" The full study: {full['description']}" if full["description"] else "")


def _shown(value) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_shown(v) for v in value) + "]"
    return format_value(value) if isinstance(value, float) else str(value)


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
    for table, key in (
        ("generator", "n_particles"),
        ("target", "n_data"),
        ("discriminator", "n_features"),
        ("discriminator", "width"),
        ("dynamics", "n_saves"),
    ):
        given = raw.get(table, {}).get(key) if isinstance(raw.get(table), dict) else None
        if is_number(given):
            out[table][key] = min(given, out[table][key])
    horizon = (
        raw.get("dynamics", {}).get("t1", SCHEMA["dynamics"]["t1"].default)
        if isinstance(raw.get("dynamics"), dict)
        else SCHEMA["dynamics"]["t1"].default
    )
    if is_number(horizon):
        out["dynamics"]["t1"] = float(horizon) / 4
    every = raw.get("dynamics", {}).get("checkpoint_every") if isinstance(raw.get("dynamics"), dict) else None
    if is_number(every):
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
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError([f"cannot read the file: {error.strerror or error}"], str(path)) from None
    except UnicodeDecodeError as error:
        raise ConfigError(
            [
                f"not UTF-8 text (byte {error.start}: {error.object[error.start : error.start + 1]!r}); a config is a TOML file, saved as UTF-8"
            ],
            str(path),
        ) from None
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
    from ...measures.targets import grid25_centres, ring8_centres

    target = cfg.data["target"]
    if target["name"] == "ring8":
        return np.asarray(ring8_centres(target["radius"]), dtype=np.float64)
    return np.asarray(grid25_centres(target["spacing"]), dtype=np.float64)


def as_config(config, quick: bool, sweep) -> StudyConfig:
    if isinstance(config, StudyConfig):
        if (quick and not config.quick) or sweep is not None:
            raise ValueError(
                "pass the path or the parsed dict to apply --quick or a sweep; this StudyConfig is "
                "already resolved (load_study(path, quick=..., sweep=...))."
            )
        return config
    if isinstance(config, dict):
        return parse_study(config, quick=quick, sweep=sweep)
    if isinstance(config, (str, Path)):
        return load_study(config, quick=quick, sweep=sweep)
    raise TypeError(
        f"`config` must be a path to a TOML file, a parsed dict or a StudyConfig; received {type(config).__name__}."
    )


def default_folder(cfg: StudyConfig, command: str = "run") -> Path:
    """The results folder of a command when `--out` is not given, one rule for every command:
    `dualflow-output/<name>[-<command>][-quick]`.

    `<name>` is the study's name (`dualflow demo` runs the study named `demo`); `-<command>` is
    added for every command but `run` (and so the demo), e.g. `-sweep`, `-compare`; `-quick`
    under `--quick`. So no two commands, and no quick and full run, share a folder:
    `ring8_kappa`, `ring8_kappa-quick`, `ring8_kappa-sweep-quick`, `ring8_kappa-compare`. (The
    stability commands, which read no config, write to `dualflow-output/phase` and
    `dualflow-output/linearize`.)
    """
    suffix = "" if command == "run" else f"-{command}"
    return Path("dualflow-output") / f"{cfg.name}{suffix}{'-quick' if cfg.quick else ''}"
