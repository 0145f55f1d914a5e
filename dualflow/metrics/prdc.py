r"""Precision, recall, density and coverage by $k$ nearest neighbours (Naeem et al., 2020, the
`prdc` definitions): how much of the generator's sample lies on the data's manifold and how much
of the data's manifold it covers, each manifold estimated by balls reaching the $k$-th nearest
neighbour of every sample point."""

from __future__ import annotations

import numpy as np
from scipy.spatial.distance import cdist

from ..validation import check_int


def _kth_neighbour_radii(points: np.ndarray, k: int) -> np.ndarray:
    """Distance from each point to its `k`-th nearest neighbour among the others."""
    distances = cdist(points, points)
    return np.partition(distances, k, axis=1)[:, k]  # column 0 is the point itself (distance 0)


def prdc(real, fake, k: int = 5) -> dict:
    r"""Precision, recall, density and coverage of the sample `fake` against `real`.

    With $r_k(x)$ the distance from $x$ to its $k$-th nearest
    neighbour in its own sample, real points $y_i$ ($M$) and fake points $x_j$ ($N$):

    $$\text{precision} = \frac1N\sum_j \mathbb 1\big[\exists i: |x_j - y_i| < r_k(y_i)\big],\qquad
    \text{recall} = \frac1M\sum_i \mathbb 1\big[\exists j: |y_i - x_j| < r_k(x_j)\big],$$

    $$\text{density} = \frac1{kN}\sum_j \#\{i: |x_j - y_i| < r_k(y_i)\},\qquad
    \text{coverage} = \frac1M\sum_i \mathbb 1\big[\min_j |y_i - x_j| < r_k(y_i)\big].$$

    Precision and density say how much of the fake sample lies on the real manifold (density is
    not capped at 1 and counts how many real balls hold each fake point); recall and coverage
    how much of the real manifold the fake sample reaches (coverage from the real balls alone,
    robust to fake outliers). The samples are unweighted, as in the package `prdc` whose numbers
    these reproduce (tested).

    **Arguments:** `real` `(M, d)`, `fake` `(N, d)` (finite), `k`: the neighbour ($1 \le k < M, N$).

    **Returns:** `{"precision", "recall", "density", "coverage"}` (floats).
    """
    real, fake = np.asarray(real, dtype=np.float64), np.asarray(fake, dtype=np.float64)
    for name, sample in (("real", real), ("fake", fake)):
        if sample.ndim != 2 or not np.all(np.isfinite(sample)):
            raise ValueError(f"`{name}` must be a finite array of points (n, d); received shape {sample.shape}.")
    if real.shape[1] != fake.shape[1]:
        raise ValueError(
            f"`real` and `fake` must have the same dimension; received {real.shape[1]} and {fake.shape[1]}."
        )
    k = check_int("k", k, minimum=1)
    if k >= min(real.shape[0], fake.shape[0]):
        raise ValueError(f"`k` must be below both sample sizes {real.shape[0]} and {fake.shape[0]}; received {k}.")
    real_radii, fake_radii = _kth_neighbour_radii(real, k), _kth_neighbour_radii(fake, k)
    distances = cdist(real, fake)  # (M, N)
    inside_real = distances < real_radii[:, None]
    return {
        "precision": float(inside_real.any(axis=0).mean()),
        "recall": float((distances < fake_radii[None, :]).any(axis=1).mean()),
        "density": float(inside_real.sum(axis=0).mean() / k),
        "coverage": float((distances.min(axis=1) < real_radii).mean()),
    }
