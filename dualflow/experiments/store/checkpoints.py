r"""Long runs in restartable segments: `solve_in_segments` and the `Solution` files it keeps.

A run over $[0, T]$ is cut into $S$ segments of length $T/S$; segment $k$ starts from the
positions and the discriminator state where segment $k-1$ ended (`solve(...,
init_discriminator=state)`), its saved times shifted by $kT/S$. After each segment the run so
far is written atomically to a checkpoint file; a run that is killed and started again reads it
and goes on from the last finished segment, so at most one segment of work is lost.

**Conventions.** A segmented run of GDA takes exactly the steps of the unsegmented one (the same
numbers). An adaptive flow restarts its step-size controller at each segment, so it agrees
with the unsegmented flow to the solver's tolerance; a segmented run interrupted and resumed
equals the same segmented run left alone, to the last bit. Only players with a finite state can
be restarted: finite-rank and neural critics, and stateless best responses (not `ExactRKHS`,
whose state is its whole history).

A run that fails in a segment (`BLEW_UP`, `NONFINITE`, `MAX_STEPS`) ends there; its remaining
saves repeat the last state with times continuing the grid (GDA) or `inf` (flow), as `solve`
itself does after an early end.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import equinox as eqx
import jax
import numpy as np

from ...players.saved import FieldGrid
from ...solvers.solution import Result, Solution
from .files import read_arrays, write_npz

__all__ = ["load_solution", "save_solution", "solution_arrays", "solution_from_arrays", "solve_in_segments"]

_STATS = "stats_"
_DISC = "disc_"


def solution_arrays(sol: Solution) -> dict:
    """The arrays of a `Solution` of free particles, as a flat dict of NumPy arrays (the
    discriminator's final state as its array leaves `disc_0`, `disc_1`, ...)."""
    out = {
        name: np.asarray(getattr(sol, name))
        for name in ("ts", "points", "masses", "payoff_gap", "final_points", "final_time", "result")
    }
    if sol.discriminator_trace is not None:
        out["discriminator_trace"] = np.asarray(sol.discriminator_trace)
    if sol.field is not None and sol.field_grid is not None:
        grid = sol.field_grid
        out["field"] = np.asarray(sol.field)
        out["field_grid"] = np.array([*grid.lower, *grid.upper, grid.n], dtype=float)
    for name, value in sol.stats.items():
        out[_STATS + name] = np.asarray(value)
    for i, leaf in enumerate(jax.tree_util.tree_leaves(eqx.filter(sol.final_discriminator, eqx.is_array))):
        out[f"{_DISC}{i}"] = np.asarray(leaf)
    return out


def _restore_state(arrays: dict, template):
    """The discriminator state whose array leaves are `disc_*` in `arrays`, shaped like `template`
    (`None` for no template: the state is not restored)."""
    if template is None:
        return None
    params, static = eqx.partition(template, eqx.is_array)
    treedef = jax.tree_util.tree_structure(params)
    leaves = [jax.numpy.asarray(arrays[f"{_DISC}{i}"]) for i in range(len(jax.tree_util.tree_leaves(params)))]
    return eqx.combine(jax.tree_util.tree_unflatten(treedef, leaves), static)


def solution_from_arrays(arrays: dict, template) -> Solution:
    """The `Solution` stored by `solution_arrays`; `template` is a discriminator state of the same
    player (e.g. `game.discriminator.init(...)`), which gives the state's structure (`None`: the
    final discriminator is left out)."""
    final_points = jax.numpy.asarray(arrays["final_points"])
    return Solution(
        ts=jax.numpy.asarray(arrays["ts"]),
        points=jax.numpy.asarray(arrays["points"]),
        masses=jax.numpy.asarray(arrays["masses"]),
        payoff_gap=jax.numpy.asarray(arrays["payoff_gap"]),
        discriminator_trace=(
            jax.numpy.asarray(arrays["discriminator_trace"]) if "discriminator_trace" in arrays else None
        ),
        final_points=final_points,
        final_generator=final_points,
        final_discriminator=_restore_state(arrays, template),
        final_time=jax.numpy.asarray(arrays["final_time"]),
        result=jax.numpy.asarray(arrays["result"]),
        stats={k[len(_STATS) :]: jax.numpy.asarray(v) for k, v in arrays.items() if k.startswith(_STATS)},
        field=jax.numpy.asarray(arrays["field"]) if "field" in arrays else None,
        field_grid=_field_grid(arrays),
    )


def _field_grid(arrays: dict):
    """The `FieldGrid` stored as `(lower_1, lower_2, upper_1, upper_2, n)`, or `None`."""
    if "field_grid" not in arrays:
        return None
    a, b, c, d, n = (float(v) for v in arrays["field_grid"])
    return FieldGrid((a, b), (c, d), int(n))


def save_solution(path, sol: Solution, **extra) -> Path:
    """Write a `Solution` (and `extra` arrays) to an `.npz` file, atomically."""
    return write_npz(path, {**solution_arrays(sol), **{k: np.asarray(v) for k, v in extra.items()}})


def load_solution(path, template) -> tuple[Solution, dict]:
    """Read a file of `save_solution`: `(solution, every array in the file)`.

    **Raises:** `ResultsFolderError` naming the file when it is missing, truncated or not an `.npz`."""
    arrays = read_arrays(path)
    return solution_from_arrays(arrays, template), arrays


def solve_in_segments(
    piece, x0, n_segments: int, segment_length: float, template, *, checkpoint=None, fixed_grid: bool, on_segment=None
) -> Solution:
    r"""Run `piece` over `n_segments` consecutive segments, checkpointing after each.

    **Arguments:**

    - `piece(points, init_discriminator) -> Solution`: one segment from the given positions and
      discriminator start (`"zero"` for the first segment, else the last segment's final state),
      saved times starting at 0.
    - `x0`: initial positions `(N, d)`.
    - `n_segments`, `segment_length`: segment $k$ covers $[k\ell, (k+1)\ell]$.
    - `template`: a discriminator state of the player (its structure, for reading checkpoints).
    - `checkpoint`: a file path: written after every segment but the last, read (if present) to
      resume; `None`: no checkpoints.
    - `fixed_grid`: `True` for GDA (times past a failure continue the grid), `False` for flows
      (they are `inf`).
    - `on_segment(k)`: called after segment `k` (progress).

    **Returns:** the whole run as one `Solution` (saves of all segments, the first save of each
    later segment dropped as it repeats the previous end; `stats` summed).
    """
    parts, start = [], 0
    if checkpoint is not None and Path(checkpoint).exists():
        sol, arrays = load_solution(checkpoint, template)
        parts, start = [sol], int(arrays["segments_done"])
        if on_segment is not None:
            for k in range(start):
                on_segment(k)
    x, disc = (parts[-1].final_points, parts[-1].final_discriminator) if parts else (x0, "zero")
    for k in range(start, n_segments):
        sol = piece(x, disc)
        sol = dataclasses.replace(sol, ts=sol.ts + k * segment_length, final_time=sol.final_time + k * segment_length)
        parts = [_join(parts[0], sol)] if parts else [sol]
        if on_segment is not None:
            on_segment(k)
        if Result(int(np.asarray(sol.result))).failed:
            return _pad(
                parts[0],
                (n_segments - 1 - k) * (sol.ts.shape[0] - 1),
                segment_length / (sol.ts.shape[0] - 1),
                fixed_grid,
            )
        if checkpoint is not None and k < n_segments - 1:
            save_solution(checkpoint, parts[0], segments_done=k + 1)
        x, disc = sol.final_points, sol.final_discriminator
    return parts[0]


def _join(first: Solution, second: Solution) -> Solution:
    def cat(a, b):
        return None if a is None else jax.numpy.concatenate([a, b[1:]])

    return Solution(
        ts=cat(first.ts, second.ts),
        points=cat(first.points, second.points),
        masses=first.masses,
        payoff_gap=cat(first.payoff_gap, second.payoff_gap),
        discriminator_trace=cat(first.discriminator_trace, second.discriminator_trace),
        final_points=second.final_points,
        final_generator=second.final_generator,
        final_discriminator=second.final_discriminator,
        final_time=second.final_time,
        result=second.result,
        stats={k: first.stats[k] + second.stats[k] for k in second.stats if k in first.stats},
        field=cat(first.field, second.field),
        field_grid=second.field_grid,
    )


def _pad(sol: Solution, extra: int, dt: float, fixed_grid: bool) -> Solution:
    """`sol` with `extra` more saves repeating its last one (after a failure)."""
    if extra == 0:
        return sol

    def repeat(a):
        return None if a is None else jax.numpy.concatenate([a, jax.numpy.repeat(a[-1:], extra, axis=0)])

    last = sol.ts[-1]
    more = last + dt * jax.numpy.arange(1, extra + 1) if fixed_grid else jax.numpy.full(extra, jax.numpy.inf)
    return dataclasses.replace(
        sol,
        ts=jax.numpy.concatenate([sol.ts, more.astype(sol.ts.dtype)]),
        points=repeat(sol.points),
        payoff_gap=repeat(sol.payoff_gap),
        discriminator_trace=repeat(sol.discriminator_trace),
        field=repeat(sol.field),
    )
