"""Argument checks shared by the metrics that compare two measures (private)."""

from __future__ import annotations

from ..measures.measure import Measure


def check_measure_pair(mu, nu) -> None:
    """Raise unless `mu` and `nu` are `Measure`s living in the same dimension."""
    for name, value in (("mu", mu), ("nu", nu)):
        if not isinstance(value, Measure):
            raise TypeError(f"`{name}` must be a dualflow `Measure`; received {type(value).__name__}.")
    if mu.dim != nu.dim:
        raise ValueError(
            f"`mu` and `nu` must live in the same dimension; received `mu` with d={mu.dim} "
            f"(points {mu.points.shape}) and `nu` with d={nu.dim} (points {nu.points.shape})."
        )
