r"""Phase labels of simulated trajectories: converge, oscillate, diverge, stuck, mode collapse.

A run (a `Solution`, or saved times `ts` `(S,)` with positions `points` `(S, N, d)`) is
labelled from two series over its saves $k$:

- the **amplitude** $e_k = \max_j |x_j(t_k) - x^*_j|$, the offset from a `reference`
  equilibrium $x^*$ when one is given, otherwise the per-save displacement $v_k$;
- the **motion** $v_k = \max_j |x_j(t_{k+1}) - x_j(t_k)|$ (at time $t_{k+1}$).

Near an equilibrium $x^*$ a linear map gives $x_k - x^* = \mathrm{Re}(A\rho^k)$, and then
$v_k$ rotates and grows or decays with the same $|\rho|$ as $e_k$: the displacement carries the
rate and the oscillation without knowing $x^*$. The geometric rate is the least-squares slope
of $\log e$ against $t$ on the peaks of $e$ (or on $e$ itself when it has fewer than three
peaks) over the tail of the run, so $e_k = C r^k$ saved every $\Delta t$ gives exactly
$\log(r)/\Delta t$. Rules and thresholds are listed in `classify_trajectory`.

NumPy only: classification runs after simulation, on concrete arrays, never under `jit`.
"""

from __future__ import annotations

import dataclasses
import enum
import math

import numpy as np

from ..measures.measure import Measure
from ..solvers.solution import Result, Solution
from ..validation import check_int, check_positive


class Phase(enum.IntEnum):
    """Phase of a run. An `IntEnum`, so labels fill integer arrays (phase diagrams) and
    come back with `Phase(k)`; `UNDECIDED = 0` is the natural fill value."""

    #: Too few finite saves, or the evidence fits no other label.
    UNDECIDED = 0
    #: The run settles (on the reference, or with every particle on the data) without oscillating.
    CONVERGES = 1
    #: The run settles while its displacements change sign.
    CONVERGES_OSCILLATING = 2
    #: Flat amplitude and persistent motion that keeps changing sign.
    OSCILLATES = 3
    #: The amplitude grows, or the run blew up or became non-finite.
    DIVERGES = 4
    #: The run comes to rest with a particle far from every data point.
    STUCK = 5
    #: The run comes to rest with particles near but off the data, or an empty data point beside a crowded one.
    MODE_COLLAPSE = 6


@dataclasses.dataclass(frozen=True)
class PhaseReport:
    r"""The label of one run and the evidence behind it (`nan` where a quantity could not be
    measured, e.g. too few finite saves).

    **Fields:**

    - `phase`: the `Phase`.
    - `reason`: one human-readable sentence naming the rule that fired and its numbers.
    - `rate`: fitted geometric rate of the amplitude envelope per unit time (the slope of
      $\log e$ against $t$ over the tail; $< 0$ decays, $> 0$ grows).
    - `factor`: the same per save, $e^{\text{rate}\cdot\Delta t}$ with $\Delta t$ the median save
      spacing over the tail.
    - `trend`: $\max e$ over the last window of saves divided by $\max e$ over the first window.
    - `motion_rate`: fitted geometric rate of the displacement envelope $v$ per unit time
      (equal to `rate` without a reference).
    - `sign_changes`: sign changes of the displacements projected on their dominant
      direction (two per turn of a rotation, one per swing of an oscillation). Near an
      equilibrium the displacement turns exactly as the offset does, and it needs no reference.
    - `final_speed`: $\max_j |x_j(t_S) - x_j(t_{S-1})| / (t_S - t_{S-1})$ at the last two finite saves.
    - `final_offset`: $e$ at the last finite save (`nan` without a reference).
    - `data_distances`: `(N,)` distance of each particle to its nearest data point at the
      last finite save, or `None` without data.
    - `times`, `amplitude`: the amplitude series $e$ and its times (finite saves only).
    """

    phase: Phase
    reason: str
    rate: float
    factor: float
    trend: float
    motion_rate: float
    sign_changes: int
    final_speed: float
    final_offset: float
    data_distances: np.ndarray | None
    times: np.ndarray
    amplitude: np.ndarray


