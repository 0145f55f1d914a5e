"""What every result file records besides its numbers: whether the run failed, and the versions
of the packages that made the numbers. (Values are made JSON-ready by `dualflow._json`: NaN as
`null`, infinities as `"inf"` / `"-inf"`.)"""

from __future__ import annotations

import contextlib
import platform
from importlib.metadata import PackageNotFoundError, version

import numpy as np

from ...solvers.solution import Result

__all__ = ["run_failed", "versions"]

PACKAGES = ("jaxlib", "diffrax", "equinox", "numpy", "pot", "ott-jax", "matplotlib")


def run_failed(sol) -> bool:
    """Whether a `Solution` ended in failure (`BLEW_UP`, `NONFINITE`, `MAX_STEPS`)."""
    return Result(int(np.asarray(sol.result))).failed


def versions() -> dict:
    """Versions of dualflow, Python, jax and the numerical packages present."""
    import jax

    import dualflow

    out = {"dualflow": dualflow.__version__, "jax": jax.__version__, "python": platform.python_version()}
    for package in PACKAGES:
        with contextlib.suppress(PackageNotFoundError):
            out[package] = version(package)
    return out
