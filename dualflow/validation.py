"""Argument checks shared by every public constructor.

They run on concrete (non-traced) values before anything is compiled and raise a
`ValueError` that names the argument, what was expected and what was received. The
hyperparameters a sweep traces (rates, `kappa`, `reg`, bandwidths, Sinkhorn's `epsilon`) go
through `checked_positive`, which checks a concrete value now and a traced one (inside `jit` or
`vmap`) at run time with `eqx.error_if`, so a negative rate reaching a compiled sweep raises
instead of running.
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np


def is_concrete(value) -> bool:
    """True when `value` holds numbers we can inspect now (not a tracer)."""
    return not isinstance(value, jax.core.Tracer)


def concrete_or_none(value):
    """`value` as a NumPy array when it is concrete, else `None` (a traced value)."""
    return np.asarray(value) if is_concrete(value) else None


def check_positive(name: str, value, *, allow_zero: bool = False) -> None:
    """Raise unless every entry of `value` is finite and `> 0` (or `>= 0`)."""
    if not is_concrete(value):
        return
    bound = "non-negative" if allow_zero else "positive"
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a finite {bound} number; received {value!r}.") from None
    bad = ~np.isfinite(arr) | ((arr < 0) if allow_zero else (arr <= 0))
    if np.any(bad):
        raise ValueError(f"`{name}` must be finite and {bound}; received {arr.tolist() if arr.size < 8 else arr}.")


def checked_positive(name: str, value, *, allow_zero: bool = False, dtype=None) -> jax.Array:
    """`value` as an array, checked finite and `> 0` (or `>= 0`): now when it is concrete
    (`check_positive`'s `ValueError`), at run time when it is traced (`eqx.error_if`: the compiled
    function raises when any entry fails, e.g. one point of a vmapped sweep)."""
    if is_concrete(value):
        check_positive(name, value, allow_zero=allow_zero)
        return jnp.asarray(value, dtype=dtype)
    value = jnp.asarray(value, dtype=dtype)
    bad = ~jnp.isfinite(value) | ((value < 0) if allow_zero else (value <= 0))
    bound = "non-negative" if allow_zero else "positive"
    return eqx.error_if(value, jnp.any(bad), f"`{name}` must be finite and {bound}; a traced value was not.")


def positive_leaf(name: str, *, allow_zero: bool = False):
    """An `eqx.field` converter applying `checked_positive` to the field `name`."""
    return lambda value: checked_positive(name, value, allow_zero=allow_zero)


def check_choice(name: str, value, choices) -> None:
    """Raise unless `value` is one of `choices`."""
    if value not in choices:
        raise ValueError(f"`{name}` must be one of {sorted(choices)}; received {value!r}.")


def check_points(name: str, points) -> None:
    """Raise unless `points` is a finite `(n, d)` array."""
    if not is_concrete(points):
        return
    arr = np.asarray(points)
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ValueError(f"`{name}` must be an (n, d) array with n, d >= 1; received shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite; received {int(np.sum(~np.isfinite(arr)))} non-finite entries.")


def check_int(name: str, value, *, minimum: int) -> None:
    """Raise unless `value` is a Python/NumPy integer `>= minimum`."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; received {value!r}.")


def masses_for(points, masses):
    """Masses matching `points` `(n, d)`: uniform `1/n` when `masses` is `None`, else checked
    to be a finite positive `(n,)` array (cast to the points' dtype)."""
    if masses is None:
        return jnp.full(points.shape[0], 1.0 / points.shape[0], dtype=points.dtype)
    masses = jnp.asarray(masses, dtype=points.dtype)
    if masses.shape != points.shape[:1]:
        raise ValueError(
            f"`masses` must have shape ({points.shape[0]},) to match `points` {points.shape}; "
            f"received shape {masses.shape}."
        )
    check_positive("masses", masses)
    return masses