@dataclasses.dataclass(frozen=True)
class _Envelope:
    """Floor and fitted tail trend of one non-negative series."""

    floor: float  # settle_tol * scale: below it the series counts as zero
    rate: float  # per unit time
    factor: float  # per save
    change: float  # rate * duration of the fitted tail: the log-change across it
    trend: float  # max(last window) / max(first window)


def classify_trajectory(
    ts,
    points,
    *,
    reference=None,
    data=None,
    result=None,
    tail: float = 0.5,
    window: float = 0.1,
    rate_tol: float = 0.1,
    settle_tol: float = 1e-6,
    data_tol: float = 1e-3,
    far_tol: float = 1.0,
    min_sign_changes: int = 2,
    min_saves: int = 8,
) -> PhaseReport:
    r"""Label a trajectory with its `Phase` and attach the evidence.

    **Arguments:**

    - `ts`: `(S,)` saved times.
    - `points`: `(S, N, d)` positions at those times.
    - `reference`: `(N, d)` equilibrium the run was started near (array or `Measure`), or
      `None`. With it the amplitude is $e_k = \max_j |x_j(t_k) - x^*_j|$; without it, the
      per-save displacement $v_k$.
    - `data`: `(M, d)` true points (array or `Measure`), or `None`.
    - `result`: the run's `Result` code (int or `Result`), or `None`.
    - `tail`: fraction of the active saves (those up to the last one where the amplitude is
      above its floor) over which the envelope is fitted; default `0.5`, the latter half.
    - `window`: fraction of the saves in the first and last windows (for `trend`, and the
      scale of each series: its max over the first window); default `0.1`.
    - `rate_tol`: the envelope counts as growing (decaying) when its fitted log-change across
      the tail, `rate` $\times$ tail duration, is above `rate_tol` (below `-rate_tol`);
      default `0.1`, i.e. about 10% over the tail. Otherwise it is flat.
    - `settle_tol`: a series is zero below its floor, `settle_tol` times its scale (its max
      over the first window, or over the whole run if that is zero): amplitudes below it are
      clipped there before the log fit, and a run whose last displacement is below it has
      settled; default `1e-6`.
    - `data_tol`: a resting particle within `data_tol` of a data point sits on it; default
      `1e-3` (a length in the data's units).
    - `far_tol`: a resting particle at least `far_tol` from every data point is stuck;
      default `1.0` (one bandwidth of a unit Gaussian kernel: scale it with yours).
    - `min_sign_changes`: sign changes of the motion needed to call it oscillating; default `2`
      (a single overshoot is not an oscillation).
    - `min_saves`: fewer finite saves than this give `UNDECIDED`; default `8`.

    **Rules**, first match wins:

    1. `result` is `BLEW_UP` or `NONFINITE`, or a save has non-finite positions: `DIVERGES`.
       Saves whose time is not finite, or does not increase (past an early end: flows pad
       with `inf`, GDA repeats its last state), are dropped first; the evidence uses the
       finite saves before the first non-finite one.
    2. Fewer than `min_saves` finite saves: `UNDECIDED`.
    3. The amplitude envelope grows (log-change $>$ `rate_tol`) while the motion does not
       decay (log-change $\ge$ `-rate_tol`): `DIVERGES`.
    4. With a reference, the amplitude decays (log-change $<$ `-rate_tol`) or its last value
       is below its floor: the run converges to the reference, `CONVERGES_OSCILLATING` with at
       least `min_sign_changes` sign changes, else `CONVERGES`.
    5. The motion dies out (its log-change $<$ `-rate_tol`, or the last displacement below its
       floor, or `result` is `STATIONARY`): the run comes to rest at its last positions.
       With `data`: some particle at least `far_tol` from every data point is `STUCK`; some
       particle between `data_tol` and `far_tol` from the data, or a data point holding no
       particle while another holds two or more, is `MODE_COLLAPSE`; every particle on the
       data is `CONVERGES`/`CONVERGES_OSCILLATING` (sign changes decide as in 4). Without
       data: `CONVERGES`/`CONVERGES_OSCILLATING` when there is no reference, `UNDECIDED`
       (rests away from the reference, nothing to compare with) when there is one.
    6. Flat amplitude and persistent motion: `OSCILLATES` with at least `min_sign_changes`
       sign changes, else `UNDECIDED` (steady motion that never reverses: the run is too
       short to tell a slow oscillation from a drift).

    Rule 5 judges the last saved positions: a run still approaching its rest point should be
    run longer (or `data_tol` loosened) before its distances to the data are trusted.

    **Returns:** a `PhaseReport`.

    **Example:**

    ```python
    k = np.arange(200)
    x = 0.9 ** k[:, None] * np.stack([np.cos(0.3 * k), np.sin(0.3 * k)], axis=1)
    report = classify_trajectory(0.1 * k, x[:, None, :], reference=np.zeros((1, 2)))
    report.phase, report.rate        # Phase.CONVERGES_OSCILLATING, log(0.9) / 0.1
    ```
    """
    # Long on purpose: one decision procedure (blow-up, rest, decay, oscillation, mode collapse), read top to bottom.
    ts, points = _check_trajectory(ts, points)
    n_particles, dim = points.shape[1:]
    reference = _as_points("reference", reference, dim, n_particles)
    data = _as_points("data", data, dim)
    result = _as_result(result)
    for name, value in (
        ("rate_tol", rate_tol),
        ("settle_tol", settle_tol),
        ("data_tol", data_tol),
        ("far_tol", far_tol),
    ):
        check_positive(name, value)
    for name, value in (("tail", tail), ("window", window)):
        if not 0 < value <= 1:
            raise ValueError(f"`{name}` must be a fraction in (0, 1]; received {value!r}.")
    if not data_tol < far_tol:
        raise ValueError(f"`data_tol` ({data_tol}) must be smaller than `far_tol` ({far_tol}).")
    min_sign_changes = check_int("min_sign_changes", min_sign_changes, minimum=1)
    min_saves = check_int("min_saves", min_saves, minimum=3)

    keep = _increasing_finite_times(ts)
    ts, points = ts[keep], points[keep]
    finite = np.all(np.isfinite(points), axis=(1, 2))
    n_finite = int(np.argmin(finite)) if not finite.all() else len(ts)
    ts, points, bad_time = ts[:n_finite], points[:n_finite], (ts[n_finite] if n_finite < len(ts) else None)

    # --- evidence -------------------------------------------------------------------------
    steps = points[1:] - points[:-1]
    motion = np.max(np.linalg.norm(steps, axis=-1), axis=-1)
    motion_env = _envelope(ts[1:], motion, tail=tail, window=window, settle_tol=settle_tol)
    if reference is not None:
        times, amplitude = ts, np.max(np.linalg.norm(points - reference, axis=-1), axis=-1)
        amp_env = _envelope(times, amplitude, tail=tail, window=window, settle_tol=settle_tol)
    else:
        times, amplitude, amp_env = ts[1:], motion, motion_env
    sign_changes = _sign_changes(steps.reshape(len(steps), n_particles * dim), motion_env.floor)
    final_speed = float(motion[-1] / (ts[-1] - ts[-2])) if len(ts) > 1 else math.nan
    final_offset = float(amplitude[-1]) if reference is not None and len(ts) else math.nan
    pairwise = distances = None
    if data is not None and len(ts):
        pairwise = np.linalg.norm(points[-1][:, None, :] - data[None, :, :], axis=-1)  # (N, M) at the last save
        distances = np.min(pairwise, axis=1)

    def report(phase, reason):
        return PhaseReport(
            phase=phase,
            reason=reason,
            rate=amp_env.rate,
            factor=amp_env.factor,
            trend=amp_env.trend,
            motion_rate=motion_env.rate,
            sign_changes=sign_changes,
            final_speed=final_speed,
            final_offset=final_offset,
            data_distances=distances,
            times=times,
            amplitude=amplitude,
        )

    oscillating = sign_changes >= min_sign_changes
    converges = Phase.CONVERGES_OSCILLATING if oscillating else Phase.CONVERGES
    swings = f"{sign_changes} sign change{'' if sign_changes == 1 else 's'} of the motion"

    # --- rules ----------------------------------------------------------------------------
    if result in (Result.BLEW_UP, Result.NONFINITE):
        return report(Phase.DIVERGES, f"the run ended with {result.name} after {len(ts)} finite saves.")
    if bad_time is not None:
        return report(Phase.DIVERGES, f"positions are non-finite from t = {bad_time:.6g} on.")
    if len(ts) < min_saves:
        return report(Phase.UNDECIDED, f"only {len(ts)} finite saves; at least {min_saves} are needed.")
    if amp_env.change > rate_tol and not motion_env.change < -rate_tol:
        return report(
            Phase.DIVERGES,
            f"the amplitude grows: rate {amp_env.rate:.4g} per unit time (x"
            f"{amp_env.factor:.6g} per save), log-change {amp_env.change:.3g} over the tail.",
        )
    if reference is not None and (amp_env.change < -rate_tol or amplitude[-1] <= amp_env.floor):
        decays = amp_env.change < -rate_tol
        how = f"decays at rate {amp_env.rate:.4g} per unit time" if decays else "ends below its floor"
        return report(
            converges, f"the offset from the reference {how} (final offset {amplitude[-1]:.3g}) with {swings}."
        )
    at_rest = motion_env.change < -rate_tol or motion[-1] <= motion_env.floor or result == Result.STATIONARY
    if at_rest:
        rest = f"the motion dies out (final speed {final_speed:.3g})"
        if data is not None:
            return _rest_on_data(
                report, rest, pairwise, data_tol=data_tol, far_tol=far_tol, converges=converges, swings=swings
            )
        if reference is not None:
            return report(
                Phase.UNDECIDED,
                f"{rest} at offset {amplitude[-1]:.3g} from the reference; pass `data` "
                "to tell a converged run from a stuck or collapsed one.",
            )
        return report(converges, f"{rest} with {swings}.")
    if oscillating:
        return report(
            Phase.OSCILLATES,
            f"the amplitude is flat (log-change {amp_env.change:.3g} over the tail) and "
            f"the motion persists with {swings}.",
        )
    return report(
        Phase.UNDECIDED,
        f"steady motion (log-change {amp_env.change:.3g}) with only {swings}: too short "
        "to tell a slow oscillation from a drift.",
    )


