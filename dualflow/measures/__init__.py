"""Weighted empirical measures and standard targets."""

from .measure import Measure as Measure
from .targets import (
    gaussian_mixture as gaussian_mixture,
    grid25 as grid25,
    grid25_centres as grid25_centres,
    isolated_points as isolated_points,
    ring8 as ring8,
    ring8_centres as ring8_centres,
)
