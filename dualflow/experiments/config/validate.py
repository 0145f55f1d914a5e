"""Validation of a study configuration against its schema (`config.schema`): every key checked
for its kind, range and choices, unknown keys refused with the closest valid key suggested, and
every problem collected with its key path (`ConfigError` lists them all)."""

from __future__ import annotations

import copy
import difflib
import math
from typing import TypeGuard

from .schema import AXES, DISCRIMINATORS, DISTANCES, DYNAMICS, PAYOFFS, RENAMED_KEYS, Field


def _path(*parts) -> str:
    return ".".join(str(p) for p in parts if p != "")


def did_you_mean(key: str, valid, what: str = "keys") -> str:
    """`"; did you mean 'kappa'?"` for the closest of `valid` to a misspelt `key`, else
    `"; valid keys: ..."` (`what` names them); appended to an "unknown ..." message."""
    close = difflib.get_close_matches(key, list(valid), n=1, cutoff=0.5)
    return f"; did you mean {close[0]!r}?" if close else f"; valid {what}: {', '.join(sorted(valid))}"


def type_name(value) -> str:
    return {
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        str: "a string",
        list: "a list",
        dict: "a table",
    }.get(type(value), type(value).__name__)


def is_number(value) -> TypeGuard[int | float]:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check_kappa(value, where, problems):
    """kappa: a positive number, or "inf" / TOML's inf (the best-response limit)."""
    if isinstance(value, str) and value.strip().lower() in ("inf", "infinity"):
        return math.inf
    if is_number(value) and (value > 0 and not math.isnan(value)):
        return float(value)
    problems.append(f'{where}: expected a positive number or "inf", received {value!r}')
    return None


def _check_scalar(field: Field, value, where, problems):
    kind = field.kind
    if kind == "kappa":
        return _check_kappa(value, where, problems)
    if kind == "bool":
        if not isinstance(value, bool):
            problems.append(f"{where}: expected true or false, received {type_name(value)} {value!r}")
            return None
        return value
    if kind == "str":
        if not isinstance(value, str):
            problems.append(f"{where}: expected a string, received {type_name(value)} {value!r}")
            return None
        if field.choices and value not in field.choices:
            hint = difflib.get_close_matches(value, field.choices, n=1, cutoff=0.5)
            problems.append(
                f"{where}: expected one of {list(field.choices)}, received {value!r}"
                + (f"; did you mean {hint[0]!r}?" if hint else "")
            )
            return None
        return value
    if kind == "int":
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"{where}: expected an integer, received {type_name(value)} {value!r}")
            return None
    elif kind == "float":
        if not is_number(value) or not math.isfinite(value):
            problems.append(f"{where}: expected a finite number, received {type_name(value)} {value!r}")
            return None
        value = float(value)
    else:  # pragma: no cover - schema bug
        raise AssertionError(kind)
    if field.minimum is not None and (value <= field.minimum if field.strict else value < field.minimum):
        problems.append(
            f"{where}: expected a number {'>' if field.strict else '>='} {field.minimum:g}, received {value!r}"
        )
        return None
    if field.maximum is not None and value > field.maximum:
        problems.append(f"{where}: expected a number <= {field.maximum:g}, received {value!r}")
        return None
    return value


