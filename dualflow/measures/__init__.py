"""Weighted empirical measures and standard targets."""

from .measure import Measure as Measure
from .targets import (
    gaussian_mixture as gaussian_mixture,
)
from .targets import (
    grid25 as grid25,
)
from .targets import (
    grid25_centres as grid25_centres,
)
from .targets import (
    isolated_points as isolated_points,
)
from .targets import (
    ring8 as ring8,
)
from .targets import (
    ring8_centres as ring8_centres,
)
