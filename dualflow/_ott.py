"""ott-jax, imported on first use.

`import dualflow` must load neither matplotlib nor POT (plotting and exact OT are optional rooms),
but any ott-jax import runs `ott.problems.linear.potentials`, which imports matplotlib at module
level (ott-jax 0.6.0). The Sinkhorn player and metric therefore reach ott through `ott()`.
"""

from __future__ import annotations

import functools
import types


@functools.cache
def ott() -> types.SimpleNamespace:
    """The ott-jax modules dualflow uses, imported once."""
    from ott.geometry import costs, pointcloud
    from ott.problems.linear import linear_problem
    from ott.solvers.linear import acceleration, sinkhorn
    from ott.tools import sinkhorn_divergence

    return types.SimpleNamespace(
        costs=costs,
        pointcloud=pointcloud,
        linear_problem=linear_problem,
        acceleration=acceleration,
        sinkhorn=sinkhorn,
        sinkhorn_divergence=sinkhorn_divergence,
    )
