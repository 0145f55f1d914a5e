r"""Mode coverage of a particle cloud against the centres of a Gaussian mixture ([docs/science.md §5][science-experiments]).

For particles $x_i$ with weights $w_i$ (normalized, $\sum_i w_i = 1$), centres $c_1, \dots, c_K$
and radius $r = \texttt{radius\_stds} \cdot \texttt{std}$:

- particle $i$ is *high quality* if $\min_k |x_i - c_k| \le r$;
- the *occupancy* of mode $k$ is the weight of the particles within $r$ of $c_k$,
  $o_k = \sum_i w_i \,\mathbf 1[\,|x_i - c_k| \le r,\ k = \arg\min_l |x_i - c_l|\,]$;
- mode $k$ is *covered* if $o_k \ge \texttt{min\_fraction}$ (5% by default).

The nearest-centre condition only matters when two balls of radius $r$ overlap (it keeps
a particle from being counted twice, so $\sum_k o_k$ is the high-quality fraction); for the
standard targets (8-ring, 5x5 grid at `std = 0.02`) the balls are disjoint and $o_k$ is
plainly "the fraction of particles within $r$ of $c_k$".

`mode_labels` gives the per-particle assignment behind the occupancy (nearest centre, or
$-1$ outside every ball) and `occupancy_kl` the KL divergence of the occupancy against any
target mode weights (`ModeCoverage.kl_to_uniform` is its uniform case).
"""

from __future__ import annotations

import equinox as eqx
import jax
import jax.numpy as jnp

from .._custom_types import IntScalar, ModeFlags, PerMode, Scalar
from ..kernels.radial import squared_distances
from ..validation import check_points, check_positive, is_concrete, masses_for

#: Floor inside the logarithm of `occupancy_kl`, so that empty modes give $0 \log 0 = 0$.
KL_FLOOR = 1e-30


class ModeCoverage(eqx.Module):
    r"""Mode-coverage summary of one particle configuration (a pytree: `vmap` over time
    gives the same fields with a leading time axis).

    **Fields:**

    - `occupancy`: `(K,)`, weight fraction $o_k$ of the particles at mode $k$.
    - `covered`: `(K,)` bool, $o_k \ge$ `min_fraction`.
    - `n_covered`: integer scalar, number of covered modes.
    - `high_quality_fraction`: scalar, weight fraction of particles within $r$ of their
      nearest centre ($= \sum_k o_k$).
    - `kl_to_uniform`: scalar, $\mathrm{KL}(p \,\|\, u) = \sum_k p_k \log(K p_k)$ with
      $p = o / \sum_k o_k$ the mode distribution of the high-quality particles and
      $u_k = 1/K$ the target's mode weights. $0$ for perfectly balanced modes, $\log K$
      for full collapse onto one mode; $p_k \log p_k$ is evaluated with the floor
      `KL_FLOOR` inside the logarithm, so empty modes contribute $0$ and the value is
      finite. With no high-quality particle at all, $p$ is undefined and the value is set
      to its maximum $\log K$ (as bad as complete collapse).
    """

    occupancy: PerMode
    covered: ModeFlags
    n_covered: IntScalar
    high_quality_fraction: Scalar
    kl_to_uniform: Scalar


def mode_coverage(
    points,
    centres,
    std,
    masses=None,
    *,
    radius_stds: float = 3.0,
    min_fraction: float = 0.05,
) -> ModeCoverage:
    r"""Per-mode occupancy, covered modes, high-quality fraction and mode KL ([docs/science.md §5][science-experiments]).

    Pure `jax.numpy` with static shapes, so it can be `vmap`ped over the time axis of a
    solution (`eqx.filter_vmap(lambda x: mode_coverage(x, centres, std, sol.masses))(sol.points)`),
    or over `std`.

    **Arguments:**

    - `points`: `(n, d)` particle positions.
    - `centres`: `(K, d)` mode centres (e.g. `ring8_centres(2.0)`).
    - `std`: standard deviation of each mixture component, $> 0$.
    - `masses`: `(n,)` positive particle weights (normalized internally); `None` for uniform.
    - `radius_stds`: the radius $r$ in units of `std` (3 by default).
    - `min_fraction`: occupancy needed for a mode to count as covered, in $[0, 1]$
      (5% by default; the comparison is $\ge$).

    **Returns:** a `ModeCoverage`.

    **Example:**

    ```python
    cov = mode_coverage(sol.final_points, ring8_centres(2.0), std=0.02, masses=sol.masses)
    cov.n_covered, cov.high_quality_fraction
    ```
    """
    points, centres = _check_points_and_centres(points, centres)
    check_positive("std", std)
    check_positive("radius_stds", radius_stds)
    if is_concrete(min_fraction) and not 0.0 <= float(min_fraction) <= 1.0:
        raise ValueError(f"`min_fraction` must lie in [0, 1]; received {min_fraction!r}.")
    # unit masses when None: counts divided once by n make "exactly 5%" compare exactly
    masses = jnp.ones(points.shape[0], dtype=points.dtype) if masses is None else masses_for(points, masses)

    return _mode_coverage(points, centres, std, masses, radius_stds, min_fraction)