def _check_list(value, where, problems, item_check, *, allow_empty=False):
    if not isinstance(value, list):
        problems.append(f"{where}: expected a list, received {type_name(value)} {value!r}")
        return None
    if not value and not allow_empty:
        problems.append(f"{where}: expected a non-empty list")
        return None
    out = [item_check(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return None if any(item is None for item in out) else out


def _plain_folder_name(name: str) -> bool:
    """A study's `name` names its default output folder under `dualflow-output/`: no separator,
    no `..`, nothing absolute, so that a study never writes outside that folder."""
    return bool(name) and name[0].isalnum() and all(c.isalnum() or c in "-_." for c in name)


def _check_value(field: Field, value, where, problems):
    kind = field.kind
    if kind == "seeds":
        if isinstance(value, int) and not isinstance(value, bool):
            if value < 1:
                problems.append(f"{where}: expected a count >= 1 or a list of seeds, received {value!r}")
                return None
            return list(range(value))
        seeds = _check_list(
            value, where, problems, lambda s, w: _check_scalar(Field("int", 0, minimum=0), s, w, problems)
        )
        if seeds is not None and len(set(seeds)) != len(seeds):
            problems.append(f"{where}: the seeds must be distinct, received {value!r}")
            return None
        return seeds
    if kind == "folder_name":
        name = _check_scalar(Field("str", ""), value, where, problems)
        if name is not None and not _plain_folder_name(name):
            problems.append(
                f"{where}: expected a plain folder name (letters, digits, '-', '_' and '.', starting with a "
                f"letter or digit; no path), received {value!r}"
            )
            return None
        return name
    if kind == "dynamics":
        out = _check_list(
            value, where, problems, lambda s, w: _check_scalar(Field("str", "", choices=DYNAMICS), s, w, problems)
        )
        if out is not None and len(set(out)) != len(out):
            problems.append(f"{where}: each dynamics at most once, received {value!r}")
            return None
        return out
    if kind == "distances":
        return _check_list(
            value,
            where,
            problems,
            lambda s, w: _check_scalar(Field("str", "", choices=DISTANCES), s, w, problems),
            allow_empty=True,
        )
    if kind == "floats":
        return _check_list(
            value,
            where,
            problems,
            lambda s, w: _check_scalar(Field("float", 0.0, minimum=0), s, w, problems),
            allow_empty=True,
        )
    if kind == "settings":
        return _check_list(value, where, problems, lambda s, w: _check_setting_table(s, w, problems), allow_empty=True)
    if kind == "setting":
        return _check_setting_table(value, where, problems)
    return _check_scalar(field, value, where, problems)


def _check_setting_table(value, where, problems):
    """A setting named by its swept values, e.g. `{kappa = 0.1}` (matched later against the sweep)."""
    if not isinstance(value, dict):
        problems.append(f"{where}: expected a table such as {{kappa = 1.0}}, received {type_name(value)} {value!r}")
        return None
    out = {}
    for axis, v in value.items():
        if axis not in AXES:
            problems.append(f"{where}: unknown axis {axis!r}{did_you_mean(axis, AXES, 'axes')}")
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
        raise ValueError(
            f'expected one of {", ".join(repr(k) for k in DISCRIMINATORS)} or "rff:D" with an integer '
            f"D >= 1; received {value!r}"
        )
    return kind, int(count) if count else None


def check_table(raw, schema, where, problems, *, partial: bool):
    """Check the keys of one table against its schema; returns the checked values (defaults
    filled unless `partial`)."""
    out: dict = {}
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table, received {type_name(raw)} {raw!r}")
        return out
    for key, value in raw.items():
        path = _path(where, key)
        if key not in schema:
            renamed = RENAMED_KEYS.get(path.split(".", 1)[-1] if where.startswith("quick") else path)
            hint = (
                f": renamed, write `{renamed}` (one name everywhere)"
                if renamed
                else f": unknown key{did_you_mean(key, schema)}"
            )
            problems.append(f"{path}{hint}")
            continue
        spec = schema[key]
        if spec is None:  # the sweep
            out[key] = _check_sweep(value, path, problems, partial=partial)
        elif isinstance(spec, dict):
            out[key] = check_table(value, spec, path, problems, partial=partial)
        else:
            out[key] = _check_value(spec, value, path, problems)
    if not partial:
        for key, spec in schema.items():
            if key in out:
                continue
            if isinstance(spec, dict):
                out[key] = check_table({}, spec, _path(where, key), problems, partial=False)
            elif spec is None:
                out[key] = {}  # no sweep: the base values are the one setting
            else:
                out[key] = copy.deepcopy(spec.default)
    return out


def _check_sweep(raw, where, problems, *, partial: bool):
    if not isinstance(raw, dict):
        problems.append(f"{where}: expected a table of swept axes, received {type_name(raw)} {raw!r}")
        return {}
    out = {}
    for axis, values in raw.items():
        path = _path(where, axis)
        if axis not in AXES:
            problems.append(f"{path}: unknown axis{did_you_mean(axis, AXES)} (axes: {', '.join(AXES)})")
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


def merge_tables(base: dict, override: dict) -> dict:
    """`base` with `override` merged in, table by table (the sweep is replaced as a whole)."""
    out = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict) and key != "sweep":
            out[key] = merge_tables(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
