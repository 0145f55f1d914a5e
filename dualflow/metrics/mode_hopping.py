r"""Mode hopping: the generator's mass moving from one mode to another over time.

A collapsed generator often does not sit still on one mode: the discriminator pushes the
crowded mode down and the particles hop to another one. Two views of the same rule:

- `mode_hops`: the **dominant mode** of the whole cloud, $\arg\max_k o_k(t)$ of the per-mode
  occupancy, and when it switches;
- `particle_hops`: each particle's own mode (its nearest centre within the coverage radius),
  and how many times it changes.

**The rule**, applied to a sequence of labels $\ell_0, \ell_1, \dots$ at the saved times
(a label is a mode index, or "none"):

1. *Runs*: split the sequence into maximal blocks of consecutive saves with the same label.
2. *Established*: a run of a mode (not "none") is established when it lasts at least
   `persistence` consecutive saves. Shorter runs are flicker and are ignored, as are "none"
   runs (no mode holds enough mass, the particle is between modes, or the save is missing).
3. *Hops*: read the established runs in time order, merging neighbours with the same mode
   (a mode interrupted only by flicker or "none" is the same stay). Each change of mode is
   a hop; its time is the first saved time of the new established run.

A stay that began fewer than `persistence` saves before the end of the record is not yet
established and is not counted.
"""

from __future__ import annotations

import equinox as eqx
import jax.numpy as jnp
import numpy as np

from ..validation import check_int, check_positive
from .modes import mode_labels

#: Label of a save with no mode ("none" in the rule).
NO_MODE = -1


class ModeHops(eqx.Module):
    r"""The dominant mode over time and its hops (NumPy arrays).

    **Fields:**

    - `dominant`: `(S,)` integer, the dominant mode at each save ($\arg\max_k o_k$, lowest index
      on ties), or `NO_MODE` ($-1$) when $\max_k o_k <$ `min_fraction` or the save is not finite.
    - `modes`: `(H + 1,)` integer, the established dominant modes in order (empty when no mode
      was ever established).
    - `start_times`: `(H + 1,)` the first saved time of each of them; `start_times[1:]` are the
      hop times.
    - `n_hops`: $H$, the number of hops.
    """

    dominant: np.ndarray
    modes: np.ndarray
    start_times: np.ndarray
    n_hops: int

    @property
    def switch_times(self) -> np.ndarray:
        """`(H,)` the times of the hops (the start of each new dominant mode)."""
        return self.start_times[1:]


def established_labels(labels, persistence: int) -> np.ndarray:
    r"""Step 1 and 2 of the rule, row by row: each save's label forward-filled from the last
    established run (a run of the same mode over at least `persistence` saves), `NO_MODE`
    before the first one.

    **Arguments:**

    - `labels`: `(R, S)` integer labels (mode indices, or `NO_MODE`), one row per sequence.
    - `persistence`: saves a run must last to count, an integer $\ge 1$.

    **Returns:** an `(R, S)` integer array; a hop in row $r$ is a save $s$ where it changes from
    one mode to another.
    """
    labels = np.asarray(labels)
    persistence = check_int("persistence", persistence, minimum=1)
    if labels.ndim != 2 or labels.shape[1] == 0:
        raise ValueError(f"`labels` must be an (R, S) integer array with S >= 1; received shape {labels.shape}.")
    rows, saves = labels.shape
    starts = np.ones_like(labels, dtype=bool)
    starts[:, 1:] = labels[:, 1:] != labels[:, :-1]
    run_id = np.cumsum(starts.ravel()).reshape(rows, saves) - 1  # global run index of each save
    run_length = np.bincount(run_id.ravel())[run_id]
    established = (labels != NO_MODE) & (run_length >= persistence)
    last = np.maximum.accumulate(np.where(established, np.arange(saves), -1), axis=1)
    filled = np.take_along_axis(labels, np.maximum(last, 0), axis=1)
    return np.where(last >= 0, filled, NO_MODE)


def _hops(filled) -> np.ndarray:
    """`(R, S)` bool: save `s` of row `r` starts a new established mode after another one."""
    hops = np.zeros_like(filled, dtype=bool)
    hops[:, 1:] = (filled[:, 1:] != filled[:, :-1]) & (filled[:, :-1] != NO_MODE)
    return hops


