"""JSON-ready values, one convention for every file dualflow writes: finite floats stay, NaN
becomes `null` (a missing value), $\\pm\\infty$ become the strings `"inf"` and `"-inf"`; arrays
(NumPy or jax) become nested lists, and dicts, lists and tuples are converted item by item."""

from __future__ import annotations

import math

import numpy as np


def json_float(value):
    """A float for JSON: itself if finite, `None` for NaN, `"inf"` / `"-inf"` for infinities."""
    value = float(value)
    if math.isfinite(value):
        return value
    return None if math.isnan(value) else ("inf" if value > 0 else "-inf")


def json_ready(value):
    """`value` with every float and array made JSON-ready (see the module docstring); integers,
    booleans, strings and `None` unchanged."""
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_ready(v) for v in value]
    if isinstance(value, (bool, np.bool_, str)) or value is None:
        return bool(value) if isinstance(value, np.bool_) else value
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return json_float(value)
    if hasattr(value, "__array__"):
        array = np.asarray(value)
        if array.dtype.kind in "iub":
            return array.tolist()
        return json_ready(array.tolist())
    return value


def json_list(values) -> list:
    """A flat list of floats for JSON (`values` raveled, float64)."""
    return json_ready(np.asarray(values, dtype=np.float64).ravel().tolist())
