"""Runners compute in float64 without changing the caller's jax configuration: `float64` runs a
function under `jax.enable_x64(True)`, a context that ends with the call (the command line sets
x64 once, at its edge). Runs still use the precision a config asks for (float32 is cast
explicitly); only the metrics and the analysis need float64."""

from __future__ import annotations

import functools

import jax


def float64(function):
    """`function` run inside `jax.enable_x64(True)` (scoped: the global flag is left as it was)."""

    @functools.wraps(function)
    def scoped(*args, **kwargs):
        with jax.enable_x64(True):
            return function(*args, **kwargs)

    return scoped