def classify_solution(solution: Solution, *, reference=None, data=None, **options) -> PhaseReport:
    """`classify_trajectory` on a `Solution`: its saved times, positions and result code.

    **Arguments:**

    - `solution`: a `Solution` from `dualflow.solve` (typically with `throw=False`).
    - `reference`, `data`: as in `classify_trajectory` (arrays or `Measure`s), e.g.
      `data=game.data`.
    - `options`: the tolerances of `classify_trajectory` (`rate_tol`, `settle_tol`, ...).

    **Returns:** a `PhaseReport`.
    """
    if not isinstance(solution, Solution):
        raise TypeError(f"`solution` must be a dualflow Solution; received {type(solution).__name__}.")
    return classify_trajectory(
        solution.ts, solution.points, reference=reference, data=data, result=int(np.asarray(solution.result)), **options
    )


def _rest_on_data(report, rest, pairwise, *, data_tol, far_tol, converges, swings):
    """Rule 5 with data: where among the data the run came to rest (`pairwise`: `(N, M)`
    particle-to-data distances at the last save)."""
    distances = np.min(pairwise, axis=1)
    far = np.flatnonzero(distances >= far_tol)
    if far.size:
        j = int(far[np.argmax(distances[far])])
        return report(
            Phase.STUCK,
            f"{rest} with particle {j} at distance {distances[j]:.3g} >= far_tol = {far_tol:g} from every data point.",
        )
    near = np.flatnonzero(distances > data_tol)
    if near.size:
        j = int(near[np.argmax(distances[near])])
        return report(
            Phase.MODE_COLLAPSE,
            f"{rest} with particle {j} at offset {distances[j]:.3g} from the nearest "
            f"data point (between data_tol = {data_tol:g} and far_tol = {far_tol:g}).",
        )
    counts = np.bincount(np.argmin(pairwise, axis=1), minlength=pairwise.shape[1])
    if np.any(counts == 0) and np.any(counts >= 2):
        return report(
            Phase.MODE_COLLAPSE,
            f"{rest} on the data, but data point {int(np.argmin(counts))} holds no "
            f"particle while data point {int(np.argmax(counts))} holds "
            f"{int(counts.max())}.",
        )
    return report(converges, f"{rest} on the data (every particle within data_tol = {data_tol:g}) with {swings}.")


