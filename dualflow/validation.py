"""Argument checks shared by every public constructor.

They run on concrete (non-traced) values before anything is compiled and raise an error that
names the argument, what was expected and what was received: a `TypeError` for what is not the
right kind of value (`None` where numbers are expected, strings, ragged lists, complex numbers),
a `ValueError` for a missing required value or one out of range (shape, sign, finiteness). The
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


def real_array(name: str, value, expected: str) -> np.ndarray:
    """The concrete `value` as a NumPy array of real numbers (integer or floating), or a `TypeError`
    naming `name`, saying what was received and what is `expected` (e.g. `"an (n, d) array of real
    numbers"`): `None`, strings,
    ragged nested lists, booleans and complex numbers (whose imaginary part would otherwise be
    dropped) are refused."""
    if value is None:
        raise TypeError(f"`{name}` must be {expected}; received None.")
    try:
        arr = np.asarray(value)
    except ValueError:  # NumPy refuses ragged nested sequences
        raise TypeError(f"`{name}` must be {expected}; received a ragged sequence {value!r:.80}.") from None
    if arr.dtype.kind not in "iuf":
        what = (
            "complex numbers" if arr.dtype.kind == "c" else f"{type(value).__name__} {value!r:.80} (dtype {arr.dtype})"
        )
        raise TypeError(f"`{name}` must be {expected}; received {what}.")
    return arr


def check_positive(name: str, value, *, allow_zero: bool = False, allow_inf: bool = False) -> None:
    """Raise unless every entry of `value` is finite (or `+inf` where `allow_inf`) and `> 0` (or
    `>= 0`): a `ValueError` for a missing value (`None`) or one out of range, a `TypeError` for what
    is not real numbers."""
    if not is_concrete(value):
        return
    bound = "non-negative" if allow_zero else "positive"
    finite = "" if allow_inf else "finite "
    if value is None:
        raise ValueError(f"`{name}` is missing: expected a {finite}{bound} number; received None.")
    arr = real_array(name, value, f"a {finite}{bound} real number")
    bad = ~(np.isfinite(arr) | (allow_inf & (arr == np.inf))) | ((arr < 0) if allow_zero else (arr <= 0))
    if np.any(bad):
        must = f"{bound} (inf allowed)" if allow_inf else f"finite and {bound}"
        raise ValueError(f"`{name}` must be {must}; received {arr.tolist() if arr.size < 8 else arr}.")


def checked_positive(name: str, value, *, allow_zero: bool = False, dtype=None) -> jax.Array:
    """`value` as a scalar array, checked finite and `> 0` (or `>= 0`): now when it is concrete
    (`check_positive`'s errors), at run time when it is traced (`eqx.error_if`: the compiled
    function raises when it fails, e.g. at one point of a vmapped sweep). Its shape is checked in
    both cases: a hyperparameter is one number per run (sweep several with `vmap`)."""
    if is_concrete(value):
        check_positive(name, value, allow_zero=allow_zero)
    value = jnp.asarray(value, dtype=dtype)
    if value.ndim:
        raise ValueError(
            f"`{name}` must be a scalar (one value per run; `jax.vmap` sweeps several); received shape {value.shape}."
        )
    if is_concrete(value):
        return value
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
    """Raise unless `points` is an `(n, d)` array (`n, d >= 1`; checked for traced points too, their
    shape being known) of finite real numbers (checked when concrete)."""
    arr = real_array(name, points, "an (n, d) array of real numbers") if is_concrete(points) else None
    shape = jnp.shape(points) if arr is None else arr.shape
    if len(shape) != 2 or shape[0] == 0 or shape[1] == 0:
        raise ValueError(f"`{name}` must be an (n, d) array with n, d >= 1; received shape {shape}.")
    if arr is not None:
        check_finite(name, arr)


def check_finite(name: str, arr: np.ndarray) -> None:
    """Raise unless every entry of the concrete `arr` is finite (NaN and infinities are refused, not
    propagated into a result that looks like one)."""
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite; received {int(np.sum(~np.isfinite(arr)))} non-finite entries.")


def check_key(name: str, key) -> None:
    """Raise `TypeError` unless `key` is a JAX PRNG key: a typed key (`jax.random.key(seed)`) or a
    raw `uint32` one (`jax.random.PRNGKey(seed)`). Keys are explicit everywhere: a plain integer seed
    or `None` is refused, not turned into a key."""
    dtype = getattr(key, "dtype", None)
    typed = dtype is not None and jax.dtypes.issubdtype(dtype, jax.dtypes.prng_key) and jnp.ndim(key) == 0
    raw = dtype == jnp.uint32 and jnp.ndim(key) == 1
    if not (typed or raw):
        what = (
            f"{type(key).__name__} {key!r:.60}"
            if dtype is None
            else f"an array of dtype {dtype} and shape {jnp.shape(key)}"
        )
        raise TypeError(
            f"`{name}` must be a PRNG key, `jax.random.PRNGKey(seed)` or `jax.random.key(seed)`; received {what}."
        )


def check_int(name: str, value, *, minimum: int) -> int:
    """`value` as a Python `int`, or a `ValueError` unless it is a Python/NumPy integer `>= minimum`.
    Use the returned `int`: a NumPy integer passed on into `jit` would be traced, not a static size."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise ValueError(f"`{name}` must be an integer >= {minimum}; received {value!r}.")
    return int(value)


def int_field(name: str, *, minimum: int, optional: bool = False):
    """An `eqx.field` converter for the static integer field `name`: `check_int`'s Python `int`
    (a NumPy integer is accepted and converted), `None` kept where `optional`."""
    return lambda value: None if optional and value is None else check_int(name, value, minimum=minimum)


def float_field(name: str, *, optional: bool = False):
    """An `eqx.field` converter for the static positive number `name` (a tolerance, a step): checked
    by `check_positive` and made a Python `float` (a string is refused, not parsed), `None` kept
    where `optional`."""

    def convert(value):
        if optional and value is None:
            return None
        check_positive(name, value)
        return float(value)

    return convert


def masses_for(points, masses):
    """Masses matching `points` `(n, d)`: uniform `1/n` when `masses` is `None`, else checked
    to be a finite positive `(n,)` array (cast to the points' dtype)."""
    if masses is None:
        return jnp.full(points.shape[0], 1.0 / points.shape[0], dtype=points.dtype)
    if is_concrete(masses):
        real_array("masses", masses, f"an array of shape ({points.shape[0]},) of real numbers")
    masses = jnp.asarray(masses, dtype=points.dtype)
    if masses.shape != points.shape[:1]:
        raise ValueError(
            f"`masses` must have shape ({points.shape[0]},) to match `points` {points.shape}; "
            f"received shape {masses.shape}."
        )
    check_positive("masses", masses)
    return masses
