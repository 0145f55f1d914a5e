r"""Exact 2-Wasserstein distance by linear programming (POT). Evaluation only.

For $\mu = \sum_i a_i \delta_{x_i}$ and $\nu = \sum_k b_k \delta_{y_k}$ with masses
*normalized to probability vectors* ($\hat a = a / \sum_i a_i$, $\hat b = b / \sum_k b_k$),

$$W_2^2(\mu, \nu) = \min_{P \ge 0,\ P\mathbf 1 = \hat a,\ P^\top \mathbf 1 = \hat b}
\ \sum_{i,k} P_{ik}\, |x_i - y_k|^2 .$$

The linear program is solved exactly by POT's network simplex (`ot.emd2`) on a float64
NumPy copy of the data. This is the only place POT is used in dualflow: it is a
host-side evaluation, never traced, never differentiated and never called under `jit`
(a traced measure raises `TypeError`). Cost is $O(nm)$ memory and roughly cubic time;
use `sinkhorn_divergence` for large measures or inside JAX transformations.
"""

from __future__ import annotations

import math

import numpy as np
import ot

from ..measures.measure import Measure
from ..validation import is_concrete
from ._checks import check_measure_pair

#: Iteration cap of the network simplex (POT's default, 1e5, is too small beyond a few hundred atoms).
NUM_ITER_MAX = 10_000_000


def _probability_vector(name: str, measure: Measure) -> tuple[np.ndarray, np.ndarray]:
    if not (is_concrete(measure.points) and is_concrete(measure.masses)):
        raise TypeError(
            f"`{name}` holds traced arrays; `w2_squared` is evaluated with POT in NumPy and cannot run "
            "under `jit`/`vmap`/`grad`. Call it on concrete measures, or use `sinkhorn_divergence`."
        )
    points = np.asarray(measure.points, dtype=np.float64)
    masses = np.asarray(measure.masses, dtype=np.float64)
    return points, masses / masses.sum()


def w2_squared(mu: Measure, nu: Measure) -> float:
    r"""Squared 2-Wasserstein distance $W_2^2(\mu, \nu)$, exact, masses normalized.

    **Arguments:**

    - `mu`, `nu`: concrete (not traced) measures in the same dimension; each one's
      masses are divided by their total, so only the shapes of the distributions matter.

    **Returns:** a Python `float`, $W_2^2(\mu, \nu) \ge 0$, computed in float64.

    **Example:**

    ```python
    w2_squared(Measure(x), Measure(x + shift))   # == |shift|^2
    ```
    """
    check_measure_pair(mu, nu)
    x, a = _probability_vector("mu", mu)
    y, b = _probability_vector("nu", nu)
    cost = ot.dist(x, y, metric="sqeuclidean")
    value = ot.emd2(a, b, cost, numItermax=NUM_ITER_MAX)
    return max(float(value), 0.0)


def w2(mu: Measure, nu: Measure) -> float:
    r"""2-Wasserstein distance $W_2(\mu, \nu) = \sqrt{W_2^2(\mu, \nu)}$, masses normalized.

    **Arguments:** as `w2_squared`.

    **Returns:** a Python `float`, $W_2(\mu, \nu) \ge 0$.
    """
    return math.sqrt(w2_squared(mu, nu))