def _envelope(t, a, *, tail, window, settle_tol) -> _Envelope:
    """Floor, tail fit (peaks of `a`, or `a` itself with fewer than three peaks) and trend."""
    if len(a) == 0:
        return _Envelope(math.nan, math.nan, math.nan, math.nan, math.nan)
    w = max(1, math.ceil(window * len(a)))
    first, last = float(np.max(a[:w])), float(np.max(a[-w:]))
    floor = settle_tol * (first if first > 0 else float(np.max(a)))  # relative to the series' scale
    trend = last / first if first > 0 else math.nan
    above = np.flatnonzero(a > floor)
    end = int(above[-1]) + 1 if above.size else 0  # active saves: up to the last one above the floor
    if end < 3:
        return _Envelope(floor, math.nan, math.nan, math.nan, trend)
    t, a = t[:end], a[:end]
    log_a = np.log(np.maximum(a, floor))
    start = end - max(3, math.ceil(tail * end))
    inner = np.arange(max(start, 1), end - 1)
    peaks = inner[(a[inner] > floor) & (a[inner] >= a[inner - 1]) & (a[inner] >= a[inner + 1])]
    fit = peaks if peaks.size >= 3 else np.arange(start, end)
    rate = float(np.polyfit(t[fit], log_a[fit], 1)[0])
    factor = math.exp(rate * float(np.median(np.diff(t[start:end]))))
    return _Envelope(floor, rate, factor, rate * float(t[end - 1] - t[start]), trend)


