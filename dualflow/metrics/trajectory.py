r"""Evaluation metrics along a run: mode coverage and distances to the target at the saved times.

For a run saved at times $t_0 < t_1 < \dots$ (generator particles $x^{(s)}$ with fixed masses)
and the target $\nu$ with mode centres $c_1, \dots, c_K$ of standard deviation `std`,
`metrics_over_time` evaluates at every `every`-th saved time (the last one always included):

- mode coverage ([docs/science.md §5][science-experiments], see `mode_coverage`): per-mode occupancy $o_k(t)$, the number of
  covered modes ($o_k \ge$ `min_fraction`), the high-quality fraction $\sum_k o_k$, and
  $\mathrm{KL}(p \,\|\, q)$ of the occupancy distribution $p = o / \sum_k o_k$ against the
  target's mode weights $q$ (`occupancy_kl`);
- $W_2$ and $W_2^2$ to $\nu$, exact (POT, host-side; roughly cubic in the number of atoms, hence
  `every`);
- the debiased Sinkhorn divergence $S_\varepsilon(\mu_t, \nu)$ (ott-jax; squared Euclidean cost, so
  it is comparable to $W_2^2$, not to $W_2$);
- $\mathrm{MMD}_K(\mu_t, \nu)$ with both measures' masses normalized to probability vectors
  (all four distances compare shapes, not total masses).

Saved times that are not finite (a flow that ended early saves `inf` past its end) and saves
with non-finite positions are skipped: their rows are `nan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import equinox as eqx
import jax
import jax.numpy as jnp
import numpy as np

from .._json import json_ready
from ..kernels.radial import AbstractRadialKernel, Gaussian
from ..measures.measure import Measure
from ..validation import check_int, check_positive, masses_for
from .mmd import mmd
from .modes import mode_coverage, occupancy_kl
from .sinkhorn import sinkhorn_divergence
from .wasserstein import w2_squared

#: The fields each metric group of `metrics_over_time` (`which`) fills.
GROUP_FIELDS = {
    "modes": ("occupancy", "n_covered", "high_quality_fraction", "kl_occupancy"),
    "w2": ("w2", "w2_squared"),
    "sinkhorn": ("sinkhorn",),
    "mmd": ("mmd",),
}
METRIC_GROUPS = tuple(GROUP_FIELDS)


class MetricsOverTime(eqx.Module):
    r"""Metrics of one run at its evaluated saved times (NumPy arrays, host-side).

    Rows are the evaluated saves; a row whose saved time or positions are not finite is
    `nan` in every metric. A metric group left out of `which` is `None`.

    **Fields:**

    - `ts`: `(S,)` the evaluated saved times (`inf` where the run had ended).
    - `indices`: `(S,)` their indices into the run's saved times.
    - `occupancy`: `(S, K)` per-mode occupancy $o_k$ (weight fractions).
    - `n_covered`: `(S,)` number of modes with $o_k \ge$ `min_fraction` (float, so that a
      skipped row can be `nan`).
    - `high_quality_fraction`: `(S,)` $\sum_k o_k$.
    - `kl_occupancy`: `(S,)` $\mathrm{KL}(p \,\|\, q)$ in nats, $p = o/\sum_k o_k$, $q$ the target's
      mode weights (see `occupancy_kl` for the empty case).
    - `w2`: `(S,)` $W_2(\mu_t, \nu)$, exact; `w2_squared`: `(S,)` its square $W_2^2$.
    - `sinkhorn`: `(S,)` the Sinkhorn divergence $S_\varepsilon(\mu_t, \nu)$ (squared-distance
      units, like `w2_squared`; `nan` also where ott-jax did not converge).
    - `mmd`: `(S,)` $\mathrm{MMD}_K(\mu_t, \nu)$.
    - `settings`: dict of the evaluation settings (`std`, `radius_stds`, `min_fraction`,
      `epsilon`, `every`, `which`, the MMD `kernel`'s class name and `bandwidth`,
      `target_weights`).
    """

    ts: np.ndarray
    indices: np.ndarray
    occupancy: np.ndarray | None
    n_covered: np.ndarray | None
    high_quality_fraction: np.ndarray | None
    kl_occupancy: np.ndarray | None
    w2: np.ndarray | None
    w2_squared: np.ndarray | None
    sinkhorn: np.ndarray | None
    mmd: np.ndarray | None
    settings: dict

    def to_dict(self) -> dict:
        """The fields as plain Python lists (JSON-ready: NaN becomes `None`, infinities `"inf"`,
        fields not evaluated are left out); `settings` as given."""
        out = {}
        for name in ("ts", "indices") + tuple(name for names in GROUP_FIELDS.values() for name in names):
            value = getattr(self, name)
            if value is not None:
                out[name] = json_ready(value)
        out["settings"] = dict(self.settings)
        return out


def default_bandwidth(centres) -> float:
    r"""The default MMD bandwidth: the smallest distance between two distinct mode centres
    (the mode spacing; $2r\sin(\pi/8) \approx 1.53$ for the 8-ring of radius $r = 2$, the
    spacing for the 5x5 grid), so the kernel resolves modes without being blind between them.

    **Arguments:** `centres`, `(K, d)` with at least two distinct rows.

    **Returns:** a Python `float`.
    """
    centres = np.asarray(centres, dtype=np.float64)
    if centres.ndim != 2:
        raise ValueError(f"`centres` must be a (K, d) array; received shape {centres.shape}.")
    gaps = np.sqrt(np.sum((centres[:, None, :] - centres[None, :, :]) ** 2, axis=-1))
    gaps = gaps[gaps > 0]
    if gaps.size == 0:
        raise ValueError(
            "the default MMD bandwidth is the mode spacing, which needs at least two distinct "
            f"centres; received {centres.shape[0]}. Pass `kernel=` explicitly."
        )
    return float(gaps.min())


def _unpack_run(run):
    """`(ts, points, masses)` of a `Solution` (duck-typed: `ts`, `points`, `masses`) or a tuple."""
    if isinstance(run, tuple):
        if len(run) != 3:
            raise ValueError(f"`run` as a tuple must be (ts, points, masses); received a tuple of length {len(run)}.")
        ts, points, masses = run
    elif all(hasattr(run, name) for name in ("ts", "points", "masses")):
        ts, points, masses = run.ts, run.points, run.masses
    else:
        raise TypeError(f"`run` must be a Solution or a tuple (ts, points, masses); received {type(run).__name__}.")
    ts = np.asarray(ts, dtype=np.float64)
    points = np.asarray(points)
    if points.dtype.kind != "f":
        points = points.astype(np.float64)
    if points.ndim != 3 or ts.ndim != 1 or ts.shape[0] != points.shape[0]:
        raise ValueError(
            f"expected `ts` of shape (S,) and `points` of shape (S, N, d); received {ts.shape} and {points.shape}."
        )
    if masses is not None:
        masses = np.asarray(masses, dtype=points.dtype)
        if masses.shape != points.shape[1:2] or not np.all(np.isfinite(masses) & (masses > 0)):
            raise ValueError(
                f"`masses` must be a finite positive array of shape ({points.shape[1]},); "
                f"received shape {masses.shape}."
            )
    return ts, points, masses


def evaluated_indices(n_saves: int, every: int) -> np.ndarray:
    """Saved indices `0, every, 2 every, ...` and always the last one, `n_saves - 1`."""
    indices = np.arange(0, n_saves, every)
    if indices[-1] != n_saves - 1:
        indices = np.append(indices, n_saves - 1)
    return indices


def metrics_over_time(
    run,
    data: Measure,
    centres,
    std,
    *,
    every: int = 1,
    epsilon=0.05,
    kernel: AbstractRadialKernel | None = None,
    target_weights=None,
    radius_stds: float = 3.0,
    min_fraction: float = 0.05,
    which: Sequence[str] = METRIC_GROUPS,
) -> MetricsOverTime:
    r"""Mode coverage, $W_2$, Sinkhorn divergence and MMD to the target at the saved times of a run.

    Mode coverage is `vmap`ped over the evaluated saves (one compiled call); the Sinkhorn
    divergence and the MMD are evaluated save by save by their compiled functions (compiled
    once per cloud size, memory of one save at a time); $W_2$ is solved exactly by POT save
    by save on the host.

    **Arguments:**

    - `run`: a `Solution` (its `ts`, `points`, `masses`) or a tuple `(ts, points, masses)` with
      `ts` `(S,)`, `points` `(S, N, d)` and `masses` `(N,)` or `None` (uniform).
    - `data`: the target $\nu$ (a `Measure`); the run is evaluated in its floating-point precision.
    - `centres`: `(K, d)` mode centres (e.g. `ring8_centres(2.0)`); `std`: their standard deviation.
    - `every`: evaluate every `every`-th save (and the last one); exact $W_2$ is $O(N^3)$ per save.
    - `epsilon`: entropic regularization of the Sinkhorn divergence (absolute, squared-distance units).
    - `kernel`: the MMD kernel; default `Gaussian(default_bandwidth(centres))`, the mode spacing.
    - `target_weights`: `(K,)` positive mode weights of the target for `kl_occupancy`
      (normalized internally); `None` for equal weights.
    - `radius_stds`, `min_fraction`: the mode-coverage rule (see `mode_coverage`).
    - `which`: the metric groups to evaluate, any of `"modes"`, `"w2"` (both `w2` and
      `w2_squared`), `"sinkhorn"`, `"mmd"`; the others are `None` in the result.

    **Returns:** a `MetricsOverTime`.

    **Example:**

    ```python
    sol = solve(game, Measure(x0), GDA(lr_g=0.05, lr_d=0.5), n_steps=2000, save_every=20)
    m = metrics_over_time(sol, data, ring8_centres(2.0), std=0.02, every=5)
    m.n_covered, m.w2_squared
    ```
    """
    # Long on purpose: the argument checks, then one pass per metric group over the evaluated saves.
    ts, points, masses = _unpack_run(run)
    if not isinstance(data, Measure):
        raise TypeError(f"`data` must be a dualflow `Measure`; received {type(data).__name__}.")
    if data.dim != points.shape[2]:
        raise ValueError(f"`data` lives in dimension {data.dim} but the run's points have shape {points.shape}.")
    # evaluated in the data's precision (an explicit cast: a float32 run against float64 data)
    points = points.astype(np.dtype(data.points.dtype))
    masses = None if masses is None else masses.astype(points.dtype)
    centres = np.asarray(centres, dtype=points.dtype)
    if centres.ndim != 2 or centres.shape[1] != points.shape[2]:
        raise ValueError(f"`centres` must have shape (K, {points.shape[2]}); received shape {centres.shape}.")
    check_positive("std", std)
    check_positive("radius_stds", radius_stds)
    if not 0.0 <= float(min_fraction) <= 1.0:
        raise ValueError(f"`min_fraction` must lie in [0, 1]; received {min_fraction!r}.")
    check_positive("epsilon", epsilon)
    every = check_int("every", every, minimum=1)
    which = tuple(which)
    unknown = [name for name in which if name not in METRIC_GROUPS]
    if unknown or not which:
        raise ValueError(f"`which` must name some of {list(METRIC_GROUPS)}; received {list(which)!r}.")
    if kernel is None:
        kernel = Gaussian(default_bandwidth(centres)) if "mmd" in which else None
    elif not isinstance(kernel, AbstractRadialKernel):
        raise TypeError(f"`kernel` must be a dualflow radial kernel; received {type(kernel).__name__}.")
    n_modes = centres.shape[0]
    if target_weights is not None:
        target_weights = np.asarray(target_weights, dtype=points.dtype)
        if target_weights.shape != (n_modes,):
            raise ValueError(
                f"`target_weights` must have shape ({n_modes},) to match `centres`; "
                f"received shape {target_weights.shape}."
            )
        check_positive("target_weights", target_weights)

    indices = evaluated_indices(points.shape[0], every)
    selected = points[indices]
    valid = np.isfinite(ts[indices]) & np.all(np.isfinite(selected), axis=(1, 2))
    shapes = {name: (n_modes,) if name == "occupancy" else () for group in which for name in GROUP_FIELDS[group]}
    fields = {name: np.full((indices.shape[0],) + shape, np.nan) for name, shape in shapes.items()}

    if valid.any():
        good = jnp.asarray(selected[valid])  # (V, N, d): only the saves that can be measured
        weights = masses_for(good[0], masses)
        values: dict[str, Any] = {}
        if "modes" in which:
            # the masses as given; None: unit masses, so uniform fractions are counts / N correctly
            # rounded (passed in, not built inside the compiled function, where XLA would fold the
            # constant total into a multiplication by its inaccurate reciprocal)
            unit_or_given = jnp.ones(good.shape[1], good.dtype) if masses is None else jnp.asarray(masses)
            cov = _coverage_over_time(
                good,
                jnp.asarray(centres),
                unit_or_given,
                *(jnp.asarray(v, dtype=good.dtype) for v in (std, radius_stds, min_fraction)),
            )
            values.update(
                occupancy=cov.occupancy,
                n_covered=cov.n_covered,
                high_quality_fraction=cov.high_quality_fraction,
                kl_occupancy=occupancy_kl(cov.occupancy, target_weights),
            )
        if "w2" in which:
            squared = np.array([w2_squared(Measure(x, weights), data) for x in good])
            values.update(w2_squared=squared, w2=np.sqrt(squared))
        # one compiled call per save (compiled once per cloud size, whatever the number of saves)
        if "sinkhorn" in which:
            values["sinkhorn"] = [sinkhorn_divergence(Measure(x, weights), data, epsilon) for x in good]
        if "mmd" in which:
            assert kernel is not None  # chosen above whenever the MMD is measured
            target = Measure(data.points, data.masses / jnp.sum(data.masses))
            probabilities = weights / jnp.sum(weights)
            values["mmd"] = [mmd(kernel, Measure(x, probabilities), target) for x in good]
        for name, value in values.items():
            fields[name][valid] = np.asarray(value, dtype=np.float64)

    bandwidth = getattr(kernel, "bandwidth", None)
    settings = {
        "std": float(std),
        "radius_stds": float(radius_stds),
        "min_fraction": float(min_fraction),
        "epsilon": float(epsilon),
        "every": int(every),
        "which": list(which),
        "kernel": None if kernel is None else type(kernel).__name__,
        "bandwidth": None if bandwidth is None else float(np.asarray(bandwidth)),
        "target_weights": None if target_weights is None else target_weights.tolist(),
    }
    every_field = {name: fields.get(name) for names in GROUP_FIELDS.values() for name in names}
    return MetricsOverTime(ts=ts[indices], indices=indices, settings=settings, **every_field)


@eqx.filter_jit
def _coverage_over_time(xs, centres, masses, std, radius_stds, min_fraction):
    return jax.vmap(
        lambda x: mode_coverage(x, centres, std, masses, radius_stds=radius_stds, min_fraction=min_fraction)
    )(xs)