def mode_labels(points, centres, std, *, radius_stds: float = 3.0):
    r"""The mode each particle sits at: the index of its nearest centre when it lies within
    $r = \texttt{radius\_stds} \cdot \texttt{std}$ of it, else $-1$ (not high quality).

    This is the assignment behind `mode_coverage`'s occupancy
    ($o_k$ is the weight of the particles labelled $k$). Pure `jax.numpy`, `vmap`-able.

    **Arguments:** `points` `(n, d)`, `centres` `(K, d)`, `std` $> 0$ and `radius_stds` $> 0$,
    as in `mode_coverage`.

    **Returns:** an `(n,)` integer array with entries in $\{-1, 0, \dots, K-1\}$.
    """
    points, centres = _check_points_and_centres(points, centres)
    check_positive("std", std)
    check_positive("radius_stds", radius_stds)
    return _mode_labels(points, centres, std, radius_stds)


def occupancy_kl(occupancy, target_weights=None):
    r"""$\mathrm{KL}(p \,\|\, q) = \sum_k p_k \log(p_k / q_k)$ of the mode distribution of the
    high-quality particles against the target's mode weights.

    $p = o / \sum_k o_k$ normalizes the occupancy $o$ (which sums to the high-quality
    fraction) and $q = w / \sum_k w_k$ the target weights $w$ (uniform by default, which gives
    `ModeCoverage.kl_to_uniform`). Empty modes contribute $0$ (`KL_FLOOR` inside the
    logarithm). With no high-quality particle, $p$ is undefined and the value is set to the
    maximum of the KL over $p$, $\log(1/\min_k q_k)$ ($\log K$ for uniform weights): as bad as
    complete collapse onto the least likely mode. Round-off negatives are clamped to $0$.

    Works on a leading batch of occupancies (e.g. `(S, K)` over saved times); pure
    `jax.numpy`.

    **Arguments:**

    - `occupancy`: `(..., K)` non-negative mode occupancies (e.g. `ModeCoverage.occupancy`).
    - `target_weights`: `(K,)` positive weights of the target's modes (normalized
      internally); `None` for uniform.

    **Returns:** an array of shape `occupancy.shape[:-1]`, the KL divergence in nats.

    **Example:**

    ```python
    occupancy_kl(jnp.array([0.5, 0.5, 0.0]), jnp.array([1.0, 1.0, 2.0]))   # log 2
    ```
    """
    occupancy = jnp.asarray(occupancy)
    if not jnp.issubdtype(occupancy.dtype, jnp.floating):
        occupancy = occupancy.astype(float)
    if occupancy.ndim < 1 or occupancy.shape[-1] == 0:
        raise ValueError(f"`occupancy` must have shape (..., K) with K >= 1; received shape {occupancy.shape}.")
    n_modes = occupancy.shape[-1]
    if target_weights is None:
        target_weights = jnp.ones(n_modes, dtype=occupancy.dtype)
    target_weights = jnp.asarray(target_weights, dtype=occupancy.dtype)
    if target_weights.shape != (n_modes,):
        raise ValueError(
            f"`target_weights` must have shape ({n_modes},) to match `occupancy` {occupancy.shape}; "
            f"received shape {target_weights.shape}."
        )
    check_positive("target_weights", target_weights)
    return _occupancy_kl(occupancy, target_weights)


def _check_points_and_centres(points, centres):
    points = jnp.asarray(points)
    if not jnp.issubdtype(points.dtype, jnp.floating):
        points = points.astype(float)
    check_points("points", points)
    centres = jnp.asarray(centres)
    check_points("centres", centres)
    if points.ndim != 2:
        raise ValueError(f"`points` must be an (n, d) array; received shape {points.shape}.")
    if centres.ndim != 2 or centres.shape[1] != points.shape[1]:
        raise ValueError(
            f"`centres` must have shape (K, {points.shape[1]}) to match `points` {points.shape}; "
            f"received shape {centres.shape}."
        )
    return points, centres.astype(points.dtype)


@jax.jit
def _mode_labels(points, centres, std, radius_stds):
    radius = jnp.asarray(radius_stds, dtype=points.dtype) * jnp.asarray(std, dtype=points.dtype)
    sq_dist = squared_distances(points, centres)  # (n, K)
    nearest = jnp.argmin(sq_dist, axis=1)  # (n,)
    return jnp.where(jnp.min(sq_dist, axis=1) <= radius**2, nearest, -1)


def _occupancy_kl(occupancy, target_weights):
    q = target_weights / jnp.sum(target_weights)
    occupied = jnp.sum(occupancy, axis=-1, keepdims=True)
    has_any = occupied > 0
    p = occupancy / jnp.where(has_any, occupied, 1.0)
    kl = jnp.sum(p * jnp.log(jnp.maximum(p, KL_FLOOR) / jnp.broadcast_to(q, p.shape)), axis=-1)
    return jnp.where(has_any[..., 0], jnp.maximum(kl, 0.0), -jnp.log(jnp.min(q)))


@jax.jit
def _mode_coverage(points, centres, std, masses, radius_stds, min_fraction):
    n_modes = centres.shape[0]
    labels = _mode_labels(points, centres, std, radius_stds)  # (n,), -1 off every ball
    high_quality = labels >= 0
    at_mode = labels[:, None] == jnp.arange(n_modes)[None, :]  # (n, K)

    # Sum raw masses, divide once: with uniform masses this is count / n, correctly rounded,
    # so "exactly 5%" compares equal to 0.05.
    total = jnp.sum(masses)
    occupancy = (masses @ at_mode.astype(points.dtype)) / total
    covered = occupancy >= min_fraction
    high_quality_fraction = jnp.sum(jnp.where(high_quality, masses, 0.0)) / total

    return ModeCoverage(
        occupancy=occupancy,
        covered=covered,
        n_covered=jnp.sum(covered),
        high_quality_fraction=high_quality_fraction,
        kl_to_uniform=_occupancy_kl(occupancy, jnp.ones(n_modes, dtype=points.dtype)),
    )