def _sign_changes(vectors, floor) -> int:
    """Sign changes of `vectors` `(K, D)` projected on their dominant direction (first right
    singular vector), ignoring projections of size at most `floor`."""
    if len(vectors) < 2 or not np.any(vectors):
        return 0
    direction = np.linalg.svd(vectors, full_matrices=False)[2][0]
    projection = vectors @ direction
    signs = np.sign(projection[np.abs(projection) > floor])
    return int(np.count_nonzero(signs[1:] != signs[:-1]))


def _increasing_finite_times(ts):
    """Mask of saves with a finite time strictly after every earlier kept save."""
    finite = np.isfinite(ts)
    latest = np.maximum.accumulate(np.where(finite, ts, -np.inf))
    return finite & (ts > np.concatenate([[-np.inf], latest[:-1]]))


def _check_trajectory(ts, points):
    ts, points = np.asarray(ts, dtype=float), np.asarray(points, dtype=float)
    if points.ndim != 3 or 0 in points.shape:
        raise ValueError(f"`points` must be an (S, N, d) array with S, N, d >= 1; received shape {points.shape}.")
    if ts.shape != points.shape[:1]:
        raise ValueError(
            f"`ts` must have shape ({points.shape[0]},) to match `points` {points.shape}; received shape {ts.shape}."
        )
    return ts, points


def _as_points(name, value, dim, count=None):
    """`value` (array or `Measure`) as a finite `(count, dim)` float array, or `None`."""
    if value is None:
        return None
    arr = np.asarray(value.points if isinstance(value, Measure) else value, dtype=float)
    if arr.ndim != 2 or arr.shape[1] != dim or arr.shape[0] == 0 or (count is not None and arr.shape[0] != count):
        expected = f"({count}, {dim})" if count is not None else f"(M, {dim}) with M >= 1"
        raise ValueError(f"`{name}` must be a {expected} array to match the trajectory; received shape {arr.shape}.")
    if not np.all(np.isfinite(arr)):
        raise ValueError(f"`{name}` must be finite; received {int(np.sum(~np.isfinite(arr)))} non-finite entries.")
    return arr


def _as_result(result):
    if result is None:
        return None
    try:
        return Result(int(np.asarray(result)))
    except (TypeError, ValueError):
        raise ValueError(
            f"`result` must be a dualflow Result code {[r.value for r in Result]} or None; received {result!r}."
        ) from None