def mode_hops(occupancy, ts, *, min_fraction: float = 0.05, persistence: int = 3) -> ModeHops:
    r"""The dominant mode of a run over time and its hops, flicker ignored (rule in the module doc).

    The label of save $s$ is $\arg\max_k o_k(t_s)$ when that occupancy is positive and at
    least `min_fraction` (a mode that is at least "covered"), and "none" otherwise (no
    high-quality mass), or when the saved time or the occupancy is not finite (an early-ended
    flow, a skipped save).

    **Arguments:**

    - `occupancy`: `(S, K)` per-mode occupancy over time (e.g. `metrics_over_time(...).occupancy`).
    - `ts`: `(S,)` the saved times.
    - `min_fraction`: smallest occupancy for the largest mode to count as dominant, in $[0, 1]$.
    - `persistence`: saves a mode must stay dominant to be established (1: every change counts).

    **Returns:** a `ModeHops`.

    **Example:**

    ```python
    m = metrics_over_time(sol, data, ring8_centres(2.0), std=0.02, which=("modes",))
    hops = mode_hops(m.occupancy, m.ts, persistence=3)
    hops.n_hops, hops.modes, hops.switch_times
    ```
    """
    occupancy = np.asarray(occupancy, dtype=np.float64)
    ts = np.asarray(ts, dtype=np.float64)
    if occupancy.ndim != 2 or occupancy.shape[0] == 0 or occupancy.shape[1] == 0:
        raise ValueError(f"`occupancy` must be an (S, K) array with S, K >= 1; received shape {occupancy.shape}.")
    if ts.shape != occupancy.shape[:1]:
        raise ValueError(
            f"`ts` must have shape ({occupancy.shape[0]},) to match `occupancy` {occupancy.shape}; "
            f"received shape {ts.shape}."
        )
    if not 0.0 <= float(min_fraction) <= 1.0:
        raise ValueError(f"`min_fraction` must lie in [0, 1]; received {min_fraction!r}.")
    persistence = check_int("persistence", persistence, minimum=1)

    finite = np.isfinite(ts) & np.all(np.isfinite(occupancy), axis=1)
    safe = np.where(finite[:, None], occupancy, 0.0)
    top = np.argmax(safe, axis=1)
    largest = safe[np.arange(len(top)), top]
    dominant = np.where(finite & (largest > 0) & (largest >= min_fraction), top, NO_MODE)

    filled = established_labels(dominant[None, :], persistence)[0]
    first = np.flatnonzero(filled != NO_MODE)
    starts = first[:1].tolist() + np.flatnonzero(_hops(filled[None, :])[0]).tolist()
    return ModeHops(
        dominant=dominant, modes=filled[starts].astype(int), start_times=ts[starts], n_hops=max(len(starts) - 1, 0)
    )


def particle_hops(points, centres, std, *, ts=None, radius_stds: float = 3.0, persistence: int = 3) -> np.ndarray:
    r"""How many times each particle hops from one mode to another (rule in the module doc).

    The label of particle $j$ at save $s$ is its mode by `mode_labels` (nearest centre within
    `radius_stds * std`), "none" outside every ball, at a non-finite position or at a
    non-finite saved time.

    **Arguments:**

    - `points`: `(S, N, d)` positions over time (e.g. `solution.points`).
    - `centres`: `(K, d)` mode centres; `std`: their standard deviation.
    - `ts`: optional `(S,)` saved times; saves at non-finite times are "none".
    - `radius_stds`: the coverage radius in units of `std`.
    - `persistence`: saves a particle must stay at a mode for the stay to count.

    **Returns:** an `(N,)` integer array of hop counts; `(counts > 0).sum()` particles hopped.

    **Example:**

    ```python
    counts = particle_hops(sol.points, ring8_centres(2.0), std=0.02)
    ```
    """
    points = np.asarray(points)
    if points.dtype.kind != "f":
        points = points.astype(np.float64)
    if points.ndim != 3 or 0 in points.shape:
        raise ValueError(f"`points` must be an (S, N, d) array with S, N, d >= 1; received shape {points.shape}.")
    centres = np.asarray(centres, dtype=points.dtype)
    if centres.ndim != 2 or centres.shape[1] != points.shape[2]:
        raise ValueError(f"`centres` must have shape (K, {points.shape[2]}); received shape {centres.shape}.")
    check_positive("std", std)
    check_positive("radius_stds", radius_stds)
    persistence = check_int("persistence", persistence, minimum=1)
    finite = np.all(np.isfinite(points), axis=2)  # (S, N)
    if ts is not None:
        ts = np.asarray(ts, dtype=np.float64)
        if ts.shape != points.shape[:1]:
            raise ValueError(
                f"`ts` must have shape ({points.shape[0]},) to match `points` {points.shape}; "
                f"received shape {ts.shape}."
            )
        finite &= np.isfinite(ts)[:, None]

    safe = jnp.asarray(np.where(finite[..., None], points, 0.0))
    labels = eqx.filter_vmap(lambda x: mode_labels(x, centres, std, radius_stds=radius_stds))(safe)
    labels = np.where(finite, np.asarray(labels), NO_MODE)  # (S, N)
    return _hops(established_labels(labels.T, persistence)).sum(axis=1)
