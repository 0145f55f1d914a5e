"""What every result file records besides its numbers: JSON-ready values and provenance.

JSON has no NaN or infinity: `json_float` writes a non-finite float as `null` (NaN: missing)
or the strings `"inf"` / `"-inf"`; `versions()` lists the packages that made the numbers.
"""

from __future__ import annotations

import math
import platform
from importlib.metadata import PackageNotFoundError, version

import numpy as np

__all__ = ["json_float", "json_list", "json_value", "run_failed", "setting_json", "versions"]

PACKAGES = ("jaxlib", "diffrax", "equinox", "numpy", "pot", "ott-jax", "matplotlib")


def json_float(value):
    """A float for JSON: itself if finite, `None` for NaN, `"inf"` / `"-inf"` for infinities."""
    value = float(value)
    if math.isfinite(value):
        return value
    return None if math.isnan(value) else ("inf" if value > 0 else "-inf")


def json_list(values) -> list:
    """A flat list of floats for JSON, non-finite values as `None`."""
    return [float(v) if np.isfinite(v) else None for v in np.asarray(values, dtype=np.float64).ravel()]


def json_value(value):
    """`json_float` for floats, anything else unchanged."""
    return json_float(value) if isinstance(value, float) else value


def setting_json(setting: dict) -> dict:
    """A swept setting (`{"kappa": inf}`) ready for JSON (`{"kappa": "inf"}`)."""
    return {k: json_value(v) for k, v in setting.items()}


def run_failed(sol) -> bool:
    """Whether a `Solution` ended in failure (`BLEW_UP`, `NONFINITE`, `MAX_STEPS`)."""
    from ..solvers.solution import Result

    return Result(int(np.asarray(sol.result))).failed


def versions() -> dict:
    """Versions of dualflow, Python, jax and the numerical packages present."""
    import jax

    import dualflow

    out = {"dualflow": dualflow.__version__, "jax": jax.__version__, "python": platform.python_version()}
    for package in PACKAGES:
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            pass
    return out
